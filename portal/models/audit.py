"""The support audit trail: what staff did, for whom, and why. Rows are only ever added.

Append-only is enforced twice: in the application (a ``before_flush`` guard and a refusal of
ORM bulk UPDATE/DELETE on the table) and, on PostgreSQL, by a trigger that raises on UPDATE and
DELETE (``AUDIT_APPEND_ONLY_SQL``, created by the migration and, for tests, by ``create_all``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, JSON, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
)

from portal.models.accounts import Account
from portal.models.base import Base, IdMixin
from portal.models.organizations import Organization


class AuditEntry(IdMixin, Base):
    """One thing a staff member did, possibly while acting for a reseller."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_account_id_created_at", "account_id", "created_at"),
        Index("ix_audit_entries_staff_id_created_at", "staff_id", "created_at"),
    )

    staff_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    organization_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # Read-only links for display; nothing is ever written through them.
    staff: Mapped[Account] = relationship(foreign_keys=[staff_id], viewonly=True, lazy="selectin")
    account: Mapped[Account | None] = relationship(
        foreign_keys=[account_id], viewonly=True, lazy="selectin"
    )
    organization: Mapped[Organization | None] = relationship(viewonly=True, lazy="selectin")


class AuditLogIsAppendOnly(RuntimeError):
    """Someone tried to change or remove an audit entry."""


AUDIT_APPEND_ONLY_SQL = (
    """
CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only'
        USING ERRCODE = 'insufficient_privilege', DETAIL = TG_OP || ' refused';
END;
$$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER audit_entries_append_only
    BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()
""",
    """
CREATE TRIGGER audit_entries_no_truncate
    BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()
""",
)
"""PostgreSQL statements (run in order): ``audit_entries`` refuses UPDATE, DELETE, TRUNCATE."""

AUDIT_APPEND_ONLY_DROP_SQL = (
    "DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries",
    "DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries",
    "DROP FUNCTION IF EXISTS audit_entries_append_only()",
)
"""The downgrade of ``AUDIT_APPEND_ONLY_SQL``."""

for _statement in AUDIT_APPEND_ONLY_SQL:
    event.listen(
        AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )


# The guards listen on every Session (not just Flask's), so jobs and the CLI obey them too.
@event.listens_for(Session, "before_flush")
def _refuse_changed_audit_entries(session: Session, _flush: UOWTransaction, _inst: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry) and (
            obj in session.deleted or session.is_modified(obj, include_collections=False)
        ):
            raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ is AuditEntry:
            raise AuditLogIsAppendOnly("audit entries cannot be changed or deleted")
