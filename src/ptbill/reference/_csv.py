"""Reading the packaged CSV files: blank means unknown, never zero or false."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources


def rows(name: str) -> Iterator[dict[str, str]]:
    with resources.files("ptbill.reference").joinpath("data", name).open(encoding="utf-8") as f:
        yield from csv.DictReader(f)


def decimal_or_none(text: str) -> Decimal | None:
    return Decimal(text) if text.strip() else None


def int_or_none(text: str) -> int | None:
    return int(text) if text.strip() else None


def bool_or_none(text: str) -> bool | None:
    text = text.strip().lower()
    if not text:
        return None
    if text in ("true", "false"):
        return text == "true"
    raise ValueError(f"not a boolean: {text!r}")
