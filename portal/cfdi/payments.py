"""Pagos 2.0 arithmetic, as SAT's "Guía de llenado del CFDI con complemento para recepción de
pagos" defines it.

- ``ImpuestosDR``: the paid invoice's own taxes (its concepts' taxes summed by impuesto, factor
  and rate), pro rata to the amount paid. Each base is the share of the invoice's base that the
  installments paid so far cover, minus the share covered before this one, so that the bases of
  every installment of an invoice add up to the invoice's base to the cent; each ImporteDR is
  its BaseDR times the rate, rounded to the document's currency (inside the limits of
  CRP20254/CRP20261).
- ``ImpuestosP``: per Pago, the documents' taxes grouped by impuesto (withholdings) or by
  impuesto, factor and rate (transfers), each converted to the payment's currency (divided by
  EquivalenciaDR) and rounded half up to 6 decimals: phpcfdi's CfdiUtils (SumasPagos20) truncated
  until 2.24.1 (July 2023) and rounds since, as PACs such as Finkok announced; SAT's validation
  accepts either reading (see ``sat_matrix.pagos20``).
- ``Totales``: in MXN, each ImpuestosP amount times its Pago's TipoCambioP, summed and rounded
  to 2 decimals (CRP20201-CRP20211); ``Monto`` is the documents' ImpPagado in the payment's
  currency (divided by EquivalenciaDR), rounded to its decimals (CRP20217, CRP20276).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

from portal.cfdi.money import LineTax, round_to, tidy
from portal.cfdi.types import PaidInvoice, PaidTax

CFDI_NS = "http://www.sat.gob.mx/cfd/4"
CUOTA_DECIMALS = 6  # a Cuota's base is a quantity, not money
NO_BREAKDOWN = ("01", "03", "04")  # ObjetoImp codes an untaxed invoice may pass on as ObjetoImpDR
# Totales attributes of the IVA transfers, by (factor, rate): (base attribute, amount attribute).
IVA_TOTALS = {
    ("Tasa", "0.160000"): ("TotalTrasladosBaseIVA16", "TotalTrasladosImpuestoIVA16"),
    ("Tasa", "0.080000"): ("TotalTrasladosBaseIVA8", "TotalTrasladosImpuestoIVA8"),
    ("Tasa", "0.000000"): ("TotalTrasladosBaseIVA0", "TotalTrasladosImpuestoIVA0"),
    ("Exento", None): ("TotalTrasladosBaseIVAExento", None),
}
WITHHOLDING_TOTALS = {
    "001": "TotalRetencionesISR",
    "002": "TotalRetencionesIVA",
    "003": "TotalRetencionesIEPS",
}


# ---------------------------------------------------------------- the paid invoice


def _q(name: str) -> str:
    return f"{{{CFDI_NS}}}{name}"


def read_paid_invoice(xml: bytes) -> PaidInvoice:
    """The total, currency and taxes (by impuesto, factor and rate) of a stamped CFDI 4.0."""
    root = etree.fromstring(xml)
    sums: dict[tuple[str, str, str | None, bool], Decimal] = {}
    objects: set[str] = set()
    for concept in root.iterfind(f"{_q('Conceptos')}/{_q('Concepto')}"):
        objects.add(concept.get("ObjetoImp", "01"))
        for path, withholding in (("Traslados/Traslado", False), ("Retenciones/Retencion", True)):
            group, tag = path.split("/")
            for tax in concept.iterfind(f"{_q('Impuestos')}/{_q(group)}/{_q(tag)}"):
                code, factor = tax.get("Impuesto", ""), tax.get("TipoFactor", "")
                key = (code, factor, tax.get("TasaOCuota"), withholding)
                sums[key] = sums.get(key, Decimal(0)) + Decimal(tax.get("Base", "0"))
    taxes = [
        PaidTax(code, factor, None if rate is None else Decimal(rate), base, held)
        for (code, factor, rate, held), base in sums.items()
    ]
    return PaidInvoice(
        total=Decimal(root.get("Total", "0")),
        currency=root.get("Moneda", "MXN"),
        taxability=_taxability(taxes, objects),
        taxes=taxes,
    )


def _taxability(taxes: Sequence[PaidTax], objects: set[str]) -> str:
    """ObjetoImpDR: 02 when the invoice breaks taxes down; else its concepts' common code."""
    if taxes:
        return "02"
    if len(objects) == 1 and (only := next(iter(objects))) in NO_BREAKDOWN:
        return only
    return "01"


