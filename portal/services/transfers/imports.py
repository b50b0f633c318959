"""Customers and products from a spreadsheet, each row checked by the API's own create/update.

A row becomes the same JSON body ``POST /v2/customers`` or ``POST /v2/products`` receives, and
goes through ``customers.create_customer`` / ``products.create_product`` (or their updates):
the rules live there once. This module only translates cells into that body (a column's header
names the API field; "sí"/"no" become booleans; "IVA 16; ISR 10 retenido" becomes the ``taxes``
list) and turns refused rows' problems into Spanish reasons naming the column.

Rows that match what is already saved update it instead of making a copy, as a user re-importing
a corrected sheet expects: a customer with the same RFC (SAT's generic RFCs excepted: many
customers share them) and a product with the same SKU. An empty cell leaves the saved value as
it is; on a new record it is simply absent (the API's default, or its "required" error).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from portal.cfdi import rules
from portal.errors import PortalError, Problem, ValidationError
from portal.models.customers import Customer
from portal.models.products import Product
from portal.models.tenancy import Tenant, scoped_select
from portal.services import customers, products
from portal.services.transfers import tables

BATCH_ROWS = 100
TRUE_WORDS = frozenset({"si", "sí", "s", "true", "verdadero", "1", "x", "yes"})
FALSE_WORDS = frozenset({"no", "n", "false", "falso", "0"})
NO_TAXES = frozenset({"ninguno", "ninguna", "sin impuestos", "no", "[]"})
WITHHOLDING_WORDS = frozenset({"retenido", "retenida", "retencion", "retención", "ret"})
FACTOR_WORDS = {"exento": "Exento", "exenta": "Exento", "cuota": "Cuota", "tasa": "Tasa"}


def N_(text: str) -> str:
    """Mark a column's name or help for the translation catalogue; pages translate it."""
    return text


@dataclass(frozen=True)
class Column:
    """One column of a template: the API field it fills, its Spanish name, help and example."""

    field: str
    label: str
    help: str
    example: str = ""
    kind: str = "text"  # text | boolean | taxes | local_taxes | zip

    @property
    def header(self) -> str:
        """The template's header: the Spanish name with the API field in parentheses."""
        return f"{self.label} ({self.field})"


CUSTOMER_COLUMNS = (
    Column(
        "legal_name",
        N_("Razón social"),
        N_("Nombre o razón social como en la constancia fiscal, sin «S.A. de C.V.»."),
        "ESCUELA KEMPER URGATE",
    ),
    Column(
        "tax_id",
        N_("RFC"),
        N_(
            "12 caracteres (persona moral) o 13 (persona física). Si ya tienes un cliente con ese "
            "RFC, se actualiza."
        ),
        "EKU9003173C9",
    ),
    Column(
        "tax_system",
        N_("Régimen fiscal"),
        N_("Clave de 3 dígitos del catálogo c_RegimenFiscal del SAT (p. ej. 601, 612, 626)."),
        "601",
    ),
    Column(
        "address.zip",
        N_("Código postal"),
        N_("Código postal del domicilio fiscal (5 dígitos)."),
        "42501",
        "zip",
    ),
    Column("email", N_("Correo"), N_("Correo al que se envían las facturas."), "pagos@ejemplo.mx"),
    Column("phone", N_("Teléfono"), N_("Dígitos, espacios y + ( ) -."), "55 1234 5678"),
    Column(
        "default_invoice_use",
        N_("Uso del CFDI"),
        N_(
            "Uso predeterminado, del catálogo c_UsoCFDI (p. ej. G03); debe corresponder al régimen."
        ),
        "G03",
    ),
    Column(
        "external_id", N_("ID externo"), N_("Tu propio identificador del cliente (opcional)."), ""
    ),
    Column("address.street", N_("Calle"), N_("Opcional."), "Av. Juárez"),
    Column("address.exterior", N_("Número exterior"), N_("Opcional."), "10"),
    Column("address.interior", N_("Número interior"), N_("Opcional."), ""),
    Column("address.neighborhood", N_("Colonia"), N_("Opcional."), "Centro"),
    Column("address.city", N_("Ciudad"), N_("Opcional."), "Pachuca"),
    Column("address.municipality", N_("Municipio"), N_("Opcional."), "Pachuca de Soto"),
    Column("address.state", N_("Estado"), N_("Opcional."), "Hidalgo"),
    Column(
        "address.country",
        N_("País"),
        N_("Clave de 3 letras (MEX si se deja vacío; otro país es un cliente extranjero)."),
        "MEX",
    ),
)
PRODUCT_COLUMNS = (
    Column("description", N_("Descripción"), N_("Nombre del producto o servicio."), "Ukelele"),
    Column(
        "product_key",
        N_("Clave SAT"),
        N_("Clave de producto o servicio del catálogo c_ClaveProdServ (8 dígitos)."),
        "60131324",
    ),
    Column("price", N_("Precio"), N_("Precio unitario, con punto decimal."), "345.60"),
    Column(
        "tax_included",
        N_("Precio con impuestos"),
        N_("«sí» si el precio ya incluye los impuestos (lo normal), «no» si se suman."),
        "sí",
        "boolean",
    ),
    Column(
        "taxes",
        N_("Impuestos"),
        N_(
            "Separados por «;»: tipo y tasa en por ciento, «retenido» si es retención, «exento», "
            "o «cuota» para IEPS por unidad. Vacío: IVA 16. «ninguno»: sin impuestos."
        ),
        "IVA 16; ISR 10 retenido",
        "taxes",
    ),
    Column(
        "local_taxes",
        N_("Impuestos locales"),
        N_(
            "Nombre y tasa en por ciento, separados por «;» (p. ej. «ISH 3»); «retenido» si es "
            "retención."
        ),
        "",
        "local_taxes",
    ),
    Column(
        "taxability",
        N_("Objeto de impuesto"),
        N_("Clave c_ObjetoImp (01, 02, 03…). Vacío: se deduce de los impuestos."),
        "",
    ),
    Column(
        "unit_key",
        N_("Clave de unidad"),
        N_("Clave c_ClaveUnidad (H87 pieza, E48 servicio…). Vacío: H87."),
        "H87",
    ),
    Column(
        "unit_name", N_("Unidad"), N_("Nombre de la unidad. Vacío: el del SAT para la clave."), ""
    ),
    Column(
        "sku",
        N_("SKU"),
        N_("Tu código del producto. Si ya tienes un producto con ese SKU, se actualiza."),
        "UKE-01",
    ),
)
COLUMNS = {"customers": CUSTOMER_COLUMNS, "products": PRODUCT_COLUMNS}
SHEET_TITLES = {"customers": "Clientes", "products": "Productos"}


