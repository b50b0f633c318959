"""SAT catalogs: code lookups, Spanish/English labels and ranked text search.

The data is satcfdi's SQLite file (values pickled). Small catalogs are loaded whole on first use;
ClaveProdServ and ClaveUnidad get an in-memory inverted index of word stems, built once per
process, so a search never scans the catalog.
"""

from __future__ import annotations

import heapq
import pickle
import re
import sqlite3
import threading
import unicodedata
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import satcfdi.catalogs

DB_PATH = Path(satcfdi.catalogs.__file__).with_name("catalogs.db")

_local = threading.local()


def _connection() -> sqlite3.Connection:
    """A read-only connection to satcfdi's catalog file, one per thread."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(f"file:{DB_PATH}?mode=ro", uri=True, check_same_thread=False)
        _local.conn = conn
    return conn


def _select(table: str, key: str) -> Any:
    """One unpickled value of ``table`` by code, or None."""
    row = (
        _connection()
        .execute(f"SELECT value FROM {table} WHERE key = ?", (pickle.dumps(key, protocol=4),))
        .fetchone()
    )
    return pickle.loads(row[0]) if row else None


def _select_all(table: str) -> dict[str, Any]:
    """Every row of ``table`` as code -> value."""
    rows = _connection().execute(f"SELECT key, value FROM {table}").fetchall()
    return {pickle.loads(k): pickle.loads(v) for k, v in rows}


def _text(value: Any) -> str:
    """The description inside a catalog value (some values are lists)."""
    return value if isinstance(value, str) else str(value[0])


# --------------------------------------------------------------------------- static data

_TAX_SYSTEM_EN = {
    "601": "General Law of Legal Entities",
    "603": "Non-profit Legal Entities",
    "605": "Wages and Salaries and Assimilated Income",
    "606": "Rent",
    "607": "Regime of Alienation or Acquisition of Goods",
    "608": "Other income",
    "609": "Consolidation",
    "610": "Non-residents with no Permanent Establishment in Mexico",
    "611": "Dividends (partners and shareholders)",
    "612": "Individuals with Business and Professional Activities",
    "614": "Interest income",
    "615": "Regime of income from obtaining prizes",
    "616": "No tax obligations",
    "620": "Production Cooperatives that choose to defer their income",
    "621": "Fiscal Incorporation",
    "622": "Agricultural, Livestock, Forestry and Fishing Activities",
    "623": "Optional for Groups of Companies",
    "624": "Coordinated",
    "625": "Business Activities with income through Technological Platforms",
    "626": "Simplified Trust Regime",
    "628": "Hydrocarbons",
    "629": "Preferential Tax Regimes and Multinational Companies",
    "630": "Sale of shares on the stock exchange",
}

_USE_EN = {
    "G01": "Purchase of goods",
    "G02": "Returns, discounts or bonuses",
    "G03": "General expenses",
    "I01": "Constructions",
    "I02": "Office furniture and equipment for investments",
    "I03": "Transportation equipment",
    "I04": "Computer equipment and accessories",
    "I05": "Dies, molds, matrices and tools",
    "I06": "Telephone communications",
    "I07": "Satellite communications",
    "I08": "Other machinery and equipment",
    "D01": "Medical, dental and hospital expenses",
    "D02": "Medical expenses for disability",
    "D03": "Funeral expenses",
    "D04": "Donations",
    "D05": "Real interest actually paid for mortgage loans (housing)",
    "D06": "Voluntary contributions to the SAR",
    "D07": "Premiums for medical expenses insurance",
    "D08": "Mandatory school transportation expenses",
    "D09": "Deposits in savings accounts, premiums based on pension plans",
    "D10": "Payments for educational services (tuition)",
    "S01": "No tax effects",
    "CP01": "Payments",
    "CN01": "Payroll",
}

_PAYMENT_FORM_EN = {
    "01": "Cash",
    "02": "Nominal check",
    "03": "Electronic transfer of funds",
    "04": "Credit card",
    "05": "Electronic wallet",
    "06": "Mobile payment",
    "08": "Food vouchers",
    "12": "Payment in kind",
    "13": "Subrogation payment",
    "14": "Consignment payment",
    "15": "Debt forgiveness",
    "17": "Settling debts with existing credits",
    "23": "Novation",
    "24": "Confusion",
    "25": "Remission",
    "26": "Expiration of the term",
    "27": "Satisfactory payment",
    "28": "Debit card",
    "29": "Service card",
    "30": "Application of advanced payments",
    "31": "Payment intermediary",
    "99": "To be defined",
}

_PAYMENT_METHOD_EN = {
    "PUE": "Payment in a single installment",
    "PPD": "Payment in installments or deferred",
}

_RELATIONSHIP_EN = {
    "01": "Credit note of the related documents",
    "02": "Debit note of the related documents",
    "03": "Return of goods on previous invoices or transfers",
    "04": "Replacement of previous CFDI",
    "05": "Transfers of goods previously invoiced",
    "06": "Invoice generated by previous transfers",
    "07": "CFDI by advance payment application",
    "08": "Invoice generated by payments in installments",
    "09": "Invoice generated by deferred payments",
}

_CANCELLATION_MOTIVE_ES = {
    "01": "Comprobante emitido con errores con relación",
    "02": "Comprobante emitido con errores sin relación",
    "03": "No se llevó a cabo la operación",
    "04": "Operación nominativa relacionada en una factura global",
}

_CANCELLATION_MOTIVE_EN = {
    "01": "Invoice issued with errors, with relation",
    "02": "Invoice issued with errors, without relation",
    "03": "The operation did not take place",
    "04": "Nominative operation included in a global invoice",
}

_MONTH_EN = {
    "01": "January",
    "02": "February",
    "03": "March",
    "04": "April",
    "05": "May",
    "06": "June",
    "07": "July",
    "08": "August",
    "09": "September",
    "10": "October",
    "11": "November",
    "12": "December",
    "13": "January-February",
    "14": "March-April",
    "15": "May-June",
    "16": "July-August",
    "17": "September-October",
    "18": "November-December",
}

_PERIODICITY_EN = {
    "01": "Daily",
    "02": "Weekly",
    "03": "Fortnightly",
    "04": "Monthly",
    "05": "Bimonthly",
}


@dataclass(frozen=True)
class _Spec:
    """Where a catalog lives and which of its codes CFDI 4.0 accepts."""

    table: str | None
    english: Mapping[str, str] = field(default_factory=dict)
    spanish: Mapping[str, str] = field(default_factory=dict)
    only: frozenset[str] | None = None
    large: bool = False


# satcfdi's tables also carry codes from older versions (P01, FormaPago 07/09/10/11/16/98...);
# ``only`` keeps the ones CFDI 4.0 accepts.
_SPECS: dict[str, _Spec] = {
    "tax_system": _Spec("C756_c_RegimenFiscal", _TAX_SYSTEM_EN),
    "use": _Spec("C756_c_UsoCFDI", _USE_EN, only=frozenset(_USE_EN)),
    "payment_form": _Spec("C756_c_FormaPago", _PAYMENT_FORM_EN, only=frozenset(_PAYMENT_FORM_EN)),
    "payment_method": _Spec("C756_c_MetodoPago", _PAYMENT_METHOD_EN),
    "relationship": _Spec("C756_c_TipoRelacion", _RELATIONSHIP_EN),
    "cancellation_motive": _Spec(None, _CANCELLATION_MOTIVE_EN, _CANCELLATION_MOTIVE_ES),
    "month": _Spec("C756_c_Meses", _MONTH_EN),
    "periodicity": _Spec("C756_c_Periodicidad", _PERIODICITY_EN),
    "currency": _Spec("C756_c_Moneda"),
    "export": _Spec("C756_c_Exportacion"),
    "tax_object": _Spec("C756_c_ObjetoImp"),
    "invoice_type": _Spec("C756_c_TipoDeComprobante"),
    "tax": _Spec("C756_c_Impuesto"),
    "country": _Spec("C756_c_Pais"),
    "unit": _Spec("C756_c_ClaveUnidad"),
    "product_key": _Spec("C756_c_ClaveProdServ", large=True),
}

CATALOGS: tuple[str, ...] = tuple(_SPECS)


def _spec(catalog: str) -> _Spec:
    """The spec of ``catalog``; KeyError names the unknown catalog."""
    try:
        return _SPECS[catalog]
    except KeyError:
        raise KeyError(f"unknown catalog {catalog!r}; known: {', '.join(CATALOGS)}") from None


@cache
def _rows(catalog: str) -> dict[str, str]:
    """Code -> Spanish label of a small catalog, loaded once."""
    spec = _spec(catalog)
    if spec.large:
        raise ValueError(f"catalog {catalog!r} is too large to load whole; use search")
    data = dict(spec.spanish) if spec.table is None else _select_all(spec.table)
    return {k: _text(v) for k, v in sorted(data.items()) if spec.only is None or k in spec.only}


@lru_cache(maxsize=8192)
def _large_label(table: str, code: str) -> str | None:
    """Spanish label of one code of a large catalog."""
    value = _select(table, code)
    return None if value is None else _text(value)


def _spanish(catalog: str, code: str) -> str | None:
    """The Spanish label of ``code`` or None."""
    spec = _spec(catalog)
    if spec.large:
        return _large_label(spec.table or "", code)
    return _rows(catalog).get(code)


def is_valid(catalog: str, code: str | None) -> bool:
    """True when ``code`` is a CFDI 4.0 code of ``catalog``."""
    return bool(code) and isinstance(code, str) and _spanish(catalog, code) is not None


def label(catalog: str, code: str | None, lang: str = "es") -> str | None:
    """The label of ``code`` in ``lang`` ("es" or "en"; Spanish when no translation exists)."""
    if not code or not isinstance(code, str):
        return None
    spanish = _spanish(catalog, code)
    if spanish is None or lang != "en":
        return spanish
    return _spec(catalog).english.get(code, spanish)


def options(catalog: str, lang: str = "es") -> list[tuple[str, str]]:
    """Every (code, label) of a small catalog, ordered by code."""
    return [(code, label(catalog, code, lang) or "") for code in _rows(catalog)]


def describe(catalog: str, code: str | None, lang: str = "es") -> str:
    """ "CODE - Label" for documents, or the bare code when unknown."""
    text = label(catalog, code, lang)
    return f"{code} - {text}" if text else (code or "")


def currency_decimals(currency: str) -> int:
    """Decimals of a currency per c_Moneda (2 when unknown)."""
    value = _select("C756_c_Moneda", currency) if currency else None
    try:
        return int(value[1]) if value else 2
    except (TypeError, ValueError, IndexError):
        return 2


@lru_cache(maxsize=65536)
def zip_info(zip_code: str) -> tuple[str, str] | None:
    """(state code, time zone name) of a c_CodigoPostal entry, or None."""
    if not isinstance(zip_code, str) or not re.fullmatch(r"\d{5}", zip_code):
        return None
    value = _select("C756_c_CodigoPostal", zip_code)
    return None if value is None else (str(value[0]), str(value[4]))


@lru_cache(maxsize=65536)
def zip_record(zip_code: str) -> tuple[str, str, str, str] | None:
    """(state, municipality, border-zone stimulus flag, time zone name) of a c_CodigoPostal
    entry, or None."""
    if not isinstance(zip_code, str) or not re.fullmatch(r"\d{5}", zip_code):
        return None
    value = _select("C756_c_CodigoPostal", zip_code)
    return None if value is None else (str(value[0]), str(value[1]), str(value[3]), str(value[4]))


def unit_name(unit_key: str | None) -> str | None:
    """The name (``Unidad``) SAT's c_ClaveUnidad gives a unit key, or None when unknown."""
    return label("unit", unit_key)


