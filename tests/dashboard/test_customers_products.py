"""Customers and products screens: list, search, create, edit, delete, edit link, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from portal.models.accounts import Account
from portal.models.customers import Customer
from portal.models.mail import OutboxEmail
from portal.models.products import Product

CUSTOMER = {
    "legal_name": "Dunder Mifflin SA de CV",
    "tax_id": "XIA190128J61",
    "tax_system": "601",
    "default_invoice_use": "G03",
    "email": "pagos@dunder.com",
    "zip": "86500",
    "country": "MEX",
}
PRODUCT = {
    "description": "Ukelele",
    "product_key": "60131324",
    "price": "345.60",
    "tax_preset": "iva16",
    "tax_included": "y",
    "unit_key": "",
    "unit_name": "",
}


@pytest.fixture
def org(make_organization: Any, login_as: Any, db: Any) -> Any:
    organization, _key = make_organization()
    login_as(db.get(Account, organization.account_id))
    return organization


def _url(org: Any, path: str) -> str:
    return f"/dashboard/o/{org.id}{path}"


def test_sections_appear_in_the_navigation(client: Any, org: Any) -> None:
    page = client.get(_url(org, "/")).get_data(as_text=True)
    assert _url(org, "/customers") in page and _url(org, "/products") in page


def test_create_search_and_edit_a_customer(client: Any, org: Any, db: Any) -> None:
    response = client.post(_url(org, "/customers/new"), data=CUSTOMER)
    assert response.status_code == 302, response.get_data(as_text=True)
    customer = db.scalar(select(Customer))
    assert customer.legal_name == "DUNDER MIFFLIN" and customer.livemode is False
    listing = client.get(_url(org, "/customers?q=xia19")).get_data(as_text=True)
    assert "DUNDER MIFFLIN" in listing
    assert "DUNDER" not in client.get(_url(org, "/customers?q=nadie")).get_data(as_text=True)
    form = client.get(_url(org, f"/customers/{customer.id}")).get_data(as_text=True)
    assert 'value="XIA190128J61"' in form
    edited = client.post(
        _url(org, f"/customers/{customer.id}"), data={**CUSTOMER, "phone": "55 1234 5678"}
    )
    assert edited.status_code == 302
    db.refresh(customer)
    assert customer.phone == "55 1234 5678"


def test_customer_errors_show_beside_the_fields(client: Any, org: Any, db: Any) -> None:
    bad = {**CUSTOMER, "tax_id": "XIA190128J62", "tax_system": "612", "zip": "00001"}
    response = client.post(_url(org, "/customers/new"), data=bad)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "dígito verificador" in text and "00001 no existe" in text
    assert 'id="tax_system-err"' in text and 'id="zip-err"' in text
    assert db.scalar(select(Customer)) is None
    client.post(_url(org, "/customers/new"), data=CUSTOMER)
    customer = db.scalar(select(Customer))
    edit = client.post(_url(org, f"/customers/{customer.id}"), data={**CUSTOMER, "zip": "1"})
    assert edit.status_code == 400 and "5 dígitos" in edit.get_data(as_text=True)


def test_rfc_live_check(client: Any, org: Any) -> None:
    assert client.get(_url(org, "/customers/check-rfc?tax_id=XIA190128J61")).json["ok"] is True
    bad = client.get(_url(org, "/customers/check-rfc?tax_id=XIA190128J62")).json
    assert bad["ok"] is False and "verificador" in bad["message"]


def test_send_edit_link_and_delete(client: Any, org: Any, db: Any) -> None:
    client.post(_url(org, "/customers/new"), data=CUSTOMER)
    customer = db.scalar(select(Customer))
    sent = client.post(_url(org, f"/customers/{customer.id}/edit-link"), follow_redirects=True)
    assert "Enviamos el enlace a pagos@dunder.com" in sent.get_data(as_text=True)
    assert db.scalar(select(OutboxEmail)).to == ["pagos@dunder.com"]
    assert client.post(_url(org, f"/customers/{customer.id}/delete")).status_code == 302
    db.refresh(customer)
    assert customer.deleted_at is not None
    assert client.get(_url(org, f"/customers/{customer.id}")).status_code == 404


def test_create_edit_and_delete_a_product(client: Any, org: Any, db: Any) -> None:
    response = client.post(_url(org, "/products/new"), data=PRODUCT)
    assert response.status_code == 302, response.get_data(as_text=True)
    product = db.scalar(select(Product))
    assert (product.unit_key, product.unit_name, product.taxability) == ("H87", "Pieza", "02")
    assert "Ukelele" in client.get(_url(org, "/products?q=ukel")).get_data(as_text=True)
    form = client.get(_url(org, f"/products/{product.id}")).get_data(as_text=True)
    assert 'value="345.6"' in form
    edited = client.post(
        _url(org, f"/products/{product.id}"),
        data={**PRODUCT, "tax_preset": "keep", "price": "400", "unit_key": "KGM"},
    )
    assert edited.status_code == 302
    db.refresh(product)
    assert product.price == 400 and product.unit_key == "KGM" and len(product.taxes) == 1
    client.post(_url(org, f"/products/{product.id}"), data={**PRODUCT, "tax_preset": "none"})
    db.refresh(product)
    assert product.taxes == [] and product.taxability == "01"
    assert client.post(_url(org, f"/products/{product.id}/delete")).status_code == 302
    assert client.get(_url(org, f"/products/{product.id}")).status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"product_key": "99999999"}, "no existe en el catálogo c_ClaveProdServ"),
        ({"unit_key": "ZZ9"}, "no existe en el catálogo c_ClaveUnidad"),
        ({"price": "doce"}, "debe ser un número"),
        ({"description": ""}, "obligatorio"),
    ],
)
def test_product_errors_are_shown(
    client: Any, org: Any, db: Any, change: Any, message: str
) -> None:
    response = client.post(_url(org, "/products/new"), data={**PRODUCT, **change})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.scalar(select(Product)) is None


def test_catalog_search_endpoint(client: Any, org: Any) -> None:
    hits = client.get(_url(org, "/catalogs/products?q=ukelele")).json
    assert hits[0]["key"] == "60131324"
    assert client.get(_url(org, "/catalogs/units?q=kilogramo")).json[0]["key"] == "KGM"
    assert client.get(_url(org, "/catalogs/planets?q=x")).status_code == 404


def test_screens_follow_the_environment_switch(client: Any, org: Any, db: Any) -> None:
    client.post(_url(org, "/customers/new"), data=CUSTOMER)
    client.post(_url(org, "/products/new"), data=PRODUCT)
    with client.session_transaction() as session:
        session[f"live:{org.id}"] = True  # what the dashboard's test/live switch stores
    assert "DUNDER" not in client.get(_url(org, "/customers")).get_data(as_text=True)
    assert "Ukelele" not in client.get(_url(org, "/products")).get_data(as_text=True)
    customer = db.scalar(select(Customer))
    assert client.get(_url(org, f"/customers/{customer.id}")).status_code == 404
    client.post(_url(org, "/products/new"), data={**PRODUCT, "description": "Guitarra"})
    assert db.scalar(select(Product).where(Product.description == "Guitarra")).livemode is True


def test_another_organizations_records_are_not_found(
    client: Any, org: Any, make_organization: Any, db: Any
) -> None:
    other, _key = make_organization()
    client.post(_url(org, "/customers/new"), data=CUSTOMER)
    client.post(_url(org, "/products/new"), data=PRODUCT)
    customer, product = db.scalar(select(Customer)), db.scalar(select(Product))
    # The other organization belongs to another reseller: its whole dashboard is a 404.
    assert client.get(_url(other, "/customers")).status_code == 404
    # Same reseller, another organization: the ids are not found inside it.
    mine, _key = make_organization(account=db.get(Account, org.account_id))
    for path in (f"/customers/{customer.id}", f"/products/{product.id}"):
        assert client.get(_url(mine, path)).status_code == 404
        assert client.post(_url(mine, path + "/delete")).status_code == 404
    assert client.post(_url(mine, f"/customers/{customer.id}/edit-link")).status_code == 404
