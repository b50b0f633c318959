"""SAT rules for the receiver of a CFDI 4.0, checked all at once.

``check_receiver`` returns every problem found (one per field, the most specific), each with a
Facturapi field path, a plain Spanish message and its own machine-readable code. The tables of
regimes by person type and of CFDI uses by regime are SAT's (c_RegimenFiscal, c_UsoCFDI); the
catalog file satcfdi ships carries only the descriptions, so the columns live here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.cfdi import catalogs
from portal.errors import Problem, ValidationError

GENERIC_NATIONAL = "XAXX010101000"
GENERIC_FOREIGN = "XEXX010101000"
GENERIC_RFCS = frozenset({GENERIC_NATIONAL, GENERIC_FOREIGN})
GENERAL_PUBLIC_NAME = "PUBLICO EN GENERAL"
GENERIC_TAX_SYSTEM = "616"
GENERIC_USES = ("S01", "CP01")  # S01 for invoices; CP01 is the use of every payment receipt
MAX_AGE = timedelta(hours=72)
MEXICO_TZ = ZoneInfo("America/Mexico_City")

# Error codes: one per rule.
INVALID_TAX_ID_FORMAT = "invalid_tax_id_format"
INVALID_TAX_ID_DATE = "invalid_tax_id_date"
INVALID_TAX_ID_CHECK_DIGIT = "invalid_tax_id_check_digit"
TAX_ID_REQUIRED = "tax_id_required"
LEGAL_NAME_REQUIRED = "legal_name_required"
LEGAL_NAME_TOO_LONG = "legal_name_too_long"
LEGAL_NAME_INVALID_CHARACTERS = "legal_name_invalid_characters"
TAX_SYSTEM_REQUIRED = "tax_system_required"
TAX_SYSTEM_NOT_FOUND = "tax_system_not_found"
TAX_SYSTEM_NOT_FOR_PERSON_TYPE = "tax_system_not_for_person_type"
USE_REQUIRED = "use_required"
USE_NOT_FOUND = "use_not_found"
USE_NOT_ALLOWED_FOR_TAX_SYSTEM = "use_not_allowed_for_tax_system"
ZIP_REQUIRED = "zip_required"
INVALID_ZIP_FORMAT = "invalid_zip_format"
ZIP_NOT_FOUND = "zip_not_found"
GENERIC_RFC_LEGAL_NAME = "generic_rfc_legal_name"
GENERIC_RFC_TAX_SYSTEM = "generic_rfc_tax_system"
GENERIC_RFC_USE = "generic_rfc_use"
GENERIC_RFC_ZIP = "generic_rfc_zip_mismatch"
GENERIC_RFC_COUNTRY_REQUIRED = "generic_rfc_foreign_country_required"
GENERIC_RFC_COUNTRY_MEXICO = "generic_rfc_foreign_country_mexico"
GENERIC_RFC_FOREIGN_TAX_ID_REQUIRED = "generic_rfc_foreign_tax_id_required"
COUNTRY_NOT_FOUND = "country_not_found"
COUNTRY_REQUIRES_FOREIGN_RFC = "country_requires_foreign_rfc"
FOREIGN_TAX_ID_TOO_LONG = "foreign_tax_id_too_long"
FOREIGN_TAX_ID_NOT_ALLOWED = "foreign_tax_id_not_allowed"
DATE_TOO_OLD = "date_too_old"
DATE_IN_FUTURE = "date_in_future"

# c_RegimenFiscal: which regimes an individual (Física) or a company (Moral) may hold.
FISICA_REGIMES = frozenset("605 606 607 608 610 611 612 614 615 616 621 625 626 629 630".split())
MORAL_REGIMES = frozenset("601 603 609 610 620 622 623 624 626 628".split())

_BUSINESS = "601 603 606 612 620 621 622 623 624 625 626".split()
_DEDUCTIONS = "605 606 607 608 611 612 614 615 625".split()
_ALL = "601 603 605 606 607 608 610 611 612 614 615 616 620 621 622 623 624 625 626".split()

# c_UsoCFDI, column RegimenFiscalReceptor (the reference's "Uso del CFDI" table).
USE_REGIMES: dict[str, frozenset[str]] = {
    **{u: frozenset(_BUSINESS) for u in "G01 G02 G03 I01 I02 I03 I04 I05 I06 I07 I08".split()},
    **{u: frozenset(_DEDUCTIONS) for u in "D01 D02 D03 D04 D05 D06 D07 D08 D09 D10".split()},
    "S01": frozenset(_ALL),
    "CP01": frozenset(_ALL),
    "CN01": frozenset({"605"}),
}

# Uses reserved to one document type (c_UsoCFDI): payroll (N) and payment receipts (P).
TYPE_ONLY_USES: dict[str, str] = {"CN01": "N", "CP01": "P"}
USE_OF_TYPE: dict[str, str] = {kind: use for use, kind in TYPE_ONLY_USES.items()}
USE_NOT_FOR_TYPE = "use_not_allowed_for_type"
GLOBAL_REQUIRED = "CFDI40130"  # SAT's code: the general public needs InformacionGlobal

RFC_PATTERN = re.compile(
    r"([A-Z&Ñ]{3,4})(\d{2})(0[1-9]|1[012])(0[1-9]|[12]\d|3[01])[A-Z0-9]{2}[0-9A]"
)
_RFC_CHARS = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"


# --------------------------------------------------------------------------- RFC


def normalize_tax_id(tax_id: str | None) -> str:
    """The RFC in capitals without spaces or dashes."""
    return re.sub(r"[\s-]", "", tax_id or "").upper()


def rfc_check_digit(rfc: str) -> str:
    """SAT's mod-11 check digit for an RFC (its last character is ignored)."""
    body = rfc[:-1].rjust(12)  # a company's 11 characters get a leading space
    total = sum(_RFC_CHARS.index(ch) * (13 - i) for i, ch in enumerate(body))
    digit = (11 - total % 11) % 11
    return "A" if digit == 10 else str(digit)


