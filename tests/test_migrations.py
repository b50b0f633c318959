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
