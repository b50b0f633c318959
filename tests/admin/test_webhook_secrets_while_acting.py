"""Support staff acting for a reseller see its webhooks but never their signing secrets."""

from __future__ import annotations

from typing import Any

from portal.services import webhooks


def test_webhook_secret_is_refused_while_acting(
    staff_client: Any,
    db: Any,
    reseller: Any,
    make_organization: Any,
    make_webhook: Any,
    receiver: Any,
) -> None:
    org, _ = make_organization(account=reseller)
    hook, secret = make_webhook(org, receiver.url)
    staff_client.post(
        f"/admin/accounts/{reseller.id}/impersonate", data={"act-reason": "Ticket 77: webhooks"}
    )
    base = f"/dashboard/o/{org.id}/webhooks/{hook.id}"
    page = staff_client.get(base)
    assert page.status_code == 200 and secret not in page.get_data(as_text=True)
    refused = staff_client.post(base + "/secret")
    assert refused.status_code == 403 and secret not in refused.get_data(as_text=True)
    assert webhooks.secret_of(hook) == secret
