"""Units: what the minutes support, what was recorded, and lines that earn nothing."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.coding.units import FAMILY_OF
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._text import listing, units

_METHOD = {"cms": "CMS total-time (8-minute rule)", "ama": "AMA per-code (midpoint)"}


@rule(
    "UNITS-MINUTES-MISMATCH",
    "units",
    "warning",
    ("U-10", "U-16", "U-31", "U-34"),
    needs=Needs.REQUESTED_UNITS,
)
def minutes_mismatch(r: Review, p: NoParams) -> Iterator[Hit]:
    """Units asked for on a timed code differ from what the documented minutes support.

    *What it checks*: when a service gives `units`, they equal the units the coder derived from
    the minutes under the payer's method (CMS total time or AMA per code).
    *Why payers care*: units of a timed code follow from the minutes (U-10..U-16 for Medicare,
    U-31 per code); a claim with more units than the minutes support is overbilling, fewer is
    lost revenue, and which method applies is a payer setting (U-34).
    *Fails*: `{"code": "97110", "minutes": 24, "units": 3}` (24 minutes support 2).
    *Passes*: `{"code": "97110", "minutes": 24, "units": 2}`.
    *Fix*: the claim carries the units the minutes support; correct the minutes if they are
    wrong, or drop the requested units.
    """
    seen: dict[tuple[str, tuple[int, ...]], list[tuple[int, int]]] = {}
    for n, line in enumerate(r.coded.lines, start=1):
        if line.requested_units is None:
            continue
        info = r.code_info[line.code]
        if info is None or not info.timed or line.code in FAMILY_OF:
            continue
        seen.setdefault((line.code, line.services), []).append((n, line.units))
    method = _METHOD[r.coded.unit_method]
    for (code, services), numbered in seen.items():
        got = sum(u for _, u in numbered)
        asked = r.coded.lines[numbered[0][0] - 1].requested_units
        minutes = sum(r.visit.services[i].minutes or 0 for i in services)
        if asked != got:
            yield Hit(
                f"{code}: the visit asks for {units(asked or 0)}, but {minutes} documented "
                f"minutes support {units(got)} under the {method} method",
                f"bill {units(got)} of {code} (the claim does), or correct the minutes",
                numbered[0][0],
            )


@rule("UNITS-UNCHECKED", "units", "warning", ("U-1", "U-9", "D-9"), needs=Needs.NO_MINUTES)
def units_unchecked(r: Review, p: NoParams) -> Iterator[Hit]:
    """A timed code billed with the units the EMR sent, without minutes to check them.

    *What it checks*: a timed code that came with units but no minutes (an HL7 charge, a
    charge export): the claim bills the units as sent.
    *Why payers care*: a timed code's units follow from its minutes of direct time (U-1); an
    auditor compares the units billed with the minutes in the note (U-9, D-9), which ptbill
    could not do here.
    *Fails*: `{"code": "97110", "units": 2}` (no minutes).
    *Passes*: `{"code": "97110", "minutes": 24}`.
    *Fix*: send the minutes with the charge (docs/intake.md names where each format carries
    them), or check the units against the note before submitting.
    """
    for n, line in r.billed:
        info = r.code_info[line.code]
        if line.minutes is None and info is not None and info.timed:
            yield Hit(
                f"{line.code}: {units(line.units)} billed as sent, without minutes: the "
                "8-minute rule could not be checked",
                f"send the minutes of {line.code}, or check the units against the note",
                n,
            )


def _sums(base: int, optional: list[int]) -> set[int]:
    """Every total of `base` plus some of the `optional` minutes (each counted or not)."""
    sums = {base}
    for m in optional:
        sums |= {s + m for s in sums}
    return sums


@rule("UNITS-TOTAL-MISMATCH", "units", "error", ("U-9", "D-9"))
def total_mismatch(r: Review, p: NoParams) -> Iterator[Hit]:
    """The recorded total timed minutes differ from the sum of the per-code minutes.

    *What it checks*: `total_timed_minutes`, when given, equals the sum of the timed codes'
    minutes. A code not in the catalog may be timed or not (CODE-UNKNOWN reports it, U-3): its
    minutes are real, so the total may count them or not.
    *Why payers care*: the note must show total timed minutes, and the minutes billed and the
    minutes recorded must agree (U-9, D-9); a mismatch is what an auditor looks for first.
    *Fails*: 97110 24 min + 97140 13 min with `"total_timed_minutes": 40`.
    *Passes*: the same with `"total_timed_minutes": 37`.
    *Fix*: correct whichever is wrong: the per-code minutes or the recorded total.
    """
    recorded = r.visit.total_timed_minutes
    summed = r.coded.total_timed_minutes
    if recorded is None or recorded == summed:
        return
    timed, unknown = [], []
    for line in r.coded.lines:
        info = r.code_info[line.code]
        if line.minutes is None:
            continue
        if info is None:
            unknown.append(line)
        elif info.timed:
            timed.append(f"{line.code} {line.minutes}")
    if unknown and recorded in _sums(summed, [x.minutes or 0 for x in unknown]):
        return  # the recorded total counts some unknown code's minutes as timed
    also = "".join(
        f"; {x.code} ({x.minutes} min) is not in the catalog, so may or may not be timed"
        for x in unknown
    )
    yield Hit(
        f"recorded total timed minutes {recorded} differ from {summed}"
        f", the sum of the per-code minutes ({listing(timed) or 'none'}){also}",
        "correct the per-code minutes or total_timed_minutes so they agree",
    )


@rule("UNITS-NOT-BILLED", "units", "info", ("U-12", "U-14", "U-17", "U-30"), needs=Needs.UNBILLED)
def not_billed(r: Review, p: NoParams) -> Iterator[Hit]:
    """A documented service that earns no unit today.

    *What it checks*: lines the coder left at 0 units because of their minutes (a single
    service under 8 minutes, a leftover that lost to larger leftovers, a code under its
    midpoint on the AMA method).
    *Why payers care*: nothing is denied, but the biller should know the service is in the note
    and not on the claim (U-12, U-14, U-17, U-30).
    *Fails*: `{"code": "97035", "minutes": 7}` alone on the day.
    *Passes*: `{"code": "97035", "minutes": 8}`.
    *Fix*: nothing when the minutes are right; the service stays documented.
    """
    if len(r.billed) == len(r.coded.lines):
        return  # every line earns a unit
    for n, line in enumerate(r.coded.lines, start=1):
        if line.units == 0 and line.minutes is not None:
            yield Hit(
                f"{line.code} is documented but not billed: {line.reason}",
                "nothing to do if the minutes are right; it stays in the note",
                n,
            )


@rule("UNITS-NOTHING-BILLED", "units", "error", ("U-12", "U-14"), needs=Needs.NOTHING_BILLED)
def nothing_billed(r: Review, p: NoParams) -> Iterator[Hit]:
    """A visit with no line that earns a unit.

    *What it checks*: at least one coded line carries a unit.
    *Why payers care*: a claim needs at least one service line; a lone timed service under
    8 minutes is not billed at all (U-12).
    *Fails*: a visit whose only service is `{"code": "97110", "minutes": 7}`.
    *Passes*: `{"code": "97110", "minutes": 8}`.
    *Fix*: do not send a claim for this visit, or correct the documented minutes.
    """
    if not r.billed:
        documented = listing(line.code for line in r.coded.lines) or "no service"
        yield Hit(
            f"no line earns a unit ({documented} documented): there is nothing to bill",
            "do not send a claim for this visit, or correct the documented minutes",
        )
