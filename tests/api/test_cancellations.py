"""Cancellation by SAT's rules, through /v2 with real stamped documents.

SAT's rules checked (Anexo 20 c_MotivoCancelacion, RMF 2.7.1.35 and SAT's "Guía de llenado"
for cancellation):
- a CFDI with valid related CFDI (payments, credit notes, substitutes) is "No cancelable";
- motive 01 needs a valid substitute of the same issuer and receiver that relates to the
  cancelled CFDI with TipoRelacion 04;
- motive 04 is for the global invoice (or a nominative one related to it);
- over $1,000 and stamped more than 24 h ago, the receiver must accept.
The acuse is checked with code written here: lxml's exclusive C14N, hashlib and cryptography.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree
from sqlalchemy import select

from tests.fixtures.factories import ok
from tests.fixtures.invoices import CUSTOMER

MX = ZoneInfo("America/Mexico_City")
CANCELA = "{http://cancelacfd.sat.gob.mx}"
DSIG = "{http://www.w3.org/2000/09/xmldsig#}"
OTHER_CUSTOMER = {
    "legal_name": "Dunder Mifflin",
    "tax_id": "XIA190128J61",
    "tax_system": "601",
    "address": {"zip": "86500"},
}


class Docs:
    """Builds real documents through the API for one organization."""

    def __init__(self, client: Any, invoice_body: Callable[..., dict[str, Any]]) -> None:
        self.client, self.body = client, invoice_body

    def invoice(self, **overrides: Any) -> dict[str, Any]:
        return ok(self.client.post("/invoices", json=self.body(**overrides)))

    def related(self, relationship: str, target: dict[str, Any], **overrides: Any) -> dict:
        relation = [{"relationship": relationship, "documents": [target["uuid"]]}]
        return self.invoice(related_documents=relation, **overrides)

    def credit_note(self, target: dict[str, Any]) -> dict[str, Any]:
        return self.related("01", target, type="E", use="G02")

    def ppd(self) -> dict[str, Any]:
        return self.invoice(payment_method="PPD", payment_form="99")

    def payment(self, target: dict[str, Any], amount: str) -> dict[str, Any]:
        paid = [{"uuid": target["uuid"], "amount": amount}]
        complement = {"type": "pago", "data": [{"payment_form": "03", "related_documents": paid}]}
        return self.invoice(type="P", items=[], complements=[complement])

    def cancel(self, target: dict[str, Any], motive: str, substitution: str = "") -> Any:
        query = f"?motive={motive}" + (f"&substitution={substitution}" if substitution else "")
        return self.client.delete(f"/invoices/{target['id']}{query}")


@pytest.fixture
def docs(org_api: Any, invoice_body: Any) -> Docs:
    return Docs(org_api, invoice_body)


def _folio(document: dict[str, Any]) -> str:
    """Series-folio as the messages name a document."""
    parts = (document["series"], document["folio_number"])
    return "-".join(str(part) for part in parts if part is not None)


def _refused(response: Any, code: str, path: str | None) -> dict[str, Any]:
    body = response.get_json()
    assert response.status_code == 400, body
    assert body["ok"] is False and body["status"] == 400
    assert body["code"] == code and body["path"] == path, body
    assert body["errors"] and body["errors"][0]["message"]
    return body


# The rules, one row each: build the documents, cancel, expect the refusal ----------------


def _payment_blocks(docs: Docs) -> tuple[dict, Any, list[dict]]:
    ppd = docs.ppd()
    payment = docs.payment(ppd, "100.00")
    return ppd, docs.cancel(ppd, "02"), [payment]


def _credit_note_blocks(docs: Docs) -> tuple[dict, Any, list[dict]]:
    invoice = docs.invoice()
    note = docs.credit_note(invoice)
    return invoice, docs.cancel(invoice, "03"), [note]


def _lowercase_relation_blocks(docs: Docs) -> tuple[dict, Any, list[dict]]:
    invoice = docs.invoice()
    relation = [{"relationship": "01", "documents": [invoice["uuid"].lower()]}]
    note = docs.invoice(type="E", use="G02", related_documents=relation)
    return invoice, docs.cancel(invoice, "02"), [note]


def _substitute_blocks_other_motives(docs: Docs) -> tuple[dict, Any, list[dict]]:
    invoice = docs.invoice()
    substitute = docs.related("04", invoice)
    return invoice, docs.cancel(invoice, "02"), [substitute]


def _several_listed(docs: Docs) -> tuple[dict, Any, list[dict]]:
    ppd = docs.ppd()
    first, second = docs.payment(ppd, "100.00"), docs.payment(ppd, "50.00")
    note = docs.credit_note(ppd)
    return ppd, docs.cancel(ppd, "02"), [first, second, note]


@pytest.mark.parametrize(
    ("build", "kinds"),
    [
        pytest.param(_payment_blocks, ["pago"], id="payment-pays-it"),
        pytest.param(_credit_note_blocks, ["nota de crédito"], id="credit-note-relates"),
        pytest.param(_lowercase_relation_blocks, ["nota de crédito"], id="lowercase-uuid"),
        pytest.param(_substitute_blocks_other_motives, ["sustituto"], id="substitute-04"),
        pytest.param(_several_listed, ["pago", "pago", "nota de crédito"], id="all-listed"),
    ],
)
def test_live_related_documents_make_it_not_cancelable(docs: Docs, build: Any, kinds: list):
    """SAT: a CFDI with valid related CFDI is "No cancelable" until they are cancelled; the
    400 lists each (kind, series-folio, UUID); once they are cancelled it can be cancelled."""
    target, response, blocking = build(docs)
    body = _refused(response, "cancel_related_documents_valid", None)
    assert len(body["errors"]) == len(blocking)
    for document, kind, problem in zip(blocking, kinds, body["errors"], strict=True):
        folio = _folio(document)
        for text in (document["uuid"], folio, kind):
            assert text in body["message"] and text in problem["message"], (text, body)
        assert problem["code"] == "related_document_valid"
    assert f"factura {_folio(target)} tiene" in body["message"]
    assert docs.client.get(f"/invoices/{target['id']}").get_json()["status"] == "valid"
    for document in blocking:
        ok(docs.cancel(document, "02"))
    assert ok(docs.cancel(target, "02"))["status"] == "canceled"


def _own_uuid(docs: Docs, target: dict) -> str:
    return target["uuid"]


def _own_id(docs: Docs, target: dict) -> str:
    return target["id"]


def _unknown(docs: Docs, target: dict) -> str:
    return "6F1B7D12-0000-4000-8000-000000000000"


def _not_a_uuid(docs: Docs, target: dict) -> str:
    return "not-a-uuid"


def _huge(docs: Docs, target: dict) -> str:
    return "F" * 5000


def _canceled_substitute(docs: Docs, target: dict) -> str:
    substitute = docs.related("04", target)
    ok(docs.cancel(substitute, "02"))
    return substitute["uuid"]


def _other_receiver(docs: Docs, target: dict) -> str:
    return docs.related("04", target, customer=copy.deepcopy(OTHER_CUSTOMER))["uuid"]


def _unrelated(docs: Docs, target: dict) -> str:
    return docs.invoice()["uuid"]


def _related_as_credit_note(docs: Docs, target: dict) -> str:
    return docs.credit_note(target)["id"]


def _draft(docs: Docs, target: dict) -> str:
    relation = [{"relationship": "04", "documents": [target["uuid"]]}]
    return docs.invoice(status="draft", related_documents=relation)["id"]


@pytest.mark.parametrize(
    ("substitution", "code", "words"),
    [
        pytest.param(None, "cancel_substitution_required", "requiere", id="missing"),
        pytest.param(_own_uuid, "cancel_substitution_self", "misma", id="own-uuid"),
        pytest.param(_own_id, "cancel_substitution_self", "misma", id="own-id"),
        pytest.param(_unknown, "cancel_substitution_not_found", "no existe", id="unknown"),
        pytest.param(_not_a_uuid, "cancel_substitution_not_found", "no existe", id="garbage"),
        pytest.param(_huge, "cancel_substitution_not_found", "no existe", id="huge"),
        pytest.param(_canceled_substitute, "cancel_substitution_not_valid", "vigente", id="cxl"),
        pytest.param(_draft, "cancel_substitution_not_valid", "vigente", id="draft"),
        pytest.param(_other_receiver, "cancel_substitution_other_party", "receptor", id="rfc"),
        pytest.param(_unrelated, "cancel_substitution_not_related", "04", id="unrelated"),
        pytest.param(_related_as_credit_note, "cancel_substitution_not_related", "04", id="01"),
    ],
)
def test_motive_01_needs_a_valid_substitute_relating_with_04(
    docs: Docs, substitution: Any, code: str, words: str
) -> None:
    """Motive 01 (c_MotivoCancelacion): FolioSustitucion must be another valid CFDI of the
    same issuer and receiver whose CfdiRelacionados has TipoRelacion 04 to this one."""
    target = docs.invoice()
    value = substitution(docs, target) if substitution else ""
    body = _refused(docs.cancel(target, "01", value), code, "substitution")
    assert words in body["message"] and "01" in body["message"]
    assert len(body["message"]) < 300  # the input is never echoed whole
    assert docs.client.get(f"/invoices/{target['id']}").get_json()["status"] == "valid"


def test_motive_01_with_a_proper_substitute(docs: Docs) -> None:
    """Motive 01 accepted: by id or UUID; the substitute itself does not block it."""
    for by in ("id", "uuid"):
        target = docs.invoice()
        substitute = docs.related("04", target)
        canceled = ok(docs.cancel(target, "01", substitute[by]))
        assert canceled["status"] == "canceled"
        assert canceled["cancellation"]["substitution"] == substitute["uuid"]
        assert canceled["cancellation"]["motive"] == "01"


def test_another_tenants_substitute_is_not_found(
    docs: Docs, make_organization: Any, api: Any, invoice_body: Any
) -> None:
    """Another organization's invoice, even one relating with 04 by UUID, is never found."""
    target = docs.invoice()
    _, key = make_organization()
    relation = [{"relationship": "04", "documents": [target["uuid"]]}]
    theirs = ok(api(key).post("/invoices", json=invoice_body(related_documents=relation)))
    for value in (theirs["id"], theirs["uuid"]):
        _refused(docs.cancel(target, "01", value), "cancel_substitution_not_found", "substitution")


