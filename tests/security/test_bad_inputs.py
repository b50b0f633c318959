"""Every bad input is a 4xx: a fuzz-like walk over every /v2 POST and PUT route of the app's
url_map, sending type-confused bodies (a string where an object is expected in any field,
numbers beyond what a field holds, deep nesting, bodies that are not JSON objects)."""

from __future__ import annotations

import copy
import io
import json
import re
import struct
import zlib
from typing import Any

import pytest
from werkzeug.http import parse_options_header

from portal.api.openapi import bare_api_app, build_spec, openapi_paths
from tests.api.test_openapi import (  # noqa: F401  (fuzz_world is a fixture used below)
    INVOICE,
    RECEIPT,
    WEBHOOK,
    FuzzWorld,
    fuzz_world,
)
from tests.fixtures.invoices import CUSTOMER, ITEM

SPEC = build_spec(bare_api_app())
SCHEMAS = SPEC["components"]["schemas"]
WRITES = sorted(
    (method.upper(), path)
    for path, operations in SPEC["paths"].items()
    for method in operations
    if method in ("post", "put")
)
# A valid body per resource, so that one confused field is read past the others.
BASES: dict[str, dict[str, Any]] = {
    "/invoices": INVOICE,
    "/invoices/{invoice_id}": INVOICE,
    "/receipts": RECEIPT,
    "/customers": CUSTOMER,
    "/customers/{customer_id}": CUSTOMER,
    "/products": ITEM["product"],
    "/products/{product_id}": ITEM["product"],
    "/webhooks": WEBHOOK,
    "/webhooks/{webhook_id}": WEBHOOK,
}
# JSON numbers that Python's json cannot write: sent as raw text in place of a marker.
RAW_NUMBERS = ["1E+30", "1E+999999", "-1E+999999", "1E-999999999", "1" + "0" * 5000]
CONFUSED: list[Any] = [
    "x",
    "",
    {},
    [],
    [{}],
    [["x"]],
    True,
    -1,
    10**40,
    "1E+999999",
    "1E-999999999",
    "NaN",
    {"a": {"b": {"c": [1, [2, {"d": "e"}]]}}},
    *(f"@raw:{number}@" for number in RAW_NUMBERS),
]
RAW_BODIES: list[bytes] = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"items": ' + b"[" * 5_000 + b"]" * 5_000 + b"}",
    b'"x"',
    b"1",
    b"1E+999999",
    b"[]",
    b"null",
    b"true",
    b"{",
    b"\xff\xfe{}",
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b'{"a": "\\ud800"}',
    b"not json at all",
]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema a ``$ref`` names; an optional field (``anyOf`` with null) as its object."""
    while "$ref" in schema or "anyOf" in schema:
        if "$ref" in schema:
            schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
            continue
        shaped = [o for o in schema["anyOf"] if "$ref" in o or "properties" in o]
        if not shaped:
            break
        schema = shaped[0]
    return schema


def _array(schema: dict[str, Any]) -> dict[str, Any]:
    """An array schema, also when the field may be null."""
    arrays = [o for o in schema.get("anyOf", [schema]) if "array" in o.get("type", ())]
    return arrays[0] if arrays else {}


def _field_paths(schema: dict[str, Any], prefix: tuple[Any, ...] = (), depth: int = 0) -> list:
    """Every field of a request schema as a path of keys (``0`` for a list's first element)."""
    schema = _resolve(schema)
    paths: list[tuple[Any, ...]] = []
    for name, sub in schema.get("properties", {}).items():
        path = (*prefix, name)
        paths.append(path)
        sub = _resolve(sub)
        if depth >= 3:
            continue
        if sub.get("properties"):
            paths += _field_paths(sub, path, depth + 1)
        items = _resolve(_array(sub).get("items", {}))
        if items.get("properties"):
            paths += _field_paths(items, (*path, 0), depth + 1)
    return paths


def _with(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``path`` (containers made along the way)."""
    body = copy.deepcopy(body)
    node = body
    for key, following in zip(path, path[1:], strict=False):
        empty: Any = [{}] if following == 0 else {}
        if isinstance(node, list):
            node = node[key]
            continue
        if not isinstance(node.get(key), dict | list) or (following == 0 and not node[key]):
            node[key] = empty
        node = node[key]
    if isinstance(node, list):
        node[path[-1]] = value
    else:
        node[path[-1]] = value
    return body


def _encode(body: Any) -> bytes:
    text = json.dumps(body)
    return re.sub(r'"@raw:([^@]+)@"', r"\1", text).encode()


def _request_body(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    body = SPEC["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    content_type = next(iter(body["content"]))
    return content_type, body["content"][content_type]["schema"]


def _key_for(world: FuzzWorld, path: str) -> str:
    user_route = path.startswith("/organizations") and path != "/organizations/me"
    return world.user_key if user_route else world.key


def _url(world: FuzzWorld, path: str) -> str:
    names = re.findall(r"{(\w+)}", path)
    ids = world.ids(names, fresh=False)
    return "/v2" + re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def test_every_v2_write_route_of_the_url_map_is_fuzzed(app: Any) -> None:
    served = {
        (method, path)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v2/")
        for method in rule.methods & {"POST", "PUT"}
        for path in openapi_paths(rule)
    }
    assert served == set(WRITES)


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_type_confused_bodies_are_never_a_server_error(
    app: Any,
    fuzz_world: FuzzWorld,  # noqa: F811  (the fixture imported above)
    method: str,
    path: str,
) -> None:
    """Raw bodies that are not JSON objects, then each field of the route's body (nested ones
    too) replaced by values of the wrong type or beyond any field's range: all 4xx or 2xx."""
    url = _url(fuzz_world, path)
    headers = {"Authorization": f"Bearer {_key_for(fuzz_world, path)}"}
    client = app.test_client()
    failures: list[str] = []

    def send(data: bytes, what: str) -> None:
        response = client.open(
            url, method=method, data=data, headers=headers, content_type="application/json"
        )
        if response.status_code >= 500 or response.status_code < 200:
            failures.append(f"{what}: {response.status_code}")
        elif response.status_code >= 400:
            assert response.json["ok"] is False and response.json["message"], what

    for raw in RAW_BODIES:
        send(raw, f"raw {raw[:20]!r}")
    described = _request_body(method, path)
    if described is not None and described[0] == "application/json":
        base = BASES.get(path, {})
        for field in _field_paths(described[1]):
            for value in CONFUSED:
                send(_encode(_with(base, field, value)), f"{field}={value!r:.40}")
    if path.endswith("/apikeys/test"):  # renewed by the calls above: the world needs the new one
        fuzz_world.key = _current_test_key(client, fuzz_world)
    assert not failures, "\n".join(failures)


def _current_test_key(client: Any, world: FuzzWorld) -> str:
    url = f"/v2/organizations/{world.organization_id}/apikeys/test"
    response = client.get(url, headers={"Authorization": f"Bearer {world.user_key}"})
    assert response.status_code == 200, response.json
    return response.json if isinstance(response.json, str) else response.json["key"]


@pytest.mark.parametrize("path", ["/invoices", "/receipts"])
def test_amounts_in_range_whose_total_is_not_are_a_400(
    api: Any, make_organization: Any, path: str
) -> None:
    """Each number fits its field, their product does not fit the total's column."""
    _org, key = make_organization()
    item = {"quantity": "999999999", "product": {**ITEM["product"], "price": "999999999"}}
    body = {**(INVOICE if path == "/invoices" else RECEIPT), "items": [item]}
    response = api(key).post(path, json=body)
    assert response.status_code == 400, response.json
    assert response.json["ok"] is False


# Logos that claim huge dimensions ----------------------------------------------------------


def _png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` × ``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1000, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


BOMBS = [(100_000, 100_000), (12_000, 12_000), (65_535, 200), (40_000, 40_000)]


@pytest.mark.parametrize(("width", "height"), BOMBS)
def test_a_png_claiming_huge_dimensions_is_a_400(
    api: Any, make_account: Any, make_organization: Any, width: int, height: int
) -> None:
    """Pillow raises DecompressionBombError (or warns) past its pixel limit; the upload is
    refused with the logo's error, never a 500, and nothing is stored."""
    account, user_key = make_account()
    org, _ = make_organization(account=account)
    response = api(user_key).put(
        f"/organizations/{org.id}/logo",
        data={"file": (io.BytesIO(_png_claiming(width, height)), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400, response.json
    assert response.json["code"].startswith("logo_invalid")
    assert api(user_key).get(f"/organizations/{org.id}").json["customization"]["has_logo"] is False


def test_the_dashboard_refuses_a_png_bomb(db: Any, login_as: Any, make_organization: Any) -> None:
    from portal.models.accounts import Account

    org, _ = make_organization()
    client = login_as(db.get(Account, org.account_id))
    response = client.post(
        f"/dashboard/o/{org.id}/settings/logo",
        data={"file": (io.BytesIO(_png_claiming(100_000, 100_000)), "logo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


# pdf_custom_section, series names, downloads ------------------------------------------------


@pytest.mark.parametrize("value", [5, 1.5, True, {"html": "<b>x</b>"}, ["<b>x</b>"]])
def test_a_non_string_pdf_custom_section_is_a_400(
    api: Any, make_organization: Any, value: Any
) -> None:
    _org, key = make_organization()
    for status in ("draft", None):
        body = {**INVOICE, "pdf_custom_section": value, **({"status": status} if status else {})}
        response = api(key).post("/invoices", json=body)
        assert response.status_code == 400, response.json
        assert response.json["path"] == "pdf_custom_section"


def test_a_stored_non_string_custom_section_still_renders(
    db: Any, api: Any, make_organization: Any
) -> None:
    """A body stored before the check (a number in pdf_custom_section) still gets its PDF."""
    from portal.models.invoices import Invoice

    _org, key = make_organization()
    invoice = api(key).post("/invoices", json=INVOICE).json
    stored = db.get(Invoice, invoice["id"])
    stored.data = {**stored.data, "pdf_custom_section": {"not": "text"}}
    db.commit()
    response = api(key).get(f"/invoices/{invoice['id']}/pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


UNSAFE_SERIES = ['A"B', "A/B", "A\\B", "A|B", "A\u200bB", "A\u2028B", "A<B", "A:B", "A\tB"]


@pytest.mark.parametrize("series", UNSAFE_SERIES)
def test_series_names_unsafe_in_a_file_name_or_header_are_refused(
    api: Any, make_account: Any, make_organization: Any, series: str
) -> None:
    account, user_key = make_account()
    org, key = make_organization(account=account)
    group = api(user_key).post(f"/organizations/{org.id}/series-group", json={"series": series})
    assert group.status_code == 400 and group.json["path"] == "series", group.json
    invoice = api(key).post("/invoices", json={**INVOICE, "series": series})
    assert invoice.status_code == 400 and invoice.json["path"] == "series", invoice.json


@pytest.mark.parametrize("series", ["F", "FAC-2026", "Ñ 1", "A.B_C"])
def test_safe_series_names_are_accepted(api: Any, make_organization: Any, series: str) -> None:
    _org, key = make_organization()
    invoice = api(key).post("/invoices", json={**INVOICE, "series": series})
    assert invoice.status_code == 200, invoice.json
    disposition = api(key).get(f"/invoices/{invoice.json['id']}/xml").headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")


@pytest.mark.parametrize(
    "stored", ['X"; filename="evil.exe', "../../etc/passwd", "Serie\r\nSet-Cookie: a=b", "€uro"]
)
def test_no_stored_series_can_break_a_download(
    db: Any, api: Any, make_organization: Any, stored: str
) -> None:
    """A series stored before the check: every download still answers, with one header that
    names a file without quotes, line breaks or path separators (RFC 6266)."""
    from portal.models.invoices import Invoice

    _org, key = make_organization()
    invoice = api(key).post("/invoices", json=INVOICE).json
    db.get(Invoice, invoice["id"]).series = stored
    db.commit()
    for kind in ("xml", "pdf"):
        response = api(key).get(f"/invoices/{invoice['id']}/{kind}")
        assert response.status_code == 200
        header = response.headers["Content-Disposition"]
        kind_, params = parse_options_header(header)
        assert kind_ == "attachment" and set(params) <= {"filename", "filename*"}, header
        name = params["filename"]
        assert not set(name) & set('"/\\\r\n') and ".." not in name, header
        assert header.encode("latin-1")  # a header WSGI can write


def test_every_download_header_goes_through_the_helper() -> None:
    """No view writes Content-Disposition by hand (grep of the package)."""
    from pathlib import Path

    import portal

    root = Path(portal.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "Content-Disposition" in path.read_text() and path.name != "downloads.py"
    ]
    assert offenders == []


# Huge page numbers ------------------------------------------------------------------------


HUGE_PAGES = ["99999999999999999999999999", str(2**63), "-1", "0", "1e5", "x", "9" * 5000]


@pytest.mark.parametrize("page", HUGE_PAGES)
def test_huge_page_numbers_are_never_a_server_error(
    api: Any, make_account: Any, make_organization: Any, login_as: Any, page: str
) -> None:
    account, user_key = make_account()
    org, key = make_organization(account=account)
    for path in ("/invoices", "/receipts", "/customers", "/products", "/webhooks"):
        assert api(key).get(f"{path}?page={page}").status_code in (200, 400), path
    assert api(user_key).get(f"/organizations?page={page}").status_code in (200, 400)
    client = login_as(account)
    for path in ("invoices", "receipts", "customers", "products"):
        response = client.get(f"/dashboard/o/{org.id}/{path}?page={page}")
        assert response.status_code in (200, 400), (path, response.status_code)
    assert client.get(f"/dashboard/dev/mailbox?page={page}").status_code in (200, 400)


@pytest.mark.parametrize("page", HUGE_PAGES)
def test_huge_page_numbers_in_the_console_are_never_a_server_error(
    client: Any, db: Any, make_account: Any, page: str
) -> None:
    from tests.admin.helpers import make_staff, sign_in_staff

    sign_in_staff(client, db, make_staff(make_account))
    response = client.get(f"/admin/audit?page={page}")
    assert response.status_code in (200, 400), response.status_code


# Webhook payloads that are not JSON -----------------------------------------------------------


@pytest.mark.parametrize("payload", ["not json", "{", '{"a": NaN}', "[" * 100_000, "1E+999999"])
def test_a_signed_payload_that_is_not_json_is_a_400(
    api: Any, make_organization: Any, payload: str
) -> None:
    from portal.services import webhooks

    _org, key = make_organization()
    secret = "whsec_test"
    signature = webhooks.sign(secret, payload.encode())
    response = api(key).post(
        "/webhooks/validate-signature",
        json={"payload": payload, "signature": signature, "secret": secret},
    )
    assert response.status_code == 400, response.json
    assert response.json["path"] == "payload"


def test_a_signed_json_payload_is_still_answered(api: Any, make_organization: Any) -> None:
    from portal.services import webhooks

    _org, key = make_organization()
    payload = '{"type": "invoice.status_updated"}'
    signature = webhooks.sign("whsec_test", payload.encode())
    response = api(key).post(
        "/webhooks/validate-signature",
        json={"payload": payload, "signature": signature, "secret": "whsec_test"},
    )
    assert response.status_code == 200, response.json


# A message that cannot be built ------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        {"subject": "Factura\r\nBcc: victim@example.net"},
        {"attachments": [{"filename": "a.pdf", "content_type": "nonsense", "data": "AAAA"}]},
        {"attachments": [{"filename": "a.pdf", "content_type": "application/pdf", "data": "A"}]},
        {"attachments": [{"filename": "a.pdf"}]},
        {"to": ["not an address\r\nX: y"]},
    ],
)
def test_a_message_that_cannot_be_built_is_failed_once_and_never_retried(
    db: Any, app: Any, smtp_server: Any, broken: dict[str, Any]
) -> None:
    from portal.jobs.mail import deliver_email, sweep_emails
    from portal.models.mail import OutboxEmail

    server = smtp_server()
    email = OutboxEmail(
        kind="invoice",
        to=["cliente@example.com"],
        subject="Factura",
        text_body="hola",
        html_body="<p>hola</p>",
        attachments=[],
    )
    for field, value in broken.items():
        setattr(email, field, value)
    db.add(email)
    db.commit()
    deliver_email(email.id)
    db.rollback()
    db.refresh(email)
    assert email.status == "failed", email.last_error
    assert email.last_error and "No se pudo armar el mensaje" in email.last_error
    assert email.next_attempt_at is None and email.attempts == 0
    sweep_emails()  # the sweep does not pick it up again
    db.rollback()
    db.refresh(email)
    assert email.status == "failed" and email.attempts == 0 and server.messages == []


def test_a_message_claimed_more_times_than_its_retries_is_failed_not_claimed_again(
    db: Any, app: Any, smtp_server: Any
) -> None:
    """A worker that dies while sending leaves the message claimed; once it has been claimed
    more times than there are retries, it is failed instead of being sent forever."""
    from portal.jobs.mail import deliver_email
    from portal.models.base import utcnow
    from portal.models.mail import OutboxEmail
    from portal.services import mail

    server = smtp_server()
    email = OutboxEmail(
        kind="invoice", to=["cliente@example.com"], subject="Factura", text_body="hola",
        html_body="<p>hola</p>", attachments=[], status="sending",
        attempts=len(mail.RETRY_DELAYS) + 1, next_attempt_at=utcnow(),
    )  # fmt: skip
    db.add(email)
    db.commit()
    deliver_email(email.id)
    db.rollback()
    db.refresh(email)
    assert email.status == "failed" and email.next_attempt_at is None
    assert server.messages == []


def test_an_unexpected_error_while_sending_is_recorded_and_retried_with_backoff(
    db: Any, app: Any, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error that is not SMTP's while sending (injected here: the library failing to encode
    the message as it talks to the server) is recorded as a failed attempt with its error, not
    left claimed."""
    import smtplib

    from portal.jobs.mail import deliver_email
    from portal.models.mail import OutboxEmail

    smtp_server()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise UnicodeEncodeError("ascii", "josé", 3, 4, "ordinal not in range(128)")

    monkeypatch.setattr(smtplib.SMTP, "send_message", refuse)
    email = OutboxEmail(
        kind="invoice", to=["cliente@example.com"], subject="Factura", text_body="hola",
        html_body="<p>hola</p>", attachments=[],
    )  # fmt: skip
    db.add(email)
    db.commit()
    deliver_email(email.id)
    db.rollback()
    db.refresh(email)
    assert email.status == "pending" and email.attempts == 1
    assert "UnicodeEncodeError" in (email.last_error or "")
    assert email.next_attempt_at is not None
