"""Polling pending cancellations settles them and notifies the webhooks."""

from __future__ import annotations

from typing import Any

from portal.models.invoices import Invoice


def test_poll_settles_pending_cancellations_once(
    db: Any,
    make_organization: Any,
    api: Any,
    invoice_body: Any,
    make_webhook: Any,
    receiver: Any,
    monkeypatch: Any,
) -> None:
    from portal.cfdi import pac
    from portal.jobs.cancellations import poll_cancellations

    monkeypatch.setattr(pac, "requires_acceptance", lambda target, at: True)
    org, key = make_organization()
    make_webhook(org, receiver.url, events=["invoice.cancellation_status_updated"])
    invoice = api(key).post("/invoices", json=invoice_body()).json
    assert (
        api(key).delete(f"/invoices/{invoice['id']}?motive=02").json["cancellation_status"]
        == "pending"
    )
    assert [e["data"]["object"]["cancellation_status"] for e in receiver.events()] == ["pending"]

    db.rollback()  # API requests share the test's session: end its transaction first
    poll_cancellations()
    db.rollback()
    settled = db.get(Invoice, invoice["id"])
    assert settled.status == "canceled" and settled.cancellation_status == "accepted"
    assert [e["data"]["object"]["cancellation_status"] for e in receiver.events()] == [
        "pending",
        "accepted",
    ]
    db.rollback()
    poll_cancellations()  # nothing pending any more: no new event
    assert len(receiver.requests) == 2


def test_a_failing_pac_leaves_it_pending_for_the_next_poll(
    db: Any, make_organization: Any, api: Any, invoice_body: Any, monkeypatch: Any
) -> None:
    from portal.cfdi import pac
    from portal.jobs.cancellations import poll_cancellations

    monkeypatch.setattr(pac, "requires_acceptance", lambda target, at: True)
    _, key = make_organization()
    invoice = api(key).post("/invoices", json=invoice_body()).json
    api(key).delete(f"/invoices/{invoice['id']}?motive=02")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("PAC unreachable")

    monkeypatch.setattr(pac.LocalTestPAC, "status", down)
    db.rollback()  # API requests share the test's session: end its transaction first
    poll_cancellations()
    db.rollback()
    assert db.get(Invoice, invoice["id"]).cancellation_status == "pending"
