"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from portal.migrate import comparing, include_object, upgrade
from portal.models.base import Base


def test_migrations_match_the_models(fresh_database):
    url = fresh_database("migrations")
    upgrade(url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        comparing(connection.dialect.name)
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_migrated_audit_log_is_append_only_on_postgresql(fresh_database):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.orm import Session

    from portal.models import Account, AuditEntry

    url = fresh_database("migrations_audit")
    if not url.startswith("postgresql"):
        pytest.skip("the trigger exists on PostgreSQL only")
    upgrade(url)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        staff = Account(email="s@example.com", password_hash="x", role="staff")
        session.add(staff)
        session.flush()
        session.add(AuditEntry(staff_id=staff.id, action="test.entry"))
        session.commit()
    for sql in (
        "UPDATE audit_entries SET action = 'y'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    engine.dispose()


def test_invoice_counts_move_to_their_table_and_back(fresh_database):
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from portal.migrate import alembic_config
    from portal.models import Account, Invoice, Organization

    url = fresh_database("migrations_counts")
    upgrade(url, "5d1e7a9c3b20")  # counts on the organization's row
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    counts_sql = text(
        "SELECT livemode, sum(count) FROM invoice_counts GROUP BY livemode ORDER BY livemode"
    )
    with Session(engine) as session:
        account = Account(email="a@example.com", password_hash="x")
        session.add(account)
        session.flush()
        organization = Organization(account_id=account.id, name="Kemper")
        session.add(organization)
        session.flush()
        for livemode in (False, False, False, True):
            session.add(Invoice(organization_id=organization.id, livemode=livemode, data={}))
        session.commit()

    upgrade(url)
    with engine.begin() as connection:
        assert [tuple(row) for row in connection.execute(counts_sql)] == [(False, 3), (True, 1)]
        connection.execute(text("DELETE FROM invoices WHERE livemode = :no"), {"no": False})
        assert [tuple(row) for row in connection.execute(counts_sql)] == [(False, 0), (True, 1)]

    command.downgrade(alembic_config(url), "5d1e7a9c3b20")
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT invoice_count_live, invoice_count_test FROM organizations")
        ).one()
    engine.dispose()
    assert tuple(row) == (1, 0)
