"""Imports (customers, products) and exports (invoices by period) of one organization.

Asking for one queues it (``services.transfers.runs``) and opens its page, which follows the
progress: a ``<meta refresh>`` without JavaScript, a small poll of ``status.json`` with it.
Everything is loaded by the organization of the URL, which ``org.before_request`` already
checked the member belongs to: another organization's import or export is a 404.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from portal.dashboard.forms import ConfirmForm
from portal.dashboard.org import bp
from portal.dashboard.roles import requires
from portal.downloads import set_disposition
from portal.errors import PortalError
from portal.extensions import db
from portal.models.base import utcnow
from portal.services.transfers import exports, imports, runs, tables
from portal.statuses import JobStatus
from portal.tenancy import current_tenant

RESOURCES = ("customers", "products")
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
TEMPLATES = {"csv": imports.template_csv, "xlsx": imports.template_xlsx}


def _file(content: bytes, name: str, kind: str) -> Response:
    return set_disposition(Response(content, mimetype=MIME[kind]), name)


def _import_page(resource: str, error: str | None = None) -> tuple[str, int]:
    tenant = current_tenant()
    context = {
        "resource": resource,
        "columns": imports.COLUMNS[resource],
        "recent": [
            t
            for t in runs.recent(db.session, tenant.organization, "import")
            if t.resource == resource
        ],
        "error": error,
        "confirm": ConfirmForm(),
    }
    return render_template("dashboard/org/import.html", **context), 400 if error else 200


def _per_resource(method: str, path: str) -> Any:
    """Route ``/customers<path>`` and ``/products<path>`` (static, so that they win over
    ``/customers/<customer_id>``)."""

    def register(view: Any) -> Any:
        for resource in RESOURCES:
            bp.route(f"/{resource}{path}", methods=[method], defaults={"resource": resource})(view)
        return view

    return register


@_per_resource("GET", "/import")
def import_form(resource: str):
    """The import page: templates to download, the columns explained, the upload form."""
    return _import_page(resource)


@_per_resource("POST", "/import")
def start_import(resource: str):
    """Check the uploaded file and queue its import; its page follows the progress."""
    if not ConfirmForm().validate_on_submit():
        return _import_page(resource, _("El formulario caducó; recarga la página."))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(resource, _("Elige el archivo CSV o Excel (.xlsx) que vas a importar."))
    data = upload.read(tables.MAX_UPLOAD_BYTES + 1)
    try:
        transfer = runs.start_import(db.session, current_tenant(), resource, upload.filename, data)
    except PortalError as error:
        db.session.rollback()
        return _import_page(resource, error.message)
    db.session.commit()
    return redirect(url_for("org.transfer", transfer_id=transfer.id))


@_per_resource("GET", "/import/template.<any(csv, xlsx):kind>")
def import_template(resource: str, kind: str):
    """The empty template, with the API's field names in the headers."""
    name = f"plantilla_{imports.SHEET_TITLES[resource].lower()}.{kind}"
    return _file(TEMPLATES[kind](resource), name, kind)


def _export_page(values: dict[str, str], error: PortalError | None = None) -> tuple[str, int]:
    tenant = current_tenant()
    context = {
        "values": values,
        "problems": {p.path: p.message for p in error.problems} if error else {},
        "error": error,
        "types": exports.TYPES,
        "statuses": exports.STATUS_NAMES,
        "recent": runs.recent(db.session, tenant.organization, "export"),
        "confirm": ConfirmForm(),
    }
    return render_template("dashboard/org/export.html", **context), 400 if error else 200


@bp.get("/invoices/export")
def export_form():
    """The export page: period (in the organization's zone), type, status and format."""
    today = utcnow().astimezone(ZoneInfo(current_tenant().organization.timezone)).date()
    values = {"from": str(today.replace(day=1)), "to": str(today), "format": "csv"}
    return _export_page(values)


@bp.post("/invoices/export")
@requires("export")
def start_export():
    """Queue the export; its page follows the progress (an accountant may do this too)."""
    values = {key: request.form.get(key, "") for key in ("from", "to", "type", "status", "format")}
    if not ConfirmForm().validate_on_submit():
        return _export_page(
            values, PortalError(_("El formulario caducó; recarga la página."), "csrf")
        )
    try:
        transfer = runs.start_export(db.session, current_tenant(), values)
    except PortalError as error:
        db.session.rollback()
        return _export_page(values, error)
    db.session.commit()
    return redirect(url_for("org.transfer", transfer_id=transfer.id))


@bp.get("/transfers/<transfer_id>")
def transfer(transfer_id: str):
    """An import's or export's progress, then its result (report, download)."""
    found = runs.get_transfer(db.session, current_tenant().organization, transfer_id)
    unfinished = found.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return render_template("dashboard/org/transfer.html", transfer=found, unfinished=unfinished)


@bp.get("/transfers/<transfer_id>/status.json")
def transfer_status(transfer_id: str):
    """The progress the page polls."""
    found = runs.get_transfer(db.session, current_tenant().organization, transfer_id)
    return jsonify(status=found.status, processed=found.processed, total=found.total)


@bp.get("/transfers/<transfer_id>/refused.csv")
def transfer_refusals(transfer_id: str):
    """The rows an import refused, with their reasons, as CSV."""
    found = runs.get_transfer(db.session, current_tenant().organization, transfer_id)
    return _file(runs.refusals_csv(found), f"filas_rechazadas_{found.id}.csv", "csv")


@bp.get("/transfers/<transfer_id>/download")
def transfer_download(transfer_id: str):
    """A finished export's file, until it expires."""
    found = runs.get_transfer(db.session, current_tenant().organization, transfer_id)
    content = runs.downloadable(found)
    return _file(content, found.file_name or f"exportacion.{found.file_format}", found.file_format)
