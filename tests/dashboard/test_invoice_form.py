"""The invoice form without JavaScript: every button posts and the server answers the page.

Saved products bring their own taxes (a product saved as IVA-exempt is invoiced exempt, not at
16 %), each line shows its figures and the invoice its totals as the engine computes them, SAT
keys are found by words, problems name the form's fields in Spanish, and what is stamped is
checked by the tests' own SAT checks (XSD, cadena and seal, TFD, arithmetic).
"""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.invoices import Invoice, LocalPacCredential
from tests.fixtures.sat_checks import check_stamped_cfdi

CFDI = "{http://www.sat.gob.mx/cfd/4}"
CUSTOMER = {
    "tax_id": "URE180429TM6",
    "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
    "tax_system": "601",
    "zip": "86991",
}


class FormReader(HTMLParser):
    """What a browser without JavaScript would post: the form's fields and their values."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.inside, self.select, self.textarea = False, None, None
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == "invoice-form":
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "search"):
            self.fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select:
            if self.select not in self.first_option:
                self.first_option[self.select] = a.get("value", "")
            if "selected" in a:
                self.fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.fields[self.textarea] = ""
        elif tag == "template":
            self.inside = False  # the blank line the script clones is not posted

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self.select:
            self.fields.setdefault(self.select, self.first_option.get(self.select, ""))
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "template":
            self.inside = True
        elif tag == "form":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data


def posted(html: str, **changes: str) -> dict[str, str]:
    """The form's fields as the page shows them, with ``changes`` typed in."""
    reader = FormReader()
    reader.feed(html)
    return {**reader.fields, **changes}


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, _key = make_organization()
    login_as(db.get(Account, organization.account_id))
    return organization


@pytest.fixture
def tenant(org: Any) -> Any:
    from portal.tenancy import Tenant

    return Tenant(org, False)


@pytest.fixture
def saved(db: Any, tenant: Any) -> dict[str, Any]:
    """Three products with three tax treatments: IVA 16 % included, IVA exempt, IVA 0 % net."""
    from portal.services import products

    made = {
        "iva16": products.create_product(
            db,
            tenant,
            {"description": "Ukelele", "product_key": "60131324", "price": 1160, "sku": "UK-1"},
        ),
        "exempt": products.create_product(
            db,
            tenant,
            {
                "description": "Clase de música",
                "product_key": "86101700",
                "price": 500,
                "unit_key": "E48",
                "taxes": [{"type": "IVA", "factor": "Exento"}],
            },
        ),
        "zero": products.create_product(
            db,
            tenant,
            {
                "description": "Tortilla de maíz",
                "product_key": "50221200",
                "price": 20,
                "unit_key": "KGM",
                "tax_included": False,
                "taxes": [{"type": "IVA", "rate": 0}],
            },
        ),
    }
    db.commit()
    return made


def _url(org: Any, path: str = "") -> str:
    return f"/dashboard/o/{org.id}/invoices{path}"


def _post(client: Any, org: Any, data: dict[str, str], path: str = "/new") -> tuple[int, str]:
    response = client.post(_url(org, path), data=data)
    return response.status_code, response.get_data(as_text=True)


def _start(client: Any, org: Any) -> str:
    return client.get(_url(org, "/new")).get_data(as_text=True)


def _add_products(client: Any, org: Any, html: str, *products: Any) -> str:
    """Search each product by a word and press its "Agregar" button, as without JavaScript."""
    for product in products:
        word = product.description.split()[0].lower()
        status, html = _post(client, org, posted(html, action="find_product", product_q=word))
        assert status == 200 and f'name="add_product" value="{product.id}"' in html
        status, html = _post(client, org, posted(html, add_product=product.id))
        assert status == 200
    return html


def _concepts(xml: bytes) -> list[etree._Element]:
    return etree.fromstring(xml).findall(f"{CFDI}Conceptos/{CFDI}Concepto")