def zip_exists(zip_code: str | None) -> bool:
    """True when ``zip_code`` is in SAT's c_CodigoPostal."""
    return zip_info(zip_code) is not None if zip_code else False


# --------------------------------------------------------------------------- text search

_STOPWORDS = frozenset(
    "a al con de del e el en la las lo los o para por sin su sus u un una y".split()
)

_ALIASES: dict[str, dict[str, str]] = {
    "C756_c_ClaveUnidad": {
        "H87": "pza pz pzas piezas",
        "KGM": "kg kilo kilos",
        "GRM": "gr g",
        "LTR": "lt l litros",
        "MTR": "m mts",
        "E48": "servicio servicios",
        "ACT": "actividades",
        "XBX": "cajas",
        "HUR": "hr hrs horas",
    },
    "C756_c_ClaveProdServ": {
        "43211503": "laptop laptops portatil computadora",
        "43211507": "computadora pc",
        "43211508": "computadora pc",
        "43211500": "computadora",
    },
}

# The units most invoices use get a small lift so they rank first among near ties.
_POPULAR: dict[str, frozenset[str]] = {
    "C756_c_ClaveUnidad": frozenset(
        "H87 E48 ACT KGM LTR MTR XBX XPK DAY HUR MON GRM MTK MTQ XUN SET KT PR".split()
    ),
    "C756_c_ClaveProdServ": frozenset(),
}


