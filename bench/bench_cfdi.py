"""Fiscal engine benchmark: build + seal + XSD validation + test stamp, on one core.

Run with ``.venv/bin/python bench/bench_cfdi.py``. Targets: ≥300 one-concept invoices per
second, and a 5,000-concept invoice in under 1.5 s. Raw satcfdi figures are measured in the
same run for comparison.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from satcfdi.create.cfd import cfdi40  # noqa: E402
from satcfdi.transform import validate_xsd  # noqa: E402

from portal.cfdi.csd import CSD, load_csd  # noqa: E402
from portal.cfdi.documents import build_invoice  # noqa: E402
from portal.cfdi.pac import LocalTestPAC  # noqa: E402
from portal.cfdi.testcsd import make_test_credentials, make_test_pac_signer  # noqa: E402
from portal.cfdi.types import Address, Customer, InvoiceInput, Issuer, Item, Product  # noqa: E402
from portal.cfdi.validation import fast_validator  # noqa: E402

CUSTOMER = Customer("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991"))
STOCK_SCHEMAS = {
    "www.sat.gob.mx/sitio_internet/cfd/4/cfdv40.xsd",
    "www.sat.gob.mx/sitio_internet/cfd/TimbreFiscalDigital/TimbreFiscalDigitalv11.xsd",
}


def _invoice(concepts: int) -> InvoiceInput:
    items = [
        Item(Product(f"Producto {i}", "01010101", Decimal("116.00")), quantity=Decimal(2))
        for i in range(concepts)
    ]
    return InvoiceInput(CUSTOMER, items, "03")


def _raw_satcfdi(csd: CSD, issuer: Issuer, concepts: int) -> bytes:
    """satcfdi alone: Comprobante (its own tax math) + sign() + xml_bytes()."""
    conceptos = [
        cfdi40.Concepto(
            clave_prod_serv="01010101",
            cantidad=Decimal(2),
            clave_unidad="H87",
            descripcion=f"Producto {i}",
            valor_unitario=Decimal("100.00"),
            impuestos={
                "Traslados": [
                    {"Impuesto": "002", "TipoFactor": "Tasa", "TasaOCuota": Decimal("0.160000")}
                ]
            },
        )  # fmt: skip
        for i in range(concepts)
    ]
    comprobante = cfdi40.Comprobante(
        emisor=cfdi40.Emisor(issuer.rfc, issuer.legal_name, issuer.tax_system),
        lugar_expedicion=issuer.zip,
        receptor=cfdi40.Receptor(CUSTOMER.tax_id, CUSTOMER.legal_name, "86991", "601", "G01"),
        conceptos=conceptos,
        forma_pago="03",
        metodo_pago="PUE",
    )
    comprobante.sign(csd.signer)
    return comprobante.xml_bytes()


def _rate(action: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``action`` over about ``seconds``."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        count += 1
    return count / elapsed


def main() -> None:
    """Print the figures."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    credentials = make_test_credentials("EKU9003173C9", "ESCUELA KEMPER URGATE")
    csd = load_csd(credentials.cer_der, credentials.key_der, credentials.password)
    issuer = Issuer(csd.rfc, csd.legal_name, "601", "42501")
    pac = LocalTestPAC(make_test_pac_signer().signer())

    started = time.perf_counter()
    fast_validator()
    print(f"one-time schema patch + compile: {time.perf_counter() - started:.2f} s")

    one = _invoice(1)

    def pipeline() -> object:
        return pac.stamp(build_invoice(csd, issuer, one))

    for _ in range(20):  # warm caches (XSLT, catalogs, timezones)
        pipeline()
        _raw_satcfdi(csd, issuer, 1)
    ours = _rate(pipeline, 3.0)
    raw = _rate(lambda: _raw_satcfdi(csd, issuer, 1), 3.0)
    print("1 concept, build + seal + XSD validation + test stamp:")
    print(f"  portal.cfdi: {ours:7.1f} invoices/s  (target >= 300)")
    print(f"  raw satcfdi build + seal (no validation, no stamp): {raw:7.1f} invoices/s")
    print(f"  ratio portal/raw: {ours / raw:.2f}")

    big = _invoice(5000)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        document = build_invoice(csd, issuer, big)
        built = time.perf_counter()
        stamped = pac.stamp(document)
        done = time.perf_counter()
        timings.append((done - started, built - started, done - built))
    total, build, stamp = min(timings)
    print("5,000 concepts, build + seal + XSD validation + test stamp:")
    print(f"  portal.cfdi: {total:.3f} s (build+seal+validate {build:.3f} s, stamp {stamp:.3f} s)"
          "  (target < 1.5 s)")  # fmt: skip

    from lxml import etree

    element = etree.fromstring(stamped.xml)
    started = time.perf_counter()
    fast_validator().problems(element)
    fast = time.perf_counter() - started
    started = time.perf_counter()
    validate_xsd(element, STOCK_SCHEMAS)
    stock = time.perf_counter() - started
    print(f"  XSD validation alone: ours {fast:.3f} s vs satcfdi stock {stock:.3f} s")
    started = time.perf_counter()
    _raw_satcfdi(csd, issuer, 5000)
    print(f"  raw satcfdi build + seal: {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
