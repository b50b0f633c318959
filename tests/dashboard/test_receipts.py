"""Receipt screens: list and filters, point-of-sale form, ticket and QR, cancel, global invoice,
portal preview, tenancy and test/live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.models.receipts import Receipt


@pytest.fixture
def merchant(make_account, make_organization, login_as):
    account, _ = make_account()
    org, key = make_organization(account=account, domain="kemper")
    client = login_as(account)
    return org, key, client, f"/dashboard/o/{org.id}"


def test_list_shows_receipts_and_filters_by_status(merchant, make_receipt, api):
    org, key, client, base = merchant
    kept = make_receipt(key, branch="Centro")
    gone = make_receipt(key)
    api(key).delete(f"/receipts/{gone['id']}")
    html = client.get(f"{base}/receipts").get_data(as_text=True)
    assert kept["key"] in html and gone["key"] in html and "Recibos" in html
    canceled = client.get(f"{base}/receipts?status=canceled").get_data(as_text=True)
    assert gone["key"] in canceled and kept["key"] not in canceled
    bad = client.get(f"{base}/receipts?status=nuevo")
    assert bad.status_code == 200 and "no es válido" in bad.get_data(as_text=True)


def test_point_of_sale_form_issues_a_receipt_with_a_big_qr(merchant, db):
    _, _, client, base = merchant
    form = {
        "items-0-description": "Café americano",
        "items-0-quantity": "2",
        "items-0-price": "45",
        "items-0-product_key": "50201706",
        "items-0-unit_key": "H87",
        "payment_form": "04",
        "branch": "Centro",
    }
    response = client.post(f"{base}/receipts/new", data=form)
    assert response.status_code == 302
    receipt = db.scalars(select(Receipt)).one()
    assert receipt.total == 90 and receipt.payment_form == "04" and receipt.branch == "Centro"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="receipt-qr" src="data:image/svg+xml' in page
    assert f"/kemper/{receipt.key}" in page
    ticket = client.get(f"{base}/receipts/{receipt.id}/ticket.pdf")
    assert ticket.status_code == 200 and ticket.data.startswith(b"%PDF")


def test_point_of_sale_form_explains_bad_input(merchant, db):
    _, _, client, base = merchant
    response = client.post(f"{base}/receipts/new", data={"payment_form": "01"})
    assert response.status_code == 400
    assert "al menos un concepto" in response.get_data(as_text=True)
    priced = client.post(
        f"{base}/receipts/new",
        data={"items-0-description": "x", "items-0-price": "-3", "items-0-product_key": "01010101",
              "payment_form": "01"},
    )  # fmt: skip
    assert priced.status_code == 400
    assert db.scalars(select(Receipt)).first() is None


def test_cancel_from_the_detail(merchant, make_receipt, db):
    _, key, client, base = merchant
    receipt = make_receipt(key)
    client.post(f"{base}/receipts/{receipt['id']}/cancel")
    assert db.get(Receipt, receipt["id"], populate_existing=True).status == "canceled"
    again = client.post(f"{base}/receipts/{receipt['id']}/cancel", follow_redirects=True)
    assert "cancelado" in again.get_data(as_text=True)


def test_global_invoice_preview_then_issue(merchant, make_receipt, db):
    org, key, client, base = merchant
    org.receipts_periodicity = "day"
    db.commit()
    yesterday = (datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)).replace(hour=9)
    receipt = make_receipt(key, date=yesterday.astimezone(UTC).isoformat())
    make_receipt(key)  # today's: not in the last closed day
    preview = client.get(f"{base}/receipts/global").get_data(as_text=True)
    assert "Recibos abiertos" in preview and "691.20" in preview
    empty = client.get(f"{base}/receipts/global?payment_form=04").get_data(as_text=True)
    assert "no hay nada que facturar" in empty
    issued = client.post(f"{base}/receipts/global", data={"periodicity": "day"})
    assert issued.status_code == 302 and "/invoices/" in issued.headers["Location"]
    assert db.get(Receipt, receipt["id"], populate_existing=True).status == "invoiced_globally"
    nothing = client.post(f"{base}/receipts/global", data={"periodicity": "day"},
                          follow_redirects=True)  # fmt: skip
    assert "No hay recibos abiertos" in nothing.get_data(as_text=True)


def test_portal_preview_in_the_brand(merchant, db):
    org, _, client, base = merchant
    html = client.get(f"{base}/receipts/portal-preview").get_data(as_text=True)
    assert "Vista previa" in html and "Factura tu compra" in html and "disabled" in html
    org.domain = None
    db.commit()
    assert client.get(f"{base}/receipts/portal-preview").status_code == 302


def test_other_organizations_receipts_are_404_and_environments_apart(
    merchant, make_organization, make_receipt, db
):
    _, _, client, base = merchant
    _, other_key = make_organization()
    theirs = make_receipt(other_key)
    for path in ("", "/ticket.pdf"):
        assert client.get(f"{base}/receipts/{theirs['id']}{path}").status_code == 404
    assert client.post(f"{base}/receipts/{theirs['id']}/cancel").status_code == 404
    assert theirs["key"] not in client.get(f"{base}/receipts").get_data(as_text=True)
    client.post(f"{base}/env", data={"live": "1"})
    assert "Aún no tienes recibos" in client.get(f"{base}/receipts").get_data(as_text=True)


def test_a_large_period_is_invoiced_in_the_background_with_progress(
    merchant, make_receipt, db, monkeypatch
):
    from portal.dashboard.org import receipts as org_receipts
    from portal.jobs import receipts as receipt_jobs
    from portal.models.receipts import GlobalInvoiceRun

    org, key, client, base = merchant
    org.receipts_periodicity = "day"
    db.commit()
    monkeypatch.setattr(org_receipts, "BACKGROUND_RECEIPTS", 2)
    monkeypatch.setattr(receipt_jobs, "BATCH_RECEIPTS", 2)
    yesterday = (datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)).replace(hour=9)
    made = [make_receipt(key, date=yesterday.astimezone(UTC).isoformat()) for _ in range(5)]
    issued = client.post(f"{base}/receipts/global", data={"periodicity": "day"})
    assert issued.status_code == 302 and "/receipts/global/runs/" in issued.headers["Location"]
    run = db.scalars(select(GlobalInvoiceRun)).one()
    assert run.status == "done" and run.processed == 5 and len(run.invoice_ids) == 3
    page = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert "5 de 5" in page and "Terminada" in page and "data-refresh" not in page
    statuses = {db.get(Receipt, r["id"], populate_existing=True).status for r in made}
    assert statuses == {"invoiced_globally"}


def test_a_background_run_with_nothing_open_fails_clearly(merchant, db):
    from portal.jobs.receipts import issue_global_invoices
    from portal.models.receipts import GlobalInvoiceRun

    org, _, client, base = merchant
    run = GlobalInvoiceRun(organization_id=org.id, livemode=False, total=3,
                           params={"periodicity": "day"})  # fmt: skip
    db.add(run)
    db.commit()
    run_id = run.id
    issue_global_invoices(run_id)
    db.rollback()  # a fresh snapshot: the job committed in its own transaction
    stored = db.get(GlobalInvoiceRun, run_id, populate_existing=True)
    assert stored.status == "failed" and "No hay recibos abiertos" in stored.error
    assert client.get(f"/dashboard/o/{org.id}/receipts/global/runs/nope").status_code == 404


def test_receipt_settings_link_to_the_portal_preview(merchant):
    _, _, client, base = merchant
    html = client.get(f"{base}/settings/receipts").get_data(as_text=True)
    assert f"{base}/receipts/portal-preview" in html


def test_email_the_receipt_from_the_detail(merchant, make_receipt, db):
    from portal.models.mail import OutboxEmail

    _, key, client, base = merchant
    receipt = make_receipt(key)
    bad = client.post(f"{base}/receipts/{receipt['id']}/email", data={"email": "nope"},
                      follow_redirects=True)  # fmt: skip
    assert "no es válido" in bad.get_data(as_text=True)
    client.post(f"{base}/receipts/{receipt['id']}/email", data={"email": "cliente@example.com"})
    email = db.scalars(select(OutboxEmail)).one()
    assert email.to == ["cliente@example.com"] and "Facturar esta compra" in email.html_body


def test_global_invoice_by_currency(merchant, make_receipt, db):
    """Receipts in pesos and dollars: the preview asks for a currency, each currency gets its
    own global invoice with its receipts' Moneda and TipoCambio."""
    from lxml import etree

    from portal.models.invoices import Invoice

    org, key, client, base = merchant
    org.receipts_periodicity = "day"
    db.commit()
    yesterday = (datetime.now(ZoneInfo("America/Mexico_City")) - timedelta(days=1)).replace(hour=9)
    date = yesterday.astimezone(UTC).isoformat()
    pesos = make_receipt(key, date=date)
    dollars = make_receipt(key, date=date, currency="USD", exchange="17.5")
    mixed = client.get(f"{base}/receipts/global").get_data(as_text=True)
    assert "varias monedas (MXN, USD)" in mixed and "Emitir factura global" not in mixed
    only_usd = client.get(f"{base}/receipts/global?currency=USD").get_data(as_text=True)
    assert "USD</strong>" in only_usd and "Emitir factura global" in only_usd
    for receipt, currency, rate in ((dollars, "USD", "17.5"), (pesos, "MXN", None)):
        issued = client.post(
            f"{base}/receipts/global", data={"periodicity": "day", "currency": currency}
        )
        assert issued.status_code == 302 and "/invoices/" in issued.headers["Location"]
        stored = db.get(Receipt, receipt["id"], populate_existing=True)
        assert stored.status == "invoiced_globally"
        root = etree.fromstring(db.get(Invoice, stored.invoice_id).xml)
        assert root.get("Moneda") == currency
        assert (root.get("TipoCambio") and float(root.get("TipoCambio"))) == (rate and float(rate))
