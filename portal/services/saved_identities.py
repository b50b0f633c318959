"""Tax identities a merchant already knows, offered to a returning visitor of the self-invoice
page who types their RFC: masked (part of the razón social, the zip's first digits) so that the
page shows nothing a visitor who knows the RFC could not already tell; the RFC itself is the
secret. Every lookup, found or not, runs the same query, answers the same shape and counts
against a per-visitor and a per-receipt limit, like the page's other RFC checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from portal.cfdi import rules
from portal.models.contacts import CustomerCompanyName
from portal.models.customers import Customer
from portal.models.organizations import Organization
from portal.models.receipts import Receipt
from portal.services import throttle

LOOKUPS, LOOKUPS_PER_RECEIPT, WINDOW = 10, 60, 3600
MAX_SHOWN = 10
SHOWN_LETTERS = 3


@dataclass(frozen=True)
class SavedIdentity:
    """One tax identity on file for an RFC (``masked_*`` are what the page shows)."""

    id: str
    legal_name: str
    tax_system: str
    zip: str

    @property
    def masked_name(self) -> str:
        """Each word's first letters, the rest as dots: «ESC••• KEM••• URG•••»."""
        return " ".join(
            word[:SHOWN_LETTERS] + "•" * max(len(word) - SHOWN_LETTERS, 0)
            for word in self.legal_name.split()
        )

    @property
    def masked_zip(self) -> str:
        """The zip's first two digits: «42•••»."""
        return self.zip[:2] + "•" * (len(self.zip) - 2)


def limits(receipt: Receipt, ip: str) -> list[tuple[str, int, int]]:
    """The lookups allowed: per visitor and receipt, and per receipt."""
    return [
        (f"selfinvoice:saved:{receipt.id}:{throttle.client(ip)}", LOOKUPS, WINDOW),
        (f"selfinvoice:saved:{receipt.id}", LOOKUPS_PER_RECEIPT, WINDOW),
    ]


def _count(session: Session, receipt: Receipt, ip: str) -> None:
    found = limits(receipt, ip)
    throttle.check_all(session, found)
    for bucket, _limit, seconds in found:
        throttle.hit(session, bucket, seconds)


def _customers(organization: Organization, receipt: Receipt) -> Select[tuple[str]]:
    return select(Customer.id).where(
        Customer.organization_id == organization.id,
        Customer.livemode == receipt.livemode,
        Customer.deleted_at.is_(None),
    )


def for_rfc(
    session: Session, organization: Organization, receipt: Receipt, tax_id: str, ip: str
) -> list[SavedIdentity]:
    """The active identities on file for this RFC in the receipt's environment (each lookup
    counted; 429 over the limits). Company names first, then customers' own data."""
    _count(session, receipt, ip)
    rfc = rules.normalize_tax_id(tax_id)
    if rules.rfc_problem(rfc) is not None or rfc in rules.GENERIC_RFCS:
        rfc = ""  # the same queries run, and find nothing
    owners = _customers(organization, receipt)
    names = session.scalars(
        select(CustomerCompanyName)
        .where(
            CustomerCompanyName.tax_id == rfc,
            CustomerCompanyName.is_active.is_(True),
            CustomerCompanyName.customer_id.in_(owners),
        )
        .order_by(CustomerCompanyName.created_at)
    )
    found = [SavedIdentity(c.id, c.name, c.tax_system, c.address.get("zip", "")) for c in names]
    own = session.scalars(
        select(Customer).where(Customer.id.in_(owners), Customer.tax_id == rfc)
        .order_by(Customer.created_at)
    )  # fmt: skip
    found += [
        SavedIdentity(
            c.id, c.legal_name or "", c.tax_system or "", (c.address or {}).get("zip", "")
        )
        for c in own
        if c.legal_name and c.tax_system
    ]
    unique = {(i.legal_name, i.tax_system, i.zip): i for i in reversed(found)}
    return list(reversed(unique.values()))[:MAX_SHOWN]


def pick(
    session: Session,
    organization: Organization,
    receipt: Receipt,
    tax_id: str,
    identity_id: str,
    ip: str,
) -> SavedIdentity | None:
    """The identity chosen, when it is one of this RFC's (None otherwise)."""
    return next(
        (i for i in for_rfc(session, organization, receipt, tax_id, ip) if i.id == identity_id),
        None,
    )
