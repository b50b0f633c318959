"""Catalog search benchmark: indexed search vs a naive linear scan, measured in the same run.

Run with ``.venv/bin/python bench/bench_catalogs.py``. Target: under 5 ms per ClaveProdServ
query once the index is built, and an index build under about 2 s.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portal.cfdi import catalogs  # noqa: E402

QUERIES = [
    "computadora",
    "laptop",
    "tornillo",
    "servicios de facturacion",
    "leche",
    "refresco",
    "papel bond",
    "consultoria",
    "renta de oficinas",
    "gasolina",
    "medicamento",
    "cemento",
    "servicio de limpieza",
    "software",
    "camion",
    "43211503",
    "8411",
    "tela algodon",
    "mantenimiento",
    "publicidad",
    "comida",
    "hotel",
    "transporte de carga",
    "zapato",
    "silla",
    "impresora",
    "cable",
    "pintura",
    "agua purificada",
    "libro",
]
TABLE = "C756_c_ClaveProdServ"


def naive_scan(rows: list[tuple[str, str, str]], query: str, limit: int = 20) -> list[str]:
    """Every row tested against every query word: what the index avoids."""
    words = [" " + catalogs.stem(w) for w in re.findall(r"[a-z0-9]+", catalogs.fold(query))]
    hits = [
        (len(folded), key)
        for key, _, folded in rows
        if key.startswith(query) or all(w in folded for w in words)
    ]
    return [key for _, key in sorted(hits)[:limit]]


def per_query_ms(search: Callable[[str], object], rounds: int) -> list[float]:
    """Milliseconds of each query, over ``rounds`` passes."""
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            start = time.perf_counter()
            search(query)
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Print build time, ms/query (cold and warm caches), naive scan and ratio."""
    start = time.perf_counter()
    catalogs.warm_up()
    build = time.perf_counter() - start
    index = catalogs._index(TABLE)
    print(f"index build (ClaveProdServ {len(index.keys)} + ClaveUnidad): {build * 1000:.0f} ms")

    catalogs._term_hits.cache_clear()
    cold = per_query_ms(catalogs.search_products, 1)
    warm = per_query_ms(catalogs.search_products, 5)
    rows = [(k, d, " " + catalogs.fold(d)) for k, d in zip(index.keys, index.labels, strict=True)]
    naive = per_query_ms(lambda q: naive_scan(rows, q), 1)

    cold_mean, warm_mean = statistics.mean(cold), statistics.mean(warm)
    naive_mean = statistics.mean(naive)
    print(
        f"indexed search, cold term cache: {cold_mean:.2f} ms/query mean, "
        f"{statistics.median(cold):.2f} median, max {max(cold):.2f} ({len(QUERIES)} queries)"
        "  (target < 5 ms)"
    )
    print(
        f"indexed search, warm:            {warm_mean:.2f} ms/query mean, "
        f"{statistics.median(warm):.2f} median, p95 {sorted(warm)[int(len(warm) * 0.95)]:.2f}"
    )
    print(f"naive linear scan (pre-folded):  {naive_mean:.2f} ms/query mean")
    print(f"ratio naive / indexed (cold):    {naive_mean / cold_mean:.0f}x")
    units = per_query_ms(lambda q: catalogs.search_units(q), 1)
    print(f"units search:                    {statistics.mean(units):.2f} ms/query")


if __name__ == "__main__":
    main()
