"""The self-invoice portal's use cases: find a receipt by domain and key (throttled), check the
visitor's tax data with SAT's receiver rules, redeem the receipt exactly once, hand out
unguessable download links, and complete customers' tax-info edit links.

Nothing here reveals stored tax data to a visitor who merely types an RFC: a receipt already
invoiced shows its invoice only to whoever types the RFC it was invoiced to, and only that
invoice.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from portal import settings
from portal.cfdi import catalogs, rules
from portal.errors import NotFound, Problem, ValidationError
from portal.models.customers import Customer
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.receipts import Receipt
from portal.models.tenancy import Tenant
from portal.schemas import ApiModel, parse_partial
from portal.schemas.fields import Email, Text
from portal.services import customers, events, invoice_files, invoices, receipts, throttle
from portal.services.organizations import RESERVED_DOMAINS
from portal.statuses import ReceiptStatus

# Unknown keys tolerated before the portal answers 429 to a further unknown key: per visitor,
# and per key prefix of the domain (guesses spread over many addresses). A key that exists is
# never refused, so nobody can lock a merchant's customers out by guessing.
MISSES_PER_IP, IP_WINDOW = 20, 600
MISSES_PER_PREFIX, PREFIX_WINDOW, PREFIX_LENGTH = 30, 3600, 2
# Wrong RFCs typed to see an invoiced receipt's invoice again: per visitor and receipt, and
# (many more) per receipt, so that one visitor's guesses do not lock out the customer.
RFC_TRIES, RFC_TRIES_PER_RECEIPT, RFC_WINDOW = 5, 50, 3600
DOWNLOAD_DAYS = 30
# SAT receiver rule paths → the form's fields.
FIELD_OF = {
    "customer.tax_id": "tax_id",
    "customer.legal_name": "legal_name",
    "customer.tax_system": "tax_system",
    "customer.address.zip": "zip",
    "customer.zip": "zip",
    "customer.address.country": "country",
    "use": "use",
}
NOT_FOUND = "No encontramos esta página."
# What happens to a purchase when the visitor types a generic RFC instead of their own.
GENERIC_RFC_HELP = {
    rules.GENERIC_NATIONAL: "No necesitas facturar con el RFC genérico XAXX010101000: si no "
    "facturas con tu propio RFC, tu compra se incluye en la factura global que el comercio "
    "emite al público en general.",
    rules.GENERIC_FOREIGN: "Si resides en el extranjero, no escribas XEXX010101000: escribe en "
    "«País de residencia fiscal» la clave de tu país (USA, CAN…) y aquí tu número fiscal.",
}


@dataclass
class TaxData:
    """What the visitor typed: the receiver of the invoice and where to send it."""

    tax_id: str
    legal_name: str
    tax_system: str
    zip: str
    use: str
    email: str | None
    country: str = "MEX"

    def customer(self) -> dict[str, Any]:
        """The invoice body's inline customer (a foreign one keeps its own tax id and zip)."""
        return {
            "tax_id": self.tax_id,
            "legal_name": rules.normalize_legal_name(self.legal_name),
            "tax_system": self.tax_system,
            "email": self.email,
            "address": {"zip": self.zip, "country": self.country},
        }


# Finding the organization and the receipt --------------------------------------------------


def organization_for(session: Session, domain: str) -> Organization:
    """The organization that owns this self-invoice domain, or a 404 that reveals nothing."""
    if domain in RESERVED_DOMAINS:
        raise NotFound(NOT_FOUND)
    organization = session.scalar(
        select(Organization).where(
            Organization.domain == domain,
            Organization.deleted_at.is_(None),
            Organization.suspended_at.is_(None),
        )
    )
    if organization is None:
        raise NotFound(NOT_FOUND)
    return organization


def _ip_bucket(ip: str) -> str:
    return f"selfinvoice:ip:{throttle.client(ip)}"


def _prefix_bucket(domain: str, key: str) -> str:
    return f"selfinvoice:prefix:{domain}:{key[:PREFIX_LENGTH]}"


