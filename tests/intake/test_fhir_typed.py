"""The typed FHIR reader (ptbill.intake.fhir_typed) gives the generic reader's visits for every
file it reads, and declines the others, which the generic reader then reads or refuses: on the
differential harness's FHIR inputs (the fixtures, the demo Bundle and their damaged copies)."""

from __future__ import annotations

import pytest

from ptbill.errors import InputError, InputErrors
from ptbill.intake import fhir, fhir_typed
from tests.intake import differential
from tests.intake.test_differential import (
    test_an_extension_json_reads_as_the_json_module_reads_it as as_the_json_module,
)

CASES = [c for c in differential.cases() if c.fmt == "fhir"]
CONFIGS = differential._configs()


def _generic(case: differential.Case) -> object:
    try:
        return fhir.read_generic(case.text, "in.json", CONFIGS[case.emr])
    except (InputError, InputErrors):
        return "refused"


def test_what_the_typed_reader_reads_the_generic_reader_reads_alike() -> None:
    read = 0
    for case in CASES:
        visits = fhir_typed.read(case.text, CONFIGS[case.emr])
        if visits is not None:
            read += 1
            assert visits == _generic(case), case.name
    # the demo Bundle and most of its damaged copies that stay readable are read typed
    assert read >= 100, read


@pytest.mark.parametrize("name", ["bundle.json", "differential/demo.fhir.json"])
def test_the_fixture_bundles_are_read_typed(name: str) -> None:
    [case] = [c for c in CASES if c.name == name]
    visits = fhir_typed.read(case.text, CONFIGS[case.emr])
    assert visits is not None and visits == _generic(case)


@pytest.mark.parametrize(
    "change",
    [
        ('"resourceType": "Bundle"', '"resourceType": "Bundle", "signature": {}'),  # undeclared
        ('"rank": 1', '"rank": 1.0'),  # a float where the generic reader reads an int
        ('"rank": 1', '"rank": 18446744073709551615'),  # beyond int64: orjson reads a float
        ('"rank": 1', '"rank": true'),
        ('"resourceType": "Bundle"', '"resourceType": "Bundle", "x": 1e999'),  # orjson refuses
        ('"reference": "urn:uuid:9a1c0c1e-0001', '"reference": "urn:uuid:nope'),  # unresolved
    ],
)
def test_a_file_it_does_not_read_in_full_is_declined(change: tuple[str, str]) -> None:
    [case] = [c for c in CASES if c.name == "bundle.json"]
    assert change[0] in case.text
    text = case.text.replace(*change)
    assert fhir_typed.read(text, CONFIGS[False]) is None


@pytest.mark.parametrize(
    "text",
    [
        "-" + "9" * 4_300,  # the json module reads it, msgspec does not
        "9" * 4_301,
        '{"x": NaN, "y": -Infinity}',
        '"\\udc00x"',
        '"a\x01b"',
        " [1.0e+2, 0.1E-3, 1.50, -0.0, 1E400] ",
        '{"a": 1}{"b": 2}',
        '{"a": {"b": [' * 200 + "]}}" * 200,
        "",
    ],
)  # beside test_differential's texts: where msgspec, which reads them first, refuses
def test_more_extension_json_reads_as_the_json_module_reads_it(text: str) -> None:
    as_the_json_module(text)


def test_visits_one_at_a_time_are_the_visits_read_or_the_same_errors() -> None:
    for case in CASES[::5]:
        config = CONFIGS[case.emr]
        try:
            expected: object = fhir.read(case.text, "in.json", config)
        except (InputError, InputErrors) as e:
            expected = str(e)
        try:
            got: object = list(fhir.visits(case.text, "in.json", config))
        except (InputError, InputErrors) as e:
            got = str(e)
        assert got == expected, case.name


def test_a_file_declined_after_some_visits_gives_the_rest_from_the_generic_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [case] = [c for c in CASES if c.name == "differential/demo.fhir.json"]
    expected = fhir.read_generic(case.text, "in.json", CONFIGS[False])
    assert len(expected) > 3
    mapped = fhir_typed.TypedMapper.encounter
    calls = []

    def third_declined(self: fhir_typed.TypedMapper, enc: fhir_typed.Encounter) -> object:
        calls.append(enc)
        if len(calls) == 3:
            raise fhir_typed.Declined
        return mapped(self, enc)

    monkeypatch.setattr(fhir_typed.TypedMapper, "encounter", third_declined)
    assert list(fhir.visits(case.text, "in.json", CONFIGS[False])) == expected
    assert len(calls) == 3