def _transfer(concept: etree._Element) -> dict[str, str]:
    node = concept.find(f"{CFDI}Impuestos/{CFDI}Traslados/{CFDI}Traslado")
    return dict(node.attrib) if node is not None else {}


def test_three_saved_products_keep_their_taxes_and_stamp(client, org, db, saved) -> None:
    html = _add_products(client, org, _start(client, org), *saved.values())
    fields = posted(html, **CUSTOMER)
    assert fields["items-0-iva"] == "16" and fields["items-0-tax_included"] == "1"
    assert fields["items-1-iva"] == "exento" and fields["items-1-unit_key"] == "E48"
    assert fields["items-2-iva"] == "0" and fields["items-2-tax_included"] == "0"
    assert fields["items-0-sku"] == "UK-1"

    status, html = _post(client, org, {**fields, "action": "review"})
    assert status == 200 and "Revisa la factura" not in html
    # Per line and for the invoice, as the engine computes them: 1000 + 160, 500 exempt, 20 + 0.
    for text in ("Total del concepto 1,160.00", "IVA exento", "Total del concepto 500.00",
                 "Total del concepto 20.00", "1,680.00 MXN"):  # fmt: skip
        assert text in html, text

    response = client.post(_url(org, "/new"), data={**posted(html), "action": "stamp"})
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.status == "valid" and invoice.total == Decimal("1680")
    pac = db.get(LocalPacCredential, "default")
    check_stamped_cfdi(invoice.xml, pac.cer_der)
    iva16, exempt, zero = (_transfer(c) for c in _concepts(invoice.xml))
    assert iva16["TasaOCuota"] == "0.160000" and iva16["Importe"] == "160.00"
    # CFDI 4.0 Anexo 20: an exempt transfer carries no TasaOCuota and no Importe.
    assert exempt["TipoFactor"] == "Exento" and "Importe" not in exempt
    assert zero["TasaOCuota"] == "0.000000" and zero["Importe"] == "0.00"


def test_a_product_saved_as_iva_exempt_is_not_invoiced_at_16(client, org, db, saved) -> None:
    html = _add_products(client, org, _start(client, org), saved["exempt"])
    response = client.post(_url(org, "/new"), data=posted(html, action="stamp", **CUSTOMER))
    assert response.status_code == 302, response.get_data(as_text=True)
    invoice = db.scalars(select(Invoice)).one()
    assert invoice.total == Decimal("500")
    (concept,) = _concepts(invoice.xml)
    assert concept.get("ObjetoImp") == "02" and _transfer(concept)["TipoFactor"] == "Exento"
    assert b'TasaOCuota="0.160000"' not in invoice.xml


def test_withholdings_ieps_and_local_taxes_are_computed_by_the_engine(client, org) -> None:
    fields = posted(
        _start(client, org),
        **CUSTOMER,
        **{
            "items-0-description": "Honorarios",
            "items-0-product_key": "80111600",
            "items-0-unit_key": "E48",
            "items-0-price": "1000",
            "items-0-tax_included": "0",
            "items-0-isr_ret": "10",
            "items-0-iva_ret": "10.6667",
            "items-0-local_name": "ISH",
            "items-0-local_rate": "3",
        },
    )
    preview = client.post(_url(org, "/preview"), data=fields).get_json()
    line = preview["lines"][0]["figures"]
    assert [t["label"] for t in line["taxes"]] == [
        "IVA 16 %", "Retención ISR 10 %", "Retención IVA 10.6667 %", "ISH 3 %"
    ]  # fmt: skip
    # 1000 + 160 IVA - 100 ISR - 106.67 IVA withheld + 30 ISH
    assert line["total"] == "983.33" and preview["totals"]["total"] == "983.33"
    assert client.post(_url(org, "/new"), data={**fields, "action": "stamp"}).status_code == 302


