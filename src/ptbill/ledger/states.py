"""The claim lifecycle as an explicit state machine.

    draft -> blocked | ready -> submitted -> accepted | rejected
          -> paid | partially_paid | denied -> corrected | appealed | written_off -> closed

Every allowed move is listed in TRANSITIONS; anything else raises IllegalTransition. Every move
is an audit row (who, on which business date, from, to, why). A few moves beyond the straight
line are real-life paths and are listed on purpose:
- a claim the payer adjudicates without a 277CA goes from submitted straight to its outcome;
- a reversal (835 CLP02 = 22) takes a decided claim back to accepted, awaiting the corrected
  decision that usually follows it;
- a corrected claim goes back to submitted with its replacement; an appealed claim gets its
  decision on a later 835;
- a scrub result may change on re-import (blocked <-> ready) before submission.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger.models import AuditEntry, Claim


class State(StrEnum):
    DRAFT = "draft"
    BLOCKED = "blocked"
    READY = "ready"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"
    CORRECTED = "corrected"
    APPEALED = "appealed"
    WRITTEN_OFF = "written_off"
    CLOSED = "closed"


S = State
DECIDED = (S.PAID, S.PARTIALLY_PAID, S.DENIED)
TRANSITIONS: dict[State, frozenset[State]] = {
    S.DRAFT: frozenset({S.BLOCKED, S.READY}),
    S.BLOCKED: frozenset({S.READY, S.WRITTEN_OFF}),
    S.READY: frozenset({S.BLOCKED, S.SUBMITTED, S.WRITTEN_OFF}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, *DECIDED}),
    S.ACCEPTED: frozenset({S.REJECTED, *DECIDED}),
    S.REJECTED: frozenset({S.CORRECTED, S.WRITTEN_OFF}),
    S.PAID: frozenset({S.CLOSED, S.ACCEPTED, S.CORRECTED, S.APPEALED, S.WRITTEN_OFF}),
    S.PARTIALLY_PAID: frozenset(
        {S.PAID, S.DENIED, S.CORRECTED, S.APPEALED, S.WRITTEN_OFF, S.CLOSED, S.ACCEPTED}
    ),
    S.DENIED: frozenset(
        {S.PAID, S.PARTIALLY_PAID, S.CORRECTED, S.APPEALED, S.WRITTEN_OFF, S.ACCEPTED}
    ),
    S.CORRECTED: frozenset({S.SUBMITTED, S.WRITTEN_OFF, *DECIDED}),
    S.APPEALED: frozenset({*DECIDED, S.WRITTEN_OFF, S.ACCEPTED}),
    S.WRITTEN_OFF: frozenset({S.CLOSED}),
    S.CLOSED: frozenset({S.ACCEPTED}),
}
# Claims the payer still owes a decision or money on (insurance A/R).
OPEN_WITH_PAYER = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.REJECTED, S.PARTIALLY_PAID, S.DENIED, S.CORRECTED, S.APPEALED}
)
# States in which a remittance may be posted to the claim.
POSTABLE = frozenset(
    {S.SUBMITTED, S.ACCEPTED, S.PAID, S.PARTIALLY_PAID, S.DENIED, S.CORRECTED, S.APPEALED, S.CLOSED}
)


class IllegalTransition(InputError):
    def __init__(self, claim: str, current: str, wanted: str, what: str) -> None:
        allowed = sorted(TRANSITIONS.get(State(current), ()))
        super().__init__(
            f"claim {claim}",
            f"{what} needs the claim to move from {current} to {wanted}, which the claim "
            f"lifecycle does not allow (from {current} it can go to: "
            f"{', '.join(allowed) or 'nowhere'})",
            f"its work items say what it needs: `ptbill show {claim}`",
            field="state",
        )


def allowed(current: str | None, wanted: str) -> bool:
    if current is None:
        return wanted == S.DRAFT
    return State(wanted) in TRANSITIONS[State(current)]


def check(claim: str, current: str | None, wanted: str, what: str) -> None:
    if not allowed(current, wanted):
        raise IllegalTransition(claim, current or "(new)", wanted, what)


# audit_row's keys, in the order of a row given as a tuple (Bulk.insert_values).
AUDIT_COLUMNS = ("claim_id", "who", "on_date", "from_state", "to_state", "why")


def audit_row(
    claim_id: int, current: str | None, wanted: str, who: str, on: dt.date, why: str
) -> dict[str, Any]:
    """The audit_log row of one move (for bulk inserts)."""
    return {
        "claim_id": claim_id,
        "who": who,
        "on_date": on,
        "from_state": current,
        "to_state": str(wanted),
        "why": why,
    }


def move(
    session: Session, claim: Claim, wanted: State, who: str, on: dt.date, why: str, what: str
) -> None:
    """Move one claim (ORM) to `wanted`, writing its audit row; refuse an illegal move."""
    check(claim.claim_number, claim.state, wanted, what)
    session.add(AuditEntry(**audit_row(claim.id, claim.state, wanted, who, on, why)))
    claim.state = str(wanted)
