"""CSV cells a spreadsheet would run. A cell that starts with =, +, -, @ (or a tab or a
carriage return) is a formula to Excel, LibreOffice and Google Sheets: a patient's name, an
address or a payer's text from an EMR or an 835 written as `=HYPERLINK(...)` would run when a
biller opens the export (OWASP's "CSV injection"). Such a cell is written with a leading
apostrophe, which spreadsheets read as "this is text"; a number (-16.00, +5) stays as it is."""

from __future__ import annotations

import re
from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


def spreadsheet_text(text: str) -> str:
    """`text` as a CSV cell that no spreadsheet runs."""
    if text.startswith(_FORMULA_START) and _NUMBER.match(text) is None:
        return "'" + text
    return text


def spreadsheet_row(values: Iterable[object]) -> list[object]:
    """A row's cells, each text among them as spreadsheet_text makes it."""
    return [spreadsheet_text(v) if isinstance(v, str) else v for v in values]
