"""One action on many claims: write off (with one reason), correct, appeal, scrub again -- for a
selection of work items, a whole group of them, or a list of claim numbers
(`ptbill writeoff --from-stdin`, `POST /api/v1/worklist/bulk`, the work queue page).

**Each claim is its own transaction.** The action on one claim is written and committed, or
refused (the workflow's own check: a claim in a state the action does not apply to, a
correction that would still be blocked...) or failed (anything else) and rolled back, before
the next claim is touched. Why not one transaction for the whole bulk:

- the claims are independent: one claim that the action does not apply to must not undo the
  399 others, and refusing the whole bulk for it would make the biller find it and start again;
- a bulk of thousands in one transaction holds the ledger's write lock for all of it (on
  SQLite, the whole database): every other biller's change would wait for it or time out;
- a bulk may run as a background job: what is done stays done if it stops halfway.

A half-done bulk cannot be misread: the answer lists every claim with its outcome (`done`,
`refused` with the reason and the fix, `failed` with what failed: nothing of that claim was
changed), each done claim has its own audit entries (who, the business date, why), and
running the same bulk again refuses the claims already done (their state moved on) and does
the rest.

A whole group is acted on as it was when the biller looked: the caller sends the group's
filter with the count and version it showed (ptbill.remit.worklist.open_groups); the items are
selected and their version computed in one read, and if anything joined or left the group the
bulk is refused (`GroupChanged`) and nothing is done.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.errors import InputError, clip
from ptbill.ledger.scope import Scope
from ptbill.ledger.work_items import MAX_REASON
from ptbill.remit.actions import correct, rescrub, writeoff
from ptbill.remit.appeal import appeal
from ptbill.remit.work_kinds import BULK_ACTIONS
from ptbill.remit.worklist import WorkFilter, selected_items, version_of

log = logging.getLogger(__name__)

MAX_CLAIMS = 5000  # claims a bulk action, at most (a larger one is split by its filters)
MAX_ITEMS = 20_000  # item ids a request may name


def _bad(field: str, problem: str, fix: str) -> InputError:
    return InputError("bulk action", problem, fix, field=field)


@dataclass(frozen=True, slots=True)
class BulkAction:
    name: str  # one of BULK_ACTIONS
    reason: str = ""  # a write-off's
    out_dir: str = "."  # where an appeal's letters are written

    def __post_init__(self) -> None:
        if self.name not in BULK_ACTIONS:
            raise _bad(
                "action",
                f"no action {clip(self.name, 20, quote=True)}",
                f"use one of: {', '.join(BULK_ACTIONS)}",
            )
        reason = " ".join(self.reason.split())
        if self.name == "writeoff" and not 0 < len(reason) <= MAX_REASON:
            raise _bad(
                "reason",
                f"a write-off needs a reason (this one has {len(reason)} characters)",
                f"say why in 1 to {MAX_REASON} characters, e.g. reason 'timely filing passed'",
            )


@dataclass
class ClaimOutcome:
    claim_id: str | None  # None: an item that is no longer open (or not the caller's)
    items: list[int]  # the work items of the selection that named the claim
    outcome: str  # done, refused, failed
    detail: str  # what was done, or why not
    fix: str | None = None
    result: dict[str, Any] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "items": self.items,
            "outcome": self.outcome,
            "detail": self.detail,
            "fix": self.fix,
            "result": self.result,
        }


@dataclass
class BulkResult:
    action: str
    claims: list[ClaimOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for c in self.claims if c.outcome == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "done": self.count("done"),
            "refused": self.count("refused"),
            "failed": self.count("failed"),
            "claims": [c.as_json() for c in self.claims],
        }


Target = tuple[str, list[int]]  # a claim number and the selected items of it


class GroupChanged(InputError):
    """The group changed since the biller looked at it: nothing was done."""

    def __init__(self, expected: int, found: int) -> None:
        super().__init__(
            file="bulk action",
            visit_id=None,
            field="version",
            problem=f"the group changed since it was shown ({expected} item(s) then, {found} "
            "now, or other items): nothing was done",
            fix="look at the group again and act on it as it is now",
        )
        self.expected, self.found = expected, found


def _too_many(n: int) -> InputError:
    return _bad(
        "items",
        f"{n:,} claims, over the limit of {MAX_CLAIMS:,} a bulk action",
        "narrow the selection (by payer, clinic or due window) and act on each part",
    )


def claim_targets(numbers: Sequence[str]) -> list[Target]:
    """The claims of a list of claim numbers (blank lines and repeats dropped)."""
    seen = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if len(seen) > MAX_CLAIMS:
        raise _too_many(len(seen))
    return [(n, []) for n in seen]


def item_targets(
    session: Session,
    scope: Scope,
    filters: WorkFilter,
    as_of: dt.date | None,
    *,
    ids: Sequence[int] | None = None,
    expect: tuple[int, str] | None = None,
) -> tuple[list[Target], list[ClaimOutcome]]:
    """The claims of the open items of `scope` that `filters` selects (narrowed to `ids` when
    given), in deadline order, each with its items; and the outcomes of what cannot be acted
    on (an id no longer open, or not of the scope; an item of no claim). `expect`: the
    (count, version) the caller was shown, checked against the items read here (GroupChanged
    when they differ)."""
    if ids is not None:
        if len(ids) > MAX_ITEMS:
            raise _too_many(len(ids))
        filters = filters.but(ids=tuple(ids))
    found = selected_items(session, scope, filters, as_of)
    if expect is not None and (len(found), version_of([i for i, _, _ in found])) != expect:
        raise GroupChanged(expect[0], len(found))
    by_claim: dict[str, list[int]] = {}
    unclaimed: list[ClaimOutcome] = []
    for item, reference, claim in found:
        if claim is None:
            unclaimed.append(
                ClaimOutcome(
                    reference,
                    [item],
                    "refused",
                    "a payment that matched no claim: no claim to act on",
                    "match the payment on its remittance, or close the item",
                )
            )
        else:
            by_claim.setdefault(reference, []).append(item)
    gone = sorted(set(ids or ()) - {i for i, _, _ in found})
    unclaimed += [
        ClaimOutcome(None, [i], "refused", f"item {i} is not open (done since, or unknown)")
        for i in gone
    ]
    if len(by_claim) > MAX_CLAIMS:
        raise _too_many(len(by_claim))
    return list(by_claim.items()), unclaimed


def _act(
    session: Session,
    config: Config,
    action: BulkAction,
    number: str,
    as_of: dt.date,
    who: str,
) -> tuple[str, dict[str, Any]]:
    """One claim's action: (what was done, in words; its result)."""
    if action.name == "writeoff":
        amount = writeoff(session, number, action.reason, as_of=as_of, who=who)
        return f"wrote off {amount} and closed the claim", {"written_off": amount}
    if action.name == "correct":
        c = correct(session, config, number, as_of=as_of, who=who)
        what = "replacement (frequency 7)" if c.frequency_code == "7" else "new original"
        return f"version {c.version}: {what}, sent with the next submission", c.as_json()
    if action.name == "appeal":
        a = appeal(session, config, number, as_of=as_of, who=who, out_dir=action.out_dir)
        return f"{a.level}, due {a.due_date}", a.as_json()
    r = rescrub(session, config, number, as_of=as_of, who=who)
    still = f" (blocked by {', '.join(r.rules)})" if r.rules else ""
    return f"scrubbed again: {r.state}{still}", r.as_json()


