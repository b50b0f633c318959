"""How fast this machine is against the one the issues' targets were written on.

Issue 3 gives that machine's own figures: RSA-2048 signing at about 4,900 per second on one
core, raw satcfdi build + seal of a one-concept invoice at about 1,900 per second, and
satcfdi's stock PDF in about 1.4 s. The benchmarks measure them again in the same run (the
stock PDF in ``bench_pdf.py`` only) and print each target twice: as written, and scaled by this
machine's speed. The scale is the largest of the ratios (the reading that credits this machine
with the most speed), so a scaled target is the strictest the readings allow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from satcfdi.create.cfd import cfdi40

from portal.cfdi.csd import CSD, load_csd
from portal.cfdi.testcsd import make_test_credentials
from portal.cfdi.types import Issuer

REFERENCE_RSA_SIGNS = 4900.0  # per second, one core (issue 3)
REFERENCE_RAW_SATCFDI = 1900.0  # one-concept build + seal per second, one core (issue 3)
REFERENCE_STOCK_PDF = 1.4  # seconds, satcfdi's stock one-concept PDF (issue 3)
RFC, NAME = "EKU9003173C9", "ESCUELA KEMPER URGATE"  # the generated test CSD's issuer
RECEIVER = ("URE180429TM6", "UNIVERSIDAD ROBOTICA ESPAÑOLA", "86991", "601", "G01")


def rate(action: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``action`` over about ``seconds``."""
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        action()
        count += 1
    return count / elapsed


def generated_csd() -> tuple[CSD, Issuer]:
    """A generated test CSD (never a SAT certificate) and its issuer."""
    credentials = make_test_credentials(RFC, NAME)
    csd = load_csd(credentials.cer_der, credentials.key_der, credentials.password)
    return csd, Issuer(csd.rfc, csd.legal_name, "601", "42501")


def raw_satcfdi(csd: CSD, issuer: Issuer, concepts: int) -> bytes:
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
        receptor=cfdi40.Receptor(*RECEIVER),
        conceptos=conceptos,
        forma_pago="03",
        metodo_pago="PUE",
    )
    comprobante.sign(csd.signer)
    return comprobante.xml_bytes()


@dataclass(frozen=True)
class Machine:
    """This machine's speed on the issues' two reference workloads."""

    rsa_signs: float
    raw_satcfdi: float
    other: float = 0.0  # a further reading's ratio (bench_pdf: satcfdi's stock PDF)

    @property
    def factor(self) -> float:
        """This machine's speed as a fraction of the reference machine's."""
        rsa_ratio = self.rsa_signs / REFERENCE_RSA_SIGNS
        return max(rsa_ratio, self.raw_satcfdi / REFERENCE_RAW_SATCFDI, self.other)

    def also(self, ratio: float) -> Machine:
        """The same machine with a further reading of its speed (a ratio, 1.0 = as fast)."""
        return replace(self, other=max(self.other, ratio))

    def report(self) -> str:
        """The calibration, printed first by every benchmark."""
        return (
            f"this machine, one core: RSA-2048 {self.rsa_signs:,.0f} signatures/s (issues' "
            f"machine {REFERENCE_RSA_SIGNS:,.0f}/s, {self.rsa_signs / REFERENCE_RSA_SIGNS:.2f}x); "
            f"raw satcfdi build + seal {self.raw_satcfdi:,.0f}/s ({REFERENCE_RAW_SATCFDI:,.0f}/s, "
            f"{self.raw_satcfdi / REFERENCE_RAW_SATCFDI:.2f}x)"
            + (f"; other reading {self.other:.2f}x" if self.other else "")
            + " -> targets scaled by "
            f"{self.factor:.2f}"
        )

    def at_least(self, target: float, unit: str) -> str:
        """A throughput target, as written and scaled to this machine."""
        return (
            f"(target >= {target:g} {unit}; scaled to this machine >= {target * self.factor:.0f})"
        )

    def under(self, target: float, unit: str) -> str:
        """A time target, as written and scaled to this machine."""
        scaled = target / self.factor
        return f"(target < {target:g} {unit}; scaled to this machine < {scaled:.3g})"


def measure(seconds: float = 1.5) -> Machine:
    """Measure both reference workloads on one core of this process."""
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if affinity:
        os.sched_setaffinity(0, {min(affinity)})
    try:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        message = b"||4.0|A|1|2026-11-22T00:00:00|03|" * 8
        signs = rate(lambda: key.sign(message, padding.PKCS1v15(), hashes.SHA256()), seconds)
        csd, issuer = generated_csd()
        for _ in range(20):  # warm satcfdi's caches
            raw_satcfdi(csd, issuer, 1)
        raw = rate(lambda: raw_satcfdi(csd, issuer, 1), seconds)
    finally:
        if affinity:
            os.sched_setaffinity(0, affinity)
    return Machine(signs, raw)


# The invoice the benchmarks send: one concept, IVA 16 %, to a known receiver.
INVOICE = {
    "customer": {
        "legal_name": "UNIVERSIDAD ROBOTICA ESPAÑOLA",
        "tax_id": "URE180429TM6",
        "tax_system": "601",
        "address": {"zip": "86991"},
    },
    "items": [
        {
            "quantity": 2,
            "product": {
                "description": "Servicio de consultoría",
                "product_key": "80101500",
                "price": 1160,
            },
        }
    ],
    "payment_form": "03",
    "use": "G03",
}