def test_another_tenants_relations_never_block_a_cancellation(
    docs: Docs, make_organization: Any, api: Any, invoice_body: Any, db: Any
) -> None:
    """``invoice_relations`` is read in the tenant's scope: another organization's credit
    note naming this UUID is recorded for that organization only and blocks nothing here."""
    from portal.models.invoice_relations import InvoiceRelation

    target = docs.invoice()
    _, key = make_organization()
    relation = [{"relationship": "01", "documents": [target["uuid"]]}]
    theirs = ok(api(key).post("/invoices", json=invoice_body(type="E", related_documents=relation)))
    recorded = db.scalars(
        select(InvoiceRelation).where(InvoiceRelation.from_invoice_id == theirs["id"])
    ).all()
    assert [(r.to_uuid, r.kind) for r in recorded] == [(target["uuid"], "01")]
    assert recorded[0].organization_id != docs.client.organization.id
    assert ok(docs.cancel(target, "02"))["status"] == "canceled"


def test_only_motive_01_takes_a_substitution(docs: Docs) -> None:
    target = docs.invoice()
    substitute = docs.related("04", target)
    response = docs.cancel(target, "02", substitute["uuid"])
    body = _refused(response, "cancel_substitution_not_allowed", "substitution")
    assert "Sólo el motivo 01" in body["message"]