def _why(e: Exception) -> tuple[str, str | None]:
    problem = getattr(e, "problem", None) or getattr(e, "summary", None) or str(e)
    return str(problem), getattr(e, "fix", None)


def run_bulk(
    session: Session,
    config: Config,
    action: BulkAction,
    targets: Sequence[Target],
    *,
    as_of: dt.date,
    who: str,
    check: Callable[[str], object] | None = None,
    refusals: tuple[type[Exception], ...] = (InputError,),
    done_before: Sequence[ClaimOutcome] = (),
    progress: Callable[[ClaimOutcome], object] | None = None,
) -> BulkResult:
    """Act on each claim of `targets` in its own transaction (the session commits after each
    claim and rolls back a refused or failed one: it must not be inside `begin()`).
    `check(claim_number)` runs first for each claim (whether the caller may change it); an
    exception of `refusals` is a refusal, anything else a failure. `done_before`: outcomes
    decided before (items that cannot be acted on), listed first. `progress` is told each
    claim's outcome as soon as it is decided."""
    result = BulkResult(action.name, list(done_before))
    for number, items in targets:
        try:
            if check is not None:
                check(number)
            detail, data = _act(session, config, action, number, as_of, who)
            session.commit()
        except refusals as e:
            session.rollback()
            problem, fix = _why(e)
            result.claims.append(ClaimOutcome(number, items, "refused", problem, fix))
        except Exception as e:  # one claim's failure is reported; the others go on
            session.rollback()
            # The message may quote patient data: the log keeps the kind of error only.
            log.warning("bulk %s: claim %s failed: %s", action.name, number, type(e).__name__)
            result.claims.append(
                ClaimOutcome(
                    number,
                    items,
                    "failed",
                    f"{type(e).__name__}: nothing was changed for this claim",
                    "act on this claim alone; if it fails again, report it",
                )
            )
        else:
            result.claims.append(ClaimOutcome(number, items, "done", detail, None, data))
        if progress is not None:
            progress(result.claims[-1])
    return result
