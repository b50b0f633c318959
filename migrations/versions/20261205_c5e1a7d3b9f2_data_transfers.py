"""data transfers: imports and exports in the background

``data_transfers`` holds each import (customers or products from a spreadsheet) and export
(invoices of a period) of an organization: the upload, the progress, the refused rows and the
exported file, until it expires. Customers gain an index on their RFC (an import updates the
customer with the row's RFC).

Revision ID: c5e1a7d3b9f2
Revises: c5d1f0a8e7b2
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portal.models.base import UTCDateTime

revision = "c5e1a7d3b9f2"
down_revision = "c5d1f0a8e7b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_transfers",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("organization_id", sa.String(24), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.String(24), nullable=True),
        sa.Column("direction", sa.String(6), nullable=False),
        sa.Column("resource", sa.String(20), nullable=False),
        sa.Column("file_format", sa.String(4), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("file_name", sa.String(200), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_data_transfers_organization_id_organizations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name="fk_data_transfers_account_id_accounts",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_data_transfers"),
    )
    op.create_index(
        "ix_data_transfers_organization_id_created_at",
        "data_transfers",
        ["organization_id", "created_at"],
    )
    op.create_index("ix_data_transfers_status", "data_transfers", ["status"])
    op.create_index(
        "ix_customers_organization_id_livemode_tax_id",
        "customers",
        ["organization_id", "livemode", "tax_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_customers_organization_id_livemode_tax_id", "customers")
    op.drop_index("ix_data_transfers_status", "data_transfers")
    op.drop_index("ix_data_transfers_organization_id_created_at", "data_transfers")
    op.drop_table("data_transfers")