@pytest.mark.parametrize("motive", ["", "00", "05", "1", "<x>", "01&motive=02"])
def test_bad_motives_are_a_400(docs: Docs, motive: str) -> None:
    target = docs.invoice()
    response = docs.client.delete(f"/invoices/{target['id']}", query_string={"motive": motive})
    assert response.status_code == 400 and response.get_json()["path"] == "motive"


# Motive 04 and global invoices -------------------------------------------------------------


def _yesterday() -> str:
    return (datetime.now(MX) - timedelta(days=1)).replace(hour=12).astimezone(UTC).isoformat()


@pytest.fixture
def global_invoice(org_api: Any, db: Any, receipt_body: Any) -> tuple[dict, list[dict]]:
    """A global invoice of yesterday's two receipts (one of them past its expiry)."""
    org_api.organization.receipts_periodicity = "day"
    db.commit()
    rows = [ok(org_api.post("/receipts", json=receipt_body(date=_yesterday()))) for _ in (1, 2)]
    invoice = ok(org_api.post("/receipts/global-invoice", json={}))
    return invoice, rows


def test_motive_04_refused_for_a_nominative_invoice_outside_a_global_one(docs: Docs) -> None:
    """Motive 04 is "operación nominativa relacionada en una factura global" only."""
    target = docs.invoice()
    body = _refused(docs.cancel(target, "04"), "cancel_motive_04_not_global", "motive")
    assert "factura global" in body["message"]


