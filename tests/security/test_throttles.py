"""Throttles that cannot be turned against users: an attacker's guesses never lock out the
customer, the merchant or the account owner; email is limited per organization and account;
expired counters are purged on a schedule."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.errors import TooManyRequests, ValidationError
from portal.models.base import utcnow
from portal.models.mail import OutboxEmail
from portal.models.throttle import RateCounter
from portal.services import accounts, self_invoice, throttle
from tests.fixtures.factories import PASSWORD
from tests.fixtures.receipts import BUYER

ATTACKER, CUSTOMER = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture
def shop(make_organization: Any, make_receipt: Any) -> tuple[Any, str, dict[str, Any]]:
    """An organization with domain «kemper» and one open receipt."""
    org, key = make_organization(domain="kemper")
    return org, key, make_receipt(key)


def _invoiced(client: Any, receipt: dict[str, Any]) -> None:
    done = client.post(f"/kemper/{receipt['key']}/confirm", data=BUYER, environ_base=CUSTOMER)
    assert done.status_code == 302, done.get_data(as_text=True)[:300]


# Self-invoice: unknown keys -----------------------------------------------------------------


def test_guessing_keys_never_blocks_a_customer_whose_key_exists(
    client: Any, shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Misses from many addresses on the same domain (the old per-merchant limit) and from the
    customer's own address: the customer's real key still opens, and can be invoiced."""
    _, _, receipt = shop
    monkeypatch.setattr(self_invoice, "MISSES_PER_IP", 3)
    monkeypatch.setattr(self_invoice, "MISSES_PER_PREFIX", 3)
    for index in range(40):  # spread over prefixes and addresses: the whole merchant
        client.get(f"/kemper/g{index:02d}xxxxxxx", environ_base={"REMOTE_ADDR": f"10.9.0.{index}"})
    for index in range(5):  # and the customer's own address (a shared NAT)
        client.get(f"/kemper/zz{index}", environ_base=CUSTOMER)
    assert client.get("/kemper/zz9", environ_base=CUSTOMER).status_code == 429
    page = client.get(f"/kemper/{receipt['key']}", environ_base=CUSTOMER)
    assert page.status_code == 200 and "Ukelele" in page.get_data(as_text=True)
    _invoiced(client, receipt)


