"""The schema layer on its own (no app): the error body it builds, the field readers that keep
the API's lenient reading, and answers that cannot carry an undeclared field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from portal.errors import ValidationError
from portal.schemas import ApiModel, answer, parse
from portal.schemas.common import Owned
from portal.schemas.fields import Folio, Integer, Text
from portal.schemas.organizations import SeriesIn


class Sample(ApiModel):
    name: Text(required=True, max_len=5)
    note: Text(max_len=3) = None
    count: Integer(1, 10) = None
    folio: Folio = None


def _problems(data: Any) -> list[tuple[str | None, str, str]]:
    with pytest.raises(ValidationError) as caught:
        parse(Sample, data)
    return [(p.path, p.code, p.message) for p in caught.value.problems]


def test_numbers_are_read_as_text_trimmed_and_empty_is_not_given() -> None:
    sample = parse(Sample, {"name": 123, "note": "", "count": " 7 "})
    assert (sample.name, sample.note, sample.count) == ("123", None, 7)
    assert parse(Sample, {"name": "  ab  "}).name == "ab"


def test_every_problem_is_reported_in_field_order_with_its_code_and_message() -> None:
    assert _problems({"name": "", "note": "abcd", "count": True, "folio": 0}) == [
        ("name", "required", "El campo name es obligatorio."),
        ("note", "too_long", "El campo note admite como máximo 3 caracteres."),
        ("count", "invalid_type", "El campo count debe ser un número entero."),
        ("folio", "out_of_range", "El campo folio debe ser un número entre 1 y 2000000000."),
    ]
    assert _problems({}) == [("name", "required", "El campo name es obligatorio.")]
    assert _problems({"name": "a\x00"})[0][1] == "invalid_characters"


def test_a_prefix_names_nested_paths() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(Sample, {"name": None}, prefix="items[2]")
    assert caught.value.path == "items[2].name"


def test_series_names_that_files_cannot_carry_are_refused() -> None:
    assert parse(SeriesIn, {"series": " A-1 "}).series == "A-1"
    with pytest.raises(ValidationError) as caught:
        parse(SeriesIn, {"series": 'a"b'})
    assert caught.value.code == "invalid_series" and caught.value.path == "series"


def test_an_answer_cannot_carry_a_field_its_model_does_not_declare() -> None:
    moment = datetime(2026, 12, 5, 6, 0, 0, 123456, tzinfo=UTC)
    owned = {"id": "x", "created_at": moment, "livemode": False, "organization_id": "o"}
    assert answer(Owned, owned) == {
        "id": "x",
        "created_at": "2026-12-05T06:00:00.123Z",
        "livemode": False,
        "organization": "o",
    }
    with pytest.raises(PydanticValidationError):
        answer(Owned, {**owned, "secret": "leak"})