def _rfc_date_exists(match: re.Match[str]) -> bool:
    """The YYMMDD part is a real date in either century."""
    yy, mm, dd = (int(match.group(i)) for i in (2, 3, 4))
    for century in (1900, 2000):
        try:
            date(century + yy, mm, dd)
            return True
        except ValueError:
            continue
    return False


def rfc_problem(tax_id: str | None) -> Problem | None:
    """Why ``tax_id`` is not a valid RFC, or None."""
    rfc = normalize_tax_id(tax_id)
    path = "customer.tax_id"
    if not rfc:
        return Problem("Escribe tu RFC.", TAX_ID_REQUIRED, path)
    if rfc in GENERIC_RFCS:
        return None
    match = RFC_PATTERN.fullmatch(rfc)
    if match is None:
        return Problem(
            f"El RFC «{rfc}» no tiene un formato válido: son 13 caracteres para personas "
            "físicas (p. ej. GODE561231GR8) o 12 para empresas (p. ej. ABC010203AB1).",
            INVALID_TAX_ID_FORMAT,
            path,
        )
    if not _rfc_date_exists(match):
        return Problem(
            f"El RFC «{rfc}» no es válido: la fecha que contiene no existe.",
            INVALID_TAX_ID_DATE,
            path,
        )
    if rfc_check_digit(rfc) != rfc[-1]:
        return Problem(
            f"El RFC «{rfc}» no es válido: el último carácter (dígito verificador) no "
            "corresponde. Revisa que esté escrito tal como lo tiene registrado el SAT.",
            INVALID_TAX_ID_CHECK_DIGIT,
            path,
        )
    return None


def is_valid_rfc(tax_id: str | None) -> bool:
    """True for a well-formed RFC with a correct check digit (generic RFCs included)."""
    return rfc_problem(tax_id) is None


def person_type(tax_id: str | None) -> str | None:
    """ "fisica" (13 characters), "moral" (12) or None when the RFC is malformed."""
    rfc = normalize_tax_id(tax_id)
    if not RFC_PATTERN.fullmatch(rfc):
        return None
    return "fisica" if len(rfc) == 13 else "moral"


# --------------------------------------------------------------------------- legal name