@functools.cache
def _lookup_statement() -> Select[tuple[Organization, Receipt, int | None, int | None]]:
    # Built once: this runs on every page view, and building a statement costs more than
    # running it. The throttle windows arrive as parameters.
    return (
        select(
            Organization,
            Receipt,
            throttle.hits(bindparam("ip_bucket"), bindparam("ip_window")),
            throttle.hits(bindparam("prefix_bucket"), bindparam("prefix_window")),
        )
        .outerjoin(
            Receipt,
            and_(Receipt.organization_id == Organization.id, Receipt.key == bindparam("key")),
        )
        .where(
            Organization.domain == bindparam("domain"),
            Organization.deleted_at.is_(None),
            Organization.suspended_at.is_(None),
        )
    )


def lookup(session: Session, domain: str, key: str, ip: str) -> tuple[Organization, Receipt | None]:
    """The domain's organization and its receipt with this key (None when unknown), read in
    one query with the visitor's and the key prefix's misses: 404 for an unknown domain; for an
    unknown key, 429 once this visitor, or everyone on this key prefix, typed too many."""
    if domain in RESERVED_DOMAINS:
        raise NotFound(NOT_FOUND)
    now, key = time.time(), key.strip()
    row = session.execute(
        _lookup_statement(),
        {
            "domain": domain,
            "key": key if len(key) <= 16 else "",  # no receipt has an empty key
            "ip_bucket": _ip_bucket(ip),
            "ip_window": throttle.window(IP_WINDOW, now),
            "prefix_bucket": _prefix_bucket(domain, key),
            "prefix_window": throttle.window(PREFIX_WINDOW, now),
        },
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    organization, receipt, ip_misses, prefix_misses = row
    if receipt is None:
        throttle.refuse_over(ip_misses, MISSES_PER_IP, IP_WINDOW, now)
        throttle.refuse_over(prefix_misses, MISSES_PER_PREFIX, PREFIX_WINDOW, now)
    return organization, receipt


def record_miss(session: Session, organization: Organization, key: str, ip: str) -> None:
    """Count an unknown key against the visitor and the key's prefix (the caller commits)."""
    assert organization.domain is not None
    throttle.hit(session, _ip_bucket(ip), IP_WINDOW)
    throttle.hit(session, _prefix_bucket(organization.domain, key.strip()), PREFIX_WINDOW)


def state(receipt: Receipt) -> str:
    """What the page shows: ``form``, ``expired``, ``invoiced``, ``canceled`` or ``global``."""
    if receipt.status == ReceiptStatus.INVOICED_TO_CUSTOMER:
        return "invoiced"
    if receipt.status == ReceiptStatus.INVOICED_GLOBALLY:
        return "global"
    if receipt.status == ReceiptStatus.CANCELED:
        return "canceled"
    return "expired" if receipts.is_expired(receipt) else "form"


# The form's options and checks -------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def regime_choices(lang: str) -> tuple[tuple[str, str, str], ...]:
    """(code, label, person types) of every regime that can receive a CFDI."""
    person = {r: "fisica" for r in rules.FISICA_REGIMES}
    for regime in rules.MORAL_REGIMES:
        person[regime] = f"{person[regime]} moral" if regime in person else "moral"
    return tuple(
        (code, catalogs.label("tax_system", code, lang) or code, person[code])
        for code in sorted(person)
        if rules.uses_for(code)
    )


def offered_uses(organization: Organization) -> list[str]:
    """The CFDI uses the organization offers on its invoices (type I: never payroll's CN01
    nor payments' CP01; none chosen: all the others)."""
    allowed = rules.uses_for_type("I")
    chosen = organization.self_invoice_uses or allowed
    return [use for use in chosen if use in allowed]


def use_choices(organization: Organization, lang: str) -> tuple[tuple[str, str, str], ...]:
    """(code, label, regimes that may use it) of the uses the organization offers."""
    return _use_choices(tuple(offered_uses(organization)), lang)


@functools.lru_cache(maxsize=256)
def _use_choices(uses: tuple[str, ...], lang: str) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (use, catalogs.label("use", use, lang) or use, " ".join(sorted(rules.USE_REGIMES[use])))
        for use in uses
    )


class TaxDataIn(ApiModel):
    """What the self-invoice page asks of a customer in Mexico."""

    tax_id: Text(max_len=13, upper=True) = None
    legal_name: Text(max_len=300) = None
    tax_system: Text(max_len=3) = None
    zip: Text(max_len=5) = None
    use: Text(max_len=4, upper=True) = None
    email: Email() = None


