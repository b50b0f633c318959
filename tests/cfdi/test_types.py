"""InvoiceInput.from_dict: Facturapi-shaped dicts in, exact Decimals out, paths in errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.cfdi.types import InvoiceInput
from portal.errors import ValidationError

BODY = {
    "customer": {
        "legal_name": "DUNDER MIFFLIN",
        "tax_id": "ure180429tm6",
        "tax_system": "601",
        "address": {"zip": "86991"},
    },
    "items": [
        {
            "quantity": 2,
            "discount": 0.1,
            "product": {
                "description": "Ukelele",
                "product_key": 60131324,
                "price": 345.6,
                "taxes": [{"type": "IVA", "rate": 0.16}],
            },
        },
        {
            "product": {
                "description": "Libro",
                "product_key": "55101500",
                "price": "120",
                "taxes": [],
            },
            "parts": {"description": "Tomo", "product_key": "55101500"},
        },
    ],
    "payment_form": "03",
    "global": {"periodicity": "month", "months": "01", "year": 2026},
    "complements": [
        {
            "type": "pago",
            "data": [
                {
                    "payment_form": "03",
                    "related_documents": [
                        {"uuid": "abc", "amount": 10, "last_balance": 20, "installment": 1}
                    ],
                }
            ],
        }
    ],
}


def test_reads_a_facturapi_body() -> None:
    data = InvoiceInput.from_dict(BODY)
    first, second = data.items
    assert first.product.price == Decimal("345.6") and first.discount == Decimal("0.1")
    assert first.product.product_key == "60131324" and first.product.tax_included is True
    assert second.product.taxes == [] and first.product.taxes[0].rate == Decimal("0.16")
    assert data.customer.tax_id == "URE180429TM6" and data.global_info.periodicity_code == "04"
    assert second.parts[0].description == "Tomo"
    assert data.payments[0].related_documents[0].amount == Decimal(10)


def test_omitted_taxes_stay_none() -> None:
    body = {
        "customer": BODY["customer"],
        "items": [{"product": {"description": "A", "product_key": "01010101", "price": 1}}],
    }
    assert InvoiceInput.from_dict(body).items[0].product.taxes is None


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("items", 0, "product", "price"), "caro", "items[0].product.price"),
        (("items", 0, "product", "taxes", 0, "type"), "IVAX", "items[0].product.taxes[0].type"),
        (("items", 0, "quantity"), True, "items[0].quantity"),
        (("customer", "legal_name"), None, "customer.legal_name"),
    ],
)
def test_errors_name_the_path(path: tuple, value: object, expected: str) -> None:
    import copy

    body = copy.deepcopy(BODY)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ValidationError) as caught:
        InvoiceInput.from_dict(body)
    assert caught.value.path == expected and caught.value.code == "invalid_input"


def _refusal(change: dict) -> ValidationError:
    import copy

    body = copy.deepcopy(BODY)
    body["items"][0] |= change
    with pytest.raises(ValidationError) as caught:
        InvoiceInput.from_dict(body)
    return caught.value


def test_a_lone_part_is_named_as_sent() -> None:
    """``parts`` may be one object (the reference shows both): its fields are named without
    an index, as the client wrote them."""
    error = _refusal({"parts": {"description": 5.5, "product_key": "01010101"}})
    assert (error.path, error.message) == (
        "items[0].parts.description",
        "El campo «items[0].parts.description» debe ser texto.",
    )
    assert _refusal({"parts": [{"description": "x"}]}).path == "items[0].parts[0].product_key"


def test_a_tax_other_than_iva_must_say_its_rate() -> None:
    """IVA without a rate is 16 %; ISR or IEPS without one is refused at ``rate``, unless
    exempt (then 0)."""
    taxes = [{"type": "ISR", "withholding": True}]
    product = {**BODY["items"][0]["product"], "taxes": taxes}
    error = _refusal({"product": product})
    assert (error.path, error.message) == (
        "items[0].product.taxes[0].rate",
        "El campo «items[0].product.taxes[0].rate» es obligatorio.",
    )
    body = {
        **BODY,
        "items": [{"product": {**product, "taxes": [{"type": "ISR", "factor": "Exento"}, {}]}}],
    }
    read = InvoiceInput.from_dict(body).items[0].product.taxes
    assert [(t.type, t.rate) for t in read] == [("ISR", Decimal(0)), ("IVA", Decimal("0.16"))]


def test_the_first_problem_is_the_answer() -> None:
    """The engine answers one problem, the first in reading order (customer before items)."""
    body = {"customer": {"tax_id": 5.5}, "items": "x"}
    with pytest.raises(ValidationError) as caught:
        InvoiceInput.from_dict(body)
    assert [p.path for p in caught.value.problems] == ["customer.legal_name"]
