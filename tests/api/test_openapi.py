"""The OpenAPI description at /v2/openapi.json stays true to the code.

- every /v2 route of ``app.url_map`` is described, and nothing else is;
- real objects (organization, customer, product, invoice, draft, receipt, webhook) match their
  schemas;
- schemathesis fuzzes every operation with a valid key and real ids: no 500, only documented
  statuses, and bodies that match the described schemas.
"""

from __future__ import annotations

import base64
import itertools
import zlib
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.routing import Rule

from portal.api.openapi import bare_api_app, build_spec, openapi_paths
from portal.extensions import db as _db
from portal.models.accounts import ROLE_RESELLER
from portal.services import outbound
from tests.conftest import _empty_tables
from tests.fixtures.factories import PASSWORD, ready_organization
from tests.fixtures.invoices import CUSTOMER, ITEM
from tests.fixtures.receipts import RECEIPT_ITEM
from tests.fixtures.retentions import retention_body

# The coverage phase alone sends ~600 requests to POST /invoices; random fuzzing with a fixed
# number of examples per operation keeps the whole run near a minute.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_dict(build_spec(bare_api_app()), config=CONFIG)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Destructive for the fixture state; described in the spec, checked by their own tests.
EVENTS = ["invoice.status_updated"]
INVOICE = {"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"}
RECEIPT = {"items": [RECEIPT_ITEM], "payment_form": "01"}
COMPANY_NAME = {
    "name": "Escuela Kemper Urgate",
    "tax_id": "EKU9003173C9",
    "tax_system": "601",
    "address": {"zip": "42501"},
}
WEBHOOK = {"url": "http://127.0.0.1:9/hook", "enabled_events": EVENTS}
NOT_FUZZED = {
    ("DELETE", "/organizations/{organization_id}"),
    ("DELETE", "/organizations/{organization_id}/certificate"),
    ("PUT", "/organizations/{organization_id}/apikeys/test"),
}


@pytest.fixture(scope="module")
def api_schema(app: Any) -> Any:
    """The generated document of the test application, as schemathesis reads it."""
    return schemathesis.openapi.from_dict(build_spec(app), config=CONFIG)


def test_the_bare_api_is_described_as_the_application(app: Any) -> None:
    """The fuzzed document (built before any fixture) is the one the application serves."""
    assert build_spec(bare_api_app()) == build_spec(app)


def test_every_v2_route_is_described_and_nothing_else(app: Any) -> None:
    served = {
        (method.lower(), path)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v2/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
        for path in openapi_paths(rule)
    }
    described = {
        (method, path)
        for path, operations in build_spec(app)["paths"].items()
        for method in operations
    }
    assert served - described == set(), "served but not described: put @operation(...) on the view"
    assert described - served == set(), "described but not served"


def test_converters_becomeopenapi_paths() -> None:
    rule = Rule("/v2/invoices/<invoice_id>/<any(pdf, xml):kind>/<int:n>")
    assert openapi_paths(rule) == [
        "/invoices/{invoice_id}/pdf/{n}",
        "/invoices/{invoice_id}/xml/{n}",
    ]


def test_the_document_is_served_without_a_key(client: Any) -> None:
    response = client.get("/v2/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"] == "3.1.0"
    assert set(response.json["components"]["securitySchemes"]) == {"bearer", "basic"}
    error = response.json["components"]["schemas"]["Error"]["properties"]
    facturapi = {"ok", "message", "status", "code", "path", "errors"}
    assert set(error) == facturapi | {"type", "param", "doc_url", "request_id"}


def test_every_tag_is_described(api_schema: Any) -> None:
    document = api_schema.raw_schema
    described = {tag["name"] for tag in document["tags"]}
    used = {t for ops in document["paths"].values() for op in ops.values() for t in op["tags"]}
    assert used <= described


def test_the_reference_page_loads_the_viewer_from_this_server(client: Any) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert 'data-spec="/v2/openapi.json"' in html
    assert "//cdn" not in html and 'src="http' not in html


def _validate(api_schema: Any, method: str, path: str, response: Any) -> None:
    assert response.status_code < 300, response.json
    api_schema[path][method].validate_response(response)