# Headers ----------------------------------------------------------------------------------


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _names(column: Column) -> set[str]:
    return {_plain(column.header), _plain(column.field), _plain(column.label)}


def match_header(resource: str, header: Sequence[str]) -> list[Column | None]:
    """The template column of each header cell (None for an empty one), or a Spanish refusal
    naming the headers that are not the template's or appear twice."""
    known = {name: column for column in COLUMNS[resource] for name in _names(column)}
    matched: list[Column | None] = []
    unknown: list[str] = []
    for title in header:
        column = known.get(_plain(title)) if title else None
        if title and column is None:
            unknown.append(title)
        matched.append(column)
    if unknown:
        raise ValidationError(
            "Estas columnas no son de la plantilla: "
            + ", ".join(f"«{title}»" for title in unknown)
            + ". Usa los encabezados de la plantilla (puedes quitar columnas que no uses).",
            "unknown_columns",
            path="file",
        )
    fields = [column.field for column in matched if column]
    repeated = sorted({field for field in fields if fields.count(field) > 1})
    if repeated:
        raise ValidationError(
            "Estas columnas aparecen dos veces: " + ", ".join(repeated) + ".",
            "repeated_columns",
            path="file",
        )
    if not fields:
        raise ValidationError(
            "La primera fila debe tener los encabezados de la plantilla.",
            "missing_header",
            path="file",
        )
    return matched


def read_sheet(resource: str, data: bytes) -> tuple[tables.Sheet, list[Column | None]]:
    """The upload's rows and the column of each cell; any problem with the file is raised."""
    sheet = tables.read_upload(data)
    columns = match_header(resource, sheet.header)
    if not sheet.rows:
        raise ValidationError(
            "El archivo sólo tiene encabezados; no hay filas que importar.", "no_rows", path="file"
        )
    return sheet, columns


# Cells -> the API's body ------------------------------------------------------------------


