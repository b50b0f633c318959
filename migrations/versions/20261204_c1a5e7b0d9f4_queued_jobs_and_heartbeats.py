"""queued jobs and heartbeats

``queued_jobs`` keeps the jobs the queue refused (Redis unreachable) until the scheduler's
relay enqueues them; ``heartbeats`` holds each worker's and scheduler's last sign of life,
read by ``/healthz``.

Revision ID: c1a5e7b0d9f4
Revises: 3f9c1d2b7e4a
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c1a5e7b0d9f4"
down_revision = "3f9c1d2b7e4a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queued_jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queued_jobs")),
    )
    op.create_table(
        "heartbeats",
        sa.Column("process", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process", name=op.f("pk_heartbeats")),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_heartbeats_beat_at"), ["beat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeats_beat_at"))
    op.drop_table("heartbeats")
    op.drop_table("queued_jobs")
