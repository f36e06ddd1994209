"""What the 835 reader makes of a text, as one comparable string: a digest of every field of
every payment read, then the error (if any) as rendered. For the tests that pin the reader
(the golden file, reading with and without the memo of segment texts)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
from decimal import Decimal
from typing import Any

from ptbill.x12.envelope import REMITTANCE, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.read_835 import _Parser


def dump(value: Any) -> Any:
    """Every field, by name (not by class: the classes may be renamed), amounts as written."""
    if dataclasses.is_dataclass(value):
        return sorted((f.name, dump(getattr(value, f.name))) for f in dataclasses.fields(value))
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return [(k, dump(v)) for k, v in value.items()]
    if isinstance(value, Decimal | dt.date):
        return f"{type(value).__name__}({value})"
    assert value is None or isinstance(value, str | int), type(value)
    return value


def digest(value: Any) -> str:
    return hashlib.sha256(repr(dump(value)).encode()).hexdigest()[:12]


class Forgetful(dict[str, Any]):
    """A memo of segment texts that keeps nothing: every segment is read as for the first time."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass


def outcome(text: str, memo: bool = True) -> str:
    """The digest of each payment read, then "| " and the error, if any."""
    parser = _Parser()
    if not memo:
        parser.memo = Forgetful()
    read: list[str] = []
    try:
        for payment in read_transactions(io.StringIO(text), REMITTANCE, parser):
            read.append(digest(payment))
    except X12Error as e:
        return " ".join([*read, f"| {e}"])
    return " ".join(read)
