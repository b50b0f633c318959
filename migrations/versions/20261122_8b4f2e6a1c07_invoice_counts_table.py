"""invoice counts in a table of their own

The invoice counts move from ``organizations`` to ``invoice_counts`` (rows per organization,
environment and slot: on PostgreSQL each connection counts into a slot of its own), so that
inserting an invoice no longer locks the organization's row, which the folio counters live on:
folios can then be taken in a short transaction of their own. The trigger SQL is a copy of
``portal.models.invoices``'s, so that this migration never changes when that module does; the
downgrade restores the previous revision's own SQL.

Revision ID: 8b4f2e6a1c07
Revises: 5d1e7a9c3b20
Create Date: 2026-11-22 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "8b4f2e6a1c07"
down_revision = "5d1e7a9c3b20"
branch_labels = None
depends_on = None

COUNT_SQL = {
    "postgresql": (
        """
CREATE OR REPLACE FUNCTION invoices_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO invoice_counts AS c (organization_id, livemode, slot, count)
        VALUES (NEW.organization_id, NEW.livemode, mod(pg_backend_pid(), 8), 1)
        ON CONFLICT (organization_id, livemode, slot) DO UPDATE SET count = c.count + 1;
    ELSE
        INSERT INTO invoice_counts AS c (organization_id, livemode, slot, count)
        VALUES (OLD.organization_id, OLD.livemode, mod(pg_backend_pid(), 8), -1)
        ON CONFLICT (organization_id, livemode, slot) DO UPDATE SET count = c.count - 1;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
    ),
    "sqlite": (
        "DROP TRIGGER IF EXISTS invoices_count_insert",
        "DROP TRIGGER IF EXISTS invoices_count_delete",
        """
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices BEGIN
    INSERT OR IGNORE INTO invoice_counts (organization_id, livemode, slot, count)
    VALUES (NEW.organization_id, NEW.livemode, 0, 0);
    UPDATE invoice_counts SET count = count + 1
    WHERE organization_id = NEW.organization_id AND livemode = NEW.livemode AND slot = 0;
END
""",
        """
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices BEGIN
    UPDATE invoice_counts SET count = count - 1
    WHERE organization_id = OLD.organization_id AND livemode = OLD.livemode AND slot = 0;
END
""",
    ),
}
MOVE_COUNTS = """
INSERT INTO invoice_counts (organization_id, livemode, slot, count)
SELECT id, {true}, 0, invoice_count_live FROM organizations
UNION ALL
SELECT id, {false}, 0, invoice_count_test FROM organizations
"""
MOVE_COUNTS_BACK = """
UPDATE organizations SET
    invoice_count_live = coalesce((SELECT sum(count) FROM invoice_counts
        WHERE organization_id = organizations.id AND livemode = {true}), 0),
    invoice_count_test = coalesce((SELECT sum(count) FROM invoice_counts
        WHERE organization_id = organizations.id AND livemode = {false}), 0)
"""


def _booleans(dialect: str) -> dict[str, str]:
    return {"true": "true", "false": "false"} if dialect == "postgresql" else {"true": "1", "false": "0"}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "invoice_counts",
        sa.Column("organization_id", sa.String(length=24), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "livemode", "slot"),
    )
    op.execute(MOVE_COUNTS.format(**_booleans(dialect)))
    for statement in COUNT_SQL[dialect]:
        op.execute(statement)
    # SQLite (3.35 and later) drops a column in place; no copy of the table is needed.
    op.drop_column("organizations", "invoice_count_test")
    op.drop_column("organizations", "invoice_count_live")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    previous = op.get_context().script.get_revision(down_revision).module  # type: ignore[union-attr]
    for name in ("invoice_count_live", "invoice_count_test"):
        op.add_column(
            "organizations", sa.Column(name, sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(MOVE_COUNTS_BACK.format(**_booleans(dialect)))
    for statement in previous.COUNT_DROP_SQL[dialect] + previous.COUNT_SQL[dialect]:
        op.execute(statement)
    op.drop_table("invoice_counts")
