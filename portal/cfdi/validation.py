"""Validation against SAT's XSD, fast enough for 5,000-concept invoices.

satcfdi recompiles the whole schema on every call, and libxml2 checks an ``xs:enumeration`` by
scanning it: c_ClaveProdServ has 52k values and c_CodigoPostal 96k, so a big invoice takes
seconds. Here the schema set is compiled once per process from a patched copy of
``catCFDI.xsd`` in which every enumeration of 200+ values becomes a pattern of the same shape
(``[0-9]{8}`` for ClaveProdServ). The values themselves are checked in Python against
frozensets read from the same original XSD, at every attribute whose type is one of those
catalogs. Together they accept and reject the same documents as the full XSD; the tests prove
it on invalid documents of each kind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from lxml import etree
from satcfdi.transform import SCHEMA_ROOT

from portal.cfdi import errors as E
from portal.cfdi import retention_complements
from portal.cfdi.errors import CFDIValidationError
from portal.errors import Problem

XS = "http://www.w3.org/2001/XMLSchema"
CATALOG_NS = "http://www.sat.gob.mx/sitio_internet/cfd/catalogos"
CATALOG_FILE = "www.sat.gob.mx/sitio_internet/cfd/catalogos/catCFDI.xsd"
LARGE_ENUMERATION = 200
ADDENDA_TAGS = frozenset(
    {
        "{http://www.sat.gob.mx/cfd/4}Addenda",
        "{http://www.sat.gob.mx/esquemas/retencionpago/2}Addenda",
    }
)

# Every schema a document of ours may contain (root documents and their complements).
SCHEMAS: tuple[tuple[str, str], ...] = (
    ("http://www.sat.gob.mx/cfd/4", "www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd"),
    ("http://www.sat.gob.mx/Pagos20", "www.sat.gob.mx/sitio_internet/cfd/Pagos/Pagos20.xsd"),
    (
        "http://www.sat.gob.mx/TimbreFiscalDigital",
        "www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
    ),
    ("http://www.sat.gob.mx/implocal", "www.sat.gob.mx/sitio_internet/cfd/implocal/implocal.xsd"),
    (
        "http://www.sat.gob.mx/ComercioExterior20",
        "www.sat.gob.mx/sitio_internet/cfd/ComercioExterior20/ComercioExterior20.xsd",
    ),
    ("http://www.sat.gob.mx/nomina12", "www.sat.gob.mx/sitio_internet/cfd/nomina/nomina12.xsd"),
    (
        "http://www.sat.gob.mx/CartaPorte31",
        "www.sat.gob.mx/sitio_internet/cfd/CartaPorte/CartaPorte31.xsd",
    ),
    (
        "http://www.sat.gob.mx/esquemas/retencionpago/2",
        "www.sat.gob.mx/esquemas/retencionpago/2/retencionpagov2.xsd",
    ),
    # SAT complements an API user may send as ``complements: [{type: "custom"}]``.
    (
        "http://www.sat.gob.mx/leyendasFiscales",
        "www.sat.gob.mx/sitio_internet/cfd/leyendasFiscales/leyendasFisc.xsd",
    ),
    ("http://www.sat.gob.mx/donat", "www.sat.gob.mx/sitio_internet/cfd/donat/donat11.xsd"),
    ("http://www.sat.gob.mx/divisas", "www.sat.gob.mx/sitio_internet/cfd/divisas/divisas.xsd"),
    ("http://www.sat.gob.mx/ine", "www.sat.gob.mx/sitio_internet/cfd/ine/ine11.xsd"),
    # The complements of Retenciones 2.0 the engine accepts.
    *retention_complements.SCHEMA_FILES,
)


@dataclass(frozen=True)
class CatalogCheck:
    """One attribute whose catalog enumeration was moved from the XSD to Python."""

    tag: str
    attribute: str
    catalog: str
    values: frozenset[str]


# ---------------------------------------------------------------- schema building


def _wrapper_schema() -> str:
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{location}"/>' for ns, location in SCHEMAS
    )
    return f'<xs:schema xmlns:xs="{XS}">{imports}</xs:schema>'


def _xsd_pattern(values: frozenset[str]) -> str:
    """An XSD pattern with the characters and lengths of ``values`` (a shape, not the list)."""
    chars = "".join(c if c.isalnum() else "\\" + c for c in sorted(set("".join(values))))
    lengths = sorted({len(v) for v in values})
    return f"[{chars}]{{{lengths[0]},{lengths[-1]}}}"


_ENUM_VALUES = etree.XPath("xs:enumeration/@value", namespaces={"xs": XS}, smart_strings=False)


def _strip_enumeration(simple_type: etree._Element) -> frozenset[str] | None:
    restriction = simple_type.find(f"{{{XS}}}restriction")
    if restriction is None:
        return None
    # XPath strings, not element proxies: detaching 95k proxied children is very slow in lxml.
    values = frozenset(_ENUM_VALUES(restriction))
    if len(values) < LARGE_ENUMERATION:
        return None
    facets = [
        etree.Element(facet.tag, value=facet.get("value", ""))
        for facet in restriction.iterchildren(f"{{{XS}}}whiteSpace", f"{{{XS}}}length")
    ]
    # clear() frees the children in C; moving or replacing the subtree is quadratic in lxml.
    base = restriction.get("base", "xs:string")
    restriction.clear()
    restriction.set("base", base)
    restriction.extend(facets)
    etree.SubElement(restriction, f"{{{XS}}}pattern", value=_xsd_pattern(values))
    return values


@cache
def _patched_catalog() -> tuple[bytes, dict[str, frozenset[str]]]:
    """catCFDI.xsd without its giant enumerations, and those enumerations as frozensets."""
    tree = etree.parse(os.path.join(SCHEMA_ROOT, CATALOG_FILE))
    catalogs: dict[str, frozenset[str]] = {}
    for simple_type in tree.getroot().iterchildren(f"{{{XS}}}simpleType"):
        values = _strip_enumeration(simple_type)
        if values is not None:
            catalogs[simple_type.get("name", "")] = values
    return etree.tostring(tree), catalogs


class _PatchedCatalogResolver(etree.Resolver):
    """Serves the patched catCFDI.xsd wherever a schema imports the original."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.endswith("catalogos/catCFDI.xsd"):
            return self.resolve_string(_patched_catalog()[0], context)
        return None


