"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, create_engine, inspect

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


def add_old_row(session, model, **values):
    """Insert a row of ``model`` into a table migrated to an older revision: only the columns
    that table has, with the model's Python defaults for the ones not given."""
    table = Table(model.__tablename__, MetaData(), autoload_with=session.connection())
    for column in model.__table__.columns:
        default = column.default
        if column.name in table.c and column.name not in values and default is not None:
            values[column.name] = default.arg(None) if default.is_callable else default.arg
    session.execute(table.insert().values(**values))
    return values["id"]


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
        account_id = add_old_row(session, Account, email="a@example.com", password_hash="x")
        organization_id = add_old_row(session, Organization, account_id=account_id, name="Kemper")
        for livemode in (False, False, False, True):
            session.add(Invoice(organization_id=organization_id, livemode=livemode, data={}))
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


def test_invoice_relations_are_backfilled_from_the_stored_xml(fresh_database):
    """The migration that adds ``invoice_relations`` fills it from every stamped invoice's
    XML: CfdiRelacionados by TipoRelacion, Pagos 2.0 DoctoRelacionado as ``pago``."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from portal.migrate import alembic_config
    from portal.models import Account, Invoice, Organization

    paid, replaced = "8E2B6D5C-1F3A-4B7E-9C0D-2A4F6B8D0E1A", "1C3E5A7B-9D2F-4E6A-8B0C-3D5F7A9B1C2E"
    xml = (
        '<cfdi:Comprobante xmlns:cfdi="http://www.sat.gob.mx/cfd/4" '
        'xmlns:pago20="http://www.sat.gob.mx/Pagos20">'
        '<cfdi:CfdiRelacionados TipoRelacion="04">'
        f'<cfdi:CfdiRelacionado UUID="{replaced.lower()}"/>'
        "</cfdi:CfdiRelacionados><cfdi:Complemento><pago20:Pagos><pago20:Pago>"
        f'<pago20:DoctoRelacionado IdDocumento="{paid}"/><pago20:DoctoRelacionado IdDocumento="x"/>'
        "</pago20:Pago></pago20:Pagos></cfdi:Complemento></cfdi:Comprobante>"
    ).encode()
    url = fresh_database("migrations_relations")
    upgrade(url, "c1a5e7b0d9f4")
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        account_id = add_old_row(session, Account, email="a@example.com", password_hash="x")
        organization_id = add_old_row(session, Organization, account_id=account_id, name="Kemper")
        stamped_id = add_old_row(
            session, Invoice, organization_id=organization_id, livemode=True, data={}, xml=xml
        )
        add_old_row(session, Invoice, organization_id=organization_id, livemode=True, data={})
        session.commit()

    upgrade(url)
    query = text("SELECT from_invoice_id, to_uuid, kind, livemode FROM invoice_relations")
    with engine.connect() as connection:
        rows = sorted(tuple(row) for row in connection.execute(query))
    assert rows == sorted([(stamped_id, paid, "pago", True), (stamped_id, replaced, "04", True)])
    command.downgrade(alembic_config(url), "c1a5e7b0d9f4")
    with engine.connect() as connection:
        assert "invoice_relations" not in inspect(connection).get_table_names()
    engine.dispose()


def test_invoice_search_text_gains_the_items_words_and_loses_them_on_downgrade(fresh_database):
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from portal.migrate import alembic_config
    from portal.models import Account, Invoice, Organization

    url = fresh_database("migrations_search_items")
    upgrade(url, "7d3e9a1c5b20")  # before the items were indexed
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    items = [{"product": {"description": "Aspiradora Robot", "sku": "ASP-9"}}, "not an item"]
    with Session(engine) as session:
        account_id = add_old_row(session, Account, email="a@example.com", password_hash="x")
        organization = Organization(account_id=account_id, name="Kemper")
        session.add(organization)
        session.flush()
        session.add(
            Invoice(
                organization_id=organization.id,
                livemode=False,
                customer={"legal_name": "Dunder Mifflin", "tax_id": "DUM010101AAA"},
                data={"items": items},
                folio_number=7,
                search_text="dunder mifflin",
            )
        )
        session.commit()
    query = text("SELECT search_text FROM invoices")

    upgrade(url)
    with engine.connect() as connection:
        words = connection.execute(query).scalar_one().split(" ")
    assert {"aspiradora", "robot", "asp", "9", "dunder", "dum010101aaa", "7"} <= set(words)

    command.downgrade(alembic_config(url), "7d3e9a1c5b20")
    with engine.connect() as connection:
        words = connection.execute(query).scalar_one().split(" ")
    engine.dispose()
    assert "aspiradora" not in words and {"dunder", "mifflin", "7"} <= set(words)
