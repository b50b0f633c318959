"""invoice counts and word search

Lists of a million invoices: ``organizations.invoice_count_live/test`` are kept by triggers on
``invoices`` (so ``total_results`` needs no count of rows), and ``q`` becomes a word search
(every word a token, the last one a prefix) answered on PostgreSQL by a GIN index over
``search_text``'s tokens instead of the trigram index. ``search_text`` is rewritten as tokens.
The SQL and the tokenizer are copies (of ``portal.models.invoices`` and ``portal.search``), so
that this migration never changes when those modules do.

Revision ID: 5d1e7a9c3b20
Revises: cca2d605058e
Create Date: 2026-11-22 04:05:00
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "5d1e7a9c3b20"
down_revision = "cca2d605058e"
branch_labels = None
depends_on = None

COUNT_SQL = {
    "postgresql": (
        """
CREATE OR REPLACE FUNCTION invoices_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE organizations SET
            invoice_count_live = invoice_count_live + NEW.livemode::int,
            invoice_count_test = invoice_count_test + (NOT NEW.livemode)::int
        WHERE id = NEW.organization_id;
    ELSE
        UPDATE organizations SET
            invoice_count_live = invoice_count_live - OLD.livemode::int,
            invoice_count_test = invoice_count_test - (NOT OLD.livemode)::int
        WHERE id = OLD.organization_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
""",
        """
CREATE TRIGGER invoices_count AFTER INSERT OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_count()
""",
    ),
    "sqlite": (
        """
CREATE TRIGGER invoices_count_insert AFTER INSERT ON invoices BEGIN
    UPDATE organizations SET
        invoice_count_live = invoice_count_live + NEW.livemode,
        invoice_count_test = invoice_count_test + 1 - NEW.livemode
    WHERE id = NEW.organization_id;
END
""",
        """
CREATE TRIGGER invoices_count_delete AFTER DELETE ON invoices BEGIN
    UPDATE organizations SET
        invoice_count_live = invoice_count_live - OLD.livemode,
        invoice_count_test = invoice_count_test - 1 + OLD.livemode
    WHERE id = OLD.organization_id;
END
""",
    ),
}
COUNT_DROP_SQL = {
    "postgresql": (
        "DROP TRIGGER IF EXISTS invoices_count ON invoices",
        "DROP FUNCTION IF EXISTS invoices_count()",
    ),
    "sqlite": (
        "DROP TRIGGER IF EXISTS invoices_count_insert",
        "DROP TRIGGER IF EXISTS invoices_count_delete",
    ),
}
BACKFILL_COUNTS = """
UPDATE organizations SET
    invoice_count_live = (SELECT count(*) FROM invoices
                          WHERE invoices.organization_id = organizations.id AND invoices.livemode),
    invoice_count_test = (SELECT count(*) FROM invoices
                          WHERE invoices.organization_id = organizations.id
                            AND NOT invoices.livemode)
"""
TOKEN = re.compile(r"[^\W_]+")
BATCH = 5000


def _index_text(*parts: Any) -> str:
    seen: dict[str, None] = {}
    for part in parts:
        if part is not None:
            seen.update(dict.fromkeys(TOKEN.findall(str(part).lower())))
    return " ".join(seen)


def _rewrite_search_text(connection: sa.Connection) -> None:
    invoices = sa.table(
        "invoices",
        sa.column("id", sa.String),
        sa.column("customer", sa.JSON),
        sa.column("series", sa.String),
        sa.column("folio_number", sa.Integer),
        sa.column("uuid", sa.String),
        sa.column("external_id", sa.String),
        sa.column("search_text", sa.Text),
    )
    last = ""
    while True:
        rows = connection.execute(
            sa.select(invoices).where(invoices.c.id > last).order_by(invoices.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {
                "row_id": row.id,
                "text": _index_text(
                    (row.customer or {}).get("legal_name"),
                    (row.customer or {}).get("tax_id"),
                    f"{row.series or ''}{row.folio_number or ''}",
                    row.folio_number,
                    row.uuid,
                    row.external_id,
                ),
            }
            for row in rows
        ]
        connection.execute(
            invoices.update()
            .where(invoices.c.id == sa.bindparam("row_id"))
            .values(search_text=sa.bindparam("text")),
            values,
        )
        last = rows[-1].id


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invoice_count_live", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("invoice_count_test", sa.Integer(), server_default="0", nullable=False)
        )
    for statement in COUNT_SQL[dialect]:
        op.execute(statement)
    op.execute(BACKFILL_COUNTS)
    if dialect == "postgresql":  # before the rewrite: every updated row would update it too
        op.drop_index("ix_invoices_search_trgm", table_name="invoices")
    _rewrite_search_text(op.get_bind())
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_invoices_search ON invoices "
            "USING gin (array_to_tsvector(string_to_array(search_text, ' ')))"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_invoices_search")
        op.create_index(
            "ix_invoices_search_trgm",
            "invoices",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    for statement in COUNT_DROP_SQL[dialect]:
        op.execute(statement)
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("invoice_count_test")
        batch_op.drop_column("invoice_count_live")
