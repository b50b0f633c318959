"""Team members: invitations by email (expiry, single use, the right email, revocation, token
guessing), role changes and removal, what a member sees, and the team's activity."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal.models.base import utcnow
from portal.models.team import Invitation, Membership, TeamAction
from portal.services import team
from portal.services.secrets import hash_key
from tests.fixtures.factories import PASSWORD
from tests.fixtures.invoices import CUSTOMER

LINK = re.compile(r"http://localhost/invitations/([A-Za-z0-9_-]+)")


@pytest.fixture
def shop(make_account: Any, make_organization: Any) -> Any:
    """An owner with two organizations: the team is invited to the first only."""
    owner, _ = make_account(email="duena@example.com", name="Dueña")
    org, key = make_organization(account=owner, name="Tienda Centro")
    other, _ = make_organization(account=owner, name="Tienda Norte")
    return owner, org, other


def _invite(client: Any, org: Any, email: str, role: str) -> Any:
    return client.post(
        f"/dashboard/o/{org.id}/team/invitations", data={"email": email, "role": role}
    )


def _token(message: Any) -> str:
    found = LINK.search(message.get_body(("plain",)).get_content())
    assert found, "the invitation email carries the link"
    return found.group(1)


def _member(db: Any, org: Any, email: str) -> Membership | None:
    db.expire_all()
    return db.scalar(
        select(Membership).where(
            Membership.organization_id == org.id,
            Membership.account.has(email=email),
        )
    )


def test_invitation_is_mailed_and_accepted_once_by_signing_up(
    db: Any, client: Any, login_as: Any, shop: Any, smtp_server: Any
) -> None:
    mailbox = smtp_server()
    owner, org, _other = shop
    login_as(owner)
    answer = _invite(client, org, "Conta@Example.com", "accountant")
    assert answer.status_code == 302
    message = mailbox.wait_for(1)[0]
    assert message["To"] == "conta@example.com"
    # The name the team knows from the dashboard, not the legal name customers see.
    assert org.legal_name != org.name
    assert message["Subject"] == "Te invitaron al equipo de Tienda Centro"
    token = _token(message)
    invitation = db.scalar(select(Invitation))
    assert invitation.token_hash == hash_key(token) and token not in invitation.token_hash
    assert invitation.expires_at - utcnow() > timedelta(days=6, hours=23)

    client.post("/logout")
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 200
    assert "Contador" in page.get_data(as_text=True)
    joined = client.post(
        f"/invitations/{token}",
        data={
            "name": "Conta",
            "password": "una frase larga y segura",
            "confirm": "una frase larga y segura",
        },
    )
    assert joined.status_code == 302 and joined.location.endswith(f"/dashboard/o/{org.id}/")
    assert _member(db, org, "conta@example.com").role == "accountant"
    assert client.get(f"/dashboard/o/{org.id}/").status_code == 200  # signed in as the member

    again = client.post(f"/invitations/{token}", data={})
    assert again.status_code == 410
    assert "ya se usó" in again.get_data(as_text=True)
    assert db.scalar(select(Membership.id).where(Membership.role != "accountant")) is None


def test_an_expired_invitation_says_so_and_joins_nobody(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    invitation, token = _direct_invitation(db, org, owner, "late@example.com", "invoicer")
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.commit()
    member, _ = make_account(email="late@example.com")
    login_as(member)
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 410 and "caducó" in page.get_data(as_text=True)
    assert client.post(f"/invitations/{token}", data={}).status_code == 410
    assert _member(db, org, "late@example.com") is None


def test_the_invitation_is_for_one_email_and_says_why_not(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    _invitation, token = _direct_invitation(db, org, owner, "ana@example.com", "invoicer")
    intruder, _ = make_account(email="beto@example.com")
    login_as(intruder)
    page = client.get(f"/invitations/{token}")
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "ana@example.com" in text and "beto@example.com" in text and "Cierra tu sesión" in text
    assert client.post(f"/invitations/{token}", data={}).status_code == 403
    assert _member(db, org, "beto@example.com") is None

    ana, _ = make_account(email="ana@example.com")
    login_as(ana)
    assert client.post(f"/invitations/{token}", data={}).status_code == 302
    assert _member(db, org, "ana@example.com").role == "invoicer"


def test_an_existing_account_signs_in_to_accept(
    db: Any, client: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    _invitation, token = _direct_invitation(db, org, owner, "ana@example.com", "admin")
    make_account(email="ana@example.com")
    page = client.get(f"/invitations/{token}").get_data(as_text=True)
    assert "Entrar para aceptar" in page and f"next=/invitations/{token}" in page
    signed_in = client.post(
        f"/login?next=/invitations/{token}",
        data={"email": "ana@example.com", "password": PASSWORD},
    )
    assert signed_in.location.endswith(f"/invitations/{token}")
    assert client.post(f"/invitations/{token}", data={}).status_code == 302
    assert _member(db, org, "ana@example.com").role == "admin"


def test_a_revoked_invitation_stops_working(db: Any, client: Any, login_as: Any, shop: Any) -> None:
    owner, org, _other = shop
    invitation, token = _direct_invitation(db, org, owner, "ana@example.com", "invoicer")
    login_as(owner)
    assert client.get(f"/dashboard/o/{org.id}/team").status_code == 200
    revoked = client.post(f"/dashboard/o/{org.id}/team/invitations/{invitation.id}/revoke")
    assert revoked.status_code == 302
    client.post("/logout")
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 410 and "cancelada" in page.get_data(as_text=True)


def test_guessing_invitation_links_is_throttled(db: Any, client: Any) -> None:
    for attempt in range(team.MISSES_PER_IP):
        assert client.get(f"/invitations/guess{attempt}").status_code == 404
    refused = client.get("/invitations/guess-more")
    assert refused.status_code == 429


def test_owner_changes_roles_and_removes_members(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    invoicer = _join(db, make_account, org, owner, "ana@example.com", "invoicer")
    membership = _member(db, org, "ana@example.com")
    login_as(invoicer)
    base = f"/dashboard/o/{org.id}"
    assert client.post(f"{base}/customers/new", data={}).status_code != 403

    login_as(owner)
    changed = client.post(f"{base}/team/members/{membership.id}/role", data={"role": "accountant"})
    assert changed.status_code == 302
    assert _member(db, org, "ana@example.com").role == "accountant"
    login_as(invoicer)
    refused = client.post(f"{base}/customers/new", data={"legal_name": "X"})
    assert refused.status_code == 403
    assert "Contador" in refused.get_data(as_text=True)  # the 403 page, in Spanish
    assert client.get(f"{base}/customers").status_code == 200

    login_as(owner)
    assert client.post(f"{base}/team/members/{membership.id}/remove").status_code == 302
    assert _member(db, org, "ana@example.com") is None
    login_as(invoicer)
    assert client.get(f"{base}/").status_code == 404
    assert "Tienda Centro" not in client.get("/dashboard/").get_data(as_text=True)


def test_an_admin_manages_the_team_but_not_the_admin_role(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    admin = _join(db, make_account, org, owner, "admin@example.com", "admin")
    _join(db, make_account, org, owner, "otro-admin@example.com", "admin")
    _join(db, make_account, org, owner, "caja@example.com", "invoicer")
    other_admin = _member(db, org, "otro-admin@example.com")
    cashier = _member(db, org, "caja@example.com")
    base = f"/dashboard/o/{org.id}"
    login_as(admin)
    assert _invite(client, org, "nuevo@example.com", "accountant").status_code == 302
    refused = _invite(client, org, "jefe@example.com", "admin")
    assert refused.status_code == 403 and "Solo el dueño" in refused.get_data(as_text=True)
    client.post(f"{base}/team/members/{cashier.id}/role", data={"role": "admin"})
    client.post(f"{base}/team/members/{other_admin.id}/remove")
    assert _member(db, org, "caja@example.com").role == "invoicer"
    assert _member(db, org, "otro-admin@example.com") is not None
    client.post(f"{base}/team/members/{cashier.id}/role", data={"role": "accountant"})
    assert _member(db, org, "caja@example.com").role == "accountant"
    assert client.post(f"{base}/delete", data={"confirm_name": org.name}).status_code == 403


def test_a_member_sees_only_the_organizations_it_belongs_to(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any, api: Any
) -> None:
    owner, org, other = shop
    member = _join(db, make_account, org, owner, "ana@example.com", "admin")
    login_as(member)
    home = client.get("/dashboard/").get_data(as_text=True)
    assert "Tienda Centro" in home and "Tienda Norte" not in home
    assert "Tu rol: Administrador" in home
    assert "Tu rol: Administrador" in client.get(f"/dashboard/o/{org.id}/").get_data(as_text=True)
    assert client.get(f"/dashboard/o/{other.id}/").status_code == 404
    assert client.get(f"/dashboard/o/{other.id}/customers").status_code == 404
    assert client.post(f"/dashboard/o/{other.id}/customers/new", data={}).status_code == 404
    assert client.get(f"/dashboard/o/{other.id}/team").status_code == 404
    # The other organization's objects are not reachable through the one it belongs to either.
    from portal.services import api_keys

    key = api_keys.test_key(db, other)
    db.commit()
    customer = api(key).post("/customers", json=CUSTOMER).json["id"]
    assert client.get(f"/dashboard/o/{org.id}/customers/{customer}").status_code == 404
    # The member's own user key does not reach the organization through the API.
    assert db.scalar(select(Membership.id).where(Membership.organization_id == other.id)) is None


def test_members_actions_show_in_the_activity_with_who_did_them(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    member = _join(db, make_account, org, owner, "caja@example.com", "invoicer")
    login_as(member)
    base = f"/dashboard/o/{org.id}"
    created = client.post(
        f"{base}/customers/new",
        data={
            "legal_name": "Dunder Mifflin SA de CV",
            "tax_id": "XIA190128J61",
            "tax_system": "601",
            "default_invoice_use": "G03",
            "email": "pagos@dunder.com",
            "zip": "86500",
            "country": "MEX",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)[-3000:]
    assert client.post(f"{base}/settings/legal", data={}).status_code == 403
    actions = db.scalars(select(TeamAction).order_by(TeamAction.created_at)).all()
    assert [(a.account_id, a.role, a.endpoint, a.status) for a in actions] == [
        (member.id, "invoicer", "org.new_customer", 302),
        (member.id, "invoicer", "org.legal", 403),
    ]
    login_as(owner)
    activity = client.get(f"{base}/activity").get_data(as_text=True)
    assert "caja@example.com" in activity and "Facturador" in activity
    assert "creó un cliente" in activity


def _direct_invitation(db: Any, org: Any, owner: Any, email: str, role: str) -> tuple[Any, str]:
    """An invitation made through the service, with the token its email carries."""
    invitation, token = team.invite(db, org, owner, "owner", {"email": email, "role": role})
    db.commit()
    return invitation, token


def _join(db: Any, make_account: Any, org: Any, owner: Any, email: str, role: str) -> Any:
    invitation, _token = _direct_invitation(db, org, owner, email, role)
    account, _ = make_account(email=email)
    team.accept(db, invitation, account)
    db.commit()
    return account


def test_support_acting_for_a_member_keeps_full_access_under_audit(
    db: Any, client: Any, make_account: Any, shop: Any
) -> None:
    from portal.models.audit import AuditEntry
    from tests.admin.helpers import make_staff, sign_in_staff

    owner, org, _other = shop
    member = _join(db, make_account, org, owner, "conta@example.com", "accountant")
    staff = make_staff(make_account)
    sign_in_staff(client, db, staff)
    started = client.post(
        f"/admin/accounts/{member.id}/impersonate", data={"act-reason": "Ticket 42: revisar"}
    )
    assert started.status_code == 302
    base = f"/dashboard/o/{org.id}"
    assert client.get(f"{base}/team").status_code == 200
    assert client.post(f"{base}/customers/new", data={}).status_code == 400  # not 403
    db.expire_all()
    audited = db.scalars(select(AuditEntry.action).where(AuditEntry.staff_id == staff.id)).all()
    assert "impersonation.request" in audited
    assert db.scalar(select(TeamAction.id)) is None  # recorded in the support audit instead


def test_inviting_refuses_the_owner_members_and_bad_input_and_replaces_a_pending_one(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    owner, org, _other = shop
    _join(db, make_account, org, owner, "ana@example.com", "invoicer")
    login_as(owner)
    for email, role, message in (
        ("duena@example.com", "accountant", "es el del dueño"),
        ("ANA@example.com", "accountant", "ya es parte del equipo"),
        ("no-es-correo", "accountant", "no es válido"),
        ("beto@example.com", "jefe", "Opción inválida"),
    ):
        answer = _invite(client, org, email, role)
        assert answer.status_code in (400, 409) and message in answer.get_data(as_text=True)
    first, _token = _direct_invitation(db, org, owner, "beto@example.com", "invoicer")
    second, token = _direct_invitation(db, org, owner, "beto@example.com", "accountant")
    db.refresh(first)
    assert first.revoked_at is not None and second.revoked_at is None
    assert [i.id for i in team.pending_invitations(db, org)] == [second.id]
    org.deleted_at = utcnow()
    db.commit()
    page = client.get(f"/invitations/{token}")
    assert page.status_code == 410 and "ya no existe" in page.get_data(as_text=True)


def test_team_times_read_in_the_organization_s_zone(
    db: Any, client: Any, login_as: Any, make_account: Any, shop: Any
) -> None:
    """The invitation's expiry on the team page and the member's action on the activity page
    name the organization's zone (Tijuana here), never a bare UTC."""
    owner, org, _other = shop
    org.timezone = "America/Tijuana"
    db.commit()
    member = _join(db, make_account, org, owner, "caja@example.com", "invoicer")
    _direct_invitation(db, org, owner, "conta@example.com", "accountant")
    login_as(member)
    base = f"/dashboard/o/{org.id}"
    assert client.post(f"{base}/settings/legal", data={}).status_code == 403
    login_as(owner)
    for path in ("/team", "/activity"):
        html = client.get(base + path).get_data(as_text=True)
        assert "(Tijuana)" in html and " UTC<" not in html, path
