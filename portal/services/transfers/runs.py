"""The life of an import or export: asked for, claimed by the worker, worked in batches,
finished (the requester is emailed about an export), and deleted once expired.

Asking inserts a ``queued`` row in the request's transaction; the outbox turns it into a job
after the commit. The job claims the row with a lease and commits after each batch with its
progress, so the page that follows it sees the bar move and a killed worker's job is resumed
by the sweep once the lease ends (an import continues after the last committed row; an export,
a single file, starts again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from portal.errors import NotFound, TooManyRequests, ValidationError
from portal.models.accounts import Account
from portal.models.base import utcnow
from portal.models.organizations import Organization
from portal.models.tenancy import Tenant
from portal.models.transfers import DataTransfer
from portal.services import mail
from portal.services.transfers import exports, imports, tables
from portal.statuses import JobStatus

KEEP_DAYS = 7
LEASE = timedelta(minutes=5)
MAX_UNFINISHED = 3
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)
RESOURCE_NAMES = {"customers": "clientes", "products": "productos", "invoices": "facturas"}


def _admit(session: Session, organization: Organization) -> None:
    """At most ``MAX_UNFINISHED`` imports and exports run at once per organization."""
    running = session.scalar(
        select(func.count()).where(
            DataTransfer.organization_id == organization.id, DataTransfer.status.in_(UNFINISHED)
        )
    )
    if running and running >= MAX_UNFINISHED:
        raise TooManyRequests(
            f"Ya hay {running} importaciones o exportaciones en curso; espera a que terminen.",
            retry_after=60,
        )


def _new(tenant: Tenant, **fields: Any) -> DataTransfer:
    return DataTransfer(
        organization_id=tenant.organization.id,
        livemode=tenant.livemode,
        account_id=tenant.account.id if tenant.account else None,
        status=JobStatus.QUEUED,
        expires_at=utcnow() + timedelta(days=KEEP_DAYS),
        refused=[],
        **fields,
    )


def start_import(
    session: Session, tenant: Tenant, resource: str, upload_name: str, data: bytes
) -> DataTransfer:
    """Check the uploaded file (content, size, rows, headers) and queue its import."""
    if resource not in imports.COLUMNS:
        raise NotFound()
    sheet, _columns = imports.read_sheet(resource, data)
    _admit(session, tenant.organization)
    transfer = _new(
        tenant,
        direction="import",
        resource=resource,
        file_format=sheet.file_format,
        options={"upload_name": upload_name[:200]},
        total=len(sheet.rows),
        source=data,
    )
    session.add(transfer)
    session.flush()
    return transfer


def start_export(session: Session, tenant: Tenant, data: dict[str, Any]) -> DataTransfer:
    """Check what to export (period, type, status, format) and queue it."""
    options = exports.read_options(data)
    total = exports.count(session, tenant, options)
    _admit(session, tenant.organization)
    transfer = _new(
        tenant,
        direction="export",
        resource="invoices",
        file_format=options["format"],
        options=options,
        total=total,
        file_name=exports.file_name(options),
    )
    session.add(transfer)
    session.flush()
    return transfer


# Reading ----------------------------------------------------------------------------------


def _of(organization: Organization) -> Any:
    return select(DataTransfer).where(DataTransfer.organization_id == organization.id)


def get_transfer(session: Session, organization: Organization, transfer_id: str) -> DataTransfer:
    """The organization's import or export (of either environment), or 404."""
    found = session.scalar(_of(organization).where(DataTransfer.id == transfer_id))
    if found is None:
        raise NotFound("La importación o exportación no existe.")
    return found


def recent(
    session: Session, organization: Organization, direction: str, limit: int = 20
) -> list[DataTransfer]:
    """The organization's latest imports or exports, newest first."""
    query = _of(organization).where(DataTransfer.direction == direction)
    return list(session.scalars(query.order_by(DataTransfer.created_at.desc()).limit(limit)))


def downloadable(transfer: DataTransfer, now: datetime | None = None) -> bytes:
    """A finished export's file while it has not expired; otherwise a Spanish 404."""
    if transfer.status != JobStatus.DONE or transfer.direction != "export":
        raise NotFound("La exportación aún no tiene archivo.")
    if transfer.expires_at <= (now or utcnow()) or transfer.content is None:
        raise NotFound("El enlace de descarga venció; vuelve a exportar el periodo.")
    return transfer.content


def refusals_csv(transfer: DataTransfer) -> bytes:
    """The rows an import refused, with their reasons, as CSV."""
    rows = [(item["row"], reason) for item in transfer.refused for reason in item["reasons"]]
    return tables.write_csv(["Fila", "Motivo"], rows)


