"""Eligibility: the payer's latest 271 answer says the coverage does not reach the date of
service (the ledger derives `episode.eligibility` from the 271s it applied)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ptbill.scrub.findings import Hit
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review


@rule("ELIGIBILITY-INACTIVE", "coverage", "error", ("X12-271-EB",), needs=Needs.ELIGIBILITY)
def eligibility_inactive(r: Review, p: Mapping[str, Any]) -> Iterator[Hit]:
    """The latest eligibility answer says the coverage was not active on the date of service.

    *What it checks*: the visit's `episode.eligibility` (the payer's latest 271): the date of
    service is before the plan's begin date or after its end date, or the answer was "inactive"
    (EB01 6 to 8) for a date on or before the date of service.
    *Why payers care*: a claim for a date the member had no coverage is denied (CARC 27,
    expenses incurred after coverage terminated; CARC 26, before coverage began).
    *Fails*: `"eligibility": {"checked_on": "2026-03-01", "active": false, "plan_end":
    "2026-02-28"}` on a visit of 2026-03-02.
    *Passes*: the same visit with `"active": true` and a plan through 2026-12-31.
    *Fix*: ask the patient for current coverage, check eligibility again, and bill the payer
    that covers the date (or the patient).
    """
    e = r.episode.eligibility if r.episode else None
    if e is None:
        return
    checked = f"the 271 of {e.checked_on}"
    if e.plan_begin is not None and r.dos < e.plan_begin:
        why = f"{checked} says the plan begins on {e.plan_begin}, after {r.dos}"
    elif e.plan_end is not None and r.dos > e.plan_end:
        why = f"{checked} says the plan ended on {e.plan_end}, before {r.dos}"
    elif e.active is False and r.dos >= (e.asked_for or e.checked_on):
        why = f"{checked} says the coverage is inactive from {e.asked_for or e.checked_on}"
    else:
        return
    yield Hit(
        f"{r.profile.name} coverage was not active on the date of service: {why}",
        "check eligibility again with the patient's current coverage and bill the payer that "
        "covers the date (or the patient)",
    )
