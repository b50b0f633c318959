"""Every dashboard route, walked with every role: the owner, an admin, an invoicer, an
accountant and someone from outside the organization.

What each role may do is written here again, from the issue, as rules on the URL (settings,
webhooks, keys and the team are the admins'; deleting the organization and revoking or renewing
its keys are the owner's; POSTs that only download are exports): a new route that needs a rule
and lacks its ``@requires`` fails ``test_every_route_is_classified_as_the_issue_says``.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html
import pytest
from sqlalchemy import select

from portal.models.events import EVENT_TYPES
from portal.models.organizations import ApiKey
from portal.models.team import Membership
from portal.services import api_keys, outbound, team, webhooks
from portal.services import organizations as orgs
from tests.fixtures.invoices import CUSTOMER, ITEM
from tests.fixtures.receipts import RECEIPT_ITEM
from tests.fixtures.retentions import retention_body

EVENTS = list(EVENT_TYPES)
MISSING = "0" * 24  # the id of no object
ROLES = ("owner", "admin", "invoicer", "accountant")
DASHBOARD_BLUEPRINTS = ("dashboard", "org")
IGNORED_METHODS = {"HEAD", "OPTIONS"}

# The issue's roles, spelled out: what each may do.
EXPECTED_TABLE = {
    "owner": {"read", "write", "export", "configuration", "admin", "owner"},
    "admin": {"read", "write", "export", "configuration", "admin"},
    "invoicer": {"read", "write", "export"},
    "accountant": {"read", "export", "configuration"},
}
OWNER_ENDPOINTS = {"org.delete", "org.revoke_live_key", "org.renew_test_key"}
# POSTs that change nothing of the organization's: the test/live switch of the dashboard.
LOOKING_POSTS = {"org.switch_env"}
ADMIN_AREAS = re.compile(r"/(keys|team)(/|$)")
CONFIGURATION_AREAS = re.compile(r"/(settings|webhooks|deliveries)(/|$)")
EXPORTS = re.compile(r"(export|download)")


def expected_permission(rule: Any, method: str) -> str:
    """What the issue says a request needs, from its URL and method alone."""
    looking = method in {"GET", "HEAD"}
    path = rule.rule
    if rule.endpoint in OWNER_ENDPOINTS:
        return "owner"
    if ADMIN_AREAS.search(path):
        return "admin"
    if CONFIGURATION_AREAS.search(path):
        return "configuration" if looking else "admin"
    if looking or rule.endpoint in LOOKING_POSTS:
        return "read"
    return "export" if EXPORTS.search(path) else "write"


def dashboard_rules(app: Any) -> list[Any]:
    """Every route of the dashboard's blueprints, the destructive ones last."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in DASHBOARD_BLUEPRINTS
    ]
    return sorted(
        rules, key=lambda rule: ("delete" in rule.rule or "revoke" in rule.rule, rule.rule)
    )


def methods(rule: Any) -> list[str]:
    return sorted(rule.methods - IGNORED_METHODS)


def test_the_permission_table_is_the_issues(app: Any) -> None:
    from portal.dashboard import roles  # once the app exists (the blueprints import each other)

    assert {role: set(perms) for role, perms in roles.ROLE_PERMISSIONS.items()} == EXPECTED_TABLE


def test_every_route_is_classified_as_the_issue_says(app: Any) -> None:
    from portal.dashboard import roles

    wrong = []
    with app.test_request_context():
        for rule in dashboard_rules(app):
            if not rule.endpoint.startswith("org."):
                continue
            for method in methods(rule):
                declared = roles.required_permission(rule.endpoint, method)
                if declared != expected_permission(rule, method):
                    wrong.append((method, rule.rule, declared, expected_permission(rule, method)))
    assert wrong == [], "routes whose @requires(...) does not match the issue's roles"


def test_every_organization_route_goes_through_the_role_check(app: Any) -> None:
    from portal.dashboard import roles

    outside = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "<org_id>" in rule.rule and rule.endpoint.split(".")[0] not in roles.PROTECTED
    }
    assert outside == set()
    assert "org" in roles.PROTECTED


