"""PDF benchmark: our templates vs satcfdi's stock render, measured in the same run.

Run with ``.venv/bin/python bench/bench_pdf.py [--big N]``. Targets: a one-concept invoice
under 150 ms and a 1,000-concept invoice under 10 s. Wall and CPU time are both printed
because the machine may be shared: CPU time is the steadier figure. Each figure renders the same
document again, so its QR code comes from qr.py's cache (a new one costs about 9 ms more).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _machine import REFERENCE_STOCK_PDF, measure  # noqa: E402
from satcfdi.cfdi import CFDI  # noqa: E402
from satcfdi.render import pdf_bytes  # noqa: E402

from portal.cfdi import pdf  # noqa: E402
from tests.cfdi.test_pdf import RECEIPT, make_stamped_xml  # noqa: E402


def timed(work: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """(best wall, median wall, median CPU) in milliseconds over ``runs`` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return min(walls), statistics.median(walls), statistics.median(cpus)


def line(label: str, figures: tuple[float, float, float]) -> str:
    """One printed result."""
    best, median, cpu = figures
    return f"{label:<34} best {best:8.0f} ms   median {median:8.0f} ms   cpu {cpu:8.0f} ms"


def main() -> None:
    """Print one-concept, N-concept, ticket and satcfdi stock figures with the ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=1000, help="concepts of the large invoice")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    start = time.perf_counter()
    pdf.warm_up()
    print(f"warm-up (fonts, stylesheets, templates): {(time.perf_counter() - start) * 1000:.0f} ms")
    branding = pdf.Branding("Escuela Kemper", color="1F4E79")
    one = make_stamped_xml(1)
    parsed = CFDI.from_string(one)
    pdf_bytes(parsed)  # warm satcfdi's templates too
    stock = timed(lambda: pdf_bytes(parsed), 3)
    # The stock PDF is a third reading of this machine's speed: the scale takes the largest.
    machine = measure().also(REFERENCE_STOCK_PDF * 1000 / stock[2])
    print(machine.report())
    print(
        line("invoice, 1 concept (satcfdi stock)", stock)
        + f"  (issues' machine {REFERENCE_STOCK_PDF * 1000:.0f} ms)"
    )
    ours = timed(lambda: pdf.render_invoice(one, branding), args.runs)
    print(line("invoice, 1 concept (ours)", ours) + f"  {machine.under(150, 'ms')}")
    print(
        f"ratio stock / ours: {stock[1] / ours[1]:.1f}x wall (median), "
        f"{stock[2] / ours[2]:.1f}x cpu"
    )
    print(line("receipt ticket (ours)", timed(lambda: pdf.render_receipt(RECEIPT, branding), 5)))

    big = make_stamped_xml(args.big)
    data = b""

    def render_big() -> None:
        nonlocal data
        data = pdf.render_invoice(big, branding)

    figures = timed(render_big, 1)
    print(
        line(f"invoice, {args.big} concepts (ours)", figures)
        + f"   {len(data) // 1024} KiB  {machine.under(10, 's')}"
    )


if __name__ == "__main__":
    main()
