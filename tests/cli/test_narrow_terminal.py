"""On a narrow terminal a table folds its cells or splits into tables; it never cuts one with
an ellipsis (a rule id cut is one a configuration cannot name; money cut is a wrong figure)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.scrub import RULES


@pytest.mark.parametrize("width", ["40", "80"])
def test_the_rules_table_cuts_no_cell(width: str) -> None:
    shown = CliRunner(env={"COLUMNS": width}).invoke(cli, ["rules"], obj={})
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.output
    rows = [line.strip("│").split("│") for line in shown.output.splitlines()]
    first_column = "".join(cells[0].strip() for cells in rows if len(cells) > 1)
    assert first_column == "".join(RULES)  # every id whole and in order, if folded


def test_the_units_table_cuts_no_cell() -> None:
    shown = CliRunner(env={"COLUMNS": "30"}).invoke(cli, ["units", "97110=38", "97140=15"], obj={})
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.output
