"""SAT's 69-B list (EFOS): import SAT's published CSV and look an RFC up in it.

SAT's "Listado completo 69-B" CSV is latin-1 encoded (UTF-8 is accepted too) and has a few
title lines before the column row (No, RFC, Nombre del Contribuyente, Situación del
contribuyente, then numbers and publication dates of each stage).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime
from typing import Any

import requests
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.cfdi import rules
from portal.errors import ValidationError
from portal.models.base import utcnow
from portal.models.efos import EfosEntry

# Facturapi's detail names by (stage, number-or-publication, SAT-or-DOF).
STAGES = {
    "presun": "Presuntos",
    "desvirtu": "Desvirtuados",
    "definitiv": "Definitivos",
    "sentencia": "SentFav",
}
MAX_LIST_BYTES = 200 * 2**20  # SAT's complete list is some 20 MB
# Only these situations clear an RFC that appears on the list.
CLEARED = frozenset({"desvirtuado", "sentencia favorable"})


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(plain.lower().split())


def _detail_key(header: str) -> str | None:
    """Facturapi's name for one of SAT's stage columns, or None for other columns."""
    folded = _fold(header)
    stage = next((name for word, name in STAGES.items() if word in folded), None)
    if stage is None:
        return None
    kind = "num" if "oficio" in folded else "pub"
    return f"{kind}{'Dof' if 'dof' in folded else 'Sat'}{stage}"


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _rows(data: bytes) -> tuple[list[str], list[list[str]]]:
    """The column row and the data rows after it."""
    rows = list(csv.reader(io.StringIO(_decode(data))))
    for index, row in enumerate(rows):
        if len(row) > 3 and _fold(row[1]) == "rfc":
            return row, [r for r in rows[index + 1 :] if len(r) > 3 and r[1].strip()]
    raise ValidationError(
        "El archivo no tiene el formato del listado 69-B del SAT (falta la fila de columnas "
        "No, RFC, Nombre del Contribuyente, Situación del contribuyente).",
        "invalid_efos_file",
    )


def import_list(session: Session, data: bytes) -> int:
    """Replace the stored 69-B list with SAT's CSV; returns how many rows were loaded."""
    header, rows = _rows(data)
    keys = [_detail_key(column) for column in header]
    now = utcnow()
    session.execute(delete(EfosEntry))
    for row in rows:
        details = {k: v.strip() for k, v in zip(keys, row, strict=False) if k and v.strip()}
        session.add(
            EfosEntry(
                rfc=row[1].strip().upper(),
                name=row[2].strip()[:500],
                situation=row[3].strip()[:60],
                details=details,
                imported_at=now,
            )
        )
    session.flush()
    return len(rows)


def validate_tax_id(session: Session, tax_id: Any) -> dict[str, Any]:
    """Facturapi's ``tax_id_validation`` answer: the RFC's entries on the 69-B list."""
    rfc = rules.normalize_tax_id(tax_id if isinstance(tax_id, str) else "")
    problem = rules.rfc_problem(rfc)
    # The list is looked up as published: a wrong check digit is no reason to refuse.
    if problem is not None and problem.code != rules.INVALID_TAX_ID_CHECK_DIGIT:
        raise ValidationError(problem.message, problem.code, path="tax_id")
    loaded_at: datetime | None = session.scalar(select(func.max(EfosEntry.imported_at)))
    if loaded_at is None:  # nothing was checked: never say the RFC is clean
        return {
            "efos": {
                "is_valid": None,
                "list_loaded": False,
                "data": {
                    "mensaje": (
                        f"El listado del artículo 69-B del SAT no está cargado en este servidor: "
                        f"no se revisó el RFC {rfc}."
                    ),
                    "fechaLista": None,
                    "detalles": [],
                },
            }
        }
    entries = session.scalars(select(EfosEntry).where(EfosEntry.rfc == rfc)).all()
    listed = [e for e in entries if _fold(e.situation) not in CLEARED]
    return {
        "efos": {
            "is_valid": not listed,
            "list_loaded": True,
            "data": {
                "mensaje": _message(rfc, entries),
                "fechaLista": (
                    f"Información actualizada al {loaded_at:%d/%m/%Y}" if loaded_at else None
                ),
                "detalles": [_detail(e) for e in entries],
            },
        }
    }


def _message(rfc: str, entries: list[EfosEntry]) -> str:
    if not entries:
        return f"El RFC {rfc} no se encuentra en el listado de contribuyentes del artículo 69-B."
    situations = ", ".join(sorted({e.situation for e in entries}))
    return f"El RFC {rfc} aparece en el listado del artículo 69-B con situación: {situations}."


def _detail(entry: EfosEntry) -> dict[str, str]:
    return {
        "rfc": entry.rfc,
        "razonSocial": entry.name,
        "situacionContribuyente": entry.situation,
        **entry.details,
    }


def read_source(source: str, max_bytes: int = MAX_LIST_BYTES, timeout: float = 60) -> bytes:
    """The list's bytes from a file path or an ``http(s)://`` URL the operator configured
    (``EFOS_SOURCE``); call it with no transaction open. A clear error when it cannot be read
    or is larger than ``max_bytes``."""
    if source.startswith(("http://", "https://")):
        try:
            with requests.get(source, stream=True, timeout=timeout) as response:
                response.raise_for_status()
                data = b""
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > max_bytes:
                        raise _too_large(source)
                return data
        except requests.RequestException as error:
            raise ValidationError(
                f"No se pudo descargar el listado 69-B de {source}: {type(error).__name__}.",
                "efos_source_unreadable",
            ) from error
    try:
        with open(source, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise ValidationError(
            f"No se pudo leer el listado 69-B de {source}: {error.strerror}.",
            "efos_source_unreadable",
        ) from error
    if len(data) > max_bytes:
        raise _too_large(source)
    return data


def _too_large(source: str) -> ValidationError:
    return ValidationError(
        f"El listado 69-B de {source} pasa de {MAX_LIST_BYTES // 2**20} MB.", "efos_too_large"
    )
