"""What the query modules share: pages of rows, a patient's name, an adjustment's row.

Every list pages by `limit` and `offset` (at most MAX_LIMIT rows a page); its answer says
where the next page starts (`next_offset`, None on the last page) and, where counting is
cheap, how many rows there are in all (`total`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from ptbill.ledger import models as m
from ptbill.web.problems import NotFound
from ptbill.x12.codes import CLAIM_STATUS

Row = TypeVar("Row")

MAX_LIMIT = 200  # rows a page, at most (the API's `limit`, the pages' sizes)
PAGE = 50  # rows a page unless asked


def paged(
    key: str, rows: Sequence[Any], *, limit: int, offset: int, total: int | None
) -> dict[str, Any]:
    """A page of `rows` under `key`. With no `total`, `rows` may hold one row past the page
    (fetched to learn whether another page follows); it is dropped."""
    more = offset + limit < total if total is not None else len(rows) > limit
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
        key: list(rows[:limit]),
    }


def get_or_404(session: Session, model: type[Row], key: int, what: str) -> Row:
    """The row of `model` whose id is `key`, or NotFound naming `what`."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(what, key)
    return row


def patient_name(p: m.Patient) -> str:
    return f"{p.last_name}, {p.first_name}"


def adjustment(a: m.Adjustment) -> dict[str, Any]:
    return {
        "group": a.group_code,
        "carc": a.carc,
        "rarc": a.rarc,
        "amount": a.amount,
        "category": a.category,
        "action": a.action,
    }


def claim_status(code: str) -> str:
    """An 835 claim status (CLP02) in words ("denied", "processed as primary")."""
    return CLAIM_STATUS.get(code, f"status code {code}")
