"""The audit log is append-only (application guard, PostgreSQL trigger) and readable by staff."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from portal.models.audit import AuditEntry, AuditLogIsAppendOnly
from portal.services import audit
from portal.services.audit import StaffActor


@pytest.fixture
def entry(db, staff, reseller):
    actor = StaffActor(staff.id, "10.0.0.1", "Ticket 9 revisar facturas", reseller.id)
    written = audit.record(db, actor, "impersonation.started", details={"n": 1})
    db.commit()
    return written


def test_changing_an_entry_is_refused(db, entry):
    entry.action = "nothing.happened"
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()


def test_deleting_an_entry_is_refused(db, entry):
    db.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.flush()
    db.rollback()


@pytest.mark.parametrize(
    "statement",
    [update(AuditEntry).values(reason="otro"), delete(AuditEntry)],
    ids=["bulk-update", "bulk-delete"],
)
def test_bulk_changes_through_the_orm_are_refused(db, entry, statement):
    with pytest.raises(AuditLogIsAppendOnly):
        db.execute(statement)
    db.rollback()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entries SET reason = 'otro'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ],
)
def test_postgresql_refuses_changes_even_in_raw_sql(db, entry, sql):
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(sql))
    db.rollback()
    db.expire_all()
    assert db.get(AuditEntry, entry.id).reason == "Ticket 9 revisar facturas"


def test_staff_read_the_log_filtered_by_account_and_staff(
    staff_client, db, staff, reseller, make_account, entry
):
    other, _key = make_account(email="otro@example.com")
    audit.record(db, StaffActor(staff.id, account_id=other.id), "account.suspended")
    db.commit()
    page = staff_client.get("/admin/audit").get_data(as_text=True)
    assert "ana@example.com" in page and "otro@example.com" in page
    assert "Ticket 9 revisar facturas" in page and "10.0.0.1" in page
    by_email = staff_client.get("/admin/audit?account=ana@example.com").get_data(as_text=True)
    assert "ana@example.com" in by_email and "otro@example.com" not in by_email
    by_id = staff_client.get(f"/admin/audit?account={other.id}").get_data(as_text=True)
    assert "otro@example.com" in by_id and "ana@example.com" not in by_id
    nobody = staff_client.get("/admin/audit?staff=unknown").get_data(as_text=True)
    assert "No hay entradas con estos filtros." in nobody
    mine = staff_client.get(f"/admin/audit?staff={staff.id}").get_data(as_text=True)
    assert "ana@example.com" in mine


def test_searches_and_tenant_views_are_recorded(staff_client, db, staff, reseller):
    staff_client.get("/admin/?q=ana@")
    staff_client.get(f"/admin/accounts/{reseller.id}")
    db.expire_all()
    actions = [e.action for e in audit.entries(db, staff_id=staff.id).entries]
    assert actions[:2] == ["support.tenant_viewed", "support.search"]