def test_motive_04_for_a_nominative_invoice_related_to_a_global_one(docs, global_invoice):
    invoice, _ = global_invoice
    nominative = docs.related("04", invoice)  # names the global invoice it came out of
    assert ok(docs.cancel(nominative, "04"))["status"] == "canceled"


def test_cancelling_a_global_invoice_releases_its_receipts(docs, global_invoice, db):
    """SAT's guide (motive 04): the global invoice is cancelled, then its operations are
    invoiced again: each receipt is open again (its expiry by its own date) and announced."""
    from portal.models.events import Event

    invoice, rows = global_invoice
    for row in rows:
        assert docs.client.get(f"/receipts/{row['id']}").get_json()["status"] == "invoiced_globally"
    assert ok(docs.cancel(invoice, "04"))["status"] == "canceled"
    for row in rows:
        now = docs.client.get(f"/receipts/{row['id']}").get_json()
        assert now["status"] == "open" and now["invoice"] is None
        assert now["expires_at"] == row["expires_at"]  # expired already: by its own dates
    events = db.scalars(
        select(Event).where(Event.type == "receipt.status_updated").order_by(Event.created_at)
    ).all()
    released = [e.data["object"] for e in events if e.data["object"]["status"] == "open"]
    assert sorted(r["id"] for r in released) == sorted(r["id"] for r in rows)
    # They can be invoiced to a customer again (the API invoices expired receipts too).
    body = {"customer": CUSTOMER, "use": "G03"}
    again = docs.client.post(f"/receipts/{rows[0]['id']}/invoice", json=body)
    assert again.status_code == 200, again.get_json()
    assert ok(docs.client.post("/receipts/global-invoice", json={}))["total"] == rows[1]["total"]


def _receipt_events(db: Any, receipt_id: str) -> list[dict]:
    from portal.models.events import Event

    events = db.scalars(
        select(Event).where(Event.type == "receipt.status_updated").order_by(Event.created_at)
    ).all()
    return [e.data["object"] for e in events if e.data["object"]["id"] == receipt_id]


def test_cancelling_a_receipts_invoice_opens_the_receipt_again(docs, org_api, receipt_body, db):
    """A receipt invoiced to a customer whose invoice is cancelled (motive 02: wrong data) is
    ``open`` again, announced, and can be invoiced anew or go into a global invoice."""
    receipt = ok(org_api.post("/receipts", json=receipt_body()))
    invoice = ok(
        docs.client.post(
            f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER, "use": "G03"}
        )
    )
    assert docs.client.get(f"/receipts/{receipt['id']}").get_json()["status"] == (
        "invoiced_to_customer"
    )
    assert ok(docs.cancel(invoice, "02"))["status"] == "canceled"
    now = docs.client.get(f"/receipts/{receipt['id']}").get_json()
    assert (now["status"], now["invoice"]) == ("open", None)
    assert _receipt_events(db, receipt["id"])[-1]["status"] == "open"
    again = docs.client.post(
        f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER, "use": "G03"}
    )
    assert again.status_code == 200, again.get_json()


