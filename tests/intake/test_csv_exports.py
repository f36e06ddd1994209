"""CSV charge exports as billers make and mend them: a row never takes in the rows after it, a
column is never read twice or left out in silence, and an export in another dialect is named
with the setting that reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import read_visits

FIXTURES = Path(__file__).parent / "fixtures"


def _default() -> str:
    return (FIXTURES / "charges_default.csv").read_text(encoding="utf-8")


def _errors(text: str) -> list[str]:
    with pytest.raises((InputError, InputErrors)) as caught:
        read_visits(text, "export.csv", "csv", load_config())
    e = caught.value
    return [x.render() for x in (e.errors if isinstance(e, InputErrors) else [e])]


def test_the_fixture_is_several_visits() -> None:
    visits = read_visits(_default(), "export.csv", "csv", load_config())
    assert len(visits) >= 2


@pytest.mark.parametrize("last_column", [False, True])
def test_a_quote_left_open_does_not_swallow_the_rows_after_it(last_column: bool) -> None:
    """A note that starts with a quote mark and has no closing one ran, as one cell, to the end
    of the file: the visits of every later row were dropped and the rest imported."""
    lines = _default().splitlines()
    assert lines[1].endswith('"3x10 with cues, less pain",2026-02-16,2026-02-20,6,null')
    if last_column:  # the row keeps its width: only the end of the file shows the fault
        lines[1] = lines[1].removesuffix(",null") + ',"null'
    else:
        lines[1] = lines[1].replace('"3x10 with cues, less pain"', '"3x10 with cues')
    [error] = _errors("\n".join(lines) + "\n")
    assert "export.csv: row 2" in error and "quote" in error and "never closed" in error


def test_a_column_named_twice_is_refused_not_read_from_its_last_cell() -> None:
    lines = _default().splitlines()
    lines[0] += ",charge"
    lines[1:] = [line + ",1.00" for line in lines[1:]]
    [error] = _errors("\n".join(lines) + "\n")
    assert "row 1, column charge" in error and "twice" in error


def test_a_row_with_fewer_cells_than_columns_is_refused() -> None:
    """A row cut short (an editor's line break, a truncated export) lost its last columns'
    values without a word: here the note, the plan of care and the authorization."""
    lines = _default().splitlines()
    lines[1] = lines[1].rsplit(",", 6)[0]
    [error] = _errors("\n".join(lines) + "\n")
    assert "export.csv: row 2" in error and "cells for" in error


def test_an_export_in_another_delimiter_is_named_with_the_setting_that_reads_it() -> None:
    [error] = _errors(_default().replace(",", ";"))
    assert "delimiter" in error and "[intake.csv]" in error and "';'" in error


@pytest.mark.parametrize("amount", ["$96.00", "1,096.00"])
def test_a_charge_with_a_currency_sign_or_grouping_says_how_to_write_it(amount: str) -> None:
    lines = _default().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("charge")] = f'"{amount}"'
    [error] = _errors("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    assert "column charge" in error and "1234.50" in error


def test_a_spreadsheet_day_number_in_a_date_column_is_named_so() -> None:
    lines = _default().splitlines()
    lines[1] = lines[1].replace("2026-03-02", "46083", 1)  # the serial Excel shows as 3/2/2026
    [error] = _errors("\n".join(lines) + "\n")
    assert "'46083'" in error and "day number" in error and "format the column as a date" in error


def test_a_visit_of_one_row_names_its_row_once() -> None:
    text = "\n".join(
        [
            "visit_id,date_of_service,payer,clinic,patient.id,patient.first_name,"
            "patient.last_name,patient.birth_date,patient.sex,subscriber.member_id,"
            "rendering_provider.npi,code,minutes",
            "V-1,2026-03-02,medicare,elm-street-pt,P-1,Ann,Lee,1951-04-09,F,1EG4TE5MK73,"
            "1679576722,97110,twenty",
        ]
    )
    [error] = _errors(text + "\n")
    assert "visit V-1: row 2, column minutes (services[0].minutes)" in error, error
