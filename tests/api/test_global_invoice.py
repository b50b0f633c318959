"""Global invoice of open receipts, receipt periods and expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from sqlalchemy import select

from portal.models.events import Event
from portal.services import receipts
from tests.fixtures.invoices import CUSTOMER

MX = ZoneInfo("America/Mexico_City")
CFDI = "{http://www.sat.gob.mx/cfd/4}"


@pytest.mark.parametrize(
    ("periodicity", "moment", "start", "end"),
    [
        ("day", datetime(2026, 3, 10, 15), datetime(2026, 3, 10), datetime(2026, 3, 11)),
        ("week", datetime(2026, 3, 12, 9), datetime(2026, 3, 9), datetime(2026, 3, 16)),
        ("fortnight", datetime(2026, 3, 15, 23), datetime(2026, 3, 1), datetime(2026, 3, 16)),
        ("fortnight", datetime(2026, 2, 20), datetime(2026, 2, 16), datetime(2026, 3, 1)),
        ("month", datetime(2026, 12, 31, 23), datetime(2026, 12, 1), datetime(2027, 1, 1)),
        ("two_months", datetime(2026, 4, 2), datetime(2026, 3, 1), datetime(2026, 5, 1)),
        ("two_months", datetime(2026, 12, 2), datetime(2026, 11, 1), datetime(2027, 1, 1)),
    ],
)
def test_period_bounds(periodicity, moment, start, end):
    bounds = receipts.period_bounds(moment.replace(tzinfo=MX), periodicity)
    assert bounds == (start.replace(tzinfo=MX), end.replace(tzinfo=MX))


@pytest.mark.parametrize(
    ("periodicity", "days", "date", "expected"),
    [
        ("month", 7, datetime(2026, 3, 10, 12), datetime(2026, 3, 17, 12)),
        ("month", 7, datetime(2026, 3, 28, 12), datetime(2026, 4, 1)),  # month ends first
        ("month", 0, datetime(2026, 3, 10, 12), datetime(2026, 4, 1)),  # 0: end of period
        ("day", 7, datetime(2026, 3, 10, 12), datetime(2026, 3, 11)),
        ("week", 3, datetime(2026, 3, 9, 8), datetime(2026, 3, 12, 8)),
    ],
)
def test_expiry_is_duration_or_end_of_period_whichever_first(periodicity, days, date, expected):
    organization = SimpleNamespace(
        timezone="America/Mexico_City", receipts_periodicity=periodicity,
        receipts_duration_days=days,
    )  # fmt: skip
    expires = receipts.expiry(organization, date.replace(tzinfo=MX).astimezone(UTC))
    assert expires == expected.replace(tzinfo=MX)


def _yesterday() -> str:
    return (datetime.now(MX) - timedelta(days=1)).replace(hour=12).astimezone(UTC).isoformat()


@pytest.fixture
def daily_org(make_organization, db):
    org, key = make_organization()
    org.receipts_periodicity = "day"
    db.commit()
    return org, key


def test_global_invoice_includes_open_receipts_of_last_period(
    daily_org, api, receipt_body, db, verify_stamped
):
    org, key = daily_org
    client = api(key)
    old = [client.post("/receipts", json=receipt_body(date=_yesterday())).json for _ in range(3)]
    client.post(f"/receipts/{old[2]['id']}/invoice", json={"customer": CUSTOMER, "use": "G03"})
    client.delete(f"/receipts/{old[1]['id']}")
    today = client.post("/receipts", json=receipt_body()).json
    response = client.post("/receipts/global-invoice", json={})
    assert response.status_code == 200, response.json
    invoice = response.json
    assert invoice["customer"]["tax_id"] == "XAXX010101000"
    assert invoice["total"] == old[0]["total"]
    xml = client.get(f"/invoices/{invoice['id']}/xml").data
    verify_stamped(xml)
    root = etree.fromstring(xml)
    info = root.find(f"{CFDI}InformacionGlobal")
    assert info.get("Periodicidad") == "01"
    assert info.get("Meses") == (datetime.now(MX) - timedelta(days=1)).strftime("%m")
    concept = root.find(f"{CFDI}Conceptos/{CFDI}Concepto")
    assert concept.get("ClaveProdServ") == "01010101"
    assert concept.get("NoIdentificacion") == str(old[0]["folio_number"])
    statuses = {r["id"]: client.get(f"/receipts/{r['id']}").json["status"] for r in [*old, today]}
    assert statuses == {
        old[0]["id"]: "invoiced_globally",
        old[1]["id"]: "canceled",
        old[2]["id"]: "invoiced_to_customer",
        today["id"]: "open",
    }
    assert client.get(f"/receipts/{old[0]['id']}").json["invoice"] == invoice["id"]
    kinds = db.scalars(select(Event.type).where(Event.organization_id == org.id)).all()
    assert "invoice.global_invoice_created" in kinds


def test_nothing_open_is_a_clear_400(daily_org, api, receipt_body):
    _, key = daily_org
    api(key).post("/receipts", json=receipt_body())  # today: not in the last closed day
    response = api(key).post("/receipts/global-invoice", json={})
    assert response.status_code == 400
    assert response.json["code"] == "no_open_receipts"
    assert "No hay recibos abiertos" in response.json["message"]


def test_explicit_range_payment_form_and_receipt_list(daily_org, api, receipt_body):
    _, key = daily_org
    client = api(key)
    cash = client.post("/receipts", json=receipt_body()).json
    card = client.post("/receipts", json=receipt_body(payment_form="04")).json
    other = client.post("/receipts", json=receipt_body(payment_form="04")).json
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    end = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    body = {"from": start, "to": end, "periodicity": "day", "payment_form": "04",
            "receipts": [card["id"]]}  # fmt: skip
    response = client.post("/receipts/global-invoice", json=body)
    assert response.status_code == 200, response.json
    assert response.json["payment_form"] == "04"
    assert client.get(f"/receipts/{card['id']}").json["status"] == "invoiced_globally"
    assert client.get(f"/receipts/{other['id']}").json["status"] == "open"
    rest = client.post("/receipts/global-invoice", json={"from": start, "to": end})
    assert rest.status_code == 200, rest.json
    assert Decimal(str(rest.json["total"])) == Decimal(str(cash["total"])) * 2
    assert client.get(f"/receipts/{cash['id']}").json["status"] == "invoiced_globally"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"periodicity": "year"}, "periodicity"),
        ({"from": "ayer"}, "from"),
        ({"months": "19"}, "months"),
        ({"payment_form": "77"}, "payment_form"),
        ({"receipts": "abc"}, "receipts"),
        ({"folio_number": -1}, "folio_number"),
        ({"from": "2026-02-01T00:00:00", "to": "2026-01-01T00:00:00"}, "from"),
    ],
)
def test_global_invoice_bad_input(daily_org, api, body, path):
    _, key = daily_org
    response = api(key).post("/receipts/global-invoice", json=body)
    assert response.status_code == 400, response.json
    assert response.json["path"] == path


def test_global_invoice_never_takes_another_tenants_receipts(
    daily_org, make_organization, api, receipt_body
):
    _, key = daily_org
    _, other_key = make_organization()
    theirs = api(other_key).post("/receipts", json=receipt_body(date=_yesterday())).json
    response = api(key).post("/receipts/global-invoice", json={"receipts": [theirs["id"]]})
    assert response.status_code == 400 and response.json["code"] == "no_open_receipts"
    assert api(other_key).get(f"/receipts/{theirs['id']}").json["status"] == "open"


def _window() -> dict[str, str]:
    start = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {"from": start, "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}


def _sum_of_receipts(receipts_: list[dict]) -> Decimal:
    return sum((Decimal(str(r["total"])) for r in receipts_), Decimal(0))


def test_usd_receipts_make_a_usd_global_invoice(daily_org, api, receipt_body):
    """Never MXN with dollar amounts: Moneda and TipoCambio are the receipts' own, and the
    Total is their sum in dollars."""
    _, key = daily_org
    client = api(key)
    usd = [
        client.post("/receipts", json=receipt_body(currency="USD", exchange="17.25")).json
        for _ in range(2)
    ]
    response = client.post("/receipts/global-invoice", json=_window())
    assert response.status_code == 200, response.json
    root = etree.fromstring(client.get(f"/invoices/{response.json['id']}/xml").data)
    assert (root.get("Moneda"), Decimal(root.get("TipoCambio"))) == ("USD", Decimal("17.25"))
    assert Decimal(root.get("Total")) == _sum_of_receipts(usd)
    assert root.find(f"{CFDI}InformacionGlobal") is not None


def test_receipts_in_several_currencies_go_into_one_global_invoice_each(
    daily_org, api, receipt_body
):
    _, key = daily_org
    client = api(key)
    pesos = client.post("/receipts", json=receipt_body()).json
    dollars = client.post("/receipts", json=receipt_body(currency="USD", exchange="18")).json
    mixed = client.post("/receipts/global-invoice", json=_window())
    assert mixed.status_code == 400 and mixed.json["code"] == "mixed_currencies"
    assert mixed.json["path"] == "currency" and "USD" in mixed.json["message"]
    for receipt, currency in ((dollars, "USD"), (pesos, "MXN")):
        response = client.post("/receipts/global-invoice", json={**_window(), "currency": currency})
        assert response.status_code == 200, response.json
        root = etree.fromstring(client.get(f"/invoices/{response.json['id']}/xml").data)
        assert root.get("Moneda") == currency
        assert Decimal(root.get("Total")) == Decimal(str(receipt["total"]))
        assert client.get(f"/receipts/{receipt['id']}").json["status"] == "invoiced_globally"


def test_different_rates_need_the_invoices_exchange(daily_org, api, receipt_body):
    _, key = daily_org
    client = api(key)
    for rate in ("17.10", "17.40"):
        client.post("/receipts", json=receipt_body(currency="USD", exchange=rate))
    refused = client.post("/receipts/global-invoice", json=_window())
    assert refused.status_code == 400 and refused.json["path"] == "exchange"
    response = client.post("/receipts/global-invoice", json={**_window(), "exchange": "17.30"})
    assert response.status_code == 200, response.json
    root = etree.fromstring(client.get(f"/invoices/{response.json['id']}/xml").data)
    assert (root.get("Moneda"), root.get("TipoCambio")) == ("USD", "17.30")


def test_unknown_currency_is_a_400(daily_org, api):
    _, key = daily_org
    response = api(key).post("/receipts/global-invoice", json={"currency": "ZZZ"})
    assert response.status_code == 400 and response.json["path"] == "currency"


def test_global_invoice_takes_the_references_autoincremental_folio(daily_org, api, receipt_body):
    _, key = daily_org
    client = api(key)
    client.post("/receipts", json=receipt_body(date=_yesterday()))
    response = client.post("/receipts/global-invoice", json={"folio_number": "autoincremental"})
    assert response.status_code == 200, response.json
    assert response.json["folio_number"] == 1
    other = client.post("/receipts/global-invoice", json={"folio_number": "siguiente"})
    assert other.status_code == 400 and other.json["path"] == "folio_number"
