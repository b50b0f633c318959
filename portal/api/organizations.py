"""Organizations, managed with the account's user key (org keys may read their own)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from portal.api import bp
from portal.api.auth import any_key_required, user_key_required
from portal.api.common import idempotent, json_body, uploaded
from portal.errors import NotFound, ValidationError
from portal.extensions import db
from portal.models.organizations import FolioSeries, Organization
from portal.pagination import filter_dates, paginate
from portal.schemas import answer, operation, parse
from portal.schemas import organizations as shapes
from portal.schemas.common import ListQuery, Page
from portal.schemas.public_links import ApiKeyRequest
from portal.services import api_keys, idempotency
from portal.services import organizations as orgs

LOGO_FIELD_MAX = 2 * orgs.LOGO_MAX_BYTES  # larger files get the service's own message


def serialize_organization(org: Organization) -> dict[str, Any]:
    """The organization object of the API (never a secret)."""
    steps = orgs.pending_steps(org)
    cert = org.certificate
    shown = {
        "id": org.id,
        "created_at": org.created_at,
        "is_production_ready": not steps,
        "pending_steps": [{"type": s.type, "description": s.description} for s in steps],
        "domain": org.domain,
        "timezone": org.timezone,
        "legal": {
            "name": org.name,
            "legal_name": org.legal_name,
            "tax_id": org.tax_id,
            "tax_system": org.tax_system,
            "address": org.address or {},
            "website": org.website,
            "support_email": org.support_email,
            "phone": org.phone,
        },
        "customization": {
            "has_logo": org.logo_mime is not None,
            "color": org.color,
            "next_folio_number": org.next_folio_number,
            "next_folio_number_test": org.next_folio_number_test,
            "pdf_extra": org.pdf_extra,
            "default_series": org.default_series,
        },
        "certificate": {
            "has_certificates": cert is not None,
            "updated_at": cert.updated_at if cert else None,
            "expires_at": cert.valid_to if cert else None,
            "serial_number": cert.certificate_number if cert else None,
        },
        "receipts": {
            "periodicity": org.receipts_periodicity,
            "duration_days": org.receipts_duration_days,
            "next_folio_number": org.next_receipt_folio,
            "next_folio_number_test": org.next_receipt_folio_test,
        },
        "self_invoice": {
            "allowed_cfdi_uses": org.self_invoice_uses,
            "support_email": org.self_invoice_support_email,
        },
    }
    return answer(shapes.Organization, shown)


def serialize_series(series: FolioSeries) -> dict[str, Any]:
    """A folio series as the API shows it."""
    return answer(shapes.Series, series)


def _own(organization_id: str) -> Organization:
    return orgs.get_owned(db.session, g.actor.account, organization_id)


def _saved(org: Organization) -> Any:
    db.session.commit()
    return jsonify(serialize_organization(org))


@bp.post("/organizations")
@user_key_required
@operation(
    body=shapes.OrganizationIn, response=shapes.Organization, summary="Crear una organización"
)
def create_organization():
    """Open a new organization (its test key is issued at once)."""
    account = g.actor.account
    org = idempotent(
        "organizations",
        lambda: orgs.create_organization(db.session, account, json_body().get("name")),
        _own,
        caller=idempotency.Caller.account(account.id),
    )
    return _saved(org)


@bp.get("/organizations")
@user_key_required
@operation(query=ListQuery, response=Page[shapes.Organization], summary="Listar organizaciones")
def list_organizations():
    """The caller's organizations, newest first, with ``q`` search."""
    query = orgs.search(g.actor.account, request.args.get("q"))
    query = filter_dates(query, Organization.created_at)
    return paginate(db.session, query, serialize_organization)


@bp.get("/organizations/me")
@any_key_required
@operation(response=shapes.Organization, summary="La organización de la llave")
def organization_me():
    """The organization the presented key belongs to; with the user key (as the reference's
    sample), the account's only organization (a clear 400 when it has several or none)."""
    owner = g.actor.key_owner
    if owner is not None:
        return jsonify(serialize_organization(owner.organization))
    found = db.session.scalars(orgs.search(g.actor.account).limit(2)).all()
    if len(found) != 1:
        raise ValidationError(
            "La cuenta tiene varias organizaciones (o ninguna): usa la llave secreta de la "
            "organización, o GET /v2/organizations/{id}.",
            "organization_key_required",
        )
    return jsonify(serialize_organization(found[0]))


