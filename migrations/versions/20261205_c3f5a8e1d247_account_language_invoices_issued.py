"""account language; invoices by issue date

``accounts.language`` keeps the interface language a person chose (NULL follows the browser).
``ix_invoices_issued`` lets the organization's home add up its invoices of one environment by
issue date without reading the rest of its invoices; ``ix_invoices_cancellation_pending``
holds only the invoices whose cancellation awaits the receiver (the home lists them, the
polling job reads them all).

Revision ID: c3f5a8e1d247
Revises: c5e1a7d3f920
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c3f5a8e1d247"
down_revision = "c5e1a7d3f920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("language", sa.String(length=5), nullable=True))
    op.create_index("ix_invoices_issued", "invoices", ["organization_id", "livemode", "date"])
    op.create_index(
        "ix_invoices_cancellation_pending",
        "invoices",
        ["organization_id", "livemode", "created_at"],
        sqlite_where=sa.text("cancellation_status = 'pending'"),
        postgresql_where=sa.text("cancellation_status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_cancellation_pending", table_name="invoices")
    op.drop_index("ix_invoices_issued", table_name="invoices")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("language")