def test_a_substitute_takes_over_the_receipts_of_the_invoice_it_replaces(
    docs, org_api, receipt_body, db
):
    """Motive 01: the operations are now invoiced by the substitute, so the receipt follows
    it (still ``invoiced_to_customer``) instead of opening again, and no global invoice can
    declare it a second time."""
    receipt = ok(org_api.post("/receipts", json=receipt_body()))
    invoice = ok(
        docs.client.post(
            f"/receipts/{receipt['id']}/invoice", json={"customer": CUSTOMER, "use": "G03"}
        )
    )
    substitute = docs.related("04", invoice)
    answer = ok(docs.cancel(invoice, "01", substitute["uuid"]))
    assert answer["status"] == "canceled"
    now = docs.client.get(f"/receipts/{receipt['id']}").get_json()
    assert (now["status"], now["invoice"]) == ("invoiced_to_customer", substitute["id"])
    assert _receipt_events(db, receipt["id"])[-1]["invoice"] == substitute["id"]
    refused = docs.client.post("/receipts/global-invoice", json={})
    assert refused.status_code == 400, refused.get_json()  # nothing open to include


# Receiver acceptance (RMF 2.7.1.35) --------------------------------------------------------


@pytest.fixture
def test_pac(db: Any, org_api: Any) -> Any:
    from portal.services import stamping

    return stamping.test_pac(db)


def _aged(docs: Docs, test_pac: Any, monkeypatch: Any, later: timedelta, **body: Any) -> dict:
    """An invoice stamped now, then the test PAC's clock moved ``later`` forward: its
    cancellation is asked that long after the stamping (a back-dated CFDI, as SAT sees it)."""
    invoice = docs.invoice(**body)
    _move_clock(test_pac, monkeypatch, later)
    return invoice


def _move_clock(test_pac: Any, monkeypatch: Any, later: timedelta) -> None:
    stamped = datetime.now(MX).replace(microsecond=0, tzinfo=None)
    monkeypatch.setattr(test_pac, "clock", lambda: stamped + later)


OLD = timedelta(days=7)  # past the business day after the stamping, whatever today is
YOUNG = timedelta(hours=1)  # inside it (RMF 2.7.1.35 fr. IX)
PIANO = {"description": "Piano", "product_key": "60131324", "price": 900}
BIG = [{"quantity": 3, "product": PIANO}]  # $3,132.00 with IVA


@pytest.mark.parametrize(
    ("later", "items", "motive", "needs_acceptance"),
    [
        (OLD, BIG, "02", True),  # over $1,000 and after the next business day
        (YOUNG, BIG, "02", False),  # within the next business day (fr. IX)
        (OLD, None, "02", False),  # $691.20: not over $1,000 (fr. I)
        (OLD, "USD", "02", True),  # 116 USD at 20 pesos: over $1,000 in pesos
        (OLD, "USD-cheap", "02", False),  # 116 USD at 8 pesos: $928
    ],
)
def test_receiver_acceptance_rule(
    docs, test_pac, monkeypatch, later, items, motive, needs_acceptance
):
    """RMF 2.7.1.35 (SAT's rule for cancelling without the receiver's acceptance)."""
    body: dict[str, Any] = {"items": items} if isinstance(items, list) else {}
    if isinstance(items, str):  # 100 USD + IVA, at this exchange rate
        dollar = {"description": "Servicio", "product_key": "81112100", "price": 116}
        rate = "20" if items == "USD" else "8"
        body = {"items": [{"product": dollar}], "currency": "USD", "exchange": rate}
    invoice = _aged(docs, test_pac, monkeypatch, later, **body)
    answer = ok(docs.cancel(invoice, motive))
    expected = ("valid", "pending") if needs_acceptance else ("canceled", "accepted")
    assert (answer["status"], answer["cancellation_status"]) == expected