# libxml2 cannot compile two schemas at once in one process (the worker's threads would fail
# with "the given type is not a built-in type" when two stamping jobs start cold together).
_COMPILING = threading.RLock()


def _compile(parser: etree.XMLParser) -> etree.XMLSchema:
    document = etree.fromstring(
        _wrapper_schema(), parser=parser, base_url=os.path.join(SCHEMA_ROOT, "schema.xsd")
    )
    return etree.XMLSchema(document)


def _catalog_attributes(catalogs: dict[str, frozenset[str]]) -> Iterator[CatalogCheck]:
    """Every (element, attribute) in our schemas typed with a catalog moved to Python."""
    for _, location in SCHEMAS:
        root = etree.parse(os.path.join(SCHEMA_ROOT, location)).getroot()
        namespace = root.get("targetNamespace")
        for attribute in root.iter(f"{{{XS}}}attribute"):
            prefix, _, name = (attribute.get("type") or "").rpartition(":")
            if name not in catalogs or attribute.nsmap.get(prefix) != CATALOG_NS:
                continue
            element = next(attribute.iterancestors(f"{{{XS}}}element"))
            tag = f"{{{namespace}}}{element.get('name')}"
            yield CatalogCheck(tag, attribute.get("name", ""), name, catalogs[name])


@dataclass(frozen=True)
class FastValidator:
    """The compiled patched schema plus the catalog checks done in Python."""

    schema: etree.XMLSchema
    checks: tuple[CatalogCheck, ...]

    def problems(self, root: etree._Element) -> list[Problem]:
        """Every schema and catalog problem of ``root`` (empty when valid)."""
        found = [] if self.schema.validate(root) else _schema_problems(self.schema.error_log)
        return found + list(self._catalog_problems(root))

    def _catalog_problems(self, root: etree._Element) -> Iterator[Problem]:
        for check in self.checks:
            for element in root.iter(check.tag):
                value = element.get(check.attribute)
                # The catalog types collapse whitespace before comparing, like the XSD does.
                if value is not None and " ".join(value.split()) not in check.values:
                    yield _catalog_problem(element, check, value)


