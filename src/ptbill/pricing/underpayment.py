"""Underpayment detection: what a payer paid on each line against what pricing expected.

A line paid short by more than the tolerance (payer profile: `underpayment_tolerance`, default
$1.00, or `underpayment_tolerance_percent` of the expected payment, default 1%, whichever is
larger) becomes a finding with both amounts and the likely cause. Causes are found by rerunning
the line's own arithmetic (settle.py) under each alternative and comparing the result with what
was paid:

- mppr: the payer took the 50% PE cut on more units of the line than expected (it ranked
  another unit as the day's full-price one) (P-3);
- cq: the payer took the assistant (CQ/CO) 15% reduction on a line expected without it (M-8);
- sequestration: the payer cut its share by 2% where the rate for the year was unknown (P-7);
- deductible: part of the allowed amount went to the patient's deductible (PR-1 on the 835, or
  a gap no larger than the whole line applied to the deductible would make) (P-6);
- wrong_fee_schedule: the payer's allowed amount differs from the expected allowed amount and no
  reduction above explains it, or every short line of the claim was paid at the same fraction;
- unexplained: none of these fits.

The ledger calls `find_underpayments` when a payment is posted and turns each finding into an
`underpayment` work item.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from ptbill.config.profiles import PayerProfile
from ptbill.pricing.model import LineMath, PricedLine, PricedVisit
from ptbill.pricing.money import HUNDRED, ZERO, cents, money, percent_of
from ptbill.pricing.settle import allowed_parts, settle_line

Cause = Literal["mppr", "cq", "sequestration", "deductible", "wrong_fee_schedule", "unexplained"]
# How close a recomputed payment must come to the paid amount to explain it: payers round at
# their own points, a few cents apart from ours.
MATCH = Decimal("0.05")
ASSUMED_SEQUESTRATION = Decimal(2)  # the rate in force through 2025 (constants.csv)
# CARCs on an 835 line that name a cause directly.
CARC_CAUSE: dict[str, Cause] = {"1": "deductible", "59": "mppr", "253": "sequestration"}


@dataclass(frozen=True, slots=True)
class Tolerance:
    amount: Decimal = Decimal("1.00")
    percent: Decimal = Decimal("1")

    @classmethod
    def from_profile(cls, profile: PayerProfile) -> Tolerance:
        return cls(profile.underpayment_tolerance, profile.underpayment_tolerance_percent)

    def allows(self, gap: Decimal, expected: Decimal) -> bool:
        return gap <= max(self.amount, percent_of(expected, self.percent))


@dataclass(frozen=True, slots=True)
class Adjustment:
    group: str  # CO, PR, OA, PI
    reason: str  # CARC
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PaidLine:
    index: int  # the priced line's index (PricedLine.index)
    paid: Decimal
    payer_allowed: Decimal | None = None  # the 835's allowed amount for the line, if given
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class Underpayment:
    visit_id: str
    index: int
    code: str
    modifiers: tuple[str, ...]
    expected: Decimal
    paid: Decimal
    likely_cause: Cause
    explanation: str
    candidates: tuple[Cause, ...]

    @property
    def gap(self) -> Decimal:
        return self.expected - self.paid


@dataclass(frozen=True, slots=True)
class _Fit:
    cause: Cause
    text: str
    exact: bool  # the recomputed payment matches the paid amount


def _payment(m: LineMath, deductible: Decimal) -> tuple[Decimal, Decimal]:
    parts, s = settle_line(m, deductible)
    return parts.allowed, s.expected_payment


def _fits(line: PricedLine, m: LineMath, paid: PaidLine) -> list[_Fit]:
    fits: list[_Fit] = []
    d = line.deductible

    def close(value: Decimal) -> bool:
        return abs(value - paid.paid) <= MATCH

    for k in range(1, m.full_units + 1 if m.mppr_cut > 0 else 1):
        alt_allowed, alt = _payment(replace(m, full_units=m.full_units - k), d)
        if close(alt):
            fits.append(
                _Fit(
                    "mppr",
                    f"the payer took the MPPR cut (50% of the PE, "
                    f"{money(m.mppr_cut)} a unit) on {k} more unit(s) than "
                    f"expected: it ranked another unit of the day as the "
                    f"full-price one; that pays {money(alt)}",
                    True,
                )
            )
    if m.cq_percent == 0 and m.cq_possible_percent > 0:
        alt_allowed, alt = _payment(replace(m, cq_percent=m.cq_possible_percent), d)
        if close(alt):
            fits.append(
                _Fit(
                    "cq",
                    f"the payer took the {m.cq_possible_percent}% assistant "
                    f"(CQ/CO) reduction, which pays {money(alt)}: check whether "
                    "a PTA furnished part of the service",
                    True,
                )
            )
    if m.applies_sequestration and m.sequestration_percent is None:
        _, alt = _payment(replace(m, sequestration_percent=ASSUMED_SEQUESTRATION), d)
        if close(alt):
            fits.append(
                _Fit(
                    "sequestration",
                    f"the payer applied {ASSUMED_SEQUESTRATION}% "
                    f"sequestration ({money(alt)}); set the year's "
                    "rate in the payer profile",
                    True,
                )
            )
    allowed = line.allowed or ZERO
    _, floor = _payment(m, allowed)  # the whole allowed amount to the deductible
    expected = line.expected_payment or ZERO
    if floor - MATCH <= paid.paid < expected:
        keep = HUNDRED - m.coinsurance_percent
        if m.applies_sequestration and m.sequestration_percent:
            keep = keep * (HUNDRED - m.sequestration_percent) / HUNDRED
        applied = cents((expected - paid.paid) * HUNDRED / keep) if keep else ZERO
        fits.append(
            _Fit(
                "deductible",
                f"about {money(applied)} of the allowed amount went to "
                "the patient's deductible: bill the patient, not the "
                "payer",
                close(_payment(m, d + applied)[1]),
            )
        )
    return fits


def _explain(line: PricedLine, m: LineMath, paid: PaidLine) -> tuple[Cause, str, list[Cause], bool]:
    """The likely cause, its explanation, every cause that fits, and whether the choice is
    firm (a CARC, an exact recomputation or the payer's allowed amount backs it)."""
    fits = _fits(line, m, paid)
    carcs = {a.reason for a in paid.adjustments if a.amount > 0}
    if paid.adjustments and "1" not in carcs:
        # An 835 that itemises its adjustments would show PR-1 for a deductible.
        fits = [f for f in fits if f.cause != "deductible"]
    candidates: list[Cause] = list(dict.fromkeys(f.cause for f in fits))
    for cause in (CARC_CAUSE[c] for c in sorted(carcs) if c in CARC_CAUSE):
        fit = next((f for f in fits if f.cause == cause), None)
        if fit is not None:
            return cause, f"{fit.text} (the CARC on the 835 agrees)", candidates, True
    exact = next((f for f in fits if f.exact and f.cause != "deductible"), None)
    if exact is not None:
        return exact.cause, exact.text, candidates, True
    if (
        paid.payer_allowed is not None
        and line.allowed is not None
        and abs(paid.payer_allowed - line.allowed) > MATCH
    ):
        explained = _allowed_explained(m, paid.payer_allowed)
        if explained is None:
            candidates.append("wrong_fee_schedule")
            return (
                "wrong_fee_schedule",
                (
                    f"the payer allowed {money(paid.payer_allowed)} where the fee schedule gives "
                    f"{money(line.allowed)}: it priced the line from another fee schedule (year, "
                    "locality or contract version); ask for reprocessing"
                ),
                candidates,
                True,
            )
        return (
            explained,
            (
                f"the payer's allowed amount {money(paid.payer_allowed)} is the "
                f"expected one after the {explained.upper()} reduction"
            ),
            candidates,
            True,
        )
    deductible = next((f for f in fits if f.cause == "deductible"), None)
    if deductible is not None:
        return "deductible", deductible.text, candidates, False
    return (
        "unexplained",
        ("no single cause explains the gap: compare the 835's adjustments with the expected basis"),
        candidates,
        False,
    )


def _allowed_explained(m: LineMath, payer_allowed: Decimal) -> Cause | None:
    """Whether the payer's allowed amount is ours under the MPPR or CQ alternative."""
    for k in range(1, m.full_units + 1 if m.mppr_cut > 0 else 1):
        if (
            abs(allowed_parts(replace(m, full_units=m.full_units - k)).allowed - payer_allowed)
            <= MATCH
        ):
            return "mppr"
    if (
        m.cq_percent == 0
        and m.cq_possible_percent > 0
        and abs(allowed_parts(replace(m, cq_percent=m.cq_possible_percent)).allowed - payer_allowed)
        <= MATCH
    ):
        return "cq"
    return None


def find_underpayments(
    priced: PricedVisit, paid_lines: Sequence[PaidLine], tolerance: Tolerance | None = None
) -> list[Underpayment]:
    """Lines paid short of their expected payment beyond the tolerance, each with its cause."""
    tolerance = tolerance or Tolerance()
    by_index = {line.index: line for line in priced.lines}
    found: list[Underpayment] = []
    loose: list[int] = []  # positions in `found` of findings no evidence pins down
    for paid in paid_lines:
        line = by_index.get(paid.index)
        if (
            line is None
            or line.status != "priced"
            or line.math is None
            or line.expected_payment is None
        ):
            continue  # nothing expected to compare with
        gap = line.expected_payment - paid.paid
        if gap <= 0 or tolerance.allows(gap, line.expected_payment):
            continue
        cause, text, candidates, firm = _explain(line, line.math, paid)
        if not firm:
            loose.append(len(found))
        found.append(
            Underpayment(
                priced.visit_id,
                line.index,
                line.code,
                line.modifiers,
                line.expected_payment,
                paid.paid,
                cause,
                f"expected {money(line.expected_payment)}, paid "
                f"{money(paid.paid)} (short {money(gap)}): {text}",
                tuple(candidates),
            )
        )
    return _uniform_shortfall(found, loose)


def _uniform_shortfall(found: list[Underpayment], loose: list[int]) -> list[Underpayment]:
    """Several short lines that no evidence pins down, all paid at one fraction of expected,
    point to the payer pricing the whole claim from another fee schedule (a deductible fills
    lines one after another; it does not cut each by the same fraction)."""
    weak = [i for i in loose if found[i].expected > 0]
    if len(weak) < 2:
        return found
    ratios = [found[i].paid * HUNDRED / found[i].expected for i in weak]
    if max(ratios) - min(ratios) > 1:
        return found
    share = cents(sum(ratios, ZERO) / len(ratios))
    out = list(found)
    for i in weak:
        u = found[i]
        out[i] = replace(
            u,
            likely_cause="wrong_fee_schedule",
            candidates=(*u.candidates, "wrong_fee_schedule"),
            explanation=f"expected {money(u.expected)}, paid {money(u.paid)}: every short line "
            f"of the claim was paid about {share}% of expected, as from another fee "
            "schedule (year, locality or contract version)",
        )
    return out
