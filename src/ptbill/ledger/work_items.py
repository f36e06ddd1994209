"""Closing work items: the one way a claim's (or a patient's) open items of some kinds are
done, each with the business date and the resolution the worklist's history shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from ptbill.ledger import models as m


def close_open(
    session: Session,
    on: dt.date,
    why: str,
    kinds: Sequence[str],
    *,
    claims: Sequence[int] = (),
    patient: int | None = None,
    rule: str | None = None,
    action: str | None = None,
) -> int:
    """The open items of `kinds` of these claims (ids), or of this patient (its own items:
    collections, refund), done on `on` with `why`; of one scrub rule when `rule` is given, of
    one action (e.g. bill_patient) when `action` is. Returns how many were closed."""
    w = m.WorkItem
    owner = w.patient_id == patient if patient is not None else w.claim_id.in_(list(claims))
    q = update(w).where(owner, w.status == "open", w.kind.in_(list(kinds)))
    if rule is not None:
        q = q.where(w.rule == rule)
    if action is not None:
        q = q.where(w.action == action)
    result = session.execute(q.values(status="done", closed_on=on, resolution=why))
    return result.rowcount or 0  # type: ignore[attr-defined]