@bp.get("/organizations/<organization_id>")
@any_key_required
@operation(response=shapes.Organization, summary="Obtener una organización")
def retrieve_organization(organization_id: str):
    """One organization; an organization key may read only its own."""
    owner = g.actor.key_owner
    if owner is not None:
        if owner.organization.id != organization_id:
            raise NotFound("La organización no existe.", path="organization_id")
        return jsonify(serialize_organization(owner.organization))
    return jsonify(serialize_organization(_own(organization_id)))


@bp.delete("/organizations/<organization_id>")
@user_key_required
@operation(response=shapes.Organization, summary="Eliminar una organización")
def delete_organization(organization_id: str):
    """Delete an organization: its keys stop at once, its documents are kept."""
    org = _own(organization_id)
    orgs.delete_organization(db.session, org)
    return _saved(org)


@bp.put("/organizations/<organization_id>/legal")
@user_key_required
@operation(body=shapes.LegalIn, response=shapes.Organization, summary="Datos fiscales")
def update_legal(organization_id: str):
    """Replace the legal data."""
    org = _own(organization_id)
    orgs.update_legal(org, json_body())
    return _saved(org)


@bp.put("/organizations/<organization_id>/certificate")
@user_key_required
@operation(form=shapes.CertificateUpload, response=shapes.Organization, summary="Subir el CSD")
def upload_certificate(organization_id: str):
    """Upload the CSD (multipart ``cer``, ``key``, ``password``; or the reference schema's
    ``cerFile``, ``keyFile``)."""
    org = _own(organization_id)
    password = request.form.get("password")
    if not password:
        raise ValidationError(
            "Falta la contraseña de la llave privada.", "required", path="password"
        )
    orgs.upload_certificate(org, _csd_file("cer"), _csd_file("key"), password)
    return _saved(org)


def _csd_file(field: str) -> bytes:
    """The ``cer``/``key`` upload, also under the reference schema's ``cerFile``/``keyFile``."""
    alias = f"{field}File"
    return uploaded(alias if alias in request.files and field not in request.files else field)


@bp.delete("/organizations/<organization_id>/certificate")
@user_key_required
@operation(response=shapes.CertificateRemoved, summary="Eliminar el CSD")
def delete_certificate(organization_id: str):
    """Remove the CSD."""
    moment = orgs.delete_certificate(db.session, _own(organization_id))
    db.session.commit()
    return jsonify(answer(shapes.CertificateRemoved, {"updated_at": moment}))


@bp.put("/organizations/<organization_id>/logo")
@user_key_required
@operation(form=shapes.LogoUpload, response=shapes.Organization, summary="Subir el logotipo")
def upload_logo(organization_id: str):
    """Upload or replace the logo (multipart ``file``, JPG or PNG up to 500 KB)."""
    org = _own(organization_id)
    orgs.upload_logo(org, uploaded("file", LOGO_FIELD_MAX))
    return _saved(org)


@bp.put("/organizations/<organization_id>/customization")
@user_key_required
@operation(body=shapes.CustomizationIn, response=shapes.Organization, summary="Personalización")
def update_customization(organization_id: str):
    """Colour, next folios, optional PDF fields, default series."""
    org = _own(organization_id)
    orgs.update_customization(db.session, org, json_body())
    return _saved(org)


@bp.put("/organizations/<organization_id>/receipts")
@user_key_required
@operation(
    body=shapes.ReceiptSettingsIn, response=shapes.Organization, summary="Ajustes de recibos"
)
def update_receipt_settings(organization_id: str):
    """Receipt periodicity, self-invoice window and next receipt folios."""
    org = _own(organization_id)
    orgs.update_receipt_settings(org, json_body())
    return _saved(org)


@bp.put("/organizations/<organization_id>/self-invoice")
@user_key_required
@operation(
    body=shapes.SelfInvoiceIn, response=shapes.Organization, summary="Ajustes de autofactura"
)
def update_self_invoice_settings(organization_id: str):
    """CFDI uses offered on the self-invoice page and its support email."""
    org = _own(organization_id)
    orgs.update_self_invoice_settings(org, json_body())
    return _saved(org)


@bp.route("/organizations/domain-check", methods=["GET", "PUT"])
@user_key_required
@operation(
    body=shapes.DomainIn,
    query=shapes.DomainQuery,
    response=shapes.DomainAvailability,
    summary="¿Está libre el dominio?",
)
def check_domain():
    """Whether a self-invoice domain can be chosen (GET ?domain= or PUT {"domain"})."""
    domain = request.args.get("domain") if request.method == "GET" else json_body().get("domain")
    problem = orgs.domain_problem(db.session, domain)
    return jsonify({"available": problem is None, "message": problem})


