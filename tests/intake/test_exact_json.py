"""A JSON Lines line is validated by the visit model's stricter copy (ptbill.intake.exact_json)
only when that reads it as the model does: a number the model would take as a float, or a value
it takes only in lax mode, sends the line to the exact reading, whose answer (or errors) are the
model's. What is accepted, and each error's text, are those of the visit model."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ptbill.domain.visit import Address, Patient, Service, Visit
from ptbill.intake.exact_json import visit_json
from ptbill.intake.numbers import loads
from ptbill.intake.stream import parse_visit

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("visit-*.json"))
EXAMPLE = json.loads((Path(__file__).parents[2] / "examples" / "visit-complete.json").read_text())


def _line(**changes: Any) -> bytes:
    """The example visit as a JSON Lines line, with `changes` (a dotted path: its JSON text)."""
    doc = json.loads(json.dumps(EXAMPLE))
    marks = {}
    for n, (path, text) in enumerate(changes.items()):
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        mark = f"MARK{n}"
        node[last] = mark
        marks[json.dumps(mark)] = text
    line = json.dumps(doc)
    for mark, text in marks.items():
        line = line.replace(mark, text)
    return line.encode()


def _exactly(line: bytes) -> Visit:
    """The exact reading alone: json with exact decimals, then the model's Python validation."""
    return Visit.model_validate(loads(line))


def _told(e: ValidationError) -> str:
    return json.dumps(e.errors(include_url=False), default=str)


def _same(a: Visit, b: Visit) -> None:
    assert type(a) is type(b)
    assert a == b
    assert a.model_dump_json() == b.model_dump_json()
    assert a.model_fields_set == b.model_fields_set


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_visits_are_read_by_the_copy_as_the_model_reads_them(path: Path) -> None:
    line = json.dumps(json.loads(path.read_text(encoding="utf-8"))).encode()
    visit = visit_json(line)
    assert visit is not None
    _same(visit, Visit.model_validate_json(line))
    _same(parse_visit(line), Visit.model_validate_json(line))


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"services.0.charge": "48.50"}, "charge", Decimal("48.50")),
        ({"services.0.charge": "4850e-2"}, "charge", Decimal("48.50")),
        ({"episode.therapy_amount_ytd": "1234.5"}, "ytd", Decimal("1234.5")),
        # a whole number written with a fraction, in a nested model's integer and in a list
        ({"services.0.minutes": "24.0"}, "minutes", 24),
        ({"services.0.minutes": "2.4E1"}, "minutes", 24),
        ({"services.0.diagnosis_pointers": "[1.0]"}, "pointers", [1]),
        ({"episode.visit_number": "3.0"}, "visit_number", 3),
        ({"total_treatment_minutes": "41.0"}, "total", 41),
        # extensions are free-form: a fraction in them is a Decimal, in a list too
        ({"extensions.x": "1.5"}, "extensions", Decimal("1.5")),
        ({"extensions.x": "[1, [2.25]]"}, "extensions", [1, [Decimal("2.25")]]),
    ],
)
def test_a_number_the_model_would_read_as_a_float_is_read_exactly(
    changes: dict[str, str], field: str, value: Any
) -> None:
    line = _line(**changes)
    assert visit_json(line) is None
    visit = parse_visit(line)
    _same(visit, _exactly(line))
    got = {
        "charge": lambda v: v.services[0].charge,
        "ytd": lambda v: v.episode.therapy_amount_ytd,
        "minutes": lambda v: v.services[0].minutes,
        "pointers": lambda v: v.services[0].diagnosis_pointers,
        "visit_number": lambda v: v.episode.visit_number,
        "total": lambda v: v.total_treatment_minutes,
        "extensions": lambda v: v.extensions["x"],
    }[field](visit)
    assert got == value
    assert repr(got) == repr(value)  # a Decimal, never a float


@pytest.mark.parametrize(
    "changes",
    [
        {"services.0.minutes": '"24"'},  # a number in a string
        {"episode.progress_report_this_visit": '"true"'},
        {"episode.progress_report_this_visit": "1"},
        {"services.0.minutes": "true"},
    ],
)
def test_a_value_the_model_takes_only_in_lax_mode_is_read_as_the_model_reads_it(
    changes: dict[str, str],
) -> None:
    line = _line(**changes)
    assert visit_json(line) is None
    _same(parse_visit(line), Visit.model_validate_json(line))


@pytest.mark.parametrize(
    "text",
    ['"0000000000"', '"1700000000"', '"0"', '"+0000000000"', '"000000000000"', '"2024-02-29"'],
)
def test_a_date_is_taken_by_the_copy_only_as_the_model_takes_it(text: str) -> None:
    # The date parser reads digits as a time stamp (at midnight, a date); the model takes only
    # a text of ten characters, and so does the copy.
    line = _line(**{"signed.date": text})
    try:
        expected: Any = Visit.model_validate_json(line).signed
    except ValidationError as e:
        expected = _told(e)
    got = visit_json(line)
    if got is not None:
        assert got.signed == expected
    try:
        now: Any = parse_visit(line).signed
    except ValidationError as e:
        now = _told(e)
    assert now == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_of_service": "20250303"}, "expected a date written as YYYY-MM-DD"),
        ({"date_of_service": "2025.0"}, "expected a date written as YYYY-MM-DD"),
        ({"date_of_service": '"2025-03-03T00:00:00"'}, "expected a date written as YYYY-MM-DD"),
        ({"patient.birth_date": '"1950-02-30"'}, "Input should be a valid date"),
        ({"signed.date": '"2025-3-3"'}, "expected a date written as YYYY-MM-DD"),
        ({"services.0.minutes": "24.5"}, "Input should be a valid integer"),
        ({"services.0.minutes": '"24.5"'}, "Input should be a valid integer"),
        ({"services.0.charge": "48.505"}, "Decimal input should have no more than 2 decimal"),
        ({"episode.progress_report_this_visit": '"maybe"'}, "Input should be a valid boolean"),
        ({"visit_id": '"a/b"'}, "a visit id may not contain '/'"),
    ],
)
def test_a_refused_value_is_refused_as_the_model_refuses_it(
    changes: dict[str, str], message: str
) -> None:
    line = _line(**changes)
    assert visit_json(line) is None
    with pytest.raises(ValidationError) as caught:
        parse_visit(line)
    with pytest.raises(ValidationError) as model:
        _exactly(line)
    assert _told(caught.value) == _told(model.value)
    assert message in str(caught.value)


def test_a_date_object_is_still_taken_in_python() -> None:
    doc = json.loads(json.dumps(EXAMPLE))
    doc["date_of_service"] = dt.date(2025, 3, 3)
    assert Visit.model_validate(doc).date_of_service == dt.date(2025, 3, 3)
    doc["date_of_service"] = dt.datetime(2025, 3, 3)
    with pytest.raises(ValidationError, match="expected a date written as YYYY-MM-DD"):
        Visit.model_validate(doc)


def test_the_model_classes_keep_their_own_validators() -> None:
    # The copy is built with the nested classes marked incomplete for a moment: they are
    # complete again, and their own validators lax as ever.
    for model in (Visit, Patient, Address, Service):
        assert model.__pydantic_complete__
    assert Service.model_validate_json('{"code": "97110", "minutes": 24.0}').minutes == 24