class World:
    """An organization with one of everything, its owner, three members and an outsider."""

    def __init__(self, db: Any, make_account: Any, make_organization: Any, api: Any) -> None:
        self.owner, _ = make_account(email="duena@example.com")
        self.org, key = make_organization(account=self.owner)
        self.accounts = {"owner": self.owner}
        for role in ("admin", "invoicer", "accountant"):
            account, _ = make_account(email=f"{role}@example.com")
            db.add(Membership(organization_id=self.org.id, account_id=account.id, role=role))
            self.accounts[role] = account
        self.accounts["outsider"], _ = make_account(email="otra@example.com")
        make_organization(account=self.accounts["outsider"], name="Otra")
        client = api(key)
        self.ids = {
            "customer_id": client.post("/customers", json=CUSTOMER).json["id"],
            "product_id": client.post("/products", json=ITEM["product"]).json["id"],
            "invoice_id": client.post(
                "/invoices",
                json={"customer": CUSTOMER, "items": [ITEM], "payment_form": "03", "use": "G03"},
            ).json["id"],
            "receipt_id": client.post(
                "/receipts", json={"items": [RECEIPT_ITEM], "payment_form": "01"}
            ).json["id"],
            "retention_id": client.post("/retentions", json=retention_body()).json["id"],
        }
        hook, _secret = webhooks.create_webhook(
            db, self.org.id, False, {"url": "http://127.0.0.1:9/hook", "enabled_events": EVENTS}
        )
        api_keys.create_live_key(db, self.org)
        series = orgs.create_series(db, self.org, {"series": "F"})
        invitation, _token = team.invite(
            db, self.org, self.owner, "owner", {"email": "x@example.com", "role": "accountant"}
        )
        db.commit()
        accountant = db.scalar(
            select(Membership).where(Membership.account_id == self.accounts["accountant"].id)
        )
        live_key = db.scalar(select(ApiKey).where(ApiKey.livemode.is_(True)))
        self.ids |= {
            "org_id": self.org.id,
            "webhook_id": hook.id,
            "key_id": live_key.id,
            "name": series.name,
            "invitation_id": invitation.id,
            "membership_id": accountant.id,  # an admin may manage it (not another admin)
            "index": 0,
            "kind": "products",
        }

    def url(self, app: Any, rule: Any) -> str:
        """The rule's URL with real ids (the first choice of an ``any(…)`` part)."""
        values = dict(rule.defaults or {})  # picks this rule among an endpoint's several
        for name in rule.arguments - values.keys():
            converter = rule._converters[name]
            if hasattr(converter, "items"):
                values[name] = sorted(converter.items)[0]
            elif name in self.ids:
                values[name] = self.ids[name]
            else:
                # An object this world lacks: the role check answers before any lookup, so an
                # unknown id still tells a refusal (403) from an allowed request (404 here).
                assert name.endswith("_id"), f"the route walk needs a value for <{name}>"
                values[name] = MISSING
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, values, method=methods(rule)[0])


@pytest.fixture
def world(
    app: Any, db: Any, make_account: Any, make_organization: Any, api: Any, monkeypatch: Any
) -> World:
    quiet = outbound.Response(status=200, excerpt="", latency_ms=1)
    monkeypatch.setattr(webhooks, "send", lambda delivery: quiet)  # never leave the machine
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_LOOPBACK", True)
    return World(db, make_account, make_organization, api)


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_every_dashboard_route_answers_as_the_role_allows(
    app: Any, world: World, login_as: Any, role: str
) -> None:
    client = login_as(world.accounts[role])
    wrong = []
    for rule in dashboard_rules(app):
        url = world.url(app, rule)
        for method in methods(rule):
            status = client.open(url, method=method, data={}).status_code
            if rule.endpoint.startswith("org."):
                if role == "outsider":
                    allowed, expected = status == 404, "404"
                elif expected_permission(rule, method) in EXPECTED_TABLE[role]:
                    allowed, expected = status != 403 and status < 500, "not 403"
                else:
                    allowed, expected = status == 403, "403"
            else:  # the account's own pages: every signed-in person
                allowed, expected = status != 403 and status < 500, "not 403"
            if not allowed:
                wrong.append((method, url, status, expected))
    assert wrong == []


def _live_forms(html: str, page: str) -> list[str]:
    """The action of every POST form a person can send on the page (a form inside a disabled
    fieldset cannot be sent), and every link to a page that exists only to create something."""
    tree = lxml.html.fromstring(html)
    sendable = [
        form.get("action") or page
        for form in tree.iter("form")
        if (form.get("method") or "get").lower() == "post"
        and not any(
            a.tag == "fieldset" and a.get("disabled") is not None for a in form.iterancestors()
        )
    ]
    creating = [a.get("href") for a in tree.iter("a") if NEW_PAGE.search(a.get("href") or "")]
    return sendable + creating


NEW_PAGE = re.compile(r"/(new|import)$")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_offers_what_the_role_may_not_do(
    app: Any, world: World, login_as: Any, role: str
) -> None:
    """Read-only people see no button that would only answer 403: every form they can send
    and every «new»/«import» link leads somewhere their role allows."""
    from portal.dashboard import roles

    client = login_as(world.accounts[role])
    adapter = app.url_map.bind("localhost")
    offered = []
    for rule in dashboard_rules(app):
        if not rule.endpoint.startswith("org.") or "GET" not in rule.methods:
            continue
        url = world.url(app, rule)
        if NEW_PAGE.search(url):
            continue  # a page for creating is reached only through the links checked here
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for target in _live_forms(response.get_data(as_text=True), url):
            method = "GET" if NEW_PAGE.search(target) else "POST"
            endpoint, _args = adapter.match(target.split("?")[0], method=method)
            needed = "POST" if method == "GET" else method  # a creating page is for sending
            if endpoint.startswith("org.") and not roles.may(role, endpoint, needed):
                offered.append((url, target))
    assert offered == [], "\n".join(f"{role}: {page} -> {target}" for page, target in offered)
