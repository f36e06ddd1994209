"""Closing work items: the one way a claim's (or a patient's) open items of some kinds are
done, each with the business date and the resolution the worklist's history shows; and a
person closing one by hand, with a note, for what was done outside ptbill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.ledger.states import audit_row


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


# The items a person may not close by hand, and what closes them: each stands for a claim
# held back or money still owed, which closing the item would hide.
_CLOSED_BY = {
    "blocked": "the claim stays blocked while its finding holds: fix the visit and import it "
    "again (`ptbill import`), scrub it again after the rule's data changed (`ptbill rescrub "
    "CLAIM`), or `ptbill writeoff CLAIM`",
    "collections": "the patient still owes it: record a payment (`ptbill pay`) or forgive it "
    "(`ptbill patient-writeoff`)",
}
_REFUND_CLOSED_BY = {
    "claim": "the over-payment is still owed back: record the refund sent to the payer "
    "(`ptbill payer-refund CLAIM AMOUNT`); an offset (PLB) the payer takes closes it too",
    "patient": "the credit is still the patient's: refund it (`ptbill refund PATIENT AMOUNT`) "
    "or let it pay a later balance",
}
MAX_NOTE = 500
MAX_REASON = 200  # a write-off's reason: the API's and the pages' bound too


def checked_reason(reason: str, what: str) -> str:
    """A write-off's reason (it goes into audit trails and closed items), refused unless it
    says something in at most MAX_REASON characters."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise InputError(
            what,
            f"a reason of {len(reason)} characters",
            f"say why in 1 to {MAX_REASON} characters, e.g. --reason 'timely filing passed'",
            field="--reason",
        )
    return reason


def closed_by_command(item: m.WorkItem) -> str | None:
    """What closes `item` when a person may not close it by hand (None: they may)."""
    if item.kind == "refund":
        owner = "claim" if item.claim_id is not None else "patient" if item.patient_id else ""
        return _REFUND_CLOSED_BY.get(owner)
    return _CLOSED_BY.get(item.kind)


def find_item(session: Session, item_id: int, scope: Scope) -> m.WorkItem | None:
    """The work item `item_id` if it is of the `scope`'s clinics."""
    q = select(m.WorkItem).where(m.WorkItem.id == item_id, scope.work_items())
    return session.scalars(q).first()


def close_by_hand(
    session: Session, item_id: int, scope: Scope, *, note: str, on: dt.date, who: str
) -> m.WorkItem:
    """Close one open work item of the `scope`'s clinics with a person's `note`: what was done
    outside ptbill (an unmatched payment posted by hand or returned, a payer called, a file
    looked at). The resolution keeps who and why; an item of a claim also gets an audit entry
    (the claim's state unchanged). The same close again (by the same person, with the same
    note) answers the item as it was closed. Refused, nothing changed: an item not found (or
    of another clinic), one closed otherwise, one whose claim or money a command settles."""
    note = " ".join(note.split())
    if not note or len(note) > MAX_NOTE:
        raise InputError(
            f"work item {item_id}",
            f"a note of {len(note)} characters",
            f"say in 1 to {MAX_NOTE} characters what was done about the item",
            field="note",
        )
    item = find_item(session, item_id, scope)
    if item is None:
        raise InputError(
            "ledger",
            f"no work item {item_id}",
            "check the id (`ptbill worklist` shows each item's id)",
            field="item",
        )
    resolution = f"closed by {who}: {note}"
    if item.status != "open" and item.resolution == resolution:
        return item  # the same close again (a double click, a script run twice): done
    if item.status != "open":
        raise InputError(
            "ledger",
            f"work item {item_id} was closed on {item.closed_on}: {item.resolution}",
            "nothing to do",
            field="item",
        )
    refused = closed_by_command(item)
    if refused:
        raise InputError(
            "ledger",
            f"work item {item_id} ({item.kind}, {item.category}) is not closed by hand",
            refused,
            field="item",
        )
    item.status, item.closed_on = "done", on
    item.resolution = resolution
    if item.claim_id is not None:
        claim = session.get(m.Claim, item.claim_id)
        assert claim is not None  # a foreign key
        why = f"work item {item_id} ({item.kind}, {item.category}) closed: {note}"
        session.add(m.AuditEntry(**audit_row(claim.id, claim.state, claim.state, who, on, why)))
    session.flush()
    return item


def closed_row(item: m.WorkItem) -> dict[str, object]:
    """What the command line and the API answer of an item closed by hand."""
    return {
        "id": item.id,
        "claim_id": item.reference,
        "kind": item.kind,
        "category": item.category,
        "closed_on": item.closed_on,
        "resolution": item.resolution,
    }
