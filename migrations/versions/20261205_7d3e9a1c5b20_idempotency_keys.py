"""idempotency keys of every creating POST

``idempotency_keys`` holds the ``Idempotency-Key`` of a creating request (customers, products,
webhooks, organizations, global invoices) with its body's fingerprint and the id it created, so
that a retry gets the same object and a different body a 409. A new table, empty at first.

Revision ID: 7d3e9a1c5b20
Revises: 7d2e9a41c6b3
Create Date: 2026-12-05 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7d3e9a1c5b20"
down_revision = "7d2e9a41c6b3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=24), nullable=True),
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "owner",
            "livemode",
            "scope",
            "key",
            name=op.f("uq_idempotency_keys_owner_livemode_scope_key"),
        ),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