_CONNECTORS = frozenset({"DE", "EN", "POR", "Y"})
_SUFFIXES = [
    "SOCIEDAD ANONIMA PROMOTORA DE INVERSION DE CAPITAL VARIABLE",
    "SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
    "SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
    "SOCIEDAD DE RESPONSABILIDAD LIMITADA",
    "SOCIEDAD POR ACCIONES SIMPLIFICADA DE CAPITAL VARIABLE",
    "SOCIEDAD POR ACCIONES SIMPLIFICADA",
    "SOCIEDAD ANONIMA",
    "SOCIEDAD CIVIL",
    "ASOCIACION CIVIL",
    "INSTITUCION DE ASISTENCIA PRIVADA",
]
_ABBREVIATIONS = [
    "SOFOM ENR",
    "SOFOM ER",
    "SAPIB DE CV",
    "SAPI DE CV",
    "SAB DE CV",
    "SA DE CV",
    "S DE RL DE CV",
    "S DE RL MI",
    "S DE RL",
    "SPR DE RL DE CV",
    "SPR DE RL",
    "SPR DE RI",
    "SC DE RL DE CV",
    "SC DE RL",
    "SC DE CV",
    "SCL",
    "SCP",
    "S EN C POR A DE CV",
    "S EN C POR A",
    "S EN C DE CV",
    "S EN C",
    "S EN NC DE CV",
    "S EN NC",
    "SAS DE CV",
    "SAPIB",
    "SAPI",
    "SAB",
    "SAS",
    "SA",
    "SC",
    "AC",
    "IAP",
    "ABP",
    "S DE CV",
]


def _abbreviation_pattern(suffix: str) -> str:
    """Regex for an abbreviation with optional dots and spaces: SA DE CV ~ S.A. de C.V."""
    parts = []
    for word in suffix.split():
        if word in _CONNECTORS:
            parts.append(word)
        else:
            parts.append(r"\.?\s*".join(word) + r"\.?")
    return r"[\s,]*".join(parts)


def _words_pattern(suffix: str) -> str:
    """Regex for a spelled-out regime, with or without accents."""
    accents = {"A": "[AÁ]", "E": "[EÉ]", "I": "[IÍ]", "O": "[OÓ]", "U": "[UÚ]"}
    return r"\s+".join("".join(accents.get(ch, ch) for ch in w) for w in suffix.split())


_SUFFIX_RE = re.compile(
    r"[\s,]+(?:"
    + "|".join(
        [_words_pattern(s) for s in _SUFFIXES] + [_abbreviation_pattern(s) for s in _ABBREVIATIONS]
    )
    + r")[\s.,]*$"
)


def normalize_legal_name(name: str | None) -> str:
    """Capitals, single spaces, no corporate regime suffix ("ACME, S.A. DE C.V." -> "ACME")."""
    text = re.sub(r"\s+", " ", (name or "").upper()).strip()
    for _ in range(2):  # "..., S.A. DE C.V., SOFOM, E.N.R." carries two suffixes
        stripped = _SUFFIX_RE.sub("", text).strip(" ,")
        if not stripped or stripped == text:
            break
        text = stripped
    if catalogs.fold(text) == GENERAL_PUBLIC_NAME.lower():
        return GENERAL_PUBLIC_NAME
    return text


# --------------------------------------------------------------------------- regimes and uses


def _regimes_of(tax_id: str | None) -> frozenset[str]:
    """Regimes SAT allows for the person type of ``tax_id``."""
    rfc = normalize_tax_id(tax_id)
    if rfc in GENERIC_RFCS:
        return frozenset({GENERIC_TAX_SYSTEM})
    kind = person_type(rfc)
    return {"fisica": FISICA_REGIMES, "moral": MORAL_REGIMES}.get(kind or "", frozenset())


def uses_for(tax_system: str | None, document_type: str | None = None) -> list[str]:
    """CFDI uses (c_UsoCFDI codes) a receiver under ``tax_system`` may choose; with a
    ``document_type``, only those SAT allows on that type (CN01 for N, CP01 for P)."""
    return [
        use
        for use, regimes in USE_REGIMES.items()
        if tax_system in regimes and use_fits_type(use, document_type)
    ]


def use_fits_type(use: str, document_type: str | None) -> bool:
    """Whether SAT allows ``use`` on a document of ``document_type`` (None: any type)."""
    if document_type is None:
        return True
    required = USE_OF_TYPE.get(document_type)
    return use == required if required else use not in TYPE_ONLY_USES


def uses_for_type(document_type: str) -> list[str]:
    """Every CFDI use allowed on ``document_type``, whatever the regime."""
    return [use for use in USE_REGIMES if use_fits_type(use, document_type)]