def test_review_keeps_the_totals_with_a_saved_customer_and_hides_the_inline_fields(
    client, org, db, tenant, saved
) -> None:
    from portal.services import customers
    from tests.fixtures.invoices import CUSTOMER as SAVED

    customer, _link = customers.create_customer(db, tenant, dict(SAVED))
    db.commit()
    html = _add_products(client, org, _start(client, org), saved["iva16"])
    status, html = _post(client, org, posted(html, customer_id=customer.id, action="review"))
    assert status == 200 and "1,160.00 MXN" in html
    assert 'id="inline-customer" hidden' in html and 'id="saved-customer"' in html
    assert customer.tax_id in html
    preview = client.post(_url(org, "/preview"), data=posted(html)).get_json()
    assert preview["totals"]["total"] == "1,160.00"


def test_uses_are_narrowed_to_the_saved_customers_regime(client, org, db, tenant) -> None:
    from portal.services import customers

    employee, _link = customers.create_customer(
        db,
        tenant,
        {"legal_name": "GERARDO ORTIZ DELGADO", "tax_id": "GODE561231GR8", "tax_system": "605",
         "address": {"zip": "86991"}},
    )  # fmt: skip
    db.commit()
    _status, html = _post(client, org, posted(_start(client, org), customer_id=employee.id))
    assert 'value="D01" data-regimes' in html
    g03 = html[html.index('<option value="G03"') :].split(">")[0]
    d01 = html[html.index('<option value="D01"') :].split(">")[0]
    assert "hidden disabled" in g03 and "hidden" not in d01


def test_product_key_by_words_offers_keys_and_picks_one(client, org) -> None:
    html = _start(client, org)
    assert 'maxlength="8"' not in html
    typed = posted(html, **{"items-0-description": "Ukelele", "items-0-price": "100",
                            "items-0-product_key": "ukelele", "action": "review"})  # fmt: skip
    status, html = _post(client, org, typed)
    assert status == 200 and 'value="ukelele"' in html
    assert 'name="pick-0-product_key" value="60131324"' in html
    status, html = _post(client, org, posted(html, **{"pick-0-product_key": "60131324"}))
    assert posted(html)["items-0-product_key"] == "60131324"
    assert 'name="pick-0-product_key"' not in html


def test_problems_name_the_form_fields_in_spanish(client, org, db) -> None:
    fields = posted(
        _start(client, org),
        **CUSTOMER,
        use="D01",
        **{"items-0-description": "Ukelele", "items-0-product_key": "60131324",
           "items-0-price": "mucho", "items-0-isr_ret": "diez", "action": "stamp"},
    )  # fmt: skip
    status, html = _post(client, org, fields)
    assert status == 400
    problems = html[
        html.index('id="form-problems"') : html.index("</ul>", html.index("form-problems"))
    ]
    assert "Concepto 1 · Retención de ISR" in problems
    for raw in ("price", "use:", "items[", "isr_ret", "taxes["):
        assert raw not in problems, raw
    assert db.scalar(select(Invoice.id)) is None
    fields.update({"items-0-price": "100", "items-0-isr_ret": ""})
    status, html = _post(client, org, fields)
    problems = html[html.index('id="form-problems"') :]
    assert status == 400 and "<strong>Uso del CFDI</strong>" in problems


