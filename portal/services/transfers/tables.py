"""Spreadsheets in and out.

In: an upload is read by its content, never by its name: an xlsx workbook (a ZIP holding
``xl/workbook.xml``, its unpacked size bounded) or CSV text in UTF-8 or Windows-1252/latin-1 (as
Excel saves it in Mexico), with ``,``, ``;`` or tab between fields. Every cell comes out as
trimmed text, so one set of readers serves both formats.

Out: CSV (UTF-8 with a BOM, so that Excel shows the accents) and xlsx. A text cell that starts
with ``= + - @`` (or a tab or carriage return) would run as a formula when the file is opened
(CSV injection, OWASP): it is written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portal.errors import ValidationError

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 80 * 1024 * 1024  # an xlsx is a ZIP: bound what it expands to
DELIMITERS = (",", ";", "\t")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
TEXT_CONTROLS = frozenset("\t\n\r")


@dataclass
class Sheet:
    """The header and the non-empty data rows, each with its number as a spreadsheet shows
    it, and the format the file turned out to be (``csv`` or ``xlsx``)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    file_format: str


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(message, code, path="file")


def read_upload(data: bytes) -> Sheet:
    """The table in an uploaded file, or a ``ValidationError`` in Spanish saying why not."""
    if not data.strip():
        raise _refuse("El archivo está vacío.", "empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        size = len(data) / (1024 * 1024)
        raise _refuse(
            f"El archivo pesa {size:.1f} MB y el máximo es {MAX_UPLOAD_BYTES // (1024 * 1024)} "
            "MB. Divídelo en varios archivos.",
            "file_too_large",
        )
    if data.startswith(OLE_MAGIC):
        raise _refuse(
            "Es un archivo de Excel antiguo (.xls). Guárdalo como «Libro de Excel (.xlsx)» o "
            "como CSV y súbelo de nuevo.",
            "unsupported_file",
        )
    if data.startswith(XLSX_MAGIC):
        return _limited(_xlsx_rows(data), "xlsx")
    return _limited(_csv_rows(_decode(data)), "csv")


def _not_a_table() -> ValidationError:
    return _refuse(
        "El archivo no es un CSV ni un libro de Excel (.xlsx). Descarga la plantilla, llénala y "
        "súbela en uno de esos formatos.",
        "unsupported_file",
    )


def _decode(data: bytes) -> str:
    """The file's text: UTF-8 first, then Windows-1252, then latin-1; binary is refused."""
    if b"\x00" in data:
        raise _not_a_table()
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not any(
            unicodedata.category(char) == "Cc" and char not in TEXT_CONTROLS for char in text
        ):
            return text
    raise _not_a_table()


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    return max(DELIMITERS, key=first_line.count)


def _csv_rows(text: str) -> Iterable[list[str]]:
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)):
            yield [cell.strip() for cell in row]
    except csv.Error as error:
        raise _refuse(
            f"El CSV está mal formado ({error}). Revisa las comillas.", "invalid_csv"
        ) from error


def _cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ``.0``, dates as YYYY-MM-DD, booleans in Spanish."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "sí" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(data: bytes) -> Iterable[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _not_a_table() from error
    if "xl/workbook.xml" not in names:
        raise _not_a_table()
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(
            "El libro de Excel es demasiado grande una vez descomprimido. Divídelo en varios "
            "archivos.",
            "file_too_large",
        )
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield [_cell_text(value) for value in row]
        finally:
            workbook.close()
    except ValidationError:
        raise
    except Exception as error:  # openpyxl raises many types on a damaged workbook
        raise _refuse(
            "No pudimos leer el libro de Excel; ábrelo, guárdalo de nuevo como .xlsx y vuelve a "
            "subirlo.",
            "invalid_xlsx",
        ) from error


def _limited(rows: Iterable[list[str]], file_format: str) -> Sheet:
    """The header (first row) and up to ``MAX_ROWS`` non-empty rows; more is refused."""
    header: list[str] | None = None
    found: list[tuple[int, list[str]]] = []
    for number, row in enumerate(rows, start=1):
        if header is None:
            header = row
            continue
        if not any(row):
            continue
        if len(found) == MAX_ROWS:
            raise _refuse(
                f"El archivo tiene más de {MAX_ROWS:,} filas. Divídelo en archivos de "
                f"{MAX_ROWS:,} filas como máximo.",
                "too_many_rows",
            )
        found.append((number, row))
    if not header or not any(header):
        raise _refuse(
            "La primera fila debe tener los encabezados de la plantilla.", "missing_header"
        )
    while header and not header[-1]:
        header.pop()
    return Sheet(header, found, file_format)


# Writing ----------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file Excel opens with its accents right (UTF-8 with BOM)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow(["" if cell is None else safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


class XlsxWriter:
    """An xlsx workbook written row by row (openpyxl's write-only mode, for big exports)."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, header: Sequence[str], widths: Sequence[int] = ()) -> Any:
        """A new sheet with a bold header row."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        sheet = self.workbook.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        cells = []
        for title_text in header:
            cell = WriteOnlyCell(sheet, value=safe_cell(title_text))
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        return sheet

    @staticmethod
    def append(sheet: Any, row: Sequence[Any]) -> None:
        """One row; text is protected from running as a formula."""
        sheet.append([safe_cell(cell) for cell in row])

    def save(self) -> bytes:
        """The workbook's bytes."""
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()
