"""Public links of invoices (``/v2/invoices/{id}/public-link``) and their default lifetime."""

from __future__ import annotations

from flask import Response, g, jsonify

from portal.api import bp
from portal.api.auth import any_key_required, organization_key_required, user_key_required
from portal.api.common import json_body
from portal.database import set_write_intent
from portal.errors import NotFound
from portal.extensions import db
from portal.links import tenant_url
from portal.models.invoices import Invoice
from portal.models.organizations import Organization
from portal.models.public_links import InvoicePublicLink
from portal.schemas import operation, parse
from portal.schemas.public_links import (
    PublicLinkEnvelope,
    PublicLinkSettings,
    PublicLinkUpdate,
)
from portal.services import organizations as orgs
from portal.services import public_links
from portal.tenancy import current_tenant, scoped_get


def serialize(link: InvoicePublicLink, organization: Organization) -> dict[str, object]:
    """A link as the API shows it (``url`` is built from ``PUBLIC_BASE_URL``, or the
    organization's verified custom host)."""
    shape = PublicLinkEnvelope.model_validate(
        {
            "data": {
                "url": tenant_url(organization, "public_links.show", token=link.token),
                "id": link.token,
                "enabled": link.enabled,
                "expires_at": link.expires_at,
                "max_days": organization.public_link_days,
            }
        }
    )
    return shape.model_dump(mode="json")


def _invoice(invoice_id: str) -> Invoice:
    return scoped_get(Invoice, invoice_id, message="La factura no existe.")


def _link(invoice_id: str) -> tuple[InvoicePublicLink, Organization]:
    organization = current_tenant().organization
    return public_links.link_for(db.session, _invoice(invoice_id), organization), organization


@bp.get("/invoices/<invoice_id>/public-link")
@organization_key_required
@operation(response=PublicLinkEnvelope, summary="Enlace público de la factura", tags=["invoices"])
def retrieve_public_link(invoice_id: str) -> Response:
    """The invoice's shareable page (created on first use with the default lifetime)."""
    link = public_links.existing_link(db.session, _invoice(invoice_id))
    if link is None:  # the first call writes, in a transaction that starts as a writer
        db.session.rollback()
        set_write_intent(True)
        link, _organization = _link(invoice_id)
        db.session.commit()
    return jsonify(serialize(link, current_tenant().organization))


@bp.put("/invoices/<invoice_id>/public-link")
@organization_key_required
@operation(
    body=PublicLinkUpdate,
    response=PublicLinkEnvelope,
    summary="Revocar, activar, extender o restablecer el enlace público",
    tags=["invoices"],
)
def update_public_link(invoice_id: str) -> Response:
    """Revoke, activate, extend (``extend_days``) or reset the link."""
    link, organization = _link(invoice_id)  # another's is 404 whatever the body
    change = parse(PublicLinkUpdate, json_body())
    public_links.apply(link, organization, change.action, change.extend_days)
    db.session.commit()
    return jsonify(serialize(link, organization))


def _organization(organization_id: str) -> Organization:
    """The account's organization (user key), or the key's own (organization key)."""
    owner = g.actor.key_owner
    if owner is None:
        return orgs.get_owned(db.session, g.actor.account, organization_id)
    if owner.organization.id != organization_id:
        raise NotFound("La organización no existe.")
    return owner.organization


@bp.get("/organizations/<organization_id>/public-links")
@any_key_required
@operation(
    response=PublicLinkSettings, summary="Vigencia de los enlaces públicos", tags=["organizations"]
)
def retrieve_public_link_settings(organization_id: str) -> Response:
    """The lifetime new and reset public links get, in days."""
    organization = _organization(organization_id)
    return jsonify({"max_days": organization.public_link_days})


@bp.put("/organizations/<organization_id>/public-links")
@user_key_required
@operation(
    body=PublicLinkSettings,
    response=PublicLinkSettings,
    summary="Cambiar la vigencia de los enlaces públicos",
    tags=["organizations"],
)
def update_public_link_settings(organization_id: str) -> Response:
    """Set the lifetime new and reset public links get."""
    organization = _organization(organization_id)  # another's is 404 whatever the body
    settings = parse(PublicLinkSettings, json_body())
    public_links.set_default_days(organization, settings.max_days)
    db.session.commit()
    return jsonify({"max_days": organization.public_link_days})
