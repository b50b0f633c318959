"""invoice relations: what each stamped CFDI relates to or pays

``invoice_relations`` indexes the CfdiRelacionados (by TipoRelacion) and the Pagos 2.0
DoctoRelacionado of every stamped CFDI, so finding the documents that depend on an invoice
(before cancelling it, on its page) no longer scans the invoices' bodies. The backfill reads the
stored XML of every stamped invoice, in batches; its small parser is a copy of
``portal.cfdi.relations``'s, so that this migration never changes when that module does.

Revision ID: e13f0c5a7b21
Revises: c1a5e7b0d9f4
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from lxml import etree

revision = "e13f0c5a7b21"
down_revision = "c1a5e7b0d9f4"
branch_labels = None
depends_on = None

CFDI = "{http://www.sat.gob.mx/cfd/4}"
PAGOS = "{http://www.sat.gob.mx/Pagos20}"
UUID = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
BATCH = 500


def _relations(xml: bytes) -> set[tuple[str, str]]:
    """(related UUID, TipoRelacion code or "pago") pairs of one stamped CFDI."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        return set()
    found = {
        (related.get("UUID", "").upper(), group.get("TipoRelacion", ""))
        for group in root.iter(f"{CFDI}CfdiRelacionados")
        for related in group.iter(f"{CFDI}CfdiRelacionado")
    }
    found |= {(paid.get("IdDocumento", "").upper(), "pago") for paid in root.iter(f"{PAGOS}DoctoRelacionado")}
    return {(uuid, kind) for uuid, kind in found if UUID.match(uuid)}


def _batches(connection: Any) -> Iterator[list[dict[str, Any]]]:
    """The relations of the stamped invoices, ``BATCH`` invoices at a time (by id)."""
    invoices = sa.table(
        "invoices",
        sa.column("id", sa.String),
        sa.column("organization_id", sa.String),
        sa.column("livemode", sa.Boolean),
        sa.column("xml", sa.LargeBinary),
    )
    last = ""
    while True:
        query = (
            sa.select(invoices)
            .where(invoices.c.xml.is_not(None), invoices.c.id > last)
            .order_by(invoices.c.id)
            .limit(BATCH)
        )
        rows = connection.execute(query).all()
        if not rows:
            return
        last = rows[-1].id
        yield [
            {
                "organization_id": row.organization_id,
                "livemode": row.livemode,
                "from_invoice_id": row.id,
                "to_uuid": uuid,
                "kind": kind,
            }
            for row in rows
            for uuid, kind in sorted(_relations(bytes(row.xml)))
        ]


def upgrade() -> None:
    relations = op.create_table(
        "invoice_relations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("organization_id", sa.String(length=24), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("from_invoice_id", sa.String(length=24), nullable=False),
        sa.Column("to_uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_relations_from_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_invoice_relations_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_relations")),
        sa.UniqueConstraint(
            "from_invoice_id",
            "to_uuid",
            "kind",
            name=op.f("uq_invoice_relations_from_invoice_id_to_uuid_kind"),
        ),
    )
    op.create_index(
        "ix_invoice_relations_target",
        "invoice_relations",
        ["organization_id", "livemode", "to_uuid"],
    )
    op.create_index(
        op.f("ix_invoice_relations_from_invoice_id"), "invoice_relations", ["from_invoice_id"]
    )
    for batch in _batches(op.get_bind()):
        if batch:
            op.bulk_insert(relations, batch)


def downgrade() -> None:
    op.drop_index(op.f("ix_invoice_relations_from_invoice_id"), table_name="invoice_relations")
    op.drop_index("ix_invoice_relations_target", table_name="invoice_relations")
    op.drop_table("invoice_relations")