def _boolean(text: str) -> Any:
    word = _plain(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return text  # the API's check refuses it with its own message


def _percent(token: str) -> str:
    try:
        return str((Decimal(token.rstrip("%")) / 100).normalize())
    except InvalidOperation:
        return token


def _tax(text: str, local: bool) -> dict[str, Any]:
    """One tax written as words: "IVA 16", "ISR 10 retenido", "IVA exento", "IEPS 0.35 cuota"."""
    tax: dict[str, Any] = {}
    words, rate = [], None
    for token in text.replace(",", " ").split():
        plain = _plain(token)
        if plain in WITHHOLDING_WORDS:
            tax["withholding"] = True
        elif not local and plain in FACTOR_WORDS:
            tax["factor"] = FACTOR_WORDS[plain]
        elif re.fullmatch(r"[0-9.]+%?", token):
            rate = token
        else:
            words.append(token)
    if words:
        tax["type"] = " ".join(words) if local else " ".join(words).upper()
    if rate is not None:
        # A quota (IEPS per unit) is an amount, every other rate a percentage.
        tax["rate"] = rate.rstrip("%") if tax.get("factor") == "Cuota" else _percent(rate)
    return tax


def _taxes(text: str, local: bool = False) -> Any:
    if text.startswith("["):
        try:
            return json.loads(text)  # the API's own JSON list
        except ValueError:
            return text
    if _plain(text) in NO_TAXES:
        return []
    return [_tax(part, local) for part in text.split(";") if part.strip()]


def _zip(text: str) -> str:
    # Excel drops the leading zero of a zip typed as a number (01000 → 1000).
    return text.zfill(5) if text.isdigit() and len(text) == 4 else text


READERS: dict[str, Callable[[str], Any]] = {
    "text": lambda text: text,
    "boolean": _boolean,
    "taxes": _taxes,
    "local_taxes": lambda text: _taxes(text, local=True),
    "zip": _zip,
}


def row_body(columns: Sequence[Column | None], cells: Sequence[str]) -> dict[str, Any]:
    """The API body of one row: its non-empty cells under their fields (``address.zip`` nests)."""
    body: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None or not cell:
            continue
        target, name = body, column.field
        if "." in name:
            parent, name = name.split(".", 1)
            target = body.setdefault(parent, {})
        target[name] = READERS[column.kind](cell)
    return body


def reasons(resource: str, error: PortalError) -> list[str]:
    """Each problem of a refused row, in Spanish, starting with the column it is about."""
    columns = COLUMNS[resource]
    found = []
    for problem in error.problems or [Problem(error.message, error.code, error.path)]:
        path = re.sub(r"\[\d+\].*$", "", problem.path or "")
        column = next((c for c in columns if c.field == path), None)
        found.append(f"{column.header}: {problem.message}" if column else problem.message)
    return found


# Saving -----------------------------------------------------------------------------------


def _customer_for(session: Session, tenant: Tenant, body: dict[str, Any]) -> Customer | None:
    tax_id = body.get("tax_id")
    if not isinstance(tax_id, str) or tax_id.strip().upper() in rules.GENERIC_RFCS:
        return None
    query = scoped_select(Customer, tenant).where(Customer.tax_id == tax_id.strip().upper())
    return session.scalar(query.order_by(Customer.created_at.desc()).limit(1))


def _product_for(session: Session, tenant: Tenant, body: dict[str, Any]) -> Product | None:
    sku = body.get("sku")
    if not isinstance(sku, str) or not sku.strip():
        return None
    query = scoped_select(Product, tenant).where(Product.sku == sku.strip())
    return session.scalar(query.order_by(Product.created_at.desc()).limit(1))


def _save_customer(session: Session, tenant: Tenant, body: dict[str, Any]) -> bool:
    found = _customer_for(session, tenant, body)
    if found is None:
        customers.create_customer(session, tenant, body)
        return True
    customers.update_customer(session, tenant, found, body)
    return False


def _save_product(session: Session, tenant: Tenant, body: dict[str, Any]) -> bool:
    found = _product_for(session, tenant, body)
    if found is None:
        products.create_product(session, tenant, body)
        return True
    products.update_product(session, found, body)
    return False


SAVERS = {"customers": _save_customer, "products": _save_product}


@dataclass
class BatchResult:
    """What a batch of rows did."""

    created: int = 0
    updated: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


def import_rows(
    session: Session,
    tenant: Tenant,
    resource: str,
    columns: Sequence[Column | None],
    rows: Sequence[tuple[int, list[str]]],
) -> BatchResult:
    """Create or update one record per row, each in a savepoint: a refused row changes nothing
    and is reported with its number and reasons."""
    result = BatchResult()
    save = SAVERS[resource]
    for number, cells in rows:
        try:
            with session.begin_nested():
                created = save(session, tenant, row_body(columns, cells))
        except PortalError as error:
            result.refused.append({"row": number, "reasons": reasons(resource, error)})
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
    return result


# Templates --------------------------------------------------------------------------------


def template_csv(resource: str) -> bytes:
    """The empty CSV template: the header row only."""
    return tables.write_csv([column.header for column in COLUMNS[resource]], [])


def template_xlsx(resource: str) -> bytes:
    """The xlsx template: the sheet to fill in (cells formatted as text, so that zips and keys
    keep their zeros) and an instructions sheet explaining every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    columns = COLUMNS[resource]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLES[resource]
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 2)
        sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, 502):
            sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Instrucciones")
    guide.append(["Columna", "Campo de la API", "Qué escribir", "Ejemplo"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        guide.append([column.label, column.field, column.help, tables.safe_cell(column.example)])
    for letter, width in zip("ABCD", (24, 24, 80, 28), strict=True):
        guide.column_dimensions[letter].width = width
    for row in guide.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