def test_real_objects_match_their_schemas(
    api_schema: Any,
    api: Any,
    make_account: Any,
    make_organization: Any,
    invoice_body: Any,
    receipt_body: Any,
    receiver: Any,
) -> None:
    account, user_key = make_account()
    org, key = make_organization(account=account)
    client = api(key)
    _validate(
        api_schema,
        "GET",
        "/organizations/{organization_id}",
        api(user_key).get(f"/organizations/{org.id}"),
    )
    _validate(api_schema, "GET", "/organizations", api(user_key).get("/organizations"))
    customer = client.post("/customers", json=invoice_body()["customer"])
    _validate(api_schema, "POST", "/customers", customer)
    product = client.post("/products", json=invoice_body()["items"][0]["product"])
    _validate(api_schema, "POST", "/products", product)
    invoice = client.post("/invoices", json=invoice_body(payment_method="PPD", payment_form="99"))
    _validate(api_schema, "POST", "/invoices", invoice)
    _validate(
        api_schema, "POST", "/invoices", client.post("/invoices", json=invoice_body(status="draft"))
    )
    _validate(api_schema, "GET", "/invoices", client.get("/invoices"))
    canceled = client.delete(f"/invoices/{invoice.json['id']}?motive=02")
    _validate(api_schema, "DELETE", "/invoices/{invoice_id}", canceled)
    _validate(api_schema, "POST", "/receipts", client.post("/receipts", json=receipt_body()))
    _validate(api_schema, "GET", "/receipts", client.get("/receipts"))
    hook = client.post("/webhooks", json={"url": receiver.url, "enabled_events": EVENTS})
    _validate(api_schema, "POST", "/webhooks", hook)
    assert hook.json["secret"]
    _validate(api_schema, "GET", "/catalogs/units", client.get("/catalogs/units?q=pieza"))


def test_the_error_body_matches_its_schema(
    api_schema: Any, api: Any, make_organization: Any
) -> None:
    _org, key = make_organization(ready=False)
    response = api(key).post("/customers", json={"tax_id": 5})
    assert response.status_code == 400 and response.json["path"]
    api_schema["/customers"]["POST"].validate_response(response)


def test_what_the_fuzzing_found_is_answered_without_a_server_error(
    api: Any, make_account: Any, make_organization: Any
) -> None:
    account, user_key = make_account()
    org, key = make_organization(account=account, ready=False)
    uses = {"allowed_cfdi_uses": [{}, "G03"]}
    refused = api(user_key).put(f"/organizations/{org.id}/self-invoice", json=uses)
    assert refused.status_code == 400
    assert [e["path"] for e in refused.json["errors"]] == ["allowed_cfdi_uses[0]"]
    beyond = api(key).get(f"/customers?page={10**30}")
    assert beyond.status_code == 200 and beyond.json["data"] == []
    hook = api(key).post("/webhooks", json={"url": "https://a.example", "enabled_events": [{}]})
    assert hook.status_code == 400
    assert "enabled_events[0]" in [e["path"] for e in hook.json["errors"]]
    for query in ("date[gt]=0001-01-01T00:00:00%2B01:00", "date[lt]=9999-12-31T23:59:59-06:00"):
        edge = api(key).get(f"/invoices?{query}")
        assert edge.status_code == 400 and edge.json["path"] == query.partition("=")[0]
    edge = api(key).post("/receipts/global-invoice", json={"from": "0001-01-01T00:06:12Z"})
    assert edge.status_code == 400 and edge.json["path"] == "from"
    keys = api(key).post("/receipts/to-invoice", json={"keys": [["a"], "b"], "dry_run": True})
    assert keys.status_code == 400
    assert [e["path"] for e in keys.json["errors"]] == ["keys[0]", "keys[1]"]


def test_a_two_month_period_ending_on_the_31st_has_its_bounds() -> None:
    """Found by the fuzzing: the period before November started on 31 September (a 500)."""
    from portal.services.receipts import period_bounds

    moment = datetime(2026, 10, 31, 23, 59, tzinfo=ZoneInfo("America/Mexico_City"))
    start, end = period_bounds(moment, "two_months")
    assert (start.date(), end.date()) == (date(2026, 9, 1), date(2026, 11, 1))


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/invoices", {"customer": {**CUSTOMER, "legal_name": "URE\x01"}}, "customer.legal_name"),
        ("/customers", {**CUSTOMER, "legal_name": "URE\ud800"}, "legal_name"),
        ("/products", {**ITEM["product"], "description": "Uke\x16lele"}, "description"),
        ("/receipts", {**RECEIPT, "branch": "Centro\x00"}, "branch"),
    ],
)
def test_text_that_xml_cannot_carry_is_refused_with_its_path(
    api: Any, make_organization: Any, path: str, body: dict[str, Any], where: str
) -> None:
    """Found by the fuzzing: such text used to reach the XML builder and answer 500."""
    _org, key = make_organization()
    response = api(key).post(path, json={**INVOICE, **body} if path == "/invoices" else body)
    assert response.status_code == 400
    assert any(e["path"].startswith(where) for e in response.json["errors"] if e["path"])