_FOLD = str.maketrans("áéíóúüñàèìòùâêîôûäëïöç", "aeiouunaeiouaeiouaeioc")


def _strip_marks(match: re.Match[str]) -> str:
    """A run of non-ASCII characters without combining marks."""
    decomposed = unicodedata.normalize("NFKD", match.group())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def fold(text: str) -> str:
    """Lower case without accents (ñ becomes n), for matching."""
    text = text.lower().translate(_FOLD)
    return text if text.isascii() else _NON_ASCII.sub(_strip_marks, text)


_WORD = re.compile(r"[a-z0-9]+")


def stem(word: str) -> str:
    """A light Spanish stem: drops plural and final gender vowel (computadoras -> computador)."""
    if len(word) > 4 and word.endswith("es"):
        word = word[:-2]
    elif len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    if len(word) > 4 and word[-1] in "aeo":
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    """Folded words of ``text``."""
    return _WORD.findall(fold(text))


def _terms(words: list[str]) -> list[str]:
    """Stems of the meaningful ``words``."""
    return [_stem(w) for w in words if w not in _STOPWORDS]


_stem = lru_cache(maxsize=None)(stem)


@dataclass
class _Index:
    """Inverted index over one catalog: sorted unique stems and their documents."""

    keys: list[str]
    labels: list[str]
    sizes: list[int]
    heads: list[str]
    stems: list[str]
    postings: list[tuple[int, ...]]
    by_code: dict[str, int]
    boost: frozenset[int]
    folded: list[str]
    phrases: dict[str, int]


