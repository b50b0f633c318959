"""customer contacts and company names

``customer_emails`` and ``customer_phones`` replace the JSON arrays ``customers.emails`` and
``customers.phones`` (their entries are copied over, phones converted to E.164 when they parse,
kept as written otherwise); ``customer_company_names`` holds a customer's tax identities, with a
partial unique index so that a customer has at most one default.

Revision ID: a7c3e9d1f024
Revises: a7d3e9f1c2b4
Create Date: 2026-12-05 06:30:00
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "a7c3e9d1f024"
down_revision = "a7d3e9f1c2b4"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _new_id() -> str:
    return f"{int(time.time()):08x}{os.urandom(8).hex()}"


def _contact_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("customer_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("notes", sa.String(500), nullable=True),
        sa.Column("is_locked", sa.Boolean(), server_default=sa.false(), nullable=False),
    ]


def _keys(table: str) -> list[Any]:
    return [
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=f"fk_{table}_customer_id_customers"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _e164(raw: str) -> str:
    try:
        number = phonenumbers.parse(raw, "MX")
    except phonenumbers.NumberParseException:
        return raw[:40]
    if not phonenumbers.is_possible_number(number):
        return raw[:40]
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(entry: dict[str, Any], key: str, limit: int) -> str | None:
    value = entry.get(key)
    return str(value)[:limit] if value not in (None, "") else None


def _copy_contacts() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = bind.execute(sa.text("SELECT id, emails, phones FROM customers")).fetchall()
    emails, phones = [], []
    for customer_id, raw_emails, raw_phones in rows:
        for entry in _entries(raw_emails):
            if entry.get("email"):
                emails.append(_common(customer_id, entry, now) | {
                    "email": str(entry["email"])[:254],
                    "is_for_invoicing": entry.get("is_for_invoicing") is not False,
                })
        for entry in _entries(raw_phones):
            if entry.get("phone"):
                phones.append(_common(customer_id, entry, now) | {
                    "phone": _e164(str(entry["phone"])),
                    "extension": _text(entry, "extension", 10),
                    "is_whatsapp": bool(entry.get("is_whatsapp")),
                })
    if emails:
        op.bulk_insert(_table("customer_emails", ["email", "is_for_invoicing"]), emails)
    if phones:
        op.bulk_insert(_table("customer_phones", ["phone", "extension", "is_whatsapp"]), phones)


def _entries(raw: Any) -> list[dict[str, Any]]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [e for e in value or [] if isinstance(e, dict)]


def _common(customer_id: str, entry: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "created_at": now,
        "customer_id": customer_id,
        "name": _text(entry, "name", 100),
        "role": _text(entry, "role", 100),
        "notes": _text(entry, "notes", 500),
        "is_locked": False,
    }


def _table(name: str, extra: list[str]) -> sa.Table:
    columns = ["id", "created_at", "customer_id", "name", "role", "notes", "is_locked", *extra]
    return sa.table(name, *(sa.column(c) for c in columns))


def upgrade() -> None:
    op.create_table(
        "customer_emails",
        *_contact_columns(),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("is_for_invoicing", sa.Boolean(), server_default=sa.true(), nullable=False),
        *_keys("customer_emails"),
    )
    op.create_table(
        "customer_phones",
        *_contact_columns(),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("extension", sa.String(10), nullable=True),
        sa.Column("is_whatsapp", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_keys("customer_phones"),
    )
    op.create_table(
        "customer_company_names",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=True),
        sa.Column("customer_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("tax_id", sa.String(13), nullable=False),
        sa.Column("tax_system", sa.String(3), nullable=False),
        sa.Column("billing_email", sa.String(254), nullable=True),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("billing_address", sa.String(300), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        *_keys("customer_company_names"),
    )
    for table in ("customer_emails", "customer_phones", "customer_company_names"):
        op.create_index(f"ix_{table}_customer_id", table, ["customer_id"])
    op.create_index("ix_customer_company_names_tax_id", "customer_company_names", ["tax_id"])
    op.create_index(
        "uq_customer_company_names_default",
        "customer_company_names",
        ["customer_id"],
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    )
    _copy_contacts()
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("emails")
        batch.drop_column("phones")


def _copy_back() -> None:
    """The rows back into the customers' JSON arrays (company names have no older home)."""
    bind = op.get_bind()
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for table, key, extra in (
        ("customer_emails", "emails", ("email", "is_for_invoicing")),
        ("customer_phones", "phones", ("phone", "extension", "is_whatsapp")),
    ):
        columns = ("customer_id", *extra, "name", "role", "notes")
        query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY created_at"
        for row in bind.execute(sa.text(query)).mappings():
            entry = {c: row[c] for c in columns[1:]}
            found.setdefault(row["customer_id"], {"emails": [], "phones": []})[key].append(entry)
    customers = sa.table("customers", sa.column("id"), sa.column("emails", sa.JSON), sa.column("phones", sa.JSON))
    for customer_id, contacts in found.items():
        bind.execute(customers.update().where(customers.c.id == customer_id).values(**contacts))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("emails", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("phones", sa.JSON(), nullable=True))
    _copy_back()
    op.drop_table("customer_company_names")
    op.drop_table("customer_phones")
    op.drop_table("customer_emails")
