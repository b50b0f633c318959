"""Retentions of the key's organization and environment (Facturapi's /v2/retentions)."""

from __future__ import annotations

from flask import Response, jsonify, request

from portal import downloads, schemas
from portal.api import bp
from portal.api.auth import organization_key_required
from portal.api.common import json_body
from portal.extensions import db
from portal.models.retentions import Retention
from portal.pagination import filter_dates, paginate
from portal.schemas.common import Ok, Page
from portal.schemas.retentions import (
    RetentionAnswer,
    RetentionCancel,
    RetentionCreate,
    RetentionEmail,
    RetentionListQuery,
)
from portal.services import retentions
from portal.tenancy import current_tenant, scoped_get

NOT_FOUND = "La retención no existe."
TAGS = ["retentions"]


def _load(retention_id: str) -> Retention:
    return scoped_get(Retention, retention_id, message=NOT_FOUND)


def _answer(retention: Retention) -> Response:
    return jsonify(retentions.to_dict(retention))


@bp.post("/retentions")
@organization_key_required
@schemas.operation(
    body=RetentionCreate,
    response=RetentionAnswer,
    summary="Crear y timbrar una retención (CFDI de Retenciones 2.0)",
    tags=TAGS,
)
def create_retention():
    """Create and stamp a retention; ``Idempotency-Key`` replays the first answer."""
    retention = retentions.create(
        db.session,
        current_tenant(),
        json_body(),
        request.headers.get("Idempotency-Key") or None,
        db.session.commit,
    )
    db.session.commit()
    return _answer(retention)


@bp.get("/retentions")
@organization_key_required
@schemas.operation(
    query=RetentionListQuery,
    response=Page[RetentionAnswer],
    summary="Listar retenciones",
    tags=TAGS,
)
def list_retentions():
    """The environment's retentions, newest first, with Facturapi's filters."""
    query = retentions.search(current_tenant(), request.args.to_dict())
    return paginate(db.session, filter_dates(query, Retention.created_at), retentions.to_dict)


@bp.get("/retentions/<retention_id>")
@organization_key_required
@schemas.operation(response=RetentionAnswer, summary="Obtener una retención", tags=TAGS)
def retrieve_retention(retention_id: str):
    """One retention."""
    return _answer(_load(retention_id))


@bp.delete("/retentions/<retention_id>")
@organization_key_required
@schemas.operation(
    query=RetentionCancel, response=RetentionAnswer, summary="Cancelar una retención", tags=TAGS
)
def cancel_retention(retention_id: str):
    """Cancel with SAT (immediate; ``?motive=`` 02 by default, ``substitution`` with 01)."""
    retention = retentions.cancel(
        db.session, current_tenant(), _load(retention_id), request.args.to_dict(), db.session.commit
    )
    db.session.commit()
    return _answer(retention)


@bp.get("/retentions/<retention_id>/<any(pdf, xml, zip):kind>")
@organization_key_required
@schemas.operation(
    media=downloads.MIME, summary="Descargar una retención (PDF, XML o ZIP)", tags=TAGS
)
def download_retention(retention_id: str, kind: str):
    """The stamped XML, its PDF, or both in a ZIP."""
    retention = _load(retention_id)
    organization = current_tenant().organization
    if kind == "xml":
        data = retention.xml or b""
    elif kind == "pdf":
        data = retentions.pdf_of(retention, organization)
    else:
        data = retentions.zip_of(retention, organization)
    return downloads.file_download(data, retentions.filename(retention, kind), kind)


@bp.post("/retentions/<retention_id>/email")
@organization_key_required
@schemas.operation(
    body=RetentionEmail, response=Ok, summary="Enviar una retención por correo", tags=TAGS
)
def email_retention(retention_id: str):
    """Send the retention (PDF + XML) to the customer's email or to ``email``."""
    retention = _load(retention_id)
    retentions.email(db.session, retention, current_tenant().organization, json_body())
    db.session.commit()
    return jsonify({"ok": True})