def prorated_taxes(
    paid: PaidInvoice, last_balance: Decimal, amount: Decimal, decimals: int
) -> list[LineTax]:
    """The paid invoice's taxes for ``amount`` paid out of ``last_balance`` (ImpuestosDR)."""
    if paid.total <= 0:
        return []
    before = paid.total - last_balance
    after = before + amount
    result = []
    for tax in paid.taxes:
        places = CUOTA_DECIMALS if tax.factor == "Cuota" else decimals
        base = round_to(tax.base * after / paid.total, places) - round_to(
            tax.base * before / paid.total, places
        )
        if base <= 0:  # a payment of a few cents may leave a small tax with nothing
            continue
        value = None if tax.factor == "Exento" else round_to(base * (tax.rate or 0), decimals)
        result.append(LineTax(tax.code, tax.factor, tax.rate, base, value, tax.withholding))
    return result


# ---------------------------------------------------------------- ImpuestosP, Monto, Totales


@dataclass
class DocumentShare:
    """One DoctoRelacionado as its Pago sees it: what it pays and its taxes, in its currency."""

    paid: Decimal
    equivalence: Decimal
    taxes: list[LineTax] = field(default_factory=list)


@dataclass
class PaymentSums:
    """A Pago's Monto and ImpuestosP rows (in the payment's currency)."""

    amount: Decimal
    transfers: list[LineTax]
    withholdings: list[LineTax]

    def impuestos_p(self, decimals: int) -> dict[str, list[dict[str, object]]] | None:
        """The ImpuestosP node (None when no document carries taxes)."""
        node: dict[str, list[dict[str, object]]] = {}
        if self.withholdings:
            node["RetencionesP"] = [
                {"ImpuestoP": t.code, "ImporteP": tidy(t.amount or Decimal(0), decimals)}
                for t in self.withholdings
            ]
        if self.transfers:
            node["TrasladosP"] = [_traslado_p(t, decimals) for t in self.transfers]
        return node or None


def _traslado_p(tax: LineTax, decimals: int) -> dict[str, object]:
    row: dict[str, object] = {
        "BaseP": tidy(tax.base, decimals),
        "ImpuestoP": tax.code,
        "TipoFactorP": tax.factor,
    }
    if tax.factor != "Exento":
        row["TasaOCuotaP"] = tax.rate
        row["ImporteP"] = tidy(tax.amount or Decimal(0), decimals)
    return row


def _round6(value: Decimal) -> Decimal:
    return round_to(value, 6)


def payment_sums(shares: Iterable[DocumentShare], decimals: int) -> PaymentSums:
    """Monto and ImpuestosP of a Pago whose documents are ``shares``."""
    total = Decimal(0)
    transfers: dict[tuple[str, str, Decimal | None], LineTax] = {}
    withholdings: dict[str, LineTax] = {}
    for share in shares:
        total += share.paid / share.equivalence
        for tax in share.taxes:
            base, value = tax.base / share.equivalence, (tax.amount or 0) / share.equivalence
            empty = LineTax(tax.code, tax.factor, tax.rate, Decimal(0), Decimal(0), tax.withholding)
            if tax.withholding:
                row = withholdings.setdefault(tax.code, empty)
            else:
                row = transfers.setdefault((tax.code, tax.factor, tax.rate), empty)
            row.base += base
            row.amount = (row.amount or 0) + value
    for row in (*transfers.values(), *withholdings.values()):
        row.base, row.amount = _round6(row.base), _round6(row.amount or Decimal(0))
    rows = list(transfers.values()), list(withholdings.values())
    return PaymentSums(round_to(total, decimals), *rows)


def totales(payments: Iterable[tuple[PaymentSums, Decimal]]) -> dict[str, Decimal]:
    """The Totales node (MXN) of the Pago nodes, each with its TipoCambioP."""
    sums: dict[str, Decimal] = {"MontoTotalPagos": Decimal(0)}
    for payment, exchange in payments:
        sums["MontoTotalPagos"] += payment.amount * exchange
        for tax in payment.withholdings:
            name = WITHHOLDING_TOTALS[tax.code]
            sums[name] = sums.get(name, Decimal(0)) + (tax.amount or 0) * exchange
        for tax in payment.transfers:
            _add_transfer_total(sums, tax, exchange)
    return {name: round_to(value, 2) for name, value in sums.items()}


def _add_transfer_total(sums: dict[str, Decimal], tax: LineTax, exchange: Decimal) -> None:
    if tax.code != "002":
        return  # IEPS transfers have no Totales attribute
    rate = None if tax.rate is None else f"{round_to(tax.rate, 6):f}"
    names = IVA_TOTALS.get((tax.factor, rate if tax.factor != "Exento" else None))
    if names is None:
        return
    base_name, amount_name = names
    sums[base_name] = sums.get(base_name, Decimal(0)) + tax.base * exchange
    if amount_name:
        sums[amount_name] = sums.get(amount_name, Decimal(0)) + (tax.amount or 0) * exchange
