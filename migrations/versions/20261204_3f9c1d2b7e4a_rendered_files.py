"""rendered files and the stamping lease

Heavy work done once, and no PAC call inside a transaction.

``rendered_files`` holds the last rendering of a kind of file (``pdf``) of an invoice with the
digest of what it was rendered from; downloads serve it while the digest matches. A new table,
empty at first: existing invoices render on their next download.

``stamping_leases`` holds the worker's lease on a pending invoice while it waits for the PAC
with no transaction open (empty at first).

Revision ID: 3f9c1d2b7e4a
Revises: 8b4f2e6a1c07
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3f9c1d2b7e4a"
down_revision = "8b4f2e6a1c07"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rendered_files",
        sa.Column("invoice_id", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("cache_key", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_rendered_files_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", "kind", name=op.f("pk_rendered_files")),
    )


    op.create_table(
        "stamping_leases",
        sa.Column("invoice_id", sa.String(length=24), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_stamping_leases_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_stamping_leases")),
    )


def downgrade() -> None:
    op.drop_table("stamping_leases")
    op.drop_table("rendered_files")
