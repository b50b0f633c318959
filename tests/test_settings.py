"""The settings services read (portal.settings) and the status enums (portal.statuses)."""

from __future__ import annotations

import contextvars

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from portal import settings
from portal.models.invoices import Invoice
from portal.services import secrets
from portal.statuses import STATUS_ENUMS, InvoiceStatus, ReceiptStatus


def test_a_service_runs_without_flask_on_settings_it_is_given():
    key = Fernet.generate_key().decode()
    with settings.use(settings.Settings({"ENCRYPTION_KEY": f" {key} ,{key}"})) as bound:
        assert bound.encryption_keys == [key, key]
        assert secrets.decrypt(secrets.encrypt(b"csd")) == b"csd"


def test_without_settings_a_service_says_so():
    with pytest.raises(RuntimeError, match="no settings bound"):
        contextvars.Context().run(settings.current)  # a context nothing was bound in


def test_the_app_binds_its_settings_and_sees_config_changes(app, monkeypatch):
    with app.app_context():
        assert settings.current().public_base_url == "http://localhost"
        monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://facturas.example/")
        assert settings.current().public_base_url == "https://facturas.example"
        with app.test_request_context("/"):
            assert settings.current() is app.extensions["portal.settings"]
        assert settings.current() is app.extensions["portal.settings"]


def test_statuses_are_the_stored_strings():
    assert InvoiceStatus.VALID == "valid" and f"{ReceiptStatus.INVOICED_GLOBALLY}" == (
        "invoiced_globally"
    )
    assert all(member == member.value for enum in STATUS_ENUMS for member in enum)


def test_a_status_column_reads_back_a_member(db, make_organization):
    org, _key = make_organization()
    db.add(Invoice(organization_id=org.id, livemode=False, status="draft", data={}))
    db.commit()
    status = db.scalar(select(Invoice.status))
    assert status is InvoiceStatus.DRAFT