@bp.put("/organizations/<organization_id>/domain")
@user_key_required
@operation(body=shapes.DomainIn, response=shapes.Organization, summary="Elegir el dominio")
def set_domain(organization_id: str):
    """Choose the self-invoice domain."""
    org = _own(organization_id)
    orgs.set_domain(db.session, org, json_body().get("domain"))
    return _saved(org)


@bp.get("/organizations/<organization_id>/apikeys/test")
@user_key_required
@operation(response=str, summary="La llave de pruebas")
def get_test_key(organization_id: str):
    """The test key (it can be read again)."""
    key = api_keys.test_key(db.session, _own(organization_id))
    db.session.commit()
    return jsonify(key)


@bp.put("/organizations/<organization_id>/apikeys/test")
@user_key_required
@operation(body=ApiKeyRequest, response=str, summary="Renovar la llave de pruebas")
def renew_test_key(organization_id: str):
    """A new test key; the previous one stops working at once."""
    org = _own(organization_id)
    key = api_keys.renew_test_key(db.session, org, requested_scopes())
    db.session.commit()
    return jsonify(key)


def requested_scopes() -> list[str]:
    """The ``scopes`` of the body (none: full access); 400 naming an unknown one."""
    return sorted(set(parse(ApiKeyRequest, json_body()).scopes))


def _live_keys(org: Organization) -> list[dict[str, Any]]:
    return [answer(shapes.LiveKey, key) for key in api_keys.live_keys(db.session, org)]


@bp.get("/organizations/<organization_id>/apikeys/live")
@user_key_required
@operation(response=list[shapes.LiveKey], summary="Llaves de producción")
def list_live_keys(organization_id: str):
    """The live keys by their first 12 characters."""
    return jsonify(_live_keys(_own(organization_id)))


@bp.put("/organizations/<organization_id>/apikeys/live")
@user_key_required
@operation(body=ApiKeyRequest, response=str, summary="Crear una llave de producción")
def create_live_key(organization_id: str):
    """A new live key, shown only in this answer."""
    org = _own(organization_id)
    key = api_keys.create_live_key(db.session, org, requested_scopes())
    db.session.commit()
    return jsonify(key)


@bp.delete("/organizations/<organization_id>/apikeys/live/<key_id>")
@user_key_required
@operation(response=list[shapes.LiveKey], summary="Revocar una llave")
def revoke_live_key(organization_id: str, key_id: str):
    """Revoke one live key; answers the keys that remain."""
    org = _own(organization_id)
    api_keys.revoke_live_key(db.session, org, key_id)
    db.session.commit()
    return jsonify(_live_keys(org))


@bp.get("/organizations/<organization_id>/series-group")
@user_key_required
@operation(response=shapes.SeriesList, summary="Series")
def list_series(organization_id: str):
    """The folio series."""
    series = orgs.list_series(db.session, _own(organization_id))
    return jsonify({"data": [serialize_series(s) for s in series]})


@bp.post("/organizations/<organization_id>/series-group")
@user_key_required
@operation(body=shapes.SeriesIn, response=shapes.Series, summary="Crear una serie")
def create_series(organization_id: str):
    """Create a folio series."""
    series = orgs.create_series(db.session, _own(organization_id), json_body())
    db.session.commit()
    return jsonify(serialize_series(series))


@bp.put("/organizations/<organization_id>/series-group/<name>")
@user_key_required
@operation(body=shapes.SeriesUpdate, response=shapes.Series, summary="Editar una serie")
def update_series(organization_id: str, name: str):
    """Change a series' next folios."""
    series = orgs.get_series(db.session, _own(organization_id), name)
    orgs.update_series(series, json_body())
    db.session.commit()
    return jsonify(serialize_series(series))


@bp.delete("/organizations/<organization_id>/series-group/<name>")
@user_key_required
@operation(response=shapes.Series, summary="Eliminar una serie")
def delete_series(organization_id: str, name: str):
    """Delete a series."""
    org = _own(organization_id)
    series = orgs.get_series(db.session, org, name)
    body = serialize_series(series)
    orgs.delete_series(db.session, org, series)
    db.session.commit()
    return jsonify(body)
