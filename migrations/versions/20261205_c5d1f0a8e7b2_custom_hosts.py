"""custom hosts: an organization's own host name for its self-invoice page

Revision ID: c5d1f0a8e7b2
Revises: b5d1f3a7c920
Create Date: 2026-12-05 08:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portal.models.base import UTCDateTime

revision = "c5d1f0a8e7b2"
down_revision = "b5d1f3a7c920"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_hosts",
        sa.Column("organization_id", sa.String(length=24), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("verified_at", UTCDateTime(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_custom_hosts_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_hosts")),
        sa.UniqueConstraint("host", name=op.f("uq_custom_hosts_host")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_custom_hosts_organization_id")),
    )


def downgrade() -> None:
    op.drop_table("custom_hosts")
