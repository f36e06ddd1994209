"""Duplicates: the same visit twice in a run, or a code billed before for the same date."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import NAMED_MAX, Needs, Review
from ptbill.scrub.rules._text import listing

REPLACEMENT_FREQUENCIES = ("7", "8")


def _named(count: int, first: tuple[str, ...] | list[str]) -> str:
    """'V-2', or 'V-2, V-3, V-4 and 2,996 more' when there are more than are named."""
    more = count - len(first)
    return listing(first) if more <= 0 else f"{', '.join(first)} and {more:,} more"


@rule("DUP-IN-BATCH", "duplicate", "error", ("R-2", "U-21", "NGS-APPEALS"), needs=Needs.BATCH)
def dup_in_batch(r: Review, p: NoParams) -> Iterator[Hit]:
    """The same visit twice in one run, or two visits of one patient on one day billing the
    same code.

    *What it checks*: among the other visits of the batch, none has this visit's `visit_id`,
    and none of the same patient on the same date of service bills a code this visit bills (a
    patient is a patient id at a billing clinic: the same id at two clinics is two patients).
    One finding per visit, however many copies: it counts them and names the first few.
    *Why payers care*: the second claim is denied as a duplicate (CARC 18, R-2), and a timed
    code is reported once per day on one line (U-21).
    *Fails*: a batch holding visit V-1 twice.
    *Passes*: a batch holding V-1 and V-2 of different patients.
    *Fix*: remove the duplicate visit, or merge the two visits of the day into one claim.
    """
    if r.batch is None or r.batch.alone(r.visit):
        return
    copies, day = r.batch.copies(r.visit), r.batch.same_day(r.visit)
    said, fixes = [], []
    if copies:
        said.append(f"visit {r.visit.visit_id} appears {copies + 1:,} times in this run")
        fixes.append("remove the duplicate visit from the input")
    if day is not None:
        codes = listing(day.codes)
        if day.visits == 1:
            said.append(f"visit {day.first[0]} of the same patient on {r.dos} also bills {codes}")
        else:
            said.append(
                f"{day.visits:,} other visits of the same patient on {r.dos} also bill "
                f"{listing(day.codes, 'or')}: {_named(day.visits, day.first)}"
            )
        fixes.append(
            "merge the day's services into one visit (one line per code per day) or remove "
            "the duplicate"
        )
    if said:
        yield Hit("; ".join(said), "; ".join(fixes))


@rule(
    "DUP-BILLED-BEFORE", "duplicate", "error", ("R-2", "C-10", "NGS-APPEALS"), needs=Needs.HISTORY
)
def dup_billed_before(r: Review, p: NoParams) -> Iterator[Hit]:
    """A code already billed for this patient on this date of service (given the history).

    *What it checks*: with `history` (this patient's prior coded visits), no prior visit of the
    same date of service billed a code this visit bills, and no prior visit has this visit_id.
    Replacement and void claims (frequency 7 or 8) are exempt. One finding per visit, however
    many prior visits match: it counts them and names the first few.
    *Why payers care*: a resubmission of a processed line is denied as a duplicate (CARC 18);
    corrections go through a replacement claim or a reopening (R-2, C-10).
    *Fails*: history holds a claim for 97110 on 2026-03-02 and this visit bills 97110 that day.
    *Passes*: the same visit as a replacement (`"frequency_code": "7"` with the original claim
    id).
    *Fix*: do not resubmit; send a replacement claim (frequency 7) or ask for a reopening.
    """
    if not r.history or r.visit.frequency_code in REPLACEMENT_FREQUENCIES:
        return
    same_id = 0
    matched, first, codes = 0, list[str](), set[str]()
    mine = r.billed_codes
    for prior in r.history:
        if prior.visit_id == r.visit.visit_id:
            same_id += 1
        elif prior.date_of_service == r.dos:
            common = {x.code for x in prior.billed_lines if x.code in mine}
            if common:
                matched += 1
                codes |= common
                if len(first) < NAMED_MAX and prior.visit_id not in first:
                    first.append(prior.visit_id)
    said, fixes = [], []
    if same_id:
        times = "" if same_id == 1 else f" {same_id:,} times"
        said.append(f"visit {r.visit.visit_id} was already billed{times}")
        fixes.append("send a replacement claim (frequency 7) instead of the original again")
    line = None
    if matched:
        billed = [c for c in mine if c in codes]  # in the order of this visit's lines
        verb = "was" if len(billed) == 1 else "were"
        whose = f"visit {first[0]}" if matched == 1 else f"{matched:,} visits: "
        if matched > 1:
            whose += _named(matched, first)
        said.append(f"{listing(billed)} {verb} already billed for {r.dos} ({whose})")
        fixes.append(
            "do not bill it again; correct the first claim with a replacement (frequency 7) "
            "if it was wrong"
        )
        line = mine[billed[0]] if len(billed) == 1 else None
    if said:
        yield Hit("; ".join(said), "; ".join(fixes), line)
