"""Receiver rules: every refusal has its own code; valid receivers and generic RFCs pass."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.cfdi import rules
from portal.errors import ValidationError

NOW = datetime(2026, 3, 10, 12, 0, 0)
COMPANY = {
    "tax_id": "EKU9003173C9",
    "legal_name": "ESCUELA KEMPER URGATE",
    "tax_system": "601",
    "zip": "42501",
    "use": "G03",
}
PERSON = {
    "tax_id": "GODE561231GR8",
    "legal_name": "EMILIO GOMEZ DIAZ",
    "tax_system": "612",
    "zip": "06600",
    "use": "D01",
}
PUBLIC = {
    "tax_id": "XAXX010101000",
    "legal_name": "PUBLICO EN GENERAL",
    "tax_system": "616",
    "zip": "64000",
    "use": "S01",
}
FOREIGN = {
    "tax_id": "XEXX010101000",
    "legal_name": "ACME INC",
    "tax_system": "616",
    "zip": "64000",
    "use": "S01",
}


def codes(**fields: object) -> list[str]:
    """Codes of ``check_receiver`` with a fixed clock."""
    fields.setdefault("now", NOW)
    return [p.code for p in rules.check_receiver(**fields)]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- RFC check digit

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ&Ñ"
_HOMOCLAVE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@st.composite
def generated_rfcs(draw: st.DrawFn) -> str:
    """A well-formed RFC with SAT's check digit."""
    letters = draw(st.text(_LETTERS, min_size=3, max_size=4))
    day = draw(st.dates(datetime(1930, 1, 1).date(), datetime(2029, 12, 31).date()))
    homoclave = draw(st.text(_HOMOCLAVE, min_size=2, max_size=2))
    body = f"{letters}{day:%y%m%d}{homoclave}"
    return body + rules.rfc_check_digit(body + "0")


@settings(max_examples=300, deadline=None)
@given(generated_rfcs())
def test_generated_rfcs_are_valid(rfc: str) -> None:
    assert rules.rfc_problem(rfc) is None
    assert rules.person_type(rfc) == ("fisica" if len(rfc) == 13 else "moral")


@settings(max_examples=300, deadline=None)
@given(generated_rfcs(), st.sampled_from("0123456789A"))
def test_wrong_check_digit_is_refused(rfc: str, digit: str) -> None:
    if digit == rfc[-1]:
        return
    problem = rules.rfc_problem(rfc[:-1] + digit)
    assert problem is not None and problem.code == rules.INVALID_TAX_ID_CHECK_DIGIT


@settings(max_examples=200, deadline=None)
@given(generated_rfcs(), st.integers(0, 1), st.sampled_from(_HOMOCLAVE))
def test_mutated_homoclave_breaks_check_digit(rfc: str, offset: int, char: str) -> None:
    position = len(rfc) - 3 + offset
    old = rfc[position]
    chars = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
    weight = len(rfc) - position
    if char == old or (chars.index(char) - chars.index(old)) * weight % 11 == 0:
        return  # mod 11 cannot see this substitution
    mutated = rfc[:position] + char + rfc[position + 1 :]
    assert rules.rfc_problem(mutated).code == rules.INVALID_TAX_ID_CHECK_DIGIT


@pytest.mark.parametrize(
    "rfc",
    [
        "GODE561231GR8",
        "EKU9003173C9",
        "BBA830831LJ2",
        "XIQB891116QE4",
        "gode561231gr8",
        "XAXX010101000",
    ],
)
def test_known_rfcs_pass(rfc: str) -> None:
    assert rules.is_valid_rfc(rfc)


@pytest.mark.parametrize(
    ("rfc", "code"),
    [
        ("", rules.TAX_ID_REQUIRED),
        ("GODE561231GR", rules.INVALID_TAX_ID_FORMAT),
        ("GODE561331GR8", rules.INVALID_TAX_ID_FORMAT),
        ("GODE56123XGR8", rules.INVALID_TAX_ID_FORMAT),
        ("GODE560230GR8", rules.INVALID_TAX_ID_DATE),
        ("GODE561231GR9", rules.INVALID_TAX_ID_CHECK_DIGIT),
    ],
)
def test_bad_rfcs_are_refused(rfc: str, code: str) -> None:
    assert rules.rfc_problem(rfc).code == code


