"""Issue 15 item 8: heavy work is done once. A stamped invoice's PDF is rendered on its first
download, stored in ``rendered_files`` and served from there; parallel downloads wait for the
one rendering; anything that changes how it looks (branding, PDF options, cancellation) makes it
render again. Renders are counted, not timed."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import has_app_context
from sqlalchemy import select

from portal.cfdi import pdf
from portal.extensions import db as _db
from portal.models.accounts import Account
from portal.models.files import RenderedFile
from portal.models.organizations import Organization
from portal.services import organizations as orgs
from portal.services import rendered_files

BIG_INVOICE_ITEMS = 5000


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the invoice PDF renderer (the real one still runs)."""
    calls: list[str] = []
    real = pdf.render_invoice

    def counting(*args: Any, **kwargs: Any) -> bytes:
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_invoice", counting)
    rendered_files.forget_all()
    yield calls
    rendered_files.forget_all()


def _stamped(client: Any, body: dict[str, Any]) -> str:
    created = client.post("/invoices", json=body)
    assert created.status_code == 200, created.json
    assert created.json["status"] == "valid"
    _db.session.rollback()  # the request shared the test's session: end it, as a request does
    return created.json["id"]


def _download(app: Any, key: str, invoice_id: str) -> bytes:
    """One download by its own client (its own request, app context and session)."""
    answer = app.test_client().get(
        f"/v2/invoices/{invoice_id}/pdf", headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.data[:300]
    if has_app_context():  # the request shared the test's session: end its read, as a request does
        _db.session.rollback()
    return answer.data


@pytest.mark.slow
def test_a_5000_concept_pdf_renders_once_for_four_parallel_downloads(
    db: Any, app: Any, org_api: Any, invoice_body: Any, renders: list[str]
) -> None:
    items = [
        {
            "quantity": 1,
            "product": {
                "description": f"Pieza {n}",
                "product_key": "60131324",
                "price": 10 + n % 90,
            },
        }
        for n in range(BIG_INVOICE_ITEMS)
    ]
    invoice_id = _stamped(org_api, invoice_body(items=items))
    db.rollback()
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(_download(app, org_api.key, invoice_id)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)

    assert len(results) == 4 and results[0].startswith(b"%PDF")
    assert len(set(results)) == 1
    assert len(renders) == 1, f"rendered {len(renders)} times for 4 parallel downloads"
    _download(app, org_api.key, invoice_id)
    assert len(renders) == 1


def test_the_stored_pdf_serves_every_later_download_and_the_dashboard(
    db: Any, app: Any, org_api: Any, invoice_body: Any, renders: list[str], login_as: Any
) -> None:
    invoice_id = _stamped(org_api, invoice_body())
    first = _download(app, org_api.key, invoice_id)
    assert len(renders) == 1
    db.rollback()
    stored = db.scalar(select(RenderedFile).where(RenderedFile.invoice_id == invoice_id))
    assert stored is not None and stored.kind == "pdf" and stored.content == first

    rendered_files.forget_all()  # another process: only the database copy is left
    assert _download(app, org_api.key, invoice_id) == first
    organization = db.get(Organization, org_api.organization.id)
    owner = login_as(db.get(Account, organization.account_id))
    page = owner.get(f"/dashboard/o/{organization.id}/invoices/{invoice_id}/pdf")
    assert page.status_code == 200 and page.data == first
    assert len(renders) == 1


def test_branding_options_and_cancellation_make_the_pdf_render_again(
    db: Any, app: Any, org_api: Any, invoice_body: Any, renders: list[str]
) -> None:
    invoice_id = _stamped(org_api, invoice_body())
    organization_id = org_api.organization.id
    original = _download(app, org_api.key, invoice_id)

    def change(**data: Any) -> None:
        db.rollback()
        orgs.update_customization(db, db.get(Organization, organization_id), data)
        db.commit()

    change(color="#AA0000")
    recoloured = _download(app, org_api.key, invoice_id)
    assert len(renders) == 2 and recoloured != original
    assert _download(app, org_api.key, invoice_id) == recoloured and len(renders) == 2

    change(pdf_extra={"codes": False})
    _download(app, org_api.key, invoice_id)
    assert len(renders) == 3

    canceled = org_api.delete(f"/invoices/{invoice_id}?motive=02")
    assert canceled.status_code == 200, canceled.json
    db.rollback()
    _download(app, org_api.key, invoice_id)
    assert len(renders) == 4
    _download(app, org_api.key, invoice_id)
    assert len(renders) == 4


def test_an_unstamped_invoice_still_has_no_pdf(
    org_api: Any, invoice_body: Any, renders: list[str]
) -> None:
    draft = org_api.post("/invoices", json=invoice_body(status="draft")).json
    answer = org_api.get(f"/invoices/{draft['id']}/pdf")
    assert answer.status_code == 400 and answer.json["code"] == "invoice_not_stamped"
    assert renders == []