def _postings(
    keys: list[str], folded: list[str], aliases: Mapping[str, str]
) -> tuple[dict[str, list[int]], list[int], list[str]]:
    """Stem -> documents, plus each document's meaningful word count and first stem."""
    stems: dict[str, str] = {}
    posting: dict[str, list[int]] = {}
    sizes, heads = [], []
    for doc, text in enumerate(folded):
        terms = [
            stems.get(w) or stems.setdefault(w, stem(w))
            for w in text.split()
            if w not in _STOPWORDS
        ]
        sizes.append(max(len(terms), 1))
        heads.append(terms[0] if terms else "")
        if keys[doc] in aliases:
            terms += _terms(_words(aliases[keys[doc]]))
        for term in set(terms):
            posting.setdefault(term, []).append(doc)
    return posting, sizes, heads


def _build_index(table: str) -> _Index:
    """Read ``table`` once and index every description's stems."""
    data = sorted(_select_all(table).items())
    keys = [k for k, _ in data]
    labels = [_text(v) for _, v in data]
    # One fold over the whole catalog is far cheaper than 52k small ones.
    folded = [" " + " ".join(_WORD.findall(f)) for f in fold("\n".join(labels)).split("\n")]
    posting, sizes, heads = _postings(keys, folded, _ALIASES.get(table, {}))
    stems = sorted(posting)
    popular = _POPULAR.get(table, frozenset())
    return _Index(
        keys=keys,
        labels=labels,
        sizes=sizes,
        heads=heads,
        stems=stems,
        postings=[tuple(posting[s]) for s in stems],
        by_code={k.upper(): i for i, k in enumerate(keys)},
        boost=frozenset(i for i, k in enumerate(keys) if k in popular),
        folded=folded,
        phrases={f.strip(): i for i, f in enumerate(folded)},
    )


_index_lock = threading.Lock()


@cache
def _index(table: str) -> _Index:
    """The process-wide index of ``table`` (built on first use)."""
    with _index_lock:
        return _build_index(table)


