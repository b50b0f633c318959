"""word search over invoice items

``GET /v2/invoices?q=`` also finds an invoice by its concepts: ``search_text`` gains the words of
the first 100 items' descriptions (the product's name) and SKUs, and the GIN index over its
tokens (PostgreSQL) covers them. Existing invoices' ``search_text`` is rewritten, with the
index dropped meanwhile (about as long as the rewrite of 5d1e7a9c3b20: some 5 minutes per
million invoices on the 2-core machine). The tokenizer and the columns are copies (of
``portal.search`` and ``portal.services.invoices._index_text``), so that this migration never
changes when those do.

Revision ID: a4c8e2f61d93
Revises: 7d3e9a1c5b20
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "a4c8e2f61d93"
down_revision = "7d3e9a1c5b20"
branch_labels = None
depends_on = None

TOKEN = re.compile(r"[^\W_]+")
BATCH = 5000
ITEMS_INDEXED = 100


def _index_text(*parts: Any) -> str:
    seen: dict[str, None] = {}
    for part in parts:
        if part is not None:
            seen.update(dict.fromkeys(TOKEN.findall(str(part).lower())))
    return " ".join(seen)


def _item_words(data: Any) -> list[Any]:
    items = data.get("items") if isinstance(data, dict) else None
    words: list[Any] = []
    for item in items[:ITEMS_INDEXED] if isinstance(items, list) else []:
        product = item.get("product") if isinstance(item, dict) else None
        if isinstance(product, dict):
            words += [product.get("description"), product.get("sku")]
    return words


def _rewrite_search_text(connection: sa.Connection, with_items: bool) -> None:
    invoices = sa.table(
        "invoices",
        sa.column("id", sa.String),
        sa.column("customer", sa.JSON),
        sa.column("series", sa.String),
        sa.column("folio_number", sa.Integer),
        sa.column("uuid", sa.String),
        sa.column("external_id", sa.String),
        sa.column("data", sa.JSON),
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
                    *(_item_words(row.data) if with_items else []),
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


def _rebuild(with_items: bool) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # before the rewrite: every updated row would update it too
        op.drop_index("ix_invoices_search", table_name="invoices")
    _rewrite_search_text(op.get_bind(), with_items)
    if postgresql:
        op.execute(
            "CREATE INDEX ix_invoices_search ON invoices "
            "USING gin (array_to_tsvector(string_to_array(search_text, ' ')))"
        )


def upgrade() -> None:
    _rebuild(with_items=True)


def downgrade() -> None:
    _rebuild(with_items=False)
