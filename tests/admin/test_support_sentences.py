"""The activity a reseller sees from support reads as sentences in Spanish («Soporte cambió el
logo», «Soporte creó la factura A-12»), never as raw requests, with a fallback sentence."""

from __future__ import annotations

import io

from PIL import Image

from portal.models.audit import AuditEntry
from portal.models.organizations import Organization
from portal.support_activity import sentence, subject
from tests.admin.test_impersonation import _start
from tests.fixtures.factories import PASSWORD


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "#112233").save(buffer, "PNG")
    return buffer.getvalue()


def test_the_reseller_reads_supports_changes_as_sentences(staff_client, client, db, reseller):
    organization = Organization(account_id=reseller.id, name="Tacos Ana")
    db.add(organization)
    db.commit()
    _start(staff_client, reseller, **{"act-organization": organization.id})
    base = f"/dashboard/o/{organization.id}"
    staff_client.post(
        f"{base}/settings/logo",
        data={"file": (io.BytesIO(_png()), "logo.png")},
        content_type="multipart/form-data",
    )
    staff_client.post(f"{base}/settings/series", data={"series": "A", "default_for": ["I"]})
    staff_client.get(f"{base}/keys")
    staff_client.post("/admin/impersonation/stop")
    staff_client.post("/admin/logout")
    client.post("/login", data={"email": reseller.email, "password": PASSWORD})
    for page in ("/dashboard/account", f"{base}/activity"):
        text = client.get(page).get_data(as_text=True).split("<main", 1)[1]
        text = text.split('id="support-activity"', 1)[1]  # the section, in the page's body
        assert "Soporte cambió el logo" in text, page
        assert "Soporte creó la serie A" in text and "Soporte consultó las llaves de API" in text
        assert "/settings/logo" not in text and "POST" not in text and "upload_logo" not in text


def test_a_created_invoice_is_named_by_its_folio(db, org_api, invoice_body, app):
    invoice = org_api.post("/invoices", json=invoice_body(series="A", folio_number=12)).get_json()
    organization = org_api.organization
    location = f"/dashboard/o/{organization.id}/invoices/{invoice['id']}"
    with app.test_request_context():
        found = subject(db, organization.id, "org.new_invoice", {}, {}, location)
        assert found == "A-12"
        assert subject(db, "another-org", "org.new_invoice", {}, {}, location) == ""
        entry = AuditEntry(
            action="impersonation.request",
            details={"endpoint": "org.new_invoice", "status": 302, "subject": found},
        )
        assert sentence(entry) == "Soporte creó la factura A-12"
        action = {"endpoint": "org.invoice_action", "view_args": {"action": "cancel"}}
        assert sentence(_entry({**action, "subject": "A-12"})) == "Soporte canceló la factura A-12"
        failed = _entry({"endpoint": "org.upload_logo", "status": 400})
        assert sentence(failed) == "Soporte cambió el logo, pero no se completó"
        assert sentence(_entry({"endpoint": "org.something_new"})) == "Soporte hizo un cambio"
        viewed = AuditEntry(action="impersonation.page_viewed", details={"endpoint": "x.y"})
        assert sentence(viewed) == "Soporte consultó una página"
        assert sentence(AuditEntry(action="novel.thing", details={})) == (
            "Soporte hizo una acción en tu cuenta"
        )


def _entry(details):
    return AuditEntry(action="impersonation.request", details={"status": 302, **details})
