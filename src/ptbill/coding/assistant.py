"""The CQ modifier: which units of a service a PT assistant furnished "in part".

billing-rules.md §3.3 (M-7..M-12, CMS-CQEX). A unit carries CQ when the assistant's
independent minutes in it exceed the de minimis share (10 percent) of that unit's minutes.

Per-unit computation for a timed code (our reading of M-10/M-11/M-11a, written down because the
sources give examples, not an algorithm):
1. Whole 15-minute blocks furnished by the PT alone are billed without CQ; whole blocks
   furnished by the assistant alone carry CQ (M-10).
2. One remaining unit, built from both people's leftover minutes (the final unit), carries CQ
   only when the assistant's share of those minutes exceeds de minimis, and then not when the
   therapist furnished 8 minutes or more of it: enough to bill the unit without the assistant
   (M-11a, CY 2022 PFS final rule as restated on CMS's Therapy Services page: "one final
   15-minute unit left to bill ... the PT/OT furnishes 8 or more minutes ... billed without
   the CQ/CO modifier"; CMS's CQ/CO billing examples, scenario 1: PTA 23 + PT 13 minutes of
   97110 are one unit with CQ, the PTA's whole block, and one without).
3. Two remaining units (possible only when neither furnished a whole block): when each person
   furnished at least 8 minutes, one unit is theirs each, so one is billed with CQ and one
   without (M-11 allows this for 9-14 minutes each; 8 is the midpoint of a unit). Otherwise both
   units are tested together as in step 2's de minimis test.
Untimed codes compare the assistant's minutes with the service's total minutes.
CQ and non-CQ units of one code go on separate lines (M-12), so each is paid correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptbill.coding.units import UNIT_MINUTES

# M-11a: the therapist's minutes that bill a final unit without the assistant (a unit's midpoint).
FINAL_UNIT_THERAPIST_MINUTES = UNIT_MINUTES // 2 + 1


@dataclass(frozen=True, slots=True)
class CqSplit:
    plain_units: int
    plain_minutes: int
    cq_units: int
    cq_minutes: int
    why: str


def _over(assistant: int, total: int, percent: int) -> bool:
    return total > 0 and assistant * 100 > percent * total


def split_timed(units: int, minutes: int, assistant: int, percent: int) -> CqSplit:
    therapist = minutes - assistant
    if assistant == 0:
        return CqSplit(units, minutes, 0, 0, "no assistant minutes")
    if therapist == 0:
        return CqSplit(0, 0, units, minutes, f"all {minutes} minutes by the assistant")
    pt_blocks = min(units, therapist // UNIT_MINUTES)
    pta_blocks = min(units - pt_blocks, assistant // UNIT_MINUTES)
    rest = units - pt_blocks - pta_blocks
    rp = therapist - UNIT_MINUTES * pt_blocks
    ra = assistant - UNIT_MINUTES * pta_blocks
    parts = []
    if pt_blocks:
        parts.append(f"{pt_blocks} whole 15-minute unit(s) by the therapist alone")
    if pta_blocks:
        parts.append(f"{pta_blocks} whole 15-minute unit(s) by the assistant alone (CQ)")
    plain_u, cq_u = pt_blocks, pta_blocks
    plain_m, cq_m = UNIT_MINUTES * pt_blocks, UNIT_MINUTES * pta_blocks
    if rest == 2 and rp >= 8 and ra >= 8:
        plain_u, cq_u, plain_m, cq_m = plain_u + 1, cq_u + 1, plain_m + rp, cq_m + ra
        parts.append(
            f"of the last 2 units, one is the therapist's ({rp} min) and one the "
            f"assistant's ({ra} min, CQ)"
        )
    elif rest:
        share = f"{ra} of {rp + ra} remaining minutes by the assistant"
        if not _over(ra, rp + ra, percent):
            plain_u, plain_m = plain_u + rest, plain_m + rp + ra
            parts.append(f"{share} is within the {percent}% de minimis: no CQ")
        elif rest == 1 and rp >= FINAL_UNIT_THERAPIST_MINUTES:
            plain_u, plain_m = plain_u + 1, plain_m + rp + ra
            parts.append(
                f"{share} is over {percent}%, but the therapist furnished {rp} minutes of this "
                f"final unit, {FINAL_UNIT_THERAPIST_MINUTES} or more: no CQ (M-11a)"
            )
        else:
            cq_u, cq_m = cq_u + rest, cq_m + rp + ra
            parts.append(f"{share} is over {percent}%: {rest} unit(s) with CQ")
    else:
        plain_m, cq_m = plain_m + rp, cq_m + ra
    return CqSplit(plain_u, plain_m, cq_u, cq_m, "; ".join(parts))


def split_untimed(units: int, minutes: int | None, assistant: int, percent: int) -> CqSplit:
    if assistant == 0:
        return CqSplit(units, minutes or 0, 0, 0, "no assistant minutes")
    if minutes is None or minutes == 0:
        return CqSplit(
            0,
            0,
            units,
            assistant,
            f"{assistant} assistant minutes and no total minutes to show de minimis",
        )
    if _over(assistant, minutes, percent):
        return CqSplit(
            0, 0, units, minutes, f"assistant {assistant} of {minutes} minutes is over {percent}%"
        )
    return CqSplit(
        units,
        minutes,
        0,
        0,
        f"assistant {assistant} of {minutes} minutes is within {percent}% de minimis",
    )