def use_problem_for_type(document_type: str | None, use: str | None) -> Problem | None:
    """Why ``use`` cannot go on a ``document_type`` (CN01 only payroll, CP01 only payments)."""
    if not use or use not in USE_REGIMES or use_fits_type(use, document_type):
        return None
    required = USE_OF_TYPE.get(document_type or "")
    if required:
        message = f"Un comprobante de tipo {document_type} debe llevar el uso {required}."
    else:
        kind = {"N": "nómina", "P": "pago"}[TYPE_ONLY_USES[use]]
        message = f"El uso {use} solo es para comprobantes de {kind}; elige otro uso."
    return Problem(message, USE_NOT_FOR_TYPE, "use")


def is_general_public(tax_id: str | None, legal_name: str | None) -> bool:
    """XAXX010101000 named PUBLICO EN GENERAL: only a global invoice may go to it."""
    return (
        normalize_tax_id(tax_id) == GENERIC_NATIONAL
        and normalize_legal_name(legal_name) == GENERAL_PUBLIC_NAME
    )


def global_period_problem(periodicity: str | None, issuer_regime: str | None) -> Problem | None:
    """SAT's CFDI40132: a bimonthly (05) global invoice is only for the issuer regime 621."""
    if periodicity != "05" or not issuer_regime or issuer_regime == "621":
        return None
    return Problem(
        "La periodicidad bimestral (05) de una factura global solo es para el régimen 621 "
        "(Incorporación Fiscal); elige otra periodicidad.",
        "CFDI40132",
        "global.periodicity",
    )


def global_problem(
    document_type: str | None, tax_id: str | None, legal_name: str | None, has_global: bool
) -> Problem | None:
    """SAT's CFDI40130: an income CFDI to PUBLICO EN GENERAL needs ``global``."""
    if (document_type or "I") != "I" or has_global or not is_general_public(tax_id, legal_name):
        return None
    return Problem(
        f"Una factura a «{GENERAL_PUBLIC_NAME}» con el RFC {GENERIC_NATIONAL} es una factura "
        "global: indica el periodo en «global» (periodicity, months, year), o escribe el nombre "
        "del cliente para una operación nominativa con el RFC genérico.",
        GLOBAL_REQUIRED,
        "global",
    )


def regimes_for(tax_id: str | None) -> list[str]:
    """Tax regimes valid for the person type of ``tax_id`` that can receive a CFDI."""
    return sorted(r for r in _regimes_of(tax_id) if uses_for(r))


def regime_options(tax_id: str | None, lang: str = "es") -> list[tuple[str, str]]:
    """(code, label) of ``regimes_for(tax_id)``, for a select field."""
    return [(r, catalogs.label("tax_system", r, lang) or r) for r in regimes_for(tax_id)]


def type_use_options(document_type: str, lang: str = "es") -> list[tuple[str, str, str]]:
    """(code, label, regimes that may use it) of every use allowed on ``document_type``: the
    options of a select that a script narrows down to the receiver's regime."""
    return [
        (u, catalogs.label("use", u, lang) or u, " ".join(sorted(USE_REGIMES[u])))
        for u in uses_for_type(document_type)
    ]


def use_options(
    tax_system: str | None, lang: str = "es", document_type: str | None = None
) -> list[tuple[str, str]]:
    """(code, label) of ``uses_for(tax_system, document_type)``, for a select field."""
    return [(u, catalogs.label("use", u, lang) or u) for u in uses_for(tax_system, document_type)]


# --------------------------------------------------------------------------- field checks


def _name_problem(rfc: str, legal_name: str | None) -> Problem | None:
    """Why the receiver's name cannot go on the CFDI, or None."""
    path = "customer.legal_name"
    name = normalize_legal_name(legal_name)
    if not name:
        return Problem("Escribe tu nombre o razón social.", LEGAL_NAME_REQUIRED, path)
    if len(name) > 254:
        return Problem(
            "El nombre o razón social no puede pasar de 254 caracteres.", LEGAL_NAME_TOO_LONG, path
        )
    if "|" in name:
        return Problem(
            "El nombre o razón social no puede contener el carácter «|».",
            LEGAL_NAME_INVALID_CHARACTERS,
            path,
        )
    if name == GENERAL_PUBLIC_NAME and rfc != GENERIC_NATIONAL:
        return Problem(  # SAT's CFDI40146; XAXX010101000 with another name is a nominative sale
            f"El nombre «{GENERAL_PUBLIC_NAME}» solo se usa con el RFC genérico "
            f"{GENERIC_NATIONAL}.",
            GENERIC_RFC_LEGAL_NAME,
            path,
        )
    return None