@pytest.mark.parametrize(("later", "needs_acceptance"), [(OLD, True), (YOUNG, False)])
def test_a_payment_needs_acceptance_after_the_next_business_day(
    docs, test_pac, monkeypatch, later, needs_acceptance
) -> None:
    """RMF 2026, rule 2.7.1.35 fr. I: CFDI with the payment complement no longer count among
    the totals up to $1,000 (a payment's Total is 0), so only fr. IX spares the acceptance."""
    payment = docs.payment(docs.ppd(), "100.00")
    _move_clock(test_pac, monkeypatch, later)
    answer = ok(docs.cancel(payment, "02"))
    expected = ("valid", "pending") if needs_acceptance else ("canceled", "accepted")
    assert (answer["status"], answer["cancellation_status"]) == expected


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("accepted", "canceled"), ("rejected", "valid"), ("expired", "canceled")],
)
def test_receiver_answer_settles_a_pending_cancellation(
    docs, test_pac, monkeypatch, db, outcome, status
) -> None:
    """End to end in test mode: a back-dated invoice over $1,000 waits for its receiver;
    the poll job asks the PAC and settles it as the receiver answered (or the term expired,
    which SAT treats as cancelled)."""
    from portal.jobs.cancellations import poll_cancellations
    from portal.models.invoices import Invoice

    invoice = _aged(docs, test_pac, monkeypatch, OLD, items=BIG)
    monkeypatch.setattr(test_pac, "acceptance_delay", timedelta(hours=1))
    pending = ok(docs.cancel(invoice, "02"))
    assert (pending["status"], pending["cancellation_status"]) == ("valid", "pending")
    still = ok(docs.client.put(f"/invoices/{invoice['id']}/status"))
    assert still["cancellation_status"] == "pending"  # the receiver has not answered yet
    monkeypatch.setattr(test_pac, "acceptance_delay", timedelta(0))
    monkeypatch.setattr(test_pac, "pending_outcome", outcome)
    db.rollback()
    poll_cancellations()
    db.rollback()
    settled = db.get(Invoice, invoice["id"])
    assert (settled.status, settled.cancellation_status) == (status, outcome)
    answer = docs.client.get(f"/invoices/{invoice['id']}").get_json()
    assert (answer["status"], answer["cancellation_status"]) == (status, outcome)


# The acuse ----------------------------------------------------------------------------------


def _c14n(node: Any) -> bytes:
    return etree.tostring(node, method="c14n", exclusive=True, with_comments=False)