def fast_validator() -> FastValidator:
    """The process-wide validator (built once: ~0.5 s to patch, a few ms to compile)."""
    with _COMPILING:
        return _fast_validator()


@cache
def _fast_validator() -> FastValidator:
    parser = etree.XMLParser()
    parser.resolvers.add(_PatchedCatalogResolver())
    schema = _compile(parser)
    checks = tuple(_catalog_attributes(_patched_catalog()[1]))
    return FastValidator(schema, checks)


def full_schema() -> etree.XMLSchema:
    """SAT's schema set compiled as published (slow to check; kept for proofs and audits)."""
    with _COMPILING:
        return _full_schema()


@cache
def _full_schema() -> etree.XMLSchema:
    return _compile(etree.XMLParser())


def catalog_values(name: str) -> frozenset[str]:
    """Values of a big SAT catalog as the XSD lists them (``c_ClaveProdServ``...)."""
    return _patched_catalog()[1][name]


# ---------------------------------------------------------------- problems


def _schema_problems(error_log: etree._ListErrorLog) -> list[Problem]:
    return [
        Problem(
            f"El XML no cumple el esquema del SAT (línea {entry.line}): {entry.message}",
            E.XSD_INVALID,
            entry.path,
            "xsd",
        )
        for entry in error_log
    ]


def _catalog_problem(element: etree._Element, check: CatalogCheck, value: str) -> Problem:
    path = f"{element.getroottree().getpath(element)}/@{check.attribute}"
    message = f"El valor «{value}» de {check.attribute} no existe en el catálogo {check.catalog}."
    return Problem(message, E.XSD_INVALID, path, "xsd")


# ---------------------------------------------------------------- public API


def as_element(xml: bytes | str | etree._Element) -> etree._Element:
    """The root element of ``xml`` (parsed when bytes or text)."""
    if isinstance(xml, etree._Element):
        return xml
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        return etree.fromstring(data, parser=_safe_parser())
    except etree.XMLSyntaxError as error:
        raise CFDIValidationError(f"El XML está mal formado: {error}", E.XSD_INVALID) from None


@cache
def _safe_parser() -> etree.XMLParser:
    # No network, no entities: documents may come from users (addenda, uploads).
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def _without_addenda(root: etree._Element) -> etree._Element:
    """SAT validates without the Addenda (free-form, outside the seal); drop it from a copy."""
    addenda = [child for child in root if child.tag in ADDENDA_TAGS]
    if not addenda:
        return root
    copy = etree.fromstring(etree.tostring(root))
    for child in copy:
        if child.tag in ADDENDA_TAGS:
            copy.remove(child)
    return copy


def schema_problems(xml: bytes | str | etree._Element) -> list[Problem]:
    """Problems found by the fast validator (empty list when the document is valid)."""
    return fast_validator().problems(_without_addenda(as_element(xml)))


def full_schema_problems(xml: bytes | str | etree._Element) -> list[Problem]:
    """Problems found by the complete, unpatched XSD (slow; for tests and audits)."""
    schema = full_schema()
    if schema.validate(_without_addenda(as_element(xml))):
        return []
    return _schema_problems(schema.error_log)


def validate(xml: bytes | str | etree._Element) -> None:
    """Raise ``CFDIValidationError`` (code ``cfdi_schema_invalid``) unless the XML is valid."""
    problems = schema_problems(xml)
    if problems:
        raise CFDIValidationError.from_problems(problems)


def stock_validate(xml: bytes | str | etree._Element) -> bool:
    """satcfdi's own validation (recompiles the whole schema); for the benchmark only."""
    from satcfdi.cfdi import CFDI

    element = as_element(xml)
    try:
        CFDI.from_xml(element).to_xml(validate=True)
    except Exception:  # satcfdi raises SchemaValidationError or lxml errors
        return False
    return True
