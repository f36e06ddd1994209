"""The readers give exactly the visits and the errors (file, visit, field, problem, fix) that
they gave before their speed work, on the fixtures and on 1,200 damaged copies of them
(tests/intake/differential.py makes the cases; fixtures/differential/golden.json holds the
outcomes recorded before). Where the readers then let an exception escape (a traceback, on a
bad reference or an element of the wrong type), they must now refuse the input clearly."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ptbill.intake.numbers import json_object
from tests.intake import differential

GOLDEN = json.loads(differential.GOLDEN.read_text(encoding="utf-8"))
CASES = differential.cases()
CONFIGS = differential._configs()


def test_the_cases_are_the_recorded_ones() -> None:
    assert sorted(c.name for c in CASES) == sorted(GOLDEN)
    assert len(CASES) > 1_000
    # in every format, some damaged copies are read and some refused
    kinds = {(c.fmt, "errors" in GOLDEN[c.name]) for c in CASES if "#" in c.name}
    assert kinds >= {(f, refused) for f in ("fhir", "hl7", "csv") for refused in (True, False)}


@pytest.mark.parametrize("fmt", ["fhir", "hl7", "csv"])
def test_the_outcome_is_the_recorded_one(fmt: str) -> None:
    changed, crashed = [], []
    for case in CASES:
        if case.fmt != fmt:
            continue
        was, now = GOLDEN[case.name], differential.outcome(case, CONFIGS[case.emr])
        if "crash" in now:
            crashed.append((case.name, now["crash"]))
        elif "crash" in was:
            assert now["errors"], case.name  # refused clearly now
        elif now != was:
            changed.append((case.name, was, now))
    assert not crashed, crashed
    assert not changed, changed[:3]


@pytest.mark.parametrize(
    "text",
    [
        '{"charge": 96.5, "units": 2}',
        '{"n": 12345678901234567890123}',
        '{"big": 1.5e1000000000000000000}',
        '{"n": 1e999, "m": -0.0, "k": 1E2}',
        '{"a": 1, "a": 2}',
        '{"text": "v1.2 e5", "x": NaN}',
        '"\\ud800"',
        '{"deep": ' + "[" * 2_000 + "]" * 2_000 + "}",
    ],
)
def test_an_extension_json_reads_as_the_json_module_reads_it(text: str) -> None:
    try:
        expected: object = json.loads(text, parse_float=Decimal)
    except (ValueError, ArithmeticError, RecursionError) as e:
        expected = type(e)
    try:
        got: object = json_object(text)
    except (ValueError, ArithmeticError, RecursionError) as e:
        got = type(e)
    assert got == expected and repr(got) == repr(expected)