# --------------------------------------------------------------------------- legal name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme, S.A. de C.V.", "ACME"),
        ("ACME SA DE CV", "ACME"),
        ("Acme S. de R.L. de C.V.", "ACME"),
        ("Despacho Lopez, S.C.", "DESPACHO LOPEZ"),
        ("Amigos del Parque A.C.", "AMIGOS DEL PARQUE"),
        ("Inversiones Norte S.A.P.I. de C.V.", "INVERSIONES NORTE"),
        ("Tienda Chica SAS", "TIENDA CHICA"),
        ("Tienda Chica S.A.S. de C.V.", "TIENDA CHICA"),
        ("Credito Facil, S.A. de C.V., SOFOM, E.N.R.", "CREDITO FACIL"),
        ("Grupo Uno Sociedad Anónima de Capital Variable", "GRUPO UNO"),
        ("  maría   ñúñez  ", "MARÍA ÑÚÑEZ"),
        ("Público en general", "PUBLICO EN GENERAL"),
        ("SASA", "SASA"),
    ],
)
def test_normalize_legal_name(raw: str, expected: str) -> None:
    assert rules.normalize_legal_name(raw) == expected


# --------------------------------------------------------------------------- regimes and uses


def test_regimes_for_person_types() -> None:
    person = rules.regimes_for("GODE561231GR8")
    company = rules.regimes_for("EKU9003173C9")
    assert {"605", "612", "626", "616"} <= set(person) and "601" not in person
    assert {"601", "603", "626"} <= set(company) and "612" not in company
    assert rules.regimes_for("XAXX010101000") == ["616"]
    assert rules.regimes_for("nonsense") == []


def test_uses_for_regimes() -> None:
    assert rules.uses_for("616") == ["S01", "CP01"]
    assert rules.uses_for("605") == [
        "D01",
        "D02",
        "D03",
        "D04",
        "D05",
        "D06",
        "D07",
        "D08",
        "D09",
        "D10",
        "S01",
        "CP01",
        "CN01",
    ]
    assert "G03" in rules.uses_for("601") and "D01" not in rules.uses_for("601")
    assert rules.uses_for("999") == []
    assert rules.use_options("626", "en")[0] == ("G01", "Purchase of goods")


# --------------------------------------------------------------------------- check_receiver


@pytest.mark.parametrize("receiver", [COMPANY, PERSON, PUBLIC, FOREIGN], ids=str)
def test_valid_receivers_pass(receiver: dict[str, str]) -> None:
    extra = {"country": "USA", "foreign_tax_id": "123456789"} if receiver is FOREIGN else {}
    assert codes(**receiver, issuer_zip="64000", issue_date=NOW, **extra) == []