def _tax_system_problem(rfc: str, tax_system: str | None) -> Problem | None:
    """Why the regime does not fit the receiver, or None."""
    path = "customer.tax_system"
    if not tax_system:
        return Problem("Elige tu régimen fiscal.", TAX_SYSTEM_REQUIRED, path)
    if not catalogs.is_valid("tax_system", tax_system):
        return Problem(
            f"El régimen fiscal «{tax_system}» no existe en el catálogo del SAT.",
            TAX_SYSTEM_NOT_FOUND,
            path,
        )
    if rfc in GENERIC_RFCS:
        if tax_system != GENERIC_TAX_SYSTEM:
            return Problem(
                f"Con el RFC genérico {rfc} el régimen fiscal debe ser 616 "
                "(Sin obligaciones fiscales).",
                GENERIC_RFC_TAX_SYSTEM,
                path,
            )
        return None
    kind = person_type(rfc)
    if kind and tax_system not in _regimes_of(rfc):
        who = "personas físicas" if kind == "fisica" else "empresas (personas morales)"
        label = catalogs.label("tax_system", tax_system)
        return Problem(
            f"El régimen «{tax_system} - {label}» no es para {who}. Elige el régimen "
            "que aparece en tus datos fiscales.",
            TAX_SYSTEM_NOT_FOR_PERSON_TYPE,
            path,
        )
    return None


def _use_problem(
    rfc: str, tax_system: str | None, use: str | None, document_type: str | None = None
) -> Problem | None:
    """Why the CFDI use does not fit the document type or the regime (SAT error CFDI40161)."""
    if not use:
        return Problem("Elige el uso que le darás a la factura.", USE_REQUIRED, "use")
    if use not in USE_REGIMES:
        return Problem(
            f"El uso de CFDI «{use}» no existe en el catálogo del SAT.", USE_NOT_FOUND, "use"
        )
    type_problem = use_problem_for_type(document_type, use)
    if type_problem is not None:
        return type_problem
    if rfc in GENERIC_RFCS:
        if use not in GENERIC_USES:
            return Problem(
                f"Con el RFC genérico {rfc} el uso de la factura debe ser "
                "S01 (Sin efectos fiscales).",
                GENERIC_RFC_USE,
                "use",
            )
        return None
    if catalogs.is_valid("tax_system", tax_system) and use not in uses_for(tax_system):
        return Problem(
            f"El uso «{use} - {catalogs.label('use', use)}» no se permite con el "
            f"régimen {tax_system}. Usos permitidos: {', '.join(uses_for(tax_system))}.",
            USE_NOT_ALLOWED_FOR_TAX_SYSTEM,
            "use",
        )
    return None


def _zip_problem(rfc: str, zip_code: str | None, issuer_zip: str | None) -> Problem | None:
    """Why the fiscal zip cannot be used, or None."""
    path = "customer.address.zip"
    zip_code = (zip_code or "").strip()
    if rfc == GENERIC_FOREIGN:
        # A foreign customer keeps its own zip (90210, "K1A 0B6"): the CFDI writes the place of
        # issue as DomicilioFiscalReceptor, and Comercio Exterior carries the foreign address.
        if len(zip_code) > 12:
            return Problem(
                "El código postal extranjero admite 12 caracteres.", INVALID_ZIP_FORMAT, path
            )
        return None
    if rfc in GENERIC_RFCS:
        if zip_code and issuer_zip and zip_code != issuer_zip:
            return Problem(
                f"Con el RFC genérico {rfc} el código postal debe ser el del lugar "
                f"de expedición ({issuer_zip}).",
                GENERIC_RFC_ZIP,
                path,
            )
        return None
    if not zip_code:
        return Problem("Escribe el código postal de tu domicilio fiscal.", ZIP_REQUIRED, path)
    if not re.fullmatch(r"\d{5}", zip_code):
        return Problem("El código postal debe tener 5 dígitos.", INVALID_ZIP_FORMAT, path)
    if not catalogs.zip_exists(zip_code):
        return Problem(
            f"El código postal {zip_code} no existe en el catálogo del SAT.", ZIP_NOT_FOUND, path
        )
    return None


