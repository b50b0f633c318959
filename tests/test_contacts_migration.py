"""The contacts migration moves every customer's ``emails``/``phones`` JSON into rows."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from portal.migrate import alembic_config, upgrade

BEFORE = "a7d3e9f1c2b4"


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def test_existing_contacts_become_rows(fresh_database):
    url = fresh_database("contacts_migration")
    upgrade(url, BEFORE)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    emails = [{"email": "pagos@example.com", "is_for_invoicing": False, "name": "Ana"}, "bad"]
    phones = [{"phone": "55 1234 5678", "is_whatsapp": True}, {"phone": "ext. 12 (old)"}]
    with engine.begin() as connection:  # SQLite checks no foreign key on this connection
        if connection.dialect.name == "postgresql":  # no organization row needed
            connection.execute(text("SET session_replication_role = replica"))
        connection.execute(
            text(
                "INSERT INTO customers (id, created_at, organization_id, livemode, emails, "
                "phones, address) VALUES ('c1', CURRENT_TIMESTAMP, 'o1', false, :e, :p, '{}')"
            ),
            {"e": json.dumps(emails), "p": json.dumps(phones)},
        )
    upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT customer_id, email, is_for_invoicing, name FROM customer_emails")
        ).all()
        numbers = connection.execute(
            text("SELECT phone, is_whatsapp FROM customer_phones ORDER BY phone")
        ).all()
        columns = connection.execute(text("SELECT * FROM customers")).keys()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("c1", "pagos@example.com", False, "Ana")]
    assert [tuple(n) for n in numbers] == [("+525512345678", True), ("ext. 12 (old)", False)]
    assert "emails" not in columns and "phones" not in columns

    downgrade(url, BEFORE)  # and back, without losing them
    with engine.connect() as connection:
        restored = connection.execute(text("SELECT emails, phones FROM customers")).one()
    engine.dispose()
    back = [json.loads(v) if isinstance(v, str) else v for v in restored]
    assert back[0] == [{"email": "pagos@example.com", "is_for_invoicing": False, "name": "Ana",
                        "role": None, "notes": None}]  # fmt: skip
    assert [p["phone"] for p in back[1]] == ["+525512345678", "ext. 12 (old)"]
