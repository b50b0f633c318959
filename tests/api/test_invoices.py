"""/v2/invoices: create and stamp, validation, tenancy, drafts, async, cancellation, files."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.models.invoices import Invoice
from portal.models.mail import OutboxEmail
from portal.services import api_keys


def _create(client: Any, body: dict[str, Any], **params: str) -> Any:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post("/invoices" + (f"?{query}" if query else ""), json=body)


def test_create_stamps_a_verifiable_invoice(org_api, invoice_body, verify_stamped) -> None:
    response = _create(org_api, invoice_body(external_id="ORD-1"))
    assert response.status_code == 200, response.get_json()
    invoice = response.get_json()
    assert invoice["status"] == "valid" and invoice["cancellation_status"] == "none"
    assert invoice["livemode"] is False and len(invoice["id"]) == 24
    assert invoice["total"] == 691.2 and invoice["subtotal"] == 595.86
    assert invoice["folio_number"] == 1 and invoice["external_id"] == "ORD-1"
    assert invoice["customer"]["tax_id"] == "URE180429TM6"
    assert set(invoice["stamp"]) == {"date", "sat_signature", "sat_cert_number", "signature"}
    assert invoice["uuid"] in invoice["verification_url"]
    xml = org_api.get(f"/invoices/{invoice['id']}/xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    verify_stamped(xml.data)
    assert invoice["uuid"].encode() in xml.data and b'Folio="1"' in xml.data


def test_folios_follow_the_organization_and_its_series(org_api, invoice_body, db) -> None:
    from portal.services import organizations as orgs

    first = _create(org_api, invoice_body()).get_json()
    second = _create(org_api, invoice_body()).get_json()
    explicit = _create(org_api, invoice_body(series="A", folio_number=77)).get_json()
    assert (first["folio_number"], second["folio_number"]) == (1, 2)
    assert (explicit["series"], explicit["folio_number"]) == ("A", 77)
    organization = org_api.organization
    orgs.create_series(db, organization, {"series": "F", "next_folio_test": 500})
    organization.default_series = {"I": "F"}
    db.commit()
    in_series = _create(org_api, invoice_body()).get_json()
    assert (in_series["series"], in_series["folio_number"]) == ("F", 500)
    db.refresh(organization)
    assert organization.next_folio_number_test == 3
    assert organization.next_folio_number == 1  # live folios are separate


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"customer": None}, "customer"),
        ({"items": "x"}, "items"),
        ({"type": "Z"}, "type"),
        ({"status": "valid"}, "status"),
        ({"folio_number": -1}, "folio_number"),
        ({"series": "S" * 26}, "series"),
        ({"idempotency_key": "k" * 65}, "idempotency_key"),
        (
            {"items": [{"product": {"description": "X", "product_key": "60131324"}}]},
            "items[0].product.price",
        ),
        (
            {
                "items": [
                    {
                        "quantity": "muchos",
                        "product": {"description": "X", "product_key": "60131324", "price": 1},
                    }
                ]
            },
            "items[0].quantity",
        ),
        ({"use": "D01"}, "use"),
        (
            {
                "customer": {
                    "legal_name": "X",
                    "tax_id": "NOPE",
                    "tax_system": "601",
                    "address": {"zip": "86991"},
                }
            },
            "customer.tax_id",
        ),
        ({"customer": "0123456789abcdef01234567"}, None),
    ],
)
def test_create_refuses_bad_input_with_paths(org_api, invoice_body, db, change, path) -> None:
    response = _create(org_api, invoice_body(**change))
    body = response.get_json()
    assert response.status_code == (404 if path is None else 400), body
    if path is not None:
        assert path in [error["path"] for error in body["errors"]], body
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_body_that_is_not_an_object_is_refused(org_api) -> None:
    response = org_api.post("/invoices", data="[1]", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["code"] == "invalid_json"


def test_an_organization_that_is_not_ready_cannot_stamp(make_organization, api, invoice_body):
    _organization, key = make_organization(ready=False)
    response = api(key).post("/invoices", json=invoice_body())
    assert response.status_code == 400
    assert response.get_json()["code"] == "organization_not_ready"


def test_another_organizations_invoice_is_not_found(org_api, make_organization, api, invoice_body):
    invoice = _create(org_api, invoice_body()).get_json()
    _other, other_key = make_organization()
    stranger = api(other_key)
    base = f"/invoices/{invoice['id']}"
    for method, path in [
        ("GET", base),
        ("PUT", base),
        ("DELETE", base + "?motive=02"),
        ("POST", base + "/stamp"),
        ("POST", base + "/copy"),
        ("PUT", base + "/status"),
        ("GET", base + "/xml"),
        ("GET", base + "/pdf"),
        ("GET", base + "/zip"),
        ("POST", base + "/email"),
        ("GET", base + "/cancellation_receipt/xml"),
    ]:
        response = stranger.request(method, path, json={})
        assert response.status_code == 404, (method, path)
    assert stranger.get("/invoices").get_json()["total_results"] == 0


def test_test_and_live_invoices_never_mix(org_api, api, db, invoice_body) -> None:
    invoice = _create(org_api, invoice_body()).get_json()
    live = api(api_keys.create_live_key(db, org_api.organization))
    db.commit()
    assert live.get(f"/invoices/{invoice['id']}").status_code == 404
    assert live.get("/invoices").get_json()["total_results"] == 0
    draft = live.post("/invoices", json=invoice_body(status="draft")).get_json()
    assert draft["livemode"] is True
    assert org_api.get(f"/invoices/{draft['id']}").status_code == 404


def test_live_mode_needs_a_configured_pac(org_api, api, db, invoice_body) -> None:
    live = api(api_keys.create_live_key(db, org_api.organization))
    db.commit()
    response = live.post("/invoices", json=invoice_body())
    assert response.status_code == 503 and response.get_json()["code"] == "pac_not_configured"
    db.rollback()  # what the request's teardown does (the test client shares this session)
    assert db.scalar(select(func.count()).select_from(Invoice)) == 0


def test_test_mode_stamps_with_the_test_pac_and_live_needs_a_configured_one(
    org_api, db, app, monkeypatch
) -> None:
    from portal.cfdi import errors as E
    from portal.cfdi.errors import PACError
    from portal.services import stamping

    organization = org_api.organization
    assert stamping.pac_for(db, organization, False) is stamping.test_pac(db)
    for provider in (None, ""):
        monkeypatch.setitem(app.config, "PAC_PROVIDER", provider)
        with pytest.raises(PACError) as caught:
            stamping.pac_for(db, organization, True)
        assert caught.value.code == E.PAC_NOT_CONFIGURED


def test_live_mode_refuses_a_certificate_not_issued_by_sat(org_api, api, db, app, invoice_body):
    live = api(api_keys.create_live_key(db, org_api.organization))
    db.commit()
    config = {"PAC_PROVIDER": "finkok", "PAC_USERNAME": "u", "PAC_PASSWORD": "p"}
    app.config.update(config)
    try:
        response = live.post("/invoices", json=invoice_body())
    finally:
        app.config.update(dict.fromkeys(config))
    assert response.status_code == 400
    assert response.get_json()["code"] == "csd_not_issued_by_sat"


def test_draft_edit_and_stamp(org_api, invoice_body, verify_stamped) -> None:
    draft = _create(org_api, {"status": "draft", "customer": {"legal_name": "X"}}).get_json()
    assert draft["status"] == "draft" and draft["is_ready_to_stamp"] is False
    assert draft["uuid"] is None and draft["folio_number"] is None
    bad = org_api.put(f"/invoices/{draft['id']}", json={"series": 5 * "ABCDEF"})
    assert bad.status_code == 400 and bad.get_json()["path"] == "series"
    refused = org_api.post(f"/invoices/{draft['id']}/stamp")
    assert refused.status_code == 400
    fixed = org_api.put(f"/invoices/{draft['id']}", json=invoice_body(external_id="E-9"))
    assert fixed.get_json()["is_ready_to_stamp"] is True
    assert fixed.get_json()["total"] == 691.2
    stamped = org_api.post(f"/invoices/{draft['id']}/stamp").get_json()
    assert stamped["status"] == "valid" and stamped["folio_number"] == 1
    verify_stamped(org_api.get(f"/invoices/{draft['id']}/xml").data)
    again = org_api.put(f"/invoices/{draft['id']}", json={"external_id": "x"})
    assert again.status_code == 400 and again.get_json()["code"] == "not_a_draft"


def test_async_invoice_is_stamped_by_the_worker(org_api, invoice_body, db, verify_stamped):
    response = _create(org_api, invoice_body(), **{"async": "true"})
    invoice = response.get_json()
    assert invoice["status"] == "pending" and invoice["uuid"] is None and invoice["stamp"] is None
    assert invoice["folio_number"] == 1
    # HUEY_IMMEDIATE: the job ran right after the commit.
    done = org_api.get(f"/invoices/{invoice['id']}").get_json()
    assert done["status"] == "valid" and done["uuid"]
    verify_stamped(org_api.get(f"/invoices/{invoice['id']}/xml").data)


def test_async_invoice_that_sat_would_refuse_ends_failed(org_api, invoice_body) -> None:
    items = [{"product": {"description": "X", "product_key": "99999999", "price": 10}}]
    invoice = _create(org_api, invoice_body(items=items), **{"async": "true"}).get_json()
    assert invoice["status"] == "pending"
    done = org_api.get(f"/invoices/{invoice['id']}").get_json()
    assert done["status"] == "failed" and done["failure_reason"]
    assert org_api.get(f"/invoices/{invoice['id']}/xml").status_code == 400


def test_cancel_motives_and_receipts(org_api, invoice_body) -> None:
    invoice = _create(org_api, invoice_body()).get_json()
    path = f"/invoices/{invoice['id']}"
    assert org_api.delete(path).get_json()["path"] == "motive"
    assert org_api.delete(path + "?motive=09").status_code == 400
    assert org_api.delete(path + "?motive=01").get_json()["path"] == "substitution"
    assert org_api.get(path + "/cancellation_receipt/xml").status_code == 400
    canceled = org_api.delete(path + "?motive=02").get_json()
    assert canceled["status"] == "canceled" and canceled["cancellation_status"] == "accepted"
    again = org_api.delete(path + "?motive=02")
    assert again.status_code == 400 and again.get_json()["code"] == "already_canceled"
    receipt = org_api.get(path + "/cancellation_receipt/xml")
    assert receipt.status_code == 200 and invoice["uuid"].encode() in receipt.data
    pdf = org_api.get(path + "/cancellation_receipt/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_cancel_with_substitution_by_id(org_api, invoice_body) -> None:
    old = _create(org_api, invoice_body()).get_json()
    relation = [{"relationship": "04", "documents": [old["uuid"]]}]  # motive 01 needs it
    new = _create(org_api, invoice_body(related_documents=relation)).get_json()
    response = org_api.delete(f"/invoices/{old['id']}?motive=01&substitution={new['id']}")
    assert response.get_json()["cancellation"]["substitution"] == new["uuid"]


def test_cancellation_that_needs_acceptance_settles_on_refresh(
    org_api, invoice_body, monkeypatch
) -> None:
    from portal.cfdi import pac

    monkeypatch.setattr(pac, "requires_acceptance", lambda target, at: True)
    invoice = _create(org_api, invoice_body()).get_json()
    path = f"/invoices/{invoice['id']}"
    pending = org_api.delete(path + "?motive=02").get_json()
    assert pending["status"] == "valid" and pending["cancellation_status"] == "pending"
    assert org_api.delete(path + "?motive=02").get_json()["code"] == "cancel_pending"
    settled = org_api.put(path + "/status").get_json()
    assert settled["status"] == "canceled" and settled["cancellation_status"] == "accepted"


def test_deleting_a_draft_removes_it(org_api, invoice_body) -> None:
    draft = _create(org_api, invoice_body(status="draft")).get_json()
    assert org_api.delete(f"/invoices/{draft['id']}").get_json()["id"] == draft["id"]
    assert org_api.get(f"/invoices/{draft['id']}").status_code == 404


def test_downloads(org_api, invoice_body) -> None:
    invoice = _create(org_api, invoice_body()).get_json()
    pdf = org_api.get(f"/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert invoice["uuid"] in pdf.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(org_api.get(f"/invoices/{invoice['id']}/zip").data))
    assert sorted(name.rsplit(".", 1)[1] for name in archive.namelist()) == ["pdf", "xml"]
    draft = _create(org_api, invoice_body(status="draft")).get_json()
    assert org_api.get(f"/invoices/{draft['id']}/pdf").status_code == 400


def test_email_goes_to_the_customer_with_pdf_and_xml(org_api, invoice_body, db) -> None:
    invoice = _create(org_api, invoice_body()).get_json()
    assert org_api.post(f"/invoices/{invoice['id']}/email").status_code == 200
    other = org_api.post(f"/invoices/{invoice['id']}/email", json={"email": ["a@example.com"]})
    assert other.status_code == 200
    sent = db.scalars(select(OutboxEmail).order_by(OutboxEmail.created_at)).all()
    assert [email.to for email in sent] == [["cliente@example.com"], ["a@example.com"]]
    assert [a["content_type"] for a in sent[0].attachments] == [
        "application/pdf",
        "application/xml",
    ]
    bad = org_api.post(f"/invoices/{invoice['id']}/email", json={"email": "nope"})
    assert bad.status_code == 400 and bad.get_json()["path"] == "email[0].email"


def test_copy_makes_a_draft(org_api, invoice_body) -> None:
    invoice = _create(org_api, invoice_body(external_id="X1")).get_json()
    copy = org_api.post(f"/invoices/{invoice['id']}/copy").get_json()
    assert copy["status"] == "draft" and copy["id"] != invoice["id"]
    assert copy["items"] == invoice["items"] and copy["is_ready_to_stamp"] is True


def test_total_results_follow_creations_and_deleted_drafts(org_api, invoice_body, db) -> None:
    from portal.models.invoices import InvoiceCount

    def total(**params: str) -> int:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return org_api.get(f"/invoices?{query}").get_json()["total_results"]

    _create(org_api, invoice_body())
    draft = _create(org_api, invoice_body(status="draft")).get_json()
    assert total() == total(limit="1") == 2 and total(status="draft") == 1
    org_api.delete(f"/invoices/{draft['id']}")
    assert total() == 1
    # The unfiltered total is the kept count, not a count of rows: the trigger keeps it.
    counts = db.scalars(select(InvoiceCount)).all()
    assert {c.livemode for c in counts} == {False} and sum(c.count for c in counts) == 1
    counts[0].count += 999_999  # as if a million rows were there
    db.commit()
    assert total() == 1_000_000 and total(type="I") == 1  # a filter counts its rows


def test_list_search_and_filters(org_api, invoice_body) -> None:
    first = _create(org_api, invoice_body(external_id="ORDER-77")).get_json()
    other_customer = {
        "legal_name": "Dunder Mifflin",
        "tax_id": "EKU9003173C9",
        "tax_system": "601",
        "address": {"zip": "42501"},
    }
    _create(org_api, invoice_body(customer=other_customer, payment_method="PPD", payment_form="99"))
    _create(org_api, invoice_body(status="draft"))

    def ids(**params: str) -> list[str]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        page = org_api.get(f"/invoices?{query}").get_json()
        return [invoice["id"] for invoice in page["data"]]

    assert len(ids()) == 3
    assert ids(q="order-77") == ids(q=first["uuid"].lower()) == [first["id"]]
    assert ids(q="robótica") == ids(q="ure180429") or len(ids(q="robótica")) == 2
    assert len(ids(q="dunder")) == 1 and len(ids(payment_method="PPD")) == 1
    assert len(ids(status="draft")) == 1 and len(ids(type="I")) == 3
    assert ids(q="1") and ids(limit="1", page="2")
    # Words, the last one as the start of a word: as the user types, in any order.
    assert len(ids(q="universidad rob")) == 2 and len(ids(q="española UNIVERSIDAD")) == 2
    assert ids(q="niversidad") == [] and ids(q="rob universidad") == []
    assert ids(q="!!") == ids() and ids(q="dunder-mifflin") == ids(q="dunder")
    assert ids(**{"date[gte]": "2000-01-01T00:00:00Z", "date[lt]": "2001-01-01"}) == []
    for bad in ("status=nope", "type=X", "limit=0", "date[gt]=ayer"):
        assert org_api.get(f"/invoices?{bad}").status_code == 400, bad


def test_customer_by_id_is_copied_into_the_invoice(org_api, invoice_body, make_organization, api):
    customer = org_api.post("/customers", json=invoice_body()["customer"]).get_json()
    invoice = _create(org_api, invoice_body(customer=customer["id"])).get_json()
    assert invoice["status"] == "valid", invoice
    assert invoice["customer"]["id"] == customer["id"]
    assert invoice["customer"]["legal_name"] == customer["legal_name"]
    found = org_api.get(f"/invoices?customer={customer['id']}").get_json()
    assert found["total_results"] == 1
    _other, key = make_organization()
    stranger = api(key).post("/invoices", json=invoice_body(customer=customer["id"]))
    assert stranger.status_code == 404


def test_payment_complement_tracks_the_balance(org_api, invoice_body, verify_stamped) -> None:
    ppd = _create(org_api, invoice_body(payment_method="PPD", payment_form="99")).get_json()
    assert ppd["balance"] == 691.2

    def pay(amount: str) -> Any:
        complement = {
            "type": "pago",
            "data": [
                {
                    "payment_form": "03",
                    "related_documents": [{"uuid": ppd["uuid"], "amount": amount}],
                }
            ],
        }
        return _create(org_api, invoice_body(type="P", items=[], complements=[complement]))

    payment = pay("200.00")
    assert payment.status_code == 200, payment.get_json()
    assert payment.get_json()["type"] == "P"
    xml = org_api.get(f"/invoices/{payment.get_json()['id']}/xml").data
    verify_stamped(xml)
    assert b'ImpSaldoAnt="691.20"' in xml and b'NumParcialidad="1"' in xml
    assert org_api.get(f"/invoices/{ppd['id']}").get_json()["balance"] == 491.2
    second = org_api.get(f"/invoices/{pay('491.20').get_json()['id']}/xml").data
    assert b'ImpSaldoAnt="491.20"' in second and b'NumParcialidad="2"' in second
    assert org_api.get(f"/invoices/{ppd['id']}").get_json()["balance"] == 0
    too_much = pay("1.00")
    assert too_much.status_code == 400, too_much.get_json()


def test_invoices_need_an_organization_key(api, make_account) -> None:
    _account, user_key = make_account()
    assert api(user_key).get("/invoices").status_code == 403
    assert api(None).get("/invoices").status_code == 401


def test_status_changes_write_events(org_api, invoice_body, db) -> None:
    from portal.models.events import Event

    invoice = _create(org_api, invoice_body(), **{"async": "true"}).get_json()
    org_api.delete(f"/invoices/{invoice['id']}?motive=02")
    events = db.scalars(select(Event).order_by(Event.created_at)).all()
    kinds = [(e.type, e.data["object"]["status"]) for e in events]
    assert kinds == [
        ("invoice.status_updated", "valid"),
        ("invoice.status_updated", "canceled"),
        ("invoice.cancellation_status_updated", "canceled"),
    ]
    assert all(e.livemode is False and e.data["type"] == "invoice" for e in events)


def test_test_pac_certificate_survives_a_restart(org_api, invoice_body, db, verify_stamped):
    from portal.services import stamping

    invoice = _create(org_api, invoice_body()).get_json()
    xml = org_api.get(f"/invoices/{invoice['id']}/xml").data
    stamping._test_pacs.clear()  # a new process: nothing cached, the stored certificate is read
    reloaded = stamping.test_pac(db)
    assert reloaded.certificate_number == invoice["stamp"]["sat_cert_number"]
    verify_stamped(xml)


def test_a_huge_body_is_stamped_asynchronously(org_api, invoice_body, monkeypatch) -> None:
    from portal.services import invoices

    # instead of building a 2 MB body
    monkeypatch.setattr(invoices.creation, "ASYNC_BODY_BYTES", 100)
    invoice = _create(org_api, invoice_body()).get_json()
    assert invoice["status"] == "pending" and invoice["uuid"] is None
    assert org_api.get(f"/invoices/{invoice['id']}").get_json()["status"] == "valid"


def test_products_by_id_are_copied_into_the_lines(org_api, invoice_body, make_organization, api):
    product = org_api.post(
        "/products",
        json={"description": "Clase de guitarra", "product_key": "86101700", "price": 580},
    ).get_json()
    items = [{"quantity": 2, "product": product["id"]}]
    invoice = _create(org_api, invoice_body(items=items)).get_json()
    assert invoice["status"] == "valid", invoice
    assert invoice["items"][0]["product"]["id"] == product["id"]
    assert invoice["items"][0]["product"]["description"] == "Clase de guitarra"
    assert invoice["total"] == 1160.0
    _other, key = make_organization()
    stranger = api(key).post("/invoices", json=invoice_body(items=items))
    assert stranger.status_code == 404


def test_sweep_requeues_invoices_left_pending(org_api, invoice_body, db, monkeypatch) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from portal.jobs import invoices as invoice_jobs
    from portal.models.base import utcnow

    queued: list[str] = []
    monkeypatch.setattr(invoice_jobs, "stamp_invoice", queued.append)  # the enqueue was lost
    invoice = _create(org_api, invoice_body(), **{"async": "true"}).get_json()
    assert queued == [invoice["id"]]
    queued.clear()
    invoice_jobs.sweep_pending_invoices.call_local()
    assert queued == []  # too recent: its own job may still be on the way
    db.execute(update(Invoice).values(created_at=utcnow() - timedelta(minutes=5)))
    db.commit()
    invoice_jobs.sweep_pending_invoices.call_local()
    assert queued == [invoice["id"]]


def test_loaded_csds_are_kept_per_certificate_version_in_a_bounded_cache(org_api, db) -> None:
    from datetime import timedelta

    from portal.services import stamping

    certificate = org_api.organization.certificate
    first = stamping.csd_of(certificate)
    assert stamping.csd_of(certificate) is first  # loaded (and decrypted) once
    certificate.updated_at = certificate.updated_at + timedelta(seconds=1)  # a new version
    assert stamping.csd_of(certificate) is not first
    assert stamping._csds.maxsize == stamping.CSD_CACHE_SIZE
    assert stamping._csds.ttl == stamping.CSD_CACHE_SECONDS
    db.rollback()