def test_currency_exchange_series_and_related_documents(client, org, db, api) -> None:
    from portal.models.organizations import FolioSeries

    db.add(FolioSeries(organization_id=org.id, name="B"))
    db.commit()
    html = _start(client, org)
    assert '<option value="B"' in html
    fields = posted(
        html,
        **CUSTOMER,
        currency="USD",
        exchange="17.50",
        series="B",
        **{"items-0-description": "Consultoría", "items-0-product_key": "80111600",
           "items-0-unit_key": "E48", "items-0-price": "100", "items-0-tax_included": "0"},
    )  # fmt: skip
    status, html = _post(client, org, {**fields, "action": "review"})
    assert "116.00 USD" in html and "2,030.00 MXN" in html
    response = client.post(_url(org, "/new"), data={**fields, "action": "stamp"})
    assert response.status_code == 302, response.get_data(as_text=True)
    first = db.scalars(select(Invoice)).one()
    root = etree.fromstring(first.xml)
    assert (root.get("Moneda"), root.get("TipoCambio"), root.get("Serie")) == ("USD", "17.50", "B")

    related = {**fields, "related-0-relationship": "04", "related-0-documents": first.uuid}
    response = client.post(_url(org, "/new"), data={**related, "action": "draft"})
    draft = db.scalars(select(Invoice).where(Invoice.status == "draft")).one()
    assert draft.data["related_documents"] == [{"relationship": "04", "documents": [first.uuid]}]
    edit = client.get(_url(org, f"/{draft.id}/edit")).get_data(as_text=True)
    assert first.uuid in edit and posted(edit)["related-0-relationship"] == "04"


def test_lines_are_added_and_removed_without_javascript(client, org, saved) -> None:
    html = _add_products(client, org, _start(client, org), saved["iva16"], saved["zero"])
    _status, html = _post(client, org, posted(html, action="add_line"))
    assert 'name="items-2-description"' in html
    _status, html = _post(client, org, posted(html, action="remove-0"))
    fields = posted(html)
    assert fields["items-0-description"] == "Tortilla de maíz"
    assert "items-1-description" not in fields or fields["items-1-description"] == ""


def test_products_are_found_by_name_sku_or_key_and_only_the_tenants(
    client, org, saved, make_organization, db
) -> None:
    from portal.services import products
    from portal.tenancy import Tenant

    other, _key = make_organization(name="Otra")
    foreign = products.create_product(
        db, Tenant(other, False), {"description": "Ukelele ajeno", "product_key": "60131324",
                                   "price": 1})  # fmt: skip
    db.commit()
    for q in ("ukel", "UK-1", "60131324"):
        found = client.get(_url(org, f"/products.json?q={q}")).get_json()["products"]
        assert [p["id"] for p in found] == [saved["iva16"].id], q
        assert found[0]["line"]["iva"] == "16"
    assert client.post(_url(org, "/new"), data={"add_product": foreign.id}).status_code == 404