# Working (the job) ------------------------------------------------------------------------


def claim(session: Session, transfer_id: str, now: datetime | None = None) -> DataTransfer | None:
    """Take the transfer for this worker: queued, or running with an expired lease (its
    worker died). None when there is nothing to do."""
    now = now or utcnow()
    transfer = session.get(DataTransfer, transfer_id, with_for_update=True)
    if transfer is None or transfer.status not in UNFINISHED:
        return None
    if transfer.status == JobStatus.RUNNING and transfer.lease_until and transfer.lease_until > now:
        return None
    transfer.status, transfer.lease_until = JobStatus.RUNNING, now + LEASE
    if transfer.direction == "export":
        transfer.processed = 0  # one file: an interrupted export starts again
    session.flush()
    return transfer


def _tenant(session: Session, transfer: DataTransfer) -> Tenant:
    organization = session.get(Organization, transfer.organization_id)
    account = session.get(Account, transfer.account_id) if transfer.account_id else None
    return Tenant(organization, transfer.livemode, account)  # type: ignore[arg-type]


def _advance(transfer: DataTransfer, count: int) -> None:
    transfer.processed += count
    transfer.lease_until = utcnow() + LEASE


def run_import(session: Session, transfer: DataTransfer, checkpoint: Callable[[], None]) -> None:
    """Import the rows not yet done, a batch at a time; ``checkpoint()`` (the job's commit)
    follows each batch together with its progress."""
    tenant = _tenant(session, transfer)
    sheet, columns = imports.read_sheet(transfer.resource, transfer.source or b"")
    rows = sheet.rows[transfer.processed :]
    for start in range(0, len(rows), imports.BATCH_ROWS):
        batch = rows[start : start + imports.BATCH_ROWS]
        result = imports.import_rows(session, tenant, transfer.resource, columns, batch)
        transfer.created_count += result.created
        transfer.updated_count += result.updated
        transfer.refused = [*transfer.refused, *result.refused]
        _advance(transfer, len(batch))
        session.flush()
        checkpoint()
    transfer.source = None  # the customers' data is not kept longer than needed
    _finish(transfer)


def run_export(
    session: Session, transfer: DataTransfer, checkpoint: Callable[[], None], link: str
) -> None:
    """Build the export's file (``checkpoint()`` after each batch records the progress), keep
    it, and queue an email with ``link`` (the export's page) to the member who asked for it."""
    tenant = _tenant(session, transfer)

    def progress(count: int) -> None:
        _advance(transfer, count)
        session.flush()
        checkpoint()

    transfer.content = exports.build(session, tenant, transfer.options, progress)
    _finish(transfer)
    if tenant.account is not None:
        _email_export(session, transfer, tenant, link)


def _finish(transfer: DataTransfer) -> None:
    transfer.status, transfer.lease_until = JobStatus.DONE, None
    transfer.finished_at = utcnow()
    transfer.expires_at = transfer.finished_at + timedelta(days=KEEP_DAYS)


def fail(transfer: DataTransfer, error: Exception) -> None:
    """Record why the transfer could not be done (a file refused, an unexpected error)."""
    transfer.status, transfer.lease_until = JobStatus.FAILED, None
    transfer.finished_at = utcnow()
    transfer.source = None
    if isinstance(error, ValidationError):
        transfer.error = error.message
    else:
        transfer.error = "Ocurrió un error inesperado; vuelve a intentarlo."


def _email_export(session: Session, transfer: DataTransfer, tenant: Tenant, link: str) -> None:
    organization, account = tenant.organization, tenant.account
    assert account is not None
    mail.queue_email(
        session,
        "export_ready",
        [account.email],
        f"Tu exportación de facturas de {organization.name} está lista",
        {
            "organization_name": organization.name,
            "brand_color": f"#{organization.color}",
            "transfer": transfer,
            "link": link,
            "expires_at": transfer.expires_at,
        },
        organization_id=organization.id,
    )


# Housekeeping -----------------------------------------------------------------------------


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete expired imports and exports (with their files and reports)."""
    result = session.execute(
        delete(DataTransfer).where(
            DataTransfer.expires_at <= (now or utcnow()),
            DataTransfer.status.not_in(UNFINISHED),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def lost(session: Session, now: datetime | None = None) -> list[str]:
    """Transfers whose job never ran or died with its worker (for the sweep)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(DataTransfer.id).where(
                or_(
                    (DataTransfer.status == JobStatus.QUEUED)
                    & (DataTransfer.created_at <= now - timedelta(minutes=1)),
                    (DataTransfer.status == JobStatus.RUNNING) & (DataTransfer.lease_until <= now),
                )
            )
        )
    )
