"""SAT catalogs: labels, validity, and ranked search over ClaveProdServ and ClaveUnidad."""

from __future__ import annotations

import time

import pytest

from portal.cfdi import catalogs


def keys(results: list[dict[str, object]]) -> list[object]:
    """The keys of search results, in order."""
    return [r["key"] for r in results]


def test_search_computadora_ranks_computers_first() -> None:
    results = catalogs.search_products("computadora", limit=5)
    assert set(keys(results)) <= {"43211500", "43211503", "43211507", "43211508", "43211509"}
    assert results[0]["score"] >= results[-1]["score"] > 0
    assert set(results[0]) == {"key", "description", "score"}


@pytest.mark.parametrize("query", ["Computadoras", "COMPUTADÓRA", "computa"])
def test_search_is_case_accent_and_prefix_insensitive(query: str) -> None:
    assert keys(catalogs.search_products(query, limit=3))[0] == "43211500"


def test_search_several_words_and_phrase() -> None:
    assert keys(catalogs.search_products("servicios de facturación"))[0] == "84111506"
    assert keys(catalogs.search_products("tornillo", limit=1)) == ["31161500"]
    assert "43211503" in keys(catalogs.search_products("laptop", limit=3))


def test_exact_code_comes_first() -> None:
    results = catalogs.search_products("43211503")
    assert results[0] == {"key": "43211503", "description": "Computadores notebook", "score": 1.0}
    assert all(k.startswith("4321") for k in keys(catalogs.search_products("4321", limit=10)))


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("pieza", "H87"),
        ("H87", "H87"),
        ("h87", "H87"),
        ("kilogramo", "KGM"),
        ("kg", "KGM"),
        ("servicio", "E48"),
        ("litro", "LTR"),
        ("caja", "XBX"),
    ],
)
def test_units(query: str, key: str) -> None:
    assert keys(catalogs.search_units(query, limit=3))[0] == key


def test_search_handles_empty_and_nonsense() -> None:
    assert catalogs.search_products("") == []
    assert catalogs.search_products("zzqqxx") == []
    assert len(catalogs.search_products("de", limit=5)) <= 5
    assert len(catalogs.search_products("servicio", limit=50)) == 50


def test_search_is_fast_once_built() -> None:
    catalogs.warm_up()
    queries = ["computadora", "papel bond", "servicio de limpieza", "tornillo acero", "leche"]
    catalogs._term_hits.cache_clear()
    start = time.perf_counter()
    for query in queries:
        catalogs.search_products(query)
    assert (time.perf_counter() - start) / len(queries) < 0.02  # generous on a shared machine


@pytest.mark.parametrize(
    ("catalog", "code", "es", "en"),
    [
        ("tax_system", "601", "General de Ley Personas Morales", "General Law of Legal Entities"),
        ("use", "G03", "Gastos en general", "General expenses"),
        (
            "payment_form",
            "03",
            "Transferencia electrónica de fondos",
            "Electronic transfer of funds",
        ),
        ("payment_method", "PUE", "Pago en una sola exhibición", "Payment in a single installment"),
        ("relationship", "04", "Sustitución de los CFDI previos", "Replacement of previous CFDI"),
        (
            "cancellation_motive",
            "02",
            "Comprobante emitido con errores sin relación",
            "Invoice issued with errors, without relation",
        ),
        ("month", "13", "Enero-Febrero", "January-February"),
        ("periodicity", "05", "Bimestral", "Bimonthly"),
        ("unit", "H87", "Pieza", "Pieza"),
        ("country", "MEX", "México", "México"),
        ("product_key", "43211503", "Computadores notebook", "Computadores notebook"),
    ],
)
def test_labels(catalog: str, code: str, es: str, en: str) -> None:
    assert catalogs.label(catalog, code) == es
    assert catalogs.label(catalog, code, "en") == en
    assert catalogs.is_valid(catalog, code)


def test_validity_and_options() -> None:
    assert not catalogs.is_valid("use", "P01")  # CFDI 3.3 only
    assert not catalogs.is_valid("payment_form", "98")
    assert not catalogs.is_valid("product_key", "99999999")
    assert not catalogs.is_valid("unit", None)
    assert catalogs.label("tax_system", "999") is None
    assert [c for c, _ in catalogs.options("cancellation_motive")] == ["01", "02", "03", "04"]
    assert len(catalogs.options("month", "en")) == 18
    assert [c for c, _ in catalogs.options("periodicity")] == ["01", "02", "03", "04", "05"]
    assert catalogs.describe("use", "S01") == "S01 - Sin efectos fiscales"
    with pytest.raises(KeyError):
        catalogs.label("nope", "01")


def test_zip_codes() -> None:
    assert catalogs.zip_exists("06600")
    assert not catalogs.zip_exists("00001")
    assert not catalogs.zip_exists("6600")
    assert not catalogs.zip_exists(None)
    assert catalogs.zip_info("06600") == ("CMX", "Tiempo del Centro")