@lru_cache(maxsize=4096)
def _term_hits(table: str, term: str) -> dict[int, float]:
    """Documents with a stem starting with ``term`` and how well it matches (1.0 = same stem)."""
    index = _index(table)
    if len(term) < 2:
        pos = bisect_left(index.stems, term)
        found = pos < len(index.stems) and index.stems[pos] == term
        return dict.fromkeys(index.postings[pos], 1.0) if found else {}
    lo = bisect_left(index.stems, term)
    hi = bisect_left(index.stems, term + "\uffff")
    hits: dict[int, float] = {}
    for pos in range(lo, hi):
        weight = 1.0 if index.stems[pos] == term else 0.5 + 0.4 * len(term) / len(index.stems[pos])
        for doc in index.postings[pos]:
            if hits.get(doc, 0.0) < weight:
                hits[doc] = weight
    return hits


def _combine(table: str, terms: list[str]) -> dict[int, float]:
    """Per-document mean match over ``terms``; all terms must match, else best partial."""
    hits = [_term_hits(table, t) for t in terms]
    smallest = min(hits, key=len)
    matched = {d: sum(h.get(d, 0.0) for h in hits) / len(hits) for d in smallest}
    full = {d: s for d, s in matched.items() if all(d in h for h in hits)}
    if full or len(hits) == 1:
        return full
    partial: dict[int, float] = {}
    for h in hits:
        for doc, weight in h.items():
            partial[doc] = partial.get(doc, 0.0) + weight / len(hits) * 0.6
    return partial


def _rank(index: _Index, doc: int, base: float, terms: list[str], words: list[str]) -> float:
    """Final relevance in (0, 0.99]: shorter descriptions and leading matches rank higher."""
    coverage = min(len(terms) / index.sizes[doc], 1.0)
    score = base * (0.75 + 0.2 * coverage)
    if index.heads[doc].startswith(terms[0]):
        score += 0.03
    if all(" " + w in index.folded[doc] for w in words):
        score += 0.02
    if doc in index.boost:
        score += 0.02
    return min(score, 0.99)


def _hit(index: _Index, doc: int, score: float) -> dict[str, Any]:
    """One search result in Facturapi's shape."""
    return {"key": index.keys[doc], "description": index.labels[doc], "score": round(score, 3)}


def _code_hits(index: _Index, query: str, limit: int) -> list[dict[str, Any]]:
    """Results whose code is ``query`` (score 1) or starts with it."""
    code = query.strip().upper()
    exact = index.by_code.get(code)
    results = [] if exact is None else [_hit(index, exact, 1.0)]
    if code.isdigit() and len(code) >= 2:
        pos = bisect_left(index.keys, code)
        while pos < len(index.keys) and len(results) < limit and index.keys[pos].startswith(code):
            if pos != exact:
                results.append(_hit(index, pos, 0.9 - 0.1 * (len(index.keys[pos]) - len(code)) / 8))
            pos += 1
    return results


def _search(table: str, query: str, limit: int) -> list[dict[str, Any]]:
    """Ranked search of ``table``: exact code first, then text relevance."""
    index = _index(table)
    limit = max(1, min(int(limit), 100))
    results = _code_hits(index, query, limit)
    words = _words(query)
    terms = _terms(words) or [_stem(w) for w in words]
    if not terms or len(results) >= limit:
        return results[:limit]
    seen = {r["key"] for r in results}
    phrase = index.phrases.get(" ".join(words))
    scored = {d: _rank(index, d, b, terms, words) for d, b in _combine(table, terms).items()}
    if phrase is not None:
        scored[phrase] = 0.99
    best = heapq.nlargest(limit, scored.items(), key=lambda item: (item[1], -item[0]))
    results += [_hit(index, d, s) for d, s in best if index.keys[d] not in seen]
    return results[:limit]


def search_products(query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Search c_ClaveProdServ by code or words: [{"key", "description", "score"}], best first."""
    return _search("C756_c_ClaveProdServ", query or "", limit)


def search_units(query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Search c_ClaveUnidad by code or words: [{"key", "description", "score"}], best first."""
    return _search("C756_c_ClaveUnidad", query or "", limit)


def warm_up() -> None:
    """Build both search indexes now (e.g. at worker start) instead of on first query."""
    _index("C756_c_ClaveProdServ")
    _index("C756_c_ClaveUnidad")