class FuzzWorld:
    """A reseller with a ready organization, its keys, and real objects to put in paths."""

    def __init__(self, app: Any, organization_id: str, key: str, user_key: str) -> None:
        self.app, self.organization_id, self.key, self.user_key = (
            app,
            organization_id,
            key,
            user_key,
        )
        self.client = app.test_client()
        self.made: dict[str, str] = {}
        self.series = itertools.count(1)

    def _post(self, path: str, body: dict[str, Any], key: str | None = None) -> str:
        headers = {"Authorization": f"Bearer {key or self.key}"}
        response = self.client.post("/v2" + path, json=body, headers=headers)
        assert response.status_code == 200, response.json
        return response.json.get("id") or response.json["series"]

    def _live_key_id(self) -> str:
        from portal.models.organizations import Organization
        from portal.services import api_keys

        organization = _db.session.get(Organization, self.organization_id)
        return api_keys.owner_of(
            _db.session, api_keys.create_live_key(_db.session, organization)
        ).key.id

    def _contact(self, kind: str, body: dict[str, Any]) -> str:
        customer = self.ids(["customer_id"], fresh=False)["customer_id"]
        return self._post(f"/customers/{customer}/{kind}", body)

    def _make(self, name: str) -> str:
        org_id = self.organization_id
        makers: dict[str, Callable[[], str]] = {
            "organization_id": lambda: org_id,
            "customer_id": lambda: self._post("/customers", CUSTOMER),
            "product_id": lambda: self._post("/products", ITEM["product"]),
            "invoice_id": lambda: self._post("/invoices", INVOICE),
            "receipt_id": lambda: self._post("/receipts", RECEIPT),
            "retention_id": lambda: self._post("/retentions", retention_body()),
            "webhook_id": lambda: self._post("/webhooks", WEBHOOK),
            "key_id": self._live_key_id,
            "email_id": lambda: self._contact("emails", {"email": "fuzz@example.com"}),
            "phone_id": lambda: self._contact("phones", {"phone": "5512345678"}),
            "company_name_id": lambda: self._contact("company-names", COMPANY_NAME),
            "name": lambda: self._post(
                f"/organizations/{org_id}/series-group",
                {"series": f"S{next(self.series)}"},
                self.user_key,
            ),
        }
        with self.app.app_context():
            value = makers[name]()
            _db.session.commit()
        return value

    def ids(self, names: list[str], fresh: bool) -> dict[str, str]:
        """Real ids for these path parameters; ``fresh`` ones for operations that delete."""
        if fresh:
            return {name: self._make(name) for name in names}
        for name in names:
            if name not in self.made:
                self.made[name] = self._make(name)
        return {name: self.made[name] for name in names}


@pytest.fixture(scope="module")
def fuzz_world(app: Any, org_csd: Any) -> Iterator[FuzzWorld]:
    """One world for every fuzzed operation (a fresh one each would cost more than the fuzzing)."""
    from portal.services import accounts, api_keys, webhooks

    quiet = outbound.Response(status=200, excerpt="", latency_ms=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webhooks, "send", lambda delivery: quiet)  # never leave the machine
        patch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", True)
        with app.app_context():
            account, user_key = accounts.create_account(
                _db.session, "fuzz@example.com", PASSWORD, "Fuzz", ROLE_RESELLER
            )
            org = ready_organization(_db.session, account, org_csd)
            world = FuzzWorld(app, org.id, api_keys.test_key(_db.session, org), user_key)
            _db.session.commit()
        yield world
    with app.app_context():
        _empty_tables()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_against_its_description(
    case: Any, app: Any, fuzz_world: FuzzWorld
) -> None:
    """No 500 on generated input, only documented statuses, bodies as described."""
    if (case.method, case.path) in NOT_FUZZED:
        pytest.skip("destructive for the fixture state")
    # Mostly real ids, so the bodies reach the services; one case in four keeps the generated ids.
    if case.path_parameters and zlib.crc32(repr(case.path_parameters).encode()) % 4:
        fresh = case.method == "DELETE"
        case.path_parameters = fuzz_world.ids(list(case.path_parameters), fresh)
    user_routes = case.path.startswith("/organizations") and case.path != "/organizations/me"
    key = fuzz_world.user_key if user_routes else fuzz_world.key
    # Half the operations authenticate the way older clients do: the key as Basic user name.
    if zlib.crc32(case.path.encode()) % 2:
        authorization = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    else:
        authorization = f"Bearer {key}"
    response = case.call(app=app, headers={"Authorization": authorization})
    case.validate_response(response, checks=CHECKS)