def _country_problem(rfc: str, country: str | None) -> Problem | None:
    """Why the country of fiscal residence does not fit the RFC, or None."""
    path = "customer.address.country"
    country = (country or "").strip().upper()
    if rfc != GENERIC_FOREIGN:
        if country and country != "MEX":
            return Problem(
                f"Para clientes en el extranjero usa el RFC genérico {GENERIC_FOREIGN}.",
                COUNTRY_REQUIRES_FOREIGN_RFC,
                path,
            )
        return None
    if not country:
        return Problem(
            "Indica el país de residencia fiscal del cliente extranjero.",
            GENERIC_RFC_COUNTRY_REQUIRED,
            path,
        )
    if country == "MEX":
        return Problem(
            f"El RFC {GENERIC_FOREIGN} es para residentes en el extranjero; el país "
            "no puede ser México.",
            GENERIC_RFC_COUNTRY_MEXICO,
            path,
        )
    if not catalogs.is_valid("country", country):
        return Problem(
            f"El país «{country}» no existe en el catálogo del SAT (usa la clave de "
            "3 letras, p. ej. USA).",
            COUNTRY_NOT_FOUND,
            path,
        )
    return None


def _foreign_tax_id_problem(rfc: str, foreign_tax_id: str | None) -> Problem | None:
    """Why the foreign tax id (NumRegIdTrib) is missing or wrong, or None."""
    path = "customer.tax_id"
    value = (foreign_tax_id or "").strip()
    if rfc != GENERIC_FOREIGN:
        if value:
            return Problem(
                "El número de identificación fiscal extranjero solo aplica con el RFC "
                f"genérico {GENERIC_FOREIGN}.",
                FOREIGN_TAX_ID_NOT_ALLOWED,
                path,
            )
        return None
    if not value:
        return Problem(
            "Indica el número de identificación fiscal del cliente en su país.",
            GENERIC_RFC_FOREIGN_TAX_ID_REQUIRED,
            path,
        )
    if len(value) > 40:
        return Problem(
            "El número de identificación fiscal extranjero no puede pasar de 40 caracteres.",
            FOREIGN_TAX_ID_TOO_LONG,
            path,
        )
    return None


def _aligned(issue_date: datetime, now: datetime | None) -> tuple[datetime, datetime]:
    """Both datetimes naive or both aware; the default ``now`` is Mexico City local time."""
    if now is None:
        now = datetime.now(issue_date.tzinfo or MEXICO_TZ)
        if issue_date.tzinfo is None:
            now = now.replace(tzinfo=None)
    if (issue_date.tzinfo is None) != (now.tzinfo is None):
        zone = issue_date.tzinfo or now.tzinfo
        issue_date, now = issue_date.replace(tzinfo=zone), now.replace(tzinfo=zone)
    return issue_date, now


def date_problem(issue_date: datetime | None, now: datetime | None = None) -> Problem | None:
    """Why the issue date is refused (over 72 h old, or in the future), or None."""
    if issue_date is None:
        return None
    issue_date, now = _aligned(issue_date, now)
    if issue_date > now:
        return Problem("La fecha de emisión no puede estar en el futuro.", DATE_IN_FUTURE, "date")
    if now - issue_date > MAX_AGE:
        return Problem(
            "La fecha de emisión no puede ser de hace más de 72 horas.", DATE_TOO_OLD, "date"
        )
    return None


# --------------------------------------------------------------------------- entry points


def check_receiver(
    tax_id: str | None,
    legal_name: str | None,
    tax_system: str | None,
    zip: str | None,  # Facturapi's field name
    use: str | None,
    *,
    issuer_zip: str | None = None,
    foreign_tax_id: str | None = None,
    country: str | None = None,
    issue_date: datetime | None = None,
    now: datetime | None = None,
    document_type: str | None = None,
) -> list[Problem]:
    """Every problem with a CFDI 4.0 receiver at once (empty list: all good); with a
    ``document_type``, the use is also checked against it (CN01 only N, CP01 only P)."""
    rfc = normalize_tax_id(tax_id)
    checks: list[Callable[[], Problem | None]] = [
        lambda: rfc_problem(rfc),
        lambda: _name_problem(rfc, legal_name),
        lambda: _tax_system_problem(rfc, tax_system),
        lambda: _zip_problem(rfc, zip, issuer_zip),
        lambda: _country_problem(rfc, country),
        lambda: _foreign_tax_id_problem(rfc, foreign_tax_id),
        lambda: _use_problem(rfc, tax_system, use, document_type),
        lambda: date_problem(issue_date, now),
    ]
    return [p for p in (check() for check in checks) if p is not None]


def raise_problems(problems: list[Problem]) -> None:
    """Raise one ``ValidationError`` carrying every problem, when there is any."""
    if problems:
        raise ValidationError.from_problems(problems)
