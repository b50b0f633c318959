"""public invoice links, scoped keys, API rate-limit windows and the request log

Revision ID: a7d3e9f1c2b4
Revises: e13f0c5a7b21
Create Date: 2026-12-05 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portal.models.base import UTCDateTime

revision = "a7d3e9f1c2b4"
down_revision = "e13f0c5a7b21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("scopes", sa.JSON(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("last_used_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column("public_link_days", sa.Integer(), server_default="30", nullable=False)
        )
    op.create_table(
        "invoice_public_links",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("organization_id", sa.String(24), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("invoice_id", sa.String(24), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name="fk_invoice_public_links_organization_id_organizations",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name="fk_invoice_public_links_invoice_id_invoices"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_public_links"),
        sa.UniqueConstraint("invoice_id", name="uq_invoice_public_links_invoice_id"),
        sa.UniqueConstraint("token", name="uq_invoice_public_links_token"),
    )
    op.create_index(
        "ix_invoice_public_links_organization_id", "invoice_public_links", ["organization_id"]
    )
    op.create_table(
        "request_log",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(24), nullable=True),
        sa.Column("key_id", sa.String(24), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_request_log"),
    )
    op.create_index("ix_request_log_request_id", "request_log", ["request_id"])
    op.create_index("ix_request_log_organization_id", "request_log", ["organization_id"])
    op.create_table(
        "api_rate_windows",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expiry", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_api_rate_windows"),
    )


def downgrade() -> None:
    op.drop_table("api_rate_windows")
    op.drop_index("ix_request_log_request_id", "request_log")
    op.drop_index("ix_request_log_organization_id", "request_log")
    op.drop_table("request_log")
    op.drop_index("ix_invoice_public_links_organization_id", "invoice_public_links")
    op.drop_table("invoice_public_links")
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("public_link_days")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("scopes")