def test_invoice_page_lists_lines_and_says_when_why_and_who_cancelled(
    client, org, db, saved
) -> None:
    html = _add_products(client, org, _start(client, org), saved["iva16"], saved["exempt"])
    client.post(_url(org, "/new"), data=posted(html, action="stamp", **CUSTOMER))
    invoice = db.scalars(select(Invoice)).one()
    page = client.get(_url(org, f"/{invoice.id}")).get_data(as_text=True)
    lines = page[
        page.index('id="invoice-lines"') : page.index("</table>", page.index("invoice-lines"))
    ]
    for text in ("Ukelele", "1,000.00", "IVA 16 %: 160.00", "1,160.00", "Clase de música",
                 "IVA exento", "500.00"):  # fmt: skip
        assert text in lines, text

    response = client.post(
        _url(org, f"/{invoice.id}/cancellation"),
        data={"cancel-motive": "02", "cancel-substitution": ""},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Factura cancelada ante el SAT." in page
    facts = page[page.index('id="cancellation"') :]
    account = db.get(Account, org.account_id)
    assert "02 · Comprobante emitido con errores sin relación" in facts
    assert "(Ciudad de México)" in facts and account.email in facts  # the zone, named
    db.refresh(invoice)
    assert invoice.cancellation_actor["type"] == "user"


def test_cancelling_through_the_api_records_the_key(client, org, api, invoice_body, db) -> None:
    from portal.services import api_keys

    key = api_keys.test_key(db, org)
    db.commit()
    created = api(key).post("/invoices", json=invoice_body()).get_json()
    api(key).delete(f"/invoices/{created['id']}?motive=02")
    page = client.get(_url(org, f"/{created['id']}")).get_data(as_text=True)
    assert f"Llave de API {key[:12]}" in page


def test_product_form_key_fields_take_words_and_store_the_key(client, org, db) -> None:
    from portal.models.products import Product

    url = f"/dashboard/o/{org.id}/products/new"
    assert 'maxlength="8"' not in client.get(url).get_data(as_text=True)
    typed = {"description": "Ukelele", "product_key": "ukelele", "price": "100",
             "tax_preset": "exempt", "unit_key": "kilogramo"}  # fmt: skip
    page = client.post(url, data=typed)
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and 'name="pick_product_key" value="60131324"' in html
    assert 'name="pick_unit_key" value="KGM"' in html and db.scalar(select(Product.id)) is None
    picked = client.post(url, data={**typed, "pick_product_key": "60131324"})
    assert picked.status_code == 200 and 'value="60131324"' in picked.get_data(as_text=True)
    saved = client.post(url, data={**typed, "product_key": "60131324", "unit_key": "KGM"})
    assert saved.status_code == 302
    product = db.scalars(select(Product)).one()
    assert (product.product_key, product.unit_key) == ("60131324", "KGM")
    assert product.taxes == [{"type": "IVA", "rate": "0", "withholding": False, "factor": "Exento"}]


def test_stamping_a_broken_draft_from_its_page_names_the_field(client, org, db) -> None:
    client.post(_url(org, "/new"), data={**CUSTOMER, "action": "draft",
                                         "items-0-description": "Ukelele",
                                         "items-0-product_key": "60131324",
                                         "items-0-price": "-5"})  # fmt: skip
    draft = db.scalars(select(Invoice)).one()
    page = client.post(_url(org, f"/{draft.id}/stamp"), follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Concepto 1" in html and "items[0]" not in html


def test_a_credit_note_takes_the_invoices_iva(client, org, db, saved) -> None:
    html = _add_products(client, org, _start(client, org), saved["exempt"])
    client.post(_url(org, "/new"), data=posted(html, action="stamp", **CUSTOMER))
    invoice = db.scalars(select(Invoice)).one()
    page = client.get(_url(org, f"/{invoice.id}")).get_data(as_text=True)
    iva = page[page.index('id="credit-iva"') :].split("</select>")[0]
    assert '<option selected value="exento">' in iva or 'value="exento" selected' in iva
    response = client.post(
        _url(org, f"/{invoice.id}/credit-notes"),
        data={
            "credit-description": "Devolución",
            "credit-amount": "100",
            "credit-iva": "exento",
            "credit-payment_form": "15",
            "credit-product_key": "84111506",
        },  # fmt: skip
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    note = db.scalars(select(Invoice).where(Invoice.type == "E")).one()
    check_stamped_cfdi(note.xml, db.get(LocalPacCredential, "default").cer_der)
    (concept,) = _concepts(note.xml)
    assert _transfer(concept)["TipoFactor"] == "Exento" and note.total == Decimal("100")


def test_product_form_errors_name_the_field_by_its_label(client, org) -> None:
    url = f"/dashboard/o/{org.id}/products/new"
    page = client.post(url, data={"description": "Ukelele", "product_key": "60131324",
                                  "price": "mucho", "tax_preset": "iva16"})  # fmt: skip
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "El campo «Precio unitario» debe ser un número." in html
    assert "campo price" not in html


def test_the_form_and_its_figures_read_in_english(client, org, saved) -> None:
    client.post("/lang/en")
    html = _add_products(client, org, _start(client, org), saved["exempt"], saved["iva16"])
    _status, html = _post(client, org, posted(html, action="review", **CUSTOMER))
    for text in ("Add a saved product", "VAT exempt", "Line total", "Review", "VAT 16 %"):
        assert text in html, text
    for spanish in ("Agregar un producto guardado", "Total del concepto", "IVA exento"):
        assert spanish not in html, spanish
