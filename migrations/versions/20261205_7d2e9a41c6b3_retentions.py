"""retentions: CFDI de Retenciones e información de pagos 2.0

Revision ID: 7d2e9a41c6b3
Revises: a7c3e9d1f024
Create Date: 2026-12-05 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "7d2e9a41c6b3"
down_revision = "a7c3e9d1f024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retentions",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "organization_id",
            sa.String(24),
            sa.ForeignKey("organizations.id", name="fk_retentions_organization_id_organizations"),
            nullable=False,
        ),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "customer_id",
            sa.String(24),
            sa.ForeignKey("customers.id", name="fk_retentions_customer_id_customers"),
            nullable=True,
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("total", sa.Numeric(18, 6), nullable=False),
        sa.Column("uuid", sa.String(36), nullable=True),
        sa.Column("xml", sa.LargeBinary(), nullable=True),
        sa.Column("stamp", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=True),
        sa.Column("body_hash", sa.String(64), nullable=True),
        sa.Column("cancellation_motive", sa.String(2), nullable=True),
        sa.Column("cancellation_substitution", sa.String(36), nullable=True),
        sa.Column("canceled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_xml", sa.LargeBinary(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retentions")),
        sa.UniqueConstraint(
            "organization_id",
            "livemode",
            "idempotency_key",
            name="uq_retentions_organization_id_livemode_idempotency_key",
        ),
    )
    op.create_index(
        "ix_retentions_listing", "retentions", ["organization_id", "livemode", "created_at", "id"]
    )
    op.create_index("ix_retentions_customer_id", "retentions", ["customer_id"])
    op.create_index("ix_retentions_uuid", "retentions", ["uuid"])
    op.create_index("ix_retentions_external_id", "retentions", ["external_id"])


def downgrade() -> None:
    op.drop_table("retentions")
