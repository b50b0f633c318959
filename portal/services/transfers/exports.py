"""Invoices of a period as CSV, Excel, or a ZIP of each invoice's XML and PDF.

The period is two calendar dates in the organization's time zone (from the first's 00:00 to the
end of the second), matched against the invoice's creation time, as the dashboard's list and the
API's ``date[...]`` filters do. The environment is the dashboard's (test or live) when the export
is asked for. Drafts are never exported.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, undefer

from portal.errors import Problem, ValidationError
from portal.models.invoices import STATUSES, Invoice
from portal.models.organizations import Organization
from portal.models.tenancy import Tenant, scoped_select
from portal.services import invoice_files
from portal.services.transfers import tables
from portal.statuses import InvoiceStatus

FORMATS = ("csv", "xlsx", "zip")
TYPES = {"I": "Ingreso", "E": "Egreso", "P": "Pago", "N": "Nómina", "T": "Traslado"}
STATUS_NAMES = {
    "pending": "Timbrando",
    "valid": "Vigente",
    "canceled": "Cancelada",
    "failed": "Falló",
}
CANCELLATION_NAMES = {
    "none": "",
    "pending": "En proceso",
    "accepted": "Aceptada",
    "rejected": "Rechazada",
    "expired": "Vencida",
}
MAX_DAYS = 366
MAX_INVOICES = {"csv": 100_000, "xlsx": 100_000, "zip": 5_000}
BATCH = {"csv": 500, "xlsx": 500, "zip": 25}
WIDTHS = (26, 8, 10, 38, 20, 20, 10, 11, 12, 15, 40, 6, 8, 8, 7, 10, 14, 14, 14, 14, 20)


def _day(text: Any, key: str, label: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        problems.append(
            Problem(f"Escribe la fecha «{label}» como AAAA-MM-DD.", "invalid_date", key)
        )
        return None


def read_options(data: dict[str, Any]) -> dict[str, str]:
    """The export asked for (dates, type, status, format), checked; every problem in Spanish."""
    problems: list[Problem] = []
    start = _day(data.get("from"), "from", "Desde", problems)
    end = _day(data.get("to"), "to", "Hasta", problems)
    if start and end and start > end:
        problems.append(
            Problem("«Desde» debe ser anterior o igual a «Hasta».", "invalid_range", "to")
        )
    elif start and end and (end - start).days >= MAX_DAYS:
        problems.append(
            Problem(
                f"El periodo puede abarcar {MAX_DAYS} días como máximo.", "range_too_long", "to"
            )
        )
    kind, status, file_format = (str(data.get(k) or "") for k in ("type", "status", "format"))
    if kind and kind not in TYPES:
        problems.append(
            Problem("Elige un tipo de comprobante de la lista.", "invalid_enum", "type")
        )
    if status and (status not in STATUSES or status == InvoiceStatus.DRAFT):
        problems.append(Problem("Elige un estado de la lista.", "invalid_enum", "status"))
    if file_format not in FORMATS:
        problems.append(Problem("Elige CSV, Excel o ZIP.", "invalid_enum", "format"))
    if problems:
        raise ValidationError.from_problems(problems)
    return {
        "from": str(start),
        "to": str(end),
        "type": kind,
        "status": status,
        "format": file_format,
    }


def _bounds(options: dict[str, str], zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(options["from"]), time.min, zone)
    end = datetime.combine(date.fromisoformat(options["to"]) + timedelta(days=1), time.min, zone)
    return start, end


def query(tenant: Tenant, options: dict[str, str]) -> Select[tuple[Invoice]]:
    """The invoices to export, oldest first."""
    start, end = _bounds(options, ZoneInfo(tenant.organization.timezone))
    found = scoped_select(Invoice, tenant).where(
        Invoice.created_at >= start, Invoice.created_at < end, Invoice.status != InvoiceStatus.DRAFT
    )
    if options["type"]:
        found = found.where(Invoice.type == options["type"])
    if options["status"]:
        found = found.where(Invoice.status == options["status"])
    return found.order_by(Invoice.created_at, Invoice.id)


def count(session: Session, tenant: Tenant, options: dict[str, str]) -> int:
    """How many invoices the export holds; more than a format allows is refused in Spanish."""
    total = session.scalar(select(func.count()).select_from(query(tenant, options).subquery()))
    limit = MAX_INVOICES[options["format"]]
    if total and total > limit:
        raise ValidationError(
            f"El periodo tiene {total:,} facturas y este formato admite {limit:,} como máximo. "
            "Elige un periodo más corto.",
            "too_many_invoices",
            path="from",
        )
    return int(total or 0)


def file_name(options: dict[str, str]) -> str:
    """``facturas_<from>_<to>.<format>``."""
    return f"facturas_{options['from']}_{options['to']}.{options['format']}"


def header(zone_name: str) -> list[str]:
    """The columns of the listing; the dates name the zone they are in."""
    return [
        "ID",
        "Serie",
        "Folio",
        "UUID",
        f"Creada ({zone_name})",
        f"Fecha de emisión ({zone_name})",
        "Tipo",
        "Estado",
        "Cancelación",
        "RFC del cliente",
        "Cliente",
        "Uso",
        "Forma de pago",
        "Método de pago",
        "Moneda",
        "Tipo de cambio",
        "Subtotal",
        "Total",
        "Pagado",
        "Saldo",
        "ID externo",
    ]


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def row(invoice: Invoice, zone: ZoneInfo, numbers: Callable[[Decimal], Any]) -> list[Any]:
    """One invoice as a row of the listing (amounts through ``numbers``: text or number)."""
    customer = invoice.customer or {}
    return [
        invoice.id,
        invoice.series or "",
        invoice.folio_number or "",
        invoice.uuid or "",
        _local(invoice.created_at, zone),
        _local(invoice.date, zone),
        TYPES.get(invoice.type, invoice.type),
        STATUS_NAMES.get(invoice.status, invoice.status),
        CANCELLATION_NAMES.get(invoice.cancellation_status, invoice.cancellation_status),
        customer.get("tax_id") or "",
        customer.get("legal_name") or "",
        invoice.use or "",
        invoice.payment_form or "",
        invoice.payment_method or "",
        invoice.currency,
        numbers(invoice.exchange),
        numbers(invoice.subtotal),
        numbers(invoice.total),
        numbers(invoice.amount_paid),
        numbers(invoice.balance),
        invoice.external_id or "",
    ]


def _batches(session: Session, tenant: Tenant, options: dict[str, str]) -> Iterator[list[Invoice]]:
    """The invoices in batches, read by keyset (never the whole period in memory)."""
    size, with_xml = BATCH[options["format"]], options["format"] == "zip"
    last: tuple[datetime, str] | None = None
    while True:
        page = query(tenant, options)
        if last is not None:
            page = page.where(
                (Invoice.created_at > last[0])
                | ((Invoice.created_at == last[0]) & (Invoice.id > last[1]))
            )
        if with_xml:
            page = page.options(undefer(Invoice.xml))
        invoices = list(session.scalars(page.limit(size)))
        if not invoices:
            return
        yield invoices
        last = (invoices[-1].created_at, invoices[-1].id)


def _text_amount(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize():f}"


def build(
    session: Session, tenant: Tenant, options: dict[str, str], progress: Callable[[int], None]
) -> bytes:
    """The export's file; ``progress(n)`` is called after each batch of ``n`` invoices (the
    caller records it)."""
    zone_name = tenant.organization.timezone
    zone = ZoneInfo(zone_name)
    organization = tenant.organization
    file_format = options["format"]
    if file_format == "xlsx":
        writer = tables.XlsxWriter()
        sheet = writer.sheet("Facturas", header(zone_name), WIDTHS)
        for invoices in _batches(session, tenant, options):
            for invoice in invoices:
                writer.append(sheet, row(invoice, zone, lambda value: value))
            progress(len(invoices))
        return writer.save()
    listing: list[list[Any]] = []
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as spool:
        archive = (
            zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) if file_format == "zip" else None
        )
        for invoices in _batches(session, tenant, options):
            for invoice in invoices:
                listing.append(row(invoice, zone, _text_amount))
                if archive is not None and invoice.uuid and invoice.xml:
                    _add_documents(archive, invoice, organization)
            progress(len(invoices))
        csv_file = tables.write_csv(header(zone_name), listing)
        if archive is None:
            return csv_file
        archive.writestr(file_name({**options, "format": "csv"}), csv_file)
        archive.close()
        spool.seek(0)
        return spool.read()


def _add_documents(archive: zipfile.ZipFile, invoice: Invoice, organization: Organization) -> None:
    archive.writestr(invoice_files.filename(invoice, "xml"), invoice_files.xml_of(invoice))
    archive.writestr(
        invoice_files.filename(invoice, "pdf"), invoice_files.pdf_of(invoice, organization)
    )