class ForeignTaxDataIn(ApiModel):
    """What it asks of a customer abroad (their own tax id and postal code)."""

    tax_id: Text(max_len=40, upper=True) = None
    legal_name: Text(max_len=300) = None
    zip: Text(max_len=12, upper=True) = None
    email: Email() = None


def read_tax_data(organization: Organization, data: dict[str, Any]) -> TaxData:
    """The visitor's tax data checked with SAT's receiver rules; every problem at once, each
    on the form field it concerns."""
    country = (str(data.get("country") or "MEX")).strip().upper()
    if country != "MEX":
        return _read_foreign_tax_data(organization, data, country)
    sent, problems = parse_partial(TaxDataIn, data)
    sent = sent or TaxDataIn()
    tax_id = (sent.tax_id or "").replace(" ", "")
    legal_name, tax_system, zip_code = sent.legal_name or "", sent.tax_system or "", sent.zip or ""
    use, email = sent.use or "", sent.email
    issuer_zip = (organization.address or {}).get("zip")
    found = rules.check_receiver(tax_id, legal_name, tax_system, zip_code, use,
                                 issuer_zip=issuer_zip, document_type="I")  # fmt: skip
    problems += [Problem(p.message, p.code, FIELD_OF.get(p.path or "", p.path)) for p in found]
    if rules.normalize_tax_id(tax_id) in rules.GENERIC_RFCS:
        problems.append(Problem(
            GENERIC_RFC_HELP[rules.normalize_tax_id(tax_id)], "generic_rfc_not_allowed", "tax_id"
        ))  # fmt: skip
    if use and use not in offered_uses(organization) and not any(p.path == "use" for p in found):
        problems.append(
            Problem("Este comercio no ofrece ese uso de CFDI.", "use_not_offered", "use")
        )
    if problems:
        raise ValidationError.from_problems(problems)
    return TaxData(rules.normalize_tax_id(tax_id), legal_name, tax_system, zip_code, use, email)


def _read_foreign_tax_data(
    organization: Organization, data: dict[str, Any], country: str
) -> TaxData:
    """A customer abroad: XEXX010101000 in the CFDI with its own tax id (NumRegIdTrib) and
    country; regime 616 and use S01 as SAT requires; its own zip (90210) is kept."""
    sent, problems = parse_partial(ForeignTaxDataIn, data)
    sent = sent or ForeignTaxDataIn()
    tax_id, legal_name, zip_code = sent.tax_id or "", sent.legal_name or "", sent.zip or ""
    email = sent.email
    found = rules.check_receiver(
        rules.GENERIC_FOREIGN,
        legal_name,
        rules.GENERIC_TAX_SYSTEM,
        zip_code,
        "S01",
        foreign_tax_id=tax_id,
        country=country,
    )
    problems += [Problem(p.message, p.code, FIELD_OF.get(p.path or "", p.path)) for p in found]
    if problems:
        raise ValidationError.from_problems(problems)
    return TaxData(tax_id, legal_name, rules.GENERIC_TAX_SYSTEM, zip_code, "S01", email, country)


# Redeeming -----------------------------------------------------------------------------------


def _same_receiver(invoice: Invoice | None, tax_id: str) -> bool:
    return invoice is not None and (invoice.customer or {}).get("tax_id") == tax_id


