"""Support finds an API request by the ``request_id`` a client quotes from an error body."""

from __future__ import annotations

from datetime import timedelta

from portal import request_log
from portal.models.base import utcnow
from portal.models.public_links import RequestLogEntry


def test_support_finds_a_request_by_its_request_id(
    staff_client, make_organization, api, db
) -> None:
    organization, key = make_organization(name="Tacos Ana")
    answer = api(key).get("/invoices/000000000000000000000000")
    request_id = answer.get_json()["request_id"]
    assert answer.status_code == 404 and request_id == answer.headers["X-Facturapi-Log-Id"]
    page = staff_client.get(f"/admin/?q={request_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('class="request-hit"') == 1
    assert "GET /v2/invoices/000000000000000000000000" in html and "404" in html
    assert "Tacos Ana" in html and f"/admin/accounts/{organization.account_id}" in html


def test_old_entries_are_purged(db, api) -> None:
    api(None).get("/invoices", headers={"X-Request-Id": "old-one"})
    api(None).get("/invoices", headers={"X-Request-Id": "new-one"})
    old = db.query(RequestLogEntry).filter_by(request_id="old-one").one()
    old.created_at = utcnow() - timedelta(days=31)
    db.commit()
    assert request_log.purge(db, 30) == 1
    db.commit()
    assert [e.request_id for e in db.query(RequestLogEntry)] == ["new-one"]