def test_suffix_in_name_is_not_an_error() -> None:
    assert codes(**{**COMPANY, "legal_name": "Escuela Kemper Urgate, S.A. de C.V."}) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tax_id": "EKU9003173C8"}, rules.INVALID_TAX_ID_CHECK_DIGIT),
        ({"tax_id": "EKU90031"}, rules.INVALID_TAX_ID_FORMAT),
        ({"tax_id": None}, rules.TAX_ID_REQUIRED),
        ({"legal_name": "  "}, rules.LEGAL_NAME_REQUIRED),
        ({"legal_name": "X" * 255}, rules.LEGAL_NAME_TOO_LONG),
        ({"legal_name": "A|B"}, rules.LEGAL_NAME_INVALID_CHARACTERS),
        ({"tax_system": ""}, rules.TAX_SYSTEM_REQUIRED),
        ({"tax_system": "999"}, rules.TAX_SYSTEM_NOT_FOUND),
        ({"tax_system": "612", "use": "G03"}, rules.TAX_SYSTEM_NOT_FOR_PERSON_TYPE),
        ({"zip": ""}, rules.ZIP_REQUIRED),
        ({"zip": "4250"}, rules.INVALID_ZIP_FORMAT),
        ({"zip": "00001"}, rules.ZIP_NOT_FOUND),
        ({"use": None}, rules.USE_REQUIRED),
        ({"use": "P01"}, rules.USE_NOT_FOUND),
        ({"use": "D01"}, rules.USE_NOT_ALLOWED_FOR_TAX_SYSTEM),
        ({"country": "USA"}, rules.COUNTRY_REQUIRES_FOREIGN_RFC),
        ({"foreign_tax_id": "123"}, rules.FOREIGN_TAX_ID_NOT_ALLOWED),
        ({"issue_date": NOW - timedelta(hours=73)}, rules.DATE_TOO_OLD),
        ({"issue_date": NOW + timedelta(minutes=1)}, rules.DATE_IN_FUTURE),
    ],
)
def test_each_refusal_has_its_code(change: dict[str, object], code: str) -> None:
    assert codes(**{**COMPANY, **change}) == [code]


def test_use_not_allowed_for_person_regime() -> None:
    assert codes(**{**PERSON, "tax_system": "605", "use": "G03"}) == [
        rules.USE_NOT_ALLOWED_FOR_TAX_SYSTEM
    ]
    assert codes(**{**PERSON, "tax_system": "616", "use": "G03"}) == [
        rules.USE_NOT_ALLOWED_FOR_TAX_SYSTEM
    ]
    assert codes(**{**PERSON, "tax_system": "605", "use": "CN01"}) == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"tax_system": "601"}, rules.GENERIC_RFC_TAX_SYSTEM),
        ({"use": "G03"}, rules.GENERIC_RFC_USE),
        ({"zip": "06600"}, rules.GENERIC_RFC_ZIP),
    ],
)
def test_general_public_rules(change: dict[str, object], code: str) -> None:
    assert codes(**{**PUBLIC, **change}, issuer_zip="64000") == [code]


def test_generic_rfc_with_a_name_is_a_nominative_operation() -> None:
    """SAT allows XAXX010101000 with the buyer's own name (a nominative operation)."""
    assert codes(**{**PUBLIC, "legal_name": "JUAN PEREZ"}, issuer_zip="64000") == []


def test_general_public_name_needs_the_generic_rfc() -> None:
    """CFDI40146: the name PUBLICO EN GENERAL goes only with XAXX010101000."""
    fields = {**COMPANY, "legal_name": "Público en general"}
    assert codes(**fields) == [rules.GENERIC_RFC_LEGAL_NAME]


@pytest.mark.parametrize(
    ("document_type", "use", "allowed"),
    [
        ("I", "CN01", False),
        ("I", "CP01", False),
        ("E", "CP01", False),
        ("N", "CN01", True),
        ("N", "G03", False),
        ("P", "CP01", True),
        ("P", "G03", False),
        ("I", "S01", True),
        ("I", "D01", True),
    ],
)
def test_uses_by_document_type(document_type: str, use: str, allowed: bool) -> None:
    """CFDI40161: CN01 only on payroll (N), CP01 only on payments (P)."""
    fields = {**PERSON, "tax_system": "605" if use in ("CN01", "D01") else "612", "use": use}
    found = codes(**fields, document_type=document_type)
    assert (found == []) is allowed
    if not allowed:
        assert found == [rules.USE_NOT_FOR_TYPE]


def test_use_lists_by_document_type() -> None:
    assert rules.uses_for("605", "I") == [f"D{n:02d}" for n in range(1, 11)] + ["S01"]
    assert rules.uses_for("605", "N") == ["CN01"]
    assert rules.uses_for("616", "P") == ["CP01"] and rules.uses_for("616", "I") == ["S01"]
    assert "CN01" not in rules.uses_for_type("I") and "CP01" not in rules.uses_for_type("E")


