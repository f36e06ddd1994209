"""`ptbill report --format csv` (and `GET /api/v1/reports?format=csv`): the report as one table
in long form, a row per number, for a spreadsheet (filter or pivot it by section, name, metric
and item).

Columns: as_of, section (overall, payer or clinic), name (the payer's or clinic's key; empty
overall), metric, item, value. `metric` is the report's JSON name (a dotted path inside a
fixed group: `expected_vs_paid.paid`); `item` is the key of a breakdown (an aging bucket, a
denial category or CARC, a payer or patient of the collections), with the breakdown's field in
the metric (`denials_by_category.amount`, item `timely_filing`). Money and rates are plain
decimals as in the JSON (1234.50, 0.9125: never a currency sign, a thousands separator or a
cut), empty where the JSON has null. The rows are the JSON's leaves, each once, so the CSV
reads back to the same values (tests/cli/test_csv.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from ptbill.reports.cells import spreadsheet_row

COLUMNS = ("as_of", "section", "name", "metric", "item", "value")
# The breakdowns keyed by what they count (rows get an item); every other dict is a fixed
# group of fields (a dotted metric).
BREAKDOWNS = frozenset(
    {
        "denials_by_category",
        "denials_by_carc",
        "ar_aging",
        "patient_ar_aging",
        "collections_by_payer",
        "collections_by_patient",
    }
)
SECTIONS = (("payers", "payer"), ("clinics", "clinic"))


def cell(value: Any) -> str:
    """A value as the report's JSON writes it (decimals by str, as the JSON), without quotes;
    None is empty. The report holds no booleans and no lists."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _leaves(metrics: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(metric, item, value) of every number of one section."""
    for name, value in metrics.items():
        if name in BREAKDOWNS:
            for item, v in value.items():
                if isinstance(v, dict):
                    for field, x in v.items():
                        yield f"{name}.{field}", str(item), x
                else:
                    yield name, str(item), v
        elif isinstance(value, dict):
            for field, x in value.items():
                yield f"{name}.{field}", "", x
        else:
            yield name, "", value


def report_rows(data: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """The rows of the report `build_report` made: overall, then each payer, then each
    clinic."""
    as_of = cell(data["as_of"])
    overall = {k: v for k, v in data.items() if k not in ("as_of", "payers", "clinics")}
    for metric, item, value in _leaves(overall):
        yield as_of, "overall", "", metric, item, cell(value)
    for key, section in SECTIONS:
        for name, metrics in data[key].items():
            for metric, item, value in _leaves(metrics):
                yield as_of, section, name, metric, item, cell(value)


def report_csv(data: dict[str, Any]) -> str:
    """The whole CSV text (a header and a row per number)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(spreadsheet_row(row) for row in report_rows(data))
    return text.getvalue()
