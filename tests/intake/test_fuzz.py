"""Fuzzing the HL7 and CSV readers: whatever the text, they return visits or raise ptbill's
input error, never anything else (a traceback is a bug)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import csv_charges, hl7v2

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = load_config(str(FIXTURES / "intake.toml"))
with (FIXTURES / "dft_p03.hl7").open(encoding="utf-8", newline="") as _f:
    HL7 = _f.read()
CSV = (FIXTURES / "charges_emr.csv").read_text(encoding="utf-8")
DEFAULT_CSV = (FIXTURES / "charges_default.csv").read_text(encoding="utf-8")
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Characters and words that matter to the formats, and others.
TOKENS = [
    *"|^~\\&\r\n;,\"' 0123456789.-/MSHFTPIDVGNZ1SEL\x0bé",
    *("Infinity", "NaN", "1e9", "-3", "99999999", "FT1|", "\rZSV|1|", "\rIN1|2|", "DFT^P03"),
    *("null", "{}", "[1]", "\\F\\"),
]
ALPHABET = st.sampled_from(TOKENS)
TEXT = st.lists(ALPHABET, max_size=120).map("".join)


def _mutate(text: str, cuts: list[tuple[int, int, str]]) -> str:
    for at, drop, insert in cuts:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + drop :]
    return text


EDITS = st.lists(
    st.tuples(
        st.integers(0, 10_000), st.integers(0, 8), st.lists(ALPHABET, max_size=4).map("".join)
    ),
    max_size=6,
)


def _only_input_errors(read, text: str) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(InputError, InputErrors):
        read(text, "fuzz", CONFIG)


@FUZZ
@given(EDITS)
def test_hl7_mutated_messages(edits: list[tuple[int, int, str]]) -> None:
    _only_input_errors(hl7v2.read, _mutate(HL7, edits))


@FUZZ
@given(TEXT)
def test_hl7_any_text(text: str) -> None:
    _only_input_errors(hl7v2.read, "MSH|^~\\&|" + text)
    _only_input_errors(hl7v2.read, text)


@FUZZ
@given(EDITS)
def test_hl7_listener_messages(edits: list[tuple[int, int, str]]) -> None:
    text = _mutate(HL7.split("\r\n")[0], edits)
    with contextlib.suppress(hl7v2.Refused):
        hl7v2.read_one(text, "fuzz", CONFIG)


@FUZZ
@given(EDITS)
def test_csv_mutated_exports(edits: list[tuple[int, int, str]]) -> None:
    _only_input_errors(csv_charges.read, _mutate(CSV, edits))


@FUZZ
@given(EDITS)
def test_csv_mutated_default_layout(edits: list[tuple[int, int, str]]) -> None:
    with contextlib.suppress(InputError, InputErrors):
        csv_charges.read(_mutate(DEFAULT_CSV, edits), "fuzz", load_config())


@FUZZ
@given(TEXT)
def test_csv_any_text(text: str) -> None:
    _only_input_errors(csv_charges.read, text)


FIELDS = st.lists(
    st.tuples(st.integers(0, 10_000), st.lists(ALPHABET, max_size=3).map("".join)), max_size=4
)


def _replace_fields(text: str, sep: str, changes: list[tuple[int, str]]) -> str:
    cells = text.split(sep)
    for at, value in changes:
        cells[at % len(cells)] = value
    return sep.join(cells)


@FUZZ
@given(FIELDS)
def test_hl7_fields_replaced(changes: list[tuple[int, str]]) -> None:
    _only_input_errors(hl7v2.read, _replace_fields(HL7, "|", changes))


@FUZZ
@given(FIELDS)
def test_csv_cells_replaced(changes: list[tuple[int, str]]) -> None:
    _only_input_errors(csv_charges.read, _replace_fields(CSV, ";", changes))


def test_a_quantity_of_infinity_is_an_input_error() -> None:
    text = HL7.split("\r\n")[0].replace("|2|96.00", "|Infinity|96.00")
    try:
        hl7v2.read(text, "fuzz", CONFIG)
    except InputErrors as e:
        assert "FT1[1]-10" in e.errors[0].render()
    else:
        raise AssertionError("an infinite quantity was read")
