"""team members, invitations and the team's actions

``memberships``: an account's role (admin, invoicer, accountant) in an organization it does not
own. ``invitations``: emailed invitations to join with a role (only the token's SHA-256 is kept;
each expires, works once and can be revoked). ``team_actions``: what people did in an
organization's dashboard, with who and in which role. Three new tables: nothing to backfill.

Revision ID: b5d1f3a7c920
Revises: a4c8e2f61d93
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b5d1f3a7c920"
down_revision = "a4c8e2f61d93"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _base(table: str) -> list[sa.SchemaItem]:
    return [
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("organization_id", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=f"fk_{table}_organization_id_organizations",
        ),
    ]


def _account_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["accounts.id"], name=f"fk_{table}_{column}_accounts")


def upgrade() -> None:
    op.create_table(
        "memberships",
        *_base("memberships"),
        sa.Column("account_id", sa.String(24), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("invited_by_id", sa.String(24), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        _account_fk("memberships", "account_id"),
        _account_fk("memberships", "invited_by_id"),
        sa.UniqueConstraint(
            "organization_id", "account_id", name="uq_memberships_organization_id_account_id"
        ),
    )
    op.create_index("ix_memberships_account_id", "memberships", ["account_id"])
    op.create_index("ix_memberships_organization_id", "memberships", ["organization_id"])

    op.create_table(
        "invitations",
        *_base("invitations"),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("invited_by_id", sa.String(24), nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("accepted_at", TS, nullable=True),
        sa.Column("accepted_by_id", sa.String(24), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        _account_fk("invitations", "invited_by_id"),
        _account_fk("invitations", "accepted_by_id"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
    )
    op.create_index(
        "ix_invitations_organization_id_email", "invitations", ["organization_id", "email"]
    )

    op.create_table(
        "team_actions",
        *_base("team_actions"),
        sa.Column("account_id", sa.String(24), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("endpoint", sa.String(80), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        _account_fk("team_actions", "account_id"),
    )
    op.create_index(
        "ix_team_actions_organization_id_created_at",
        "team_actions",
        ["organization_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_team_actions_organization_id_created_at", table_name="team_actions")
    op.drop_table("team_actions")
    op.drop_index("ix_invitations_organization_id_email", table_name="invitations")
    op.drop_table("invitations")
    op.drop_index("ix_memberships_organization_id", table_name="memberships")
    op.drop_index("ix_memberships_account_id", table_name="memberships")
    op.drop_table("memberships")