def redeem(
    session: Session,
    organization: Organization,
    receipt: Receipt,
    data: TaxData,
    ip: str,
    lease: timedelta | None = None,
) -> tuple[Invoice, invoices.StampCall | None]:
    """Invoice the receipt to the visitor, exactly once: the row is locked and its status
    checked inside the lock. A second visitor with the same RFC gets the first's invoice
    (the RFC check is throttled as on ``invoice_for_rfc``; the caller has run that one first,
    this covers a receipt invoiced meanwhile).

    With ``lease`` and a remote PAC the receipt is linked to the pending invoice (so it cannot
    be redeemed twice while the PAC answers) and the call is returned: the caller commits,
    sends it, then ``complete`` (stamped) or ``receipt_invoices.reopen`` (refused)."""
    receipt = receipts.lock(session, receipt)
    if receipt.status == ReceiptStatus.INVOICED_TO_CUSTOMER:
        throttle.check_all(session, _rfc_limits(receipt, ip))
        existing = session.get(Invoice, receipt.invoice_id)
        if _same_receiver(existing, data.tax_id):
            return existing, None  # type: ignore[return-value]
    receipts.require_open(receipt)
    if receipts.is_expired(receipt):
        raise ValidationError("El plazo para facturar esta compra ya venció.", "receipt_expired")
    tenant = Tenant(organization, receipt.livemode)
    body = {"customer": data.customer(), "use": data.use, "items": receipt.items,
            "payment_form": receipt.payment_form, "currency": receipt.currency,
            "exchange": str(receipt.exchange)}  # fmt: skip
    invoice, call = invoices.create_call(session, tenant, body, lease=lease)
    receipts.set_status(session, receipt, ReceiptStatus.INVOICED_TO_CUSTOMER, invoice.id)
    if call is None:
        complete(session, organization, receipt, invoice, data)
    return invoice, call


def complete(
    session: Session, organization: Organization, receipt: Receipt, invoice: Invoice, data: TaxData
) -> None:
    """The receipt's invoice is stamped: the event, and the email the visitor asked for."""
    events.record(
        session, receipt.organization_id, receipt.livemode, "receipt.self_invoice_complete",
        {"type": "receipt", "object": receipts.to_dict(receipt, organization)},
    )  # fmt: skip
    if data.email:
        invoice_files.email(session, invoice, organization, {"email": data.email}, limited=False)


def invoice_for_rfc(session: Session, receipt: Receipt, tax_id: str, ip: str) -> Invoice | None:
    """The invoice of an invoiced receipt, when ``tax_id`` is the RFC it went to (a few wrong
    tries per visitor and receipt an hour, then 429)."""
    limits = _rfc_limits(receipt, ip)
    throttle.check_all(session, limits)
    invoice = session.get(Invoice, receipt.invoice_id) if receipt.invoice_id else None
    if _same_receiver(invoice, rules.normalize_tax_id(tax_id)):
        return invoice
    for bucket, _limit, seconds in limits:
        throttle.hit(session, bucket, seconds)
    return None


def _rfc_limits(receipt: Receipt, ip: str) -> list[tuple[str, int, int]]:
    """The RFC guesses allowed on one invoiced receipt: per visitor, and per receipt."""
    return [
        (f"selfinvoice:rfc:{receipt.id}:{throttle.client(ip)}", RFC_TRIES, RFC_WINDOW),
        (f"selfinvoice:rfc:{receipt.id}", RFC_TRIES_PER_RECEIPT, RFC_WINDOW),
    ]


# Download links ------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.current().secret_key, salt="selfinvoice-download")


def download_token(receipt: Receipt, invoice: Invoice) -> str:
    """A signed token naming this receipt's invoice: the only way to its PDF and XML."""
    return _serializer().dumps([receipt.id, invoice.id])


def invoice_for_token(session: Session, receipt: Receipt, token: str) -> Invoice:
    """The invoice a download token names, when it belongs to this receipt and is recent."""
    try:
        receipt_id, invoice_id = _serializer().loads(token, max_age=DOWNLOAD_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        raise NotFound(NOT_FOUND) from None
    invoice = session.get(Invoice, invoice_id)
    if receipt_id != receipt.id or invoice is None or invoice.id != receipt.invoice_id:
        raise NotFound(NOT_FOUND)
    return invoice


# Customer edit links -------------------------------------------------------------------------


def complete_tax_info(
    session: Session, organization: Organization, customer: Customer, data: TaxData
) -> None:
    """Save what the customer typed through an edit link and write
    ``customer.edit_link_completed``."""
    fields = {**data.customer(), "default_invoice_use": data.use}
    if data.email is None:
        fields.pop("email")
    tenant = Tenant(organization, customer.livemode)
    customers.complete_edit_link(session, tenant, customer, fields)
    events.record(
        session, customer.organization_id, customer.livemode, "customer.edit_link_completed",
        {"type": "customer", "object": customers.to_dict(customer)},
    )  # fmt: skip
