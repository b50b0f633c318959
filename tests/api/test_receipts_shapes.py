"""Each receipt and global-invoice route documents (OpenAPI) the very model its service parses."""

from __future__ import annotations

from typing import Any

import pytest

from portal.api import receipts as views
from portal.schemas import receipts as shapes
from portal.services import receipt_invoices, receipts

# (view, method, path, body, the operation's model and where it is: "body" or "query")
ROUTES = [
    (views.create_receipt, "POST", "/receipts", {}, "body"),
    (views.list_receipts, "GET", "/receipts?status=x", None, "query"),
    (views.email_receipt, "POST", "/receipts/<id>/email", {}, "body"),
    (views.invoice_receipt, "POST", "/receipts/<id>/invoice", {}, "body"),
    (views.receipts_to_invoice, "POST", "/receipts/to-invoice", {}, "body"),
    (views.global_invoice, "POST", "/receipts/global-invoice", {"from": "x"}, "body"),
]


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[type]:
    """The models the receipt services parse, in order."""
    seen: list[type] = []
    for module in (receipts, receipt_invoices):
        for name in ("parse", "parse_partial"):
            real = getattr(module, name)

            def spy(model: type, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
                seen.append(model)
                return _real(model, *args, **kwargs)

            monkeypatch.setattr(module, name, spy)
    return seen


@pytest.mark.parametrize(("view", "method", "path", "body", "where"), ROUTES)
def test_the_route_documents_the_model_its_service_parses(
    make_organization, api, make_receipt, parsed, view, method, path, body, where
) -> None:
    _, key = make_organization()
    receipt = make_receipt(key)
    parsed.clear()
    response = api(key).request(method, path.replace("<id>", receipt["id"]), json=body)
    assert response.status_code == 400, response.json
    documented = getattr(view.__api_operation__, where)
    assert documented.__module__ == shapes.__name__
    # The documented model, or (a list's query) the part of it that the service reads.
    assert any(issubclass(documented, model) for model in parsed), (documented, parsed)