@pytest.mark.parametrize(
    ("document_type", "name", "has_global", "refused"),
    [
        ("I", "PUBLICO EN GENERAL", False, True),
        ("I", "Público en General", False, True),
        ("I", "PUBLICO EN GENERAL", True, False),
        ("I", "JUAN PEREZ", False, False),
        ("E", "PUBLICO EN GENERAL", False, False),
    ],
)
def test_general_public_needs_global(document_type, name, has_global, refused) -> None:
    """CFDI40130: an income CFDI to PUBLICO EN GENERAL is a global invoice."""
    problem = rules.global_problem(document_type, "XAXX010101000", name, has_global)
    assert (problem is not None) is refused
    if problem:
        assert (problem.code, problem.path) == ("CFDI40130", "global")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"country": None}, rules.GENERIC_RFC_COUNTRY_REQUIRED),
        ({"country": "MEX"}, rules.GENERIC_RFC_COUNTRY_MEXICO),
        ({"country": "XYZ"}, rules.COUNTRY_NOT_FOUND),
        ({"foreign_tax_id": ""}, rules.GENERIC_RFC_FOREIGN_TAX_ID_REQUIRED),
        ({"foreign_tax_id": "9" * 41}, rules.FOREIGN_TAX_ID_TOO_LONG),
        ({"tax_system": "601"}, rules.GENERIC_RFC_TAX_SYSTEM),
        ({"use": "G01"}, rules.GENERIC_RFC_USE),
    ],
)
def test_foreign_generic_rules(change: dict[str, object], code: str) -> None:
    fields = {**FOREIGN, "country": "USA", "foreign_tax_id": "123456789", **change}
    assert codes(**fields, issuer_zip="64000") == [code]


def test_every_problem_is_reported_at_once() -> None:
    problems = rules.check_receiver(
        "EKU9003173C8", "", "605", "1", "D01", issue_date=NOW - timedelta(days=5), now=NOW
    )
    assert [p.path for p in problems] == [
        "customer.tax_id",
        "customer.legal_name",
        "customer.tax_system",
        "customer.address.zip",
        "date",
    ]
    assert all(p.message and p.message[0].isupper() for p in problems)
    with pytest.raises(ValidationError) as caught:
        rules.raise_problems(problems)
    assert caught.value.code == rules.INVALID_TAX_ID_CHECK_DIGIT
    assert len(caught.value.as_dict()["errors"]) == 5


def test_codes_are_distinct() -> None:
    names = [
        n
        for n in dir(rules)
        if n.isupper()
        and isinstance(getattr(rules, n), str)
        and getattr(rules, n).islower()
        and "_" in getattr(rules, n)
    ]
    values = [getattr(rules, n) for n in names]
    assert len(values) == len(set(values)) > 25


def test_dates_with_time_zones() -> None:
    mexico = timezone(timedelta(hours=-6))
    now = datetime(2026, 3, 10, 12, 0, tzinfo=mexico)
    assert rules.date_problem(now - timedelta(hours=71), now) is None
    assert rules.date_problem(datetime(2026, 3, 10, 12, 30), now).code == rules.DATE_IN_FUTURE
    local_now = datetime.now(rules.MEXICO_TZ).replace(tzinfo=None)
    assert rules.date_problem(local_now - timedelta(minutes=1)) is None


@pytest.mark.parametrize(
    ("periodicity", "regime", "refused"),
    [("05", "601", True), ("05", "621", False), ("04", "601", False), (None, "601", False)],
)
def test_bimonthly_global_period_is_for_regime_621(periodicity, regime, refused) -> None:
    """CFDI40132: Periodicidad 05 only when the issuer's regime is 621."""
    problem = rules.global_period_problem(periodicity, regime)
    assert (problem is not None) is refused
    if problem:
        assert (problem.code, problem.path) == ("CFDI40132", "global.periodicity")