def test_misses_count_per_key_prefix_not_per_merchant(
    client: Any, shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(self_invoice, "MISSES_PER_PREFIX", 3)
    for index in range(3):
        client.get(f"/kemper/ab{index}", environ_base={"REMOTE_ADDR": f"10.8.0.{index}"})
    blocked = client.get("/kemper/ab9", environ_base={"REMOTE_ADDR": "10.8.1.1"})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    other_prefix = client.get("/kemper/cd9", environ_base={"REMOTE_ADDR": "10.8.1.1"})
    assert other_prefix.status_code == 404


def test_an_ipv6_client_counts_as_its_64_network(
    client: Any, shop: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rotating addresses inside one /64 does not reset the per-client count."""
    monkeypatch.setattr(self_invoice, "MISSES_PER_IP", 3)
    for index in range(3):
        client.get(f"/kemper/q{index}", environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{index + 1}"})
    blocked = client.get("/kemper/r1", environ_base={"REMOTE_ADDR": "2001:db8:1:2:ffff::9"})
    assert blocked.status_code == 429
    elsewhere = client.get("/kemper/r2", environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"})
    assert elsewhere.status_code == 404


# Self-invoice: the RFC check of an invoiced receipt ------------------------------------------


@pytest.mark.parametrize("route", ["lookup", "confirm"])
def test_the_rfc_check_is_throttled_on_every_route(client: Any, shop: Any, route: str) -> None:
    """/confirm with an invoiced receipt checks the RFC as /lookup does: after RFC_TRIES
    wrong ones, even the right RFC gets 429 from that visitor."""
    _, _, receipt = shop
    _invoiced(client, receipt)
    page = f"/kemper/{receipt['key']}/{route}"
    wrong = {**BUYER, "tax_id": "EKU9003173C9", "legal_name": "ESCUELA KEMPER URGATE"}
    for _ in range(self_invoice.RFC_TRIES):
        response = client.post(page, data=wrong, environ_base=ATTACKER)
        assert response.status_code in (200, 400), response.status_code
        assert "/invoice/" not in response.headers.get("Location", "")
    blocked = client.post(page, data=BUYER, environ_base=ATTACKER)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"]


@pytest.mark.parametrize(("first", "then"), [("confirm", "lookup"), ("lookup", "confirm")])
def test_both_routes_share_one_count(client: Any, shop: Any, first: str, then: str) -> None:
    _, _, receipt = shop
    _invoiced(client, receipt)
    wrong = {**BUYER, "tax_id": "EKU9003173C9", "legal_name": "ESCUELA KEMPER URGATE"}
    for _ in range(self_invoice.RFC_TRIES):
        client.post(f"/kemper/{receipt['key']}/{first}", data=wrong, environ_base=ATTACKER)
    blocked = client.post(f"/kemper/{receipt['key']}/{then}", data=BUYER, environ_base=ATTACKER)
    assert blocked.status_code == 429


def test_an_attackers_rfc_guesses_do_not_lock_out_the_customer(client: Any, shop: Any) -> None:
    _, _, receipt = shop
    _invoiced(client, receipt)
    for _ in range(self_invoice.RFC_TRIES + 2):
        client.post(
            f"/kemper/{receipt['key']}/lookup",
            data={"tax_id": "AAA010101AAA"},
            environ_base=ATTACKER,
        )
    mine = client.post(
        f"/kemper/{receipt['key']}/lookup", data={"tax_id": BUYER["tax_id"]}, environ_base=CUSTOMER
    )
    assert mine.status_code == 302 and "/invoice/" in mine.headers["Location"]


# Login ---------------------------------------------------------------------------------------


def _login(client: Any, password: str, address: dict[str, str]) -> Any:
    return client.post(
        "/login", data={"email": "bo@example.com", "password": password}, environ_base=address
    )


def test_a_locked_account_still_lets_the_right_password_in_from_another_address(
    client: Any, make_account: Any
) -> None:
    make_account(email="bo@example.com")
    for _ in range(accounts.LOGIN_LIMIT_ACCOUNT):
        _login(client, "wrong password!", ATTACKER)
    locked = _login(client, PASSWORD, ATTACKER)
    assert "Demasiadas solicitudes" in locked.get_data(as_text=True)
    assert locked.status_code != 302
    owner = _login(client, PASSWORD, CUSTOMER)
    assert owner.status_code == 302 and owner.headers["Location"].endswith("/dashboard/")


def test_the_lock_grows_with_repeated_failures(
    db: Any, make_account: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wrong passwords from one address: the 5th locks the pair until the 15-minute window
    ends, the 10th until the hour ends, the 20th until the day ends; meanwhile the owner
    signs in from another address."""
    make_account(email="bo@example.com")
    clock = _Clock(86400 * 20000 + 100)  # 100 s into a day
    monkeypatch.setattr(throttle, "time", clock)
    failures, locks = 0, []
    while len(locks) < 4:
        try:
            accounts.authenticate(db, "bo@example.com", "wrong password!", ATTACKER["REMOTE_ADDR"])
        except TooManyRequests as refused:
            locks.append((failures, refused.retry_after))
            clock.now += refused.retry_after  # wait exactly as told
        except ValidationError:
            failures += 1
        db.commit()
    assert locks == [(5, 800), (10, 2700), (15, 900), (20, 86400 - 4500)]
    assert accounts.authenticate(db, "bo@example.com", PASSWORD, "198.51.100.99").email


class _Clock:
    """A stand-in for the ``time`` module that the throttle reads."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def test_the_per_address_limit_uses_the_client_address(client: Any, make_account: Any) -> None:
    make_account(email="bo@example.com")
    for n in range(accounts.LOGIN_LIMIT_IP):
        client.post(
            "/login",
            data={"email": f"x{n}@example.com", "password": "wrong pass"},
            environ_base=ATTACKER,
            headers={"X-Forwarded-For": f"192.0.2.{n}"},  # not trusted: the peer address counts
        )
    spoofed = client.post(
        "/login",
        data={"email": "bo@example.com", "password": PASSWORD},
        environ_base=ATTACKER,
        headers={"X-Forwarded-For": "192.0.2.200"},
    )
    assert "Demasiadas solicitudes" in spoofed.get_data(as_text=True)
    assert _login(client, PASSWORD, CUSTOMER).status_code == 302


# Outbound email --------------------------------------------------------------------------------


def _recipients(count: int, start: int = 0) -> list[str]:
    return [f"cliente{n}@example.com" for n in range(start, start + count)]


def test_email_recipients_are_limited_per_organization_with_retry_after(
    app: Any, api: Any, make_organization: Any, make_receipt: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_LIMIT_ORGANIZATION_PER_HOUR", 12)
    _org, key = make_organization()
    receipt = make_receipt(key)
    client = api(key)
    assert (
        client.post(f"/receipts/{receipt['id']}/email", json={"email": _recipients(10)}).status_code
        == 200
    )
    refused = client.post(f"/receipts/{receipt['id']}/email", json={"email": _recipients(3, 10)})
    assert refused.status_code == 429, refused.json
    assert refused.json["code"] == "too_many_requests" and int(refused.headers["Retry-After"]) > 0
    assert (
        client.post(
            f"/receipts/{receipt['id']}/email", json={"email": _recipients(2, 20)}
        ).status_code
        == 200
    )


def test_a_new_account_gets_the_new_account_limit_across_its_organizations(
    app: Any, db: Any, api: Any, make_account: Any, make_organization: Any, make_receipt: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setitem(app.config, "MAIL_LIMIT_NEW_ACCOUNT_PER_HOUR", 5)
    monkeypatch.setitem(app.config, "MAIL_LIMIT_ACCOUNT_PER_HOUR", 50)
    account, _ = make_account()
    first, first_key = make_organization(account=account)
    _second, second_key = make_organization(account=account)
    receipt_a, receipt_b = make_receipt(first_key), make_receipt(second_key)
    assert (
        api(first_key)
        .post(f"/receipts/{receipt_a['id']}/email", json={"email": _recipients(4)})
        .status_code
        == 200
    )
    refused = api(second_key).post(
        f"/receipts/{receipt_b['id']}/email", json={"email": _recipients(2)}
    )
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    # An older account gets the ordinary limit.
    account.created_at = utcnow() - timedelta(days=app.config["MAIL_NEW_ACCOUNT_DAYS"] + 1)
    db.commit()
    assert (
        api(second_key)
        .post(f"/receipts/{receipt_b['id']}/email", json={"email": _recipients(2)})
        .status_code
        == 200
    )


def test_every_tenant_email_route_is_limited(
    app: Any, api: Any, make_organization: Any, make_receipt: Any, invoice_body: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Invoices, receipts and customers' edit links all count against the same limit."""
    monkeypatch.setitem(app.config, "MAIL_LIMIT_ORGANIZATION_PER_HOUR", 3)
    _org, key = make_organization()
    client = api(key)
    invoice = client.post("/invoices", json=invoice_body()).json
    receipt = make_receipt(key)
    customer = client.post("/customers", json=invoice_body()["customer"]).json
    sends = [
        lambda: client.post(f"/invoices/{invoice['id']}/email", json={"email": "a@example.com"}),
        lambda: client.post(f"/receipts/{receipt['id']}/email", json={"email": "b@example.com"}),
        lambda: client.post(
            f"/customers/{customer['id']}/email-edit-link", json={"email": "c@example.com"}
        ),
    ]  # fmt: skip
    assert [send().status_code for send in sends] == [200, 200, 200]
    assert [send().status_code for send in sends] == [429, 429, 429]


def test_a_test_organization_without_legal_data_only_writes_to_its_account(
    db: Any, api: Any, make_account: Any, make_organization: Any
) -> None:
    account, _ = make_account(email="owner@example.com")
    _org, key = make_organization(account=account, ready=False)
    client = api(key)
    customer = client.post(
        "/customers",
        json={"legal_name": "URE", "tax_id": "URE180429TM6", "tax_system": "601",
              "address": {"zip": "86991"}},
    ).json  # fmt: skip
    before = db.scalar(select(func.count()).select_from(OutboxEmail))
    stranger = client.post(
        f"/customers/{customer['id']}/email-edit-link", json={"email": "victim@example.net"}
    )
    assert stranger.status_code == 403 and stranger.json["code"] == "test_mode_recipients"
    own = client.post(
        f"/customers/{customer['id']}/email-edit-link", json={"email": "Owner@Example.com"}
    )
    assert own.status_code == 200, own.json
    assert db.scalar(select(func.count()).select_from(OutboxEmail)) == before + 1


# Purging ----------------------------------------------------------------------------------------


def test_expired_counters_are_purged_by_a_periodic_job(db: Any) -> None:
    from portal.jobs import throttle as throttle_jobs
    from portal.jobs.queue import huey

    now = time.time()
    throttle.hit(db, "old-bucket", 900, now=now - 3 * 86400)
    throttle.hit(db, "yesterday-day", 86400, now=now - 86400 - 60)
    throttle.hit(db, "current", 900, now=now)
    throttle.hit(db, "current-day", 86400, now=now)
    db.commit()
    assert throttle_jobs.purge_rate_counters() >= 2
    left = set(db.scalars(select(RateCounter.bucket)))
    assert left == {"current", "current-day"}
    periodic = {task.name for task in huey._registry.periodic_tasks}
    assert "purge_rate_counters" in periodic


def test_a_longest_possible_email_is_counted_not_a_server_error(client: Any) -> None:
    """254 characters of email plus the address exceed the counter's column: the bucket is
    stored shortened (with a digest), so the attempts are still counted and refused in time."""
    email = "a" * 64 + "@" + ("b" * 63 + ".") * 2 + "c" * 58 + ".mx"
    assert len(email) == 254
    statuses = [
        client.post(
            "/login", data={"email": email, "password": "wrong password"}, environ_base=ATTACKER
        ).status_code
        for _ in range(accounts.LOGIN_LIMIT_ACCOUNT + 1)
    ]
    assert statuses == [400] * (accounts.LOGIN_LIMIT_ACCOUNT + 1)
    last = client.post(
        "/login", data={"email": email, "password": "wrong password"}, environ_base=ATTACKER
    )
    assert "Demasiadas solicitudes" in last.get_data(as_text=True)
