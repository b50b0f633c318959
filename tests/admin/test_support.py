"""Search, the tenant page and the account controls (suspend, reactivate, password reset)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from portal.models.audit import AuditEntry
from portal.models.base import utcnow
from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.models.organizations import ApiKey, Certificate, Organization
from portal.models.receipts import Receipt
from portal.services import secrets, support
from tests.fixtures.factories import PASSWORD

MEXICO = ZoneInfo("America/Mexico_City")  # the dates of a page without an organization

INVOICE_UUID = "6F1E4A2B-3C4D-4E5F-8A9B-0C1D2E3F4A5B"


@pytest.fixture
def tacos(db, reseller):
    """An organization of the reseller with an RFC, a domain, a key and a certificate."""
    organization = Organization(
        account_id=reseller.id,
        name="Tacos Ana",
        legal_name="TACOS ANA SA DE CV",
        tax_id="TAN010101AB1",
        domain="tacos-ana",
    )
    db.add(organization)
    db.flush()
    db.add(
        ApiKey(
            organization_id=organization.id,
            livemode=True,
            key_hash=secrets.hash_key("sk_live_x"),
            first_12="sk_live_AbCd",
        )
    )
    db.add(
        Certificate(
            organization_id=organization.id,
            cer_der=b"",
            key_encrypted=b"",
            password_encrypted=b"",
            certificate_number="30001000000500003416",
            rfc="TAN010101AB1",
            legal_name="TACOS ANA SA DE CV",
            valid_from=utcnow() - timedelta(days=300),
            valid_to=utcnow() + timedelta(days=10),
            updated_at=utcnow(),
        )
    )
    db.add(
        Invoice(
            organization_id=organization.id,
            livemode=False,
            status="valid",
            series="A",
            folio_number=7,
            uuid=INVOICE_UUID,
            total=Decimal("116"),
        )
    )
    db.add(
        Invoice(
            organization_id=organization.id,
            livemode=False,
            status="failed",
            failure_reason="CFDI40147: el RFC del receptor no existe",
        )
    )
    db.add(
        Receipt(
            organization_id=organization.id,
            livemode=False,
            key="Rk7Qz9xW2a",
            folio_number=1,
            date=utcnow(),
            expires_at=utcnow(),
            payment_form="01",
        )
    )
    db.commit()
    return organization


@pytest.mark.parametrize(
    ("term", "matched"),
    [
        ("ANA@example", "email"),
        ("distribuidora", "name"),
        ("tacos ana sa", "legal_name"),
        ("tan010101", "rfc"),
        ("tacos-a", "domain"),
        ("sk_live_AbCd", "api_key"),
        ("sk_live_AbCdEfGh1234", "api_key"),
        (INVOICE_UUID.lower(), "invoice_uuid"),
        ("Rk7Qz9xW2a", "receipt_key"),
    ],
)
def test_search_finds_the_reseller_by_every_kind(db, reseller, tacos, term, matched):
    hits = support.search(db, term)
    assert {h.account.id for h in hits} == {reseller.id}
    assert matched in {h.matched for h in hits}


def test_search_by_user_key_prefix(db, make_account):
    account, key = make_account(email="llave@example.com")
    hits = support.search(db, key[:10])
    assert [h.account.id for h in hits] == [account.id]
    assert hits[0].matched == "user_key"


def test_search_never_returns_staff_and_needs_three_characters(db, staff):
    assert support.search(db, "soporte") == []
    with pytest.raises(Exception, match="al menos 3 caracteres"):
        support.search(db, "ab")


def test_search_by_receipt_key_is_exact(db, reseller, tacos):
    assert support.search(db, "rk7qz9xw2a") == []
    assert support.search(db, "Rk7Qz") == []


def test_search_treats_wildcards_literally(db, reseller):
    assert support.search(db, "%%%") == []
    assert support.search(db, "___") == []


def test_search_page_links_to_the_tenant(staff_client, reseller, tacos):
    page = staff_client.get("/admin/?q=TAN010101AB1").get_data(as_text=True)
    assert f"/admin/accounts/{reseller.id}" in page and "Tacos Ana" in page
    short = staff_client.get("/admin/?q=ab")
    assert short.status_code == 400 and "al menos 3 caracteres" in short.get_data(as_text=True)


def test_tenant_page_shows_organizations_readiness_certificate_and_named_empty_sections(
    staff_client, reseller, tacos
):
    page = staff_client.get(f"/admin/accounts/{reseller.id}").get_data(as_text=True)
    for text in (
        "Ana Distribuidora",
        "Tacos Ana",
        "TAN010101AB1",
        "tacos-ana",
        format_date((utcnow() + timedelta(days=10)).astimezone(MEXICO), "d MMM y", locale="es"),
        "pronto",
        "Completa los datos fiscales",
        INVOICE_UUID,
        "A7",
        "116.00",
        "CFDI40147: el RFC del receptor no existe",
        "Facturas recientes",
        "Webhooks con fallas",
        "Errores recientes",
        "Actividad de soporte",
    ):
        assert text in page, text


def test_tenant_page_lists_failing_webhooks(staff_client, db, reseller, tacos):
    from portal.models.events import Webhook

    db.add(
        Webhook(
            organization_id=tacos.id,
            livemode=False,
            url="https://hooks.example.com/caido",
            enabled_events=["invoice.status_updated"],
            secret_encrypted=b"x",
            failing_since=utcnow(),
        )
    )
    db.add(
        Webhook(
            organization_id=tacos.id,
            livemode=False,
            url="https://hooks.example.com/bien",
            enabled_events=["invoice.status_updated"],
            secret_encrypted=b"x",
        )
    )
    db.commit()
    page = staff_client.get(f"/admin/accounts/{reseller.id}").get_data(as_text=True)
    assert "https://hooks.example.com/caido" in page
    assert "https://hooks.example.com/bien" not in page


def test_staff_accounts_have_no_tenant_page(staff_client, staff):
    assert staff_client.get(f"/admin/accounts/{staff.id}").status_code == 404


def test_suspending_an_account_stops_sign_in_sessions_and_keys(
    staff_client, app, db, reseller, make_account, api
):
    other_client = app.test_client()
    other_client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    assert other_client.get("/dashboard/").status_code == 200
    key = _fresh_user_key(db, reseller)

    short = staff_client.post(
        f"/admin/accounts/{reseller.id}/suspend", data={"suspend-reason": "x"}
    )
    assert short.status_code == 400
    reason = "Fraude reportado en ticket 77"
    done = staff_client.post(
        f"/admin/accounts/{reseller.id}/suspend", data={"suspend-reason": reason}
    )
    assert done.status_code == 302

    assert other_client.get("/dashboard/").status_code == 302  # the open session ended
    login = other_client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    assert "Esta cuenta está suspendida" in login.get_data(as_text=True)
    response = api(key).get("/organizations")
    assert response.status_code in (401, 403) and "suspendida" in response.json["message"]
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "account.suspended")).one()
    assert entry.details["reason"] == reason and entry.account_id == reseller.id

    staff_client.post(f"/admin/accounts/{reseller.id}/reactivate")
    login = other_client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    assert login.status_code == 302
    assert api(key).get("/organizations").status_code == 200


def _fresh_user_key(db, account):
    from portal.services import accounts

    key = accounts.renew_user_key(account)
    db.commit()
    return key


def test_suspending_and_reactivating_an_organization(staff_client, app, db, reseller, tacos):
    owner = app.test_client()
    owner.post("/login", data={"email": reseller.email, "password": PASSWORD})
    assert owner.get(f"/dashboard/o/{tacos.id}/").status_code == 200
    base = f"/admin/accounts/{reseller.id}/organizations/{tacos.id}"
    refused = staff_client.post(f"{base}/suspend", data={"org-reason": "corto"})
    assert "al menos 10 caracteres" in staff_client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    staff_client.post(f"{base}/suspend", data={"org-reason": "El cliente lo pidió por correo"})
    db.expire_all()
    assert db.get(Organization, tacos.id).suspended_at is not None
    refused = owner.get(f"/dashboard/o/{tacos.id}/")
    assert refused.status_code == 403
    assert "Esta organización está suspendida" in refused.get_data(as_text=True)
    staff_client.post(f"{base}/reactivate")
    assert owner.get(f"/dashboard/o/{tacos.id}/").status_code == 200
    db.expire_all()
    assert db.get(Organization, tacos.id).suspended_at is None
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.organization_id == tacos.id))
    assert set(actions) == {"organization.suspended", "organization.reactivated"}


def test_staff_resend_a_password_reset(staff_client, db, reseller):
    response = staff_client.post(f"/admin/accounts/{reseller.id}/password-reset")
    assert response.status_code == 302
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == [reseller.email] and "/password/reset/" in email.text_body
    assert db.scalars(select(AuditEntry.action)).all().count("account.password_reset_sent") == 1
