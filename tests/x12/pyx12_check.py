"""pyx12 as the independent validator of every 837P (and sample file) the tests write."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pyx12.params
import pyx12.x12n_document


def _errors(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for err in node.get("errors", []):
            yield f"{err.get('err_cde')}: {err.get('err_str')}"
        for value in node.values():
            if isinstance(value, list | dict):
                yield from _errors(value)
    elif isinstance(node, list):
        for item in node:
            yield from _errors(item)


def pyx12_errors(text: str) -> list[str]:
    """Every error pyx12 finds in an X12 interchange (an empty list: valid)."""
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # its errors come back in the JSON report instead
    try:
        report = io.StringIO()
        ok = pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None, None, report
        )
    finally:
        logger.setLevel(level)
    errors = list(_errors(json.loads(report.getvalue())))
    if not ok and not errors:
        errors = ["pyx12 judged the interchange invalid without naming an error"]
    return errors


def assert_valid(text: str) -> str:
    errors = pyx12_errors(text)
    assert errors == [], "pyx12 found errors:\n" + "\n".join(errors)
    return text
