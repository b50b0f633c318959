"""SAT's validation matrix ("Matriz de errores") as one table of rules with SAT's codes.

A real PAC refuses a document that breaks any of these rules; the test PAC applies the same
table, and live mode applies it before a document is sent, so what passes in test mode passes in
production. Each family registers its rules in its own module with ``@rule``:

- ``cfdi40``: CFDI 4.0 (codes ``CFDI40xxx``);
- ``pagos20``: the payments complement 2.0 (codes ``CRP2xxxx``);
- ``retenciones20``: Retenciones 2.0 (a registry of its own, codes ``RET20_…``).
- ``nomina12``: the payroll complement 1.2 (codes ``NOM1xx``/``NOM2xx``);
- ``cartaporte31``: the Carta Porte complement 3.1 (codes ``CP1xx``/``CP2xx``/``CP3xx``).

A check receives the sealed document (``Context``) and yields one path for each place that breaks
the rule (an XPath-like description such as ``Conceptos/Concepto[2]/@Importe``); yielding nothing
means the document obeys it. ``NOT_IMPLEMENTED`` lists the matrix's codes that the table leaves
out, each with the reason (a test keeps that list honest).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from lxml import etree

from portal.cfdi.errors import CFDIValidationError
from portal.errors import Problem

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
PAGOS_NS = "http://www.sat.gob.mx/Pagos20"
NS = {"cfdi": CFDI_NS, "pago20": PAGOS_NS}


@dataclass
class Context:
    """The document under validation and the moment the PAC would stamp it (Mexico time)."""

    root: etree._Element
    now: datetime
    extra: dict[str, object] = field(default_factory=dict)

    def find(self, path: str) -> etree._Element | None:
        """The first node at ``path`` (with the ``cfdi`` and ``pago20`` prefixes)."""
        found = self.root.xpath(path, namespaces=NS)
        return found[0] if found else None

    def findall(self, path: str) -> list[etree._Element]:
        """Every node at ``path``."""
        return list(self.root.xpath(path, namespaces=NS))

    @cached_property
    def document_type(self) -> str:
        """TipoDeComprobante (I, E, T, N, P)."""
        return self.root.get("TipoDeComprobante", "")


Check = Callable[[Context], Iterable[str]]


@dataclass(frozen=True)
class Rule:
    """One row of the matrix: SAT's code, SAT's message and the check."""

    code: str
    message: str
    check: Check


RULES: dict[str, Rule] = {}
NOT_IMPLEMENTED: dict[str, str] = {}


def rule(code: str, message: str) -> Callable[[Check], Check]:
    """Register ``check`` under SAT's ``code`` with SAT's ``message`` (in Spanish)."""

    def register(check: Check) -> Check:
        if code in RULES:
            raise ValueError(f"duplicate rule {code}")
        RULES[code] = Rule(code, message, check)
        return check

    return register


def _load_families() -> None:
    # Imported for their @rule side effect; each family module imports this package.
    from portal.cfdi.sat_matrix import (  # noqa: F401
        cartaporte31,
        cce20,
        cfdi40,
        nomina12,
        pagos20,
    )


def violations(root: etree._Element, now: datetime) -> Iterator[Problem]:
    """Every rule ``root`` breaks, as problems carrying SAT's code (Retenciones 2.0 has rules
    of its own, in ``retenciones20``, outside the CFDI 4.0 table)."""
    if root.tag != f"{{{CFDI_NS}}}Comprobante":
        from portal.cfdi.sat_matrix import retenciones20

        yield from retenciones20.violations(root, now)
        return
    _load_families()
    context = Context(root, now)
    for entry in RULES.values():
        for path in entry.check(context):
            yield Problem(entry.message, entry.code, path, "sat")


def enforce(root: etree._Element, now: datetime) -> None:
    """Refuse ``root`` with a 400 carrying the first broken rule's code and every problem."""
    problems = list(violations(root, now))
    if problems:
        first = problems[0]
        raise CFDIValidationError(
            f"{first.code}: {first.message}", first.code, 400, first.path, problems
        )
