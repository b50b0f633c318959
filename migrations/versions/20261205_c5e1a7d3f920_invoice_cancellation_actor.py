"""who asked to cancel an invoice

``invoices.cancellation_actor`` keeps who asked SAT to cancel the invoice: an account of the
organization's team, an API key (its first 12 characters) or support acting for the reseller,
so that the invoice's page says who cancelled it. Nullable: invoices cancelled before this
revision say nothing about it.

Revision ID: c5e1a7d3f920
Revises: c5e1a7d3b9f2
Create Date: 2026-12-05 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c5e1a7d3f920"
down_revision = "c5e1a7d3b9f2"
branch_labels = None
depends_on = None


# A plain ALTER TABLE, not a batch: on SQLite a batch rebuilds the table and would drop the
# invoice-count triggers.
def upgrade() -> None:
    op.add_column("invoices", sa.Column("cancellation_actor", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("invoices", "cancellation_actor")