def test_acuse_is_sat_shaped_and_signed_by_the_test_pac(docs: Docs, db: Any) -> None:
    """The acuse: Acuse@Fecha (Mexico's time) and RfcEmisor, Folios/UUID + EstatusUUID 201,
    an enveloped XML-DSig SelloSAT verified here with the stored test PAC certificate."""
    from portal.models.invoices import LocalPacCredential

    invoice = docs.invoice()
    before = datetime.now(MX).replace(tzinfo=None, microsecond=0)
    ok(docs.cancel(invoice, "02"))
    response = docs.client.get(f"/invoices/{invoice['id']}/cancellation_receipt/xml")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert root.tag == "Acuse" and root.get("RfcEmisor") == "EKU9003173C9"
    fecha = datetime.fromisoformat(root.get("Fecha"))
    assert fecha.tzinfo is None and before <= fecha <= before + timedelta(minutes=2)
    folios = root.findall(f"{CANCELA}Folios")
    seen = [(f.findtext(f"{CANCELA}UUID"), f.findtext(f"{CANCELA}EstatusUUID")) for f in folios]
    assert seen == [(invoice["uuid"], "201")]

    signature = root.find(f"{DSIG}Signature")
    assert signature.get("Id") == "SelloSAT"
    pac_cer = db.get(LocalPacCredential, "default", populate_existing=True).cer_der
    certificate = x509.load_der_x509_certificate(pac_cer)
    embedded = signature.findtext(f"{DSIG}KeyInfo/{DSIG}X509Data/{DSIG}X509Certificate")
    assert base64.b64decode(embedded) == pac_cer
    serial_digits = f"{certificate.serial_number:x}"[1::2]
    assert signature.findtext(f"{DSIG}KeyInfo/{DSIG}KeyName") == serial_digits
    # The reference: the Acuse without its Signature (enveloped), exclusive C14N, SHA-256.
    unsigned = copy.deepcopy(root)
    unsigned.remove(unsigned.find(f"{DSIG}Signature"))
    digest = base64.b64encode(hashlib.sha256(_c14n(unsigned)).digest()).decode()
    assert signature.findtext(f"{DSIG}SignedInfo/{DSIG}Reference/{DSIG}DigestValue") == digest
    signed_info = signature.find(f"{DSIG}SignedInfo")
    value = base64.b64decode(signature.findtext(f"{DSIG}SignatureValue"))
    certificate.public_key().verify(value, _c14n(signed_info), padding.PKCS1v15(), hashes.SHA256())
    # The issuer's request is not what is stored: it has no Cancelacion root, no issuer seal.
    assert b"Cancelacion" not in response.data


def test_tampered_acuse_fails_verification(docs: Docs, db: Any) -> None:
    """The check above can fail: a changed EstatusUUID breaks the digest."""
    invoice = docs.invoice()
    ok(docs.cancel(invoice, "02"))
    xml = docs.client.get(f"/invoices/{invoice['id']}/cancellation_receipt/xml").data
    root = etree.fromstring(xml)
    root.find(f"{CANCELA}Folios/{CANCELA}EstatusUUID").text = "202"
    unsigned = copy.deepcopy(root)
    unsigned.remove(unsigned.find(f"{DSIG}Signature"))
    digest = base64.b64encode(hashlib.sha256(_c14n(unsigned)).digest()).decode()
    assert root.findtext(f".//{DSIG}DigestValue") != digest


def test_acuse_pdf_names_whose_signature_it_is(docs: Docs) -> None:
    """The PDF never calls the test PAC's seal (or the issuer's) "sello digital del SAT"."""
    import subprocess

    invoice = docs.invoice()
    ok(docs.cancel(invoice, "02"))
    pdf = docs.client.get(f"/invoices/{invoice['id']}/cancellation_receipt/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()
    flat = " ".join(text.split()).upper()  # the labels are set in capitals
    assert "SELLO DEL ACUSE DEL PAC DE PRUEBAS" in flat and "(NO ES DEL SAT)" in flat
    assert "SELLO DIGITAL DEL SAT" not in flat
    assert "201 (SOLICITUD DE CANCELACIÓN RECIBIDA)" in flat
    assert invoice["uuid"] in flat


def test_cancelling_a_payment_gives_its_amount_back(docs: Docs) -> None:
    """A cancelled payment no longer pays: the balance grows back and its installment number
    (the last one) is used again by the next payment (ImpSaldoAnt, NumParcialidad)."""
    ppd = docs.ppd()
    docs.payment(ppd, "100.00")
    second = docs.payment(ppd, "50.00")
    assert docs.client.get(f"/invoices/{ppd['id']}").get_json()["balance"] == 541.2
    ok(docs.cancel(second, "02"))
    assert docs.client.get(f"/invoices/{ppd['id']}").get_json()["balance"] == 591.2
    again = docs.payment(ppd, "91.20")
    xml = etree.fromstring(docs.client.get(f"/invoices/{again['id']}/xml").data)
    paid = xml.find(".//{http://www.sat.gob.mx/Pagos20}DoctoRelacionado")
    assert paid.get("NumParcialidad") == "2" and paid.get("ImpSaldoAnt") == "591.20"
    assert paid.get("ImpSaldoInsoluto") == "500.00"
