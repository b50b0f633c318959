"""Issue 15.3: support acting for a reseller cannot take the account over. The development
mailbox (password-reset and edit links) is out of reach while acting and off in production; every
page opened while acting is audited with the organization it actually touched; acting inside one
organization keeps staff out of the reseller's others."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from portal.models.audit import AuditEntry
from portal.models.mail import OutboxEmail
from portal.services import customers
from portal.tenancy import Tenant
from tests.admin.helpers import make_staff, sign_in_staff

REASON = "Ticket 4321: no ve sus facturas del mes"


@pytest.fixture
def staff(make_account: Any) -> Any:
    return make_staff(make_account)


@pytest.fixture
def staff_client(client: Any, db: Any, staff: Any) -> Any:
    """The test client signed in to the console (password and authenticator)."""
    sign_in_staff(client, db, staff)
    return client


@pytest.fixture
def reseller(make_account: Any) -> Any:
    account, _key = make_account(email="ana@example.com", name="Ana Distribuidora")
    return account


def _start(client: Any, reseller: Any, organization: Any = None) -> None:
    data = {"act-reason": REASON}
    if organization is not None:
        data["act-organization"] = organization.id
    response = client.post(f"/admin/accounts/{reseller.id}/impersonate", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def _entries(db: Any, **where: Any) -> list[AuditEntry]:
    db.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.created_at, AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return db.scalars(query).all()


@pytest.fixture
def secret_messages(app: Any, db: Any, reseller: Any, make_organization: Any) -> dict[str, Any]:
    """A real password-reset request and an edit link, both kept in the development mailbox."""
    org, _key = make_organization(account=reseller)
    assert app.test_client().post("/password/forgot", data={"email": reseller.email}).status_code
    data = {"legal_name": "Cliente", "email": "c@example.com"}
    customer, _link = customers.create_customer(db, Tenant(org, False), data, edit_link=True)
    customers.email_edit_link(db, Tenant(org, False), customer, None, "http://localhost")
    db.commit()
    emails = db.scalars(select(OutboxEmail)).all()
    assert {email.kind for email in emails} == {"password_reset", "customer_edit_link"}
    links = [re.search(r"http://localhost/\S+", email.text_body).group(0) for email in emails]
    return {"emails": emails, "links": links, "organization": org}


def test_staff_acting_for_a_reseller_cannot_read_its_mailbox(
    staff_client, db, reseller, secret_messages
):
    _start(staff_client, reseller)
    paths = ["/dashboard/dev/mailbox"]
    for email in secret_messages["emails"]:
        base = f"/dashboard/dev/mailbox/{email.id}"
        paths += [base, base + "/html", base + "/attachments/0"]
    for path in paths:
        response = staff_client.get(path)
        assert response.status_code == 403, path
        body = response.get_data(as_text=True)
        assert not any(link in body for link in secret_messages["links"]), path
        assert "/password/reset/" not in body and "/tax-info/" not in body
    refused = _entries(db, action="impersonation.refused")
    assert [entry.details["path"] for entry in refused] == paths
    assert all(entry.account_id == reseller.id for entry in refused)


def test_the_reseller_still_reads_its_own_mailbox(client, login_as, reseller, secret_messages):
    login_as(reseller)
    listing = client.get("/dashboard/dev/mailbox")
    assert listing.status_code == 200
    reset = next(e for e in secret_messages["emails"] if e.kind == "password_reset")
    assert "/password/reset/" in client.get(f"/dashboard/dev/mailbox/{reset.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("mail_url", [None, "smtp://mail.example:587"])
def test_the_development_mailbox_is_off_in_production(
    app, client, login_as, reseller, secret_messages, monkeypatch, mail_url
):
    monkeypatch.setitem(app.config, "PORTAL_ENV", "production")
    monkeypatch.setitem(app.config, "MAIL_URL", mail_url)
    login_as(reseller)
    for email in secret_messages["emails"]:
        for path in ("/dashboard/dev/mailbox", f"/dashboard/dev/mailbox/{email.id}"):
            assert client.get(path).status_code == 404, path


def test_every_page_opened_while_acting_is_audited_with_the_organization_touched(
    staff_client, db, staff, reseller, make_organization
):
    first, _ = make_organization(account=reseller, name="Tacos Ana")
    second, _ = make_organization(account=reseller, name="Tortas Ana")
    _start(staff_client, reseller)
    visits = {
        "/dashboard/": None,
        "/dashboard/account": None,
        f"/dashboard/o/{first.id}/": first.id,
        f"/dashboard/o/{second.id}/customers": second.id,
        f"/dashboard/o/{first.id}/keys": first.id,
    }
    for path in visits:
        assert staff_client.get(path).status_code == 200, path
    viewed = _entries(db, action="impersonation.page_viewed")
    assert [(e.details["path"], e.organization_id) for e in viewed] == list(visits.items())
    for entry in viewed:
        assert (entry.staff_id, entry.account_id, entry.reason) == (staff.id, reseller.id, REASON)
        assert entry.details["method"] == "GET" and entry.details["status"] == 200


def test_acting_inside_one_organization_keeps_staff_out_of_the_others(
    staff_client, db, reseller, make_organization
):
    chosen, _ = make_organization(account=reseller, name="Tacos Ana")
    other, _ = make_organization(account=reseller, name="Tortas Ana")
    _start(staff_client, reseller, chosen)
    assert staff_client.get(f"/dashboard/o/{chosen.id}/customers").status_code == 200
    for path in (f"/dashboard/o/{other.id}/", f"/dashboard/o/{other.id}/customers"):
        assert staff_client.get(path).status_code == 403, path
    refused = staff_client.post(f"/dashboard/o/{other.id}/env", data={"live": "1"})
    assert refused.status_code == 403
    entries = _entries(db, account_id=reseller.id)
    viewed = [e for e in entries if e.action == "impersonation.page_viewed"]
    assert [(e.details["path"], e.organization_id) for e in viewed][-1] == (
        f"/dashboard/o/{chosen.id}/customers",
        chosen.id,
    )
    refusals = [e for e in entries if e.action == "impersonation.refused"]
    assert len(refusals) == 3
    assert all(e.details["requested_organization_id"] == other.id for e in refusals)
    assert all(e.organization_id != chosen.id for e in refusals)  # never booked to the scope


def test_another_resellers_organization_is_not_found_and_the_attempt_is_audited(
    staff_client, db, reseller, make_organization
):
    foreign, _ = make_organization(name="Ajena")
    _start(staff_client, reseller)
    assert staff_client.get(f"/dashboard/o/{foreign.id}/").status_code == 404
    (entry,) = _entries(db, action="impersonation.page_viewed")
    assert entry.details["status"] == 404 and entry.organization_id is None
    assert entry.details["requested_organization_id"] == foreign.id
