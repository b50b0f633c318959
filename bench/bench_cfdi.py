"""Fiscal engine benchmark: build + seal + XSD validation + test stamp, on one core.

Run with ``.venv/bin/python bench/bench_cfdi.py``. Targets: ≥300 one-concept invoices per
second, and a 5,000-concept invoice in under 1.5 s. Raw satcfdi figures are measured in the
same run for comparison.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import INVOICE, generated_csd, measure, rate, raw_satcfdi  # noqa: E402
from satcfdi.transform import validate_xsd  # noqa: E402

from portal.cfdi.documents import build_invoice  # noqa: E402
from portal.cfdi.pac import LocalTestPAC  # noqa: E402
from portal.cfdi.testcsd import make_test_pac_signer  # noqa: E402
from portal.cfdi.types import Address, Customer, InvoiceInput, Item, Product  # noqa: E402
from portal.cfdi.validation import fast_validator  # noqa: E402

CUSTOMER = Customer("UNIVERSIDAD ROBOTICA ESPAÑOLA", "URE180429TM6", "601", Address(zip="86991"))
ITEM = {
    "quantity": 2,
    "discount": "1.5",
    "product": {
        "description": "Ukelele",
        "product_key": "60131324",
        "price": 345.6,
        "taxes": [{"type": "IVA", "rate": 0.16}, {"type": "ISR", "rate": 0.1, "withholding": True}],
    },
}
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


def main() -> None:
    """Print the figures."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as promised
    machine = measure()
    print(machine.report())
    csd, issuer = generated_csd()
    pac = LocalTestPAC(make_test_pac_signer().signer())

    started = time.perf_counter()
    fast_validator()
    print(f"one-time schema patch + compile: {time.perf_counter() - started:.2f} s")

    one = _invoice(1)

    def pipeline() -> object:
        return pac.stamp(build_invoice(csd, issuer, one))

    for _ in range(20):  # warm caches (XSLT, catalogs, timezones)
        pipeline()
        raw_satcfdi(csd, issuer, 1)
    ours = rate(pipeline, 3.0)
    raw = rate(lambda: raw_satcfdi(csd, issuer, 1), 3.0)
    print("1 concept, build + seal + XSD validation + test stamp:")
    print(f"  portal.cfdi: {ours:7.1f} invoices/s  {machine.at_least(300, 'invoices/s')}")
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
          f"  {machine.under(1.5, 's')}")  # fmt: skip

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
    raw_satcfdi(csd, issuer, 5000)
    raw_big = time.perf_counter() - started
    print(f"  raw satcfdi build + seal: {raw_big:.3f} s")

    # Reading the API's body into the engine's input (InvoiceInput.from_dict), against the
    # raw build + seal of the same size.
    for concepts, raw_seconds in ((1, 1 / raw), (5000, raw_big)):
        body = {**INVOICE, "items": [ITEM] * concepts}
        runs = max(1, 2000 // concepts)
        started = time.perf_counter()
        for _ in range(runs):
            InvoiceInput.from_dict(body)
        seconds = (time.perf_counter() - started) / runs
        print(f"reading a {concepts:,}-concept body: {seconds * 1000:.3f} ms"
              f"  (ratio to raw satcfdi build + seal: {seconds / raw_seconds:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
