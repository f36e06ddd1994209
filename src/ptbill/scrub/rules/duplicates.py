"""Duplicates: the same visit twice in a run, or a code billed before for the same date."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review
from ptbill.scrub.rules._text import listing

REPLACEMENT_FREQUENCIES = ("7", "8")


@rule("DUP-IN-BATCH", "duplicate", "error", ("R-2", "U-21", "NGS-APPEALS"))
def dup_in_batch(r: Review, p: NoParams) -> Iterator[Hit]:
    """The same visit twice in one run, or two visits of one patient on one day billing the
    same code.

    *What it checks*: among the other visits of the batch, none has this visit's `visit_id`,
    and none of the same patient on the same date of service bills a code this visit bills.
    *Why payers care*: the second claim is denied as a duplicate (CARC 18, R-2), and a timed
    code is reported once per day on one line (U-21).
    *Fails*: a batch holding visit V-1 twice.
    *Passes*: a batch holding V-1 and V-2 of different patients.
    *Fix*: remove the duplicate visit, or merge the two visits of the day into one claim.
    """
    if r.batch is None:
        return
    same_id, same_day = r.batch.others(r.visit)
    if same_id:
        yield Hit(
            f"visit {r.visit.visit_id} appears {len(same_id) + 1} times in this run",
            "remove the duplicate visit from the input",
        )
    if not same_day:
        return
    mine = {s.code for s in r.visit.services}
    for other in same_day:
        common = sorted(mine & {s.code for s in other.services})
        if common:
            yield Hit(
                f"visit {other.visit_id} of the same patient on {r.dos} also bills "
                f"{listing(common)}",
                "merge the day's services into one visit (one line "
                "per code per day) or remove the duplicate",
            )


@rule("DUP-BILLED-BEFORE", "duplicate", "error", ("R-2", "C-10", "NGS-APPEALS"))
def dup_billed_before(r: Review, p: NoParams) -> Iterator[Hit]:
    """A code already billed for this patient on this date of service (given the history).

    *What it checks*: with `history` (this patient's prior coded visits), no prior visit of the
    same date of service billed a code this visit bills, and no prior visit has this visit_id.
    Replacement and void claims (frequency 7 or 8) are exempt.
    *Why payers care*: a resubmission of a processed line is denied as a duplicate (CARC 18);
    corrections go through a replacement claim or a reopening (R-2, C-10).
    *Fails*: history holds a claim for 97110 on 2026-03-02 and this visit bills 97110 that day.
    *Passes*: the same visit as a replacement (`"frequency_code": "7"` with the original claim
    id).
    *Fix*: do not resubmit; send a replacement claim (frequency 7) or ask for a reopening.
    """
    if not r.history or r.visit.frequency_code in REPLACEMENT_FREQUENCIES:
        return
    for prior in r.history:
        if prior.visit_id == r.visit.visit_id:
            yield Hit(
                f"visit {r.visit.visit_id} was already billed",
                "send a replacement claim (frequency 7) instead of the original again",
            )
            continue
        if prior.date_of_service != r.dos:
            continue
        before = {x.code for x in prior.billed_lines}
        for code, n in r.billed_codes.items():
            if code in before:
                yield Hit(
                    f"{code} was already billed for {r.dos} (visit {prior.visit_id})",
                    "do not bill it again; correct the first claim with a replacement "
                    "(frequency 7) if it was wrong",
                    n,
                )
