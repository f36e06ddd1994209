"""The 835 balancing rules, checked and reported (never corrected):

- service line: SVC02 charge - sum of the line's CAS amounts = SVC03 paid;
- claim: CLP03 charge - sum of CAS amounts at claim and line level = CLP04 paid;
- payment: BPR02 (signed by BPR03) = sum of CLP04 - sum of PLB amounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol

from ptbill.x12.remittance import Imbalance, RemittanceAdvice

_ZERO = Decimal(0)


class _Amount(Protocol):
    amount: Decimal


def _total(adjustments: Iterable[_Amount]) -> Decimal:
    total = _ZERO
    for a in adjustments:
        total += a.amount
    return total


def check_payment(payment: RemittanceAdvice) -> list[Imbalance]:
    out: list[Imbalance] = []
    paid_total = _ZERO
    for claim in payment.claims:
        paid_total += claim.paid
        adjusted = _total(claim.adjustments)
        for number, line in enumerate(claim.lines, start=1):
            line_adjusted = _total(line.adjustments)
            adjusted += line_adjusted
            expected = line.charge - line_adjusted
            if expected != line.paid:
                out.append(
                    Imbalance(
                        "line",
                        claim.claim_id,
                        number,
                        expected,
                        line.paid,
                        f"claim {claim.claim_id} line {number} ({line.code}): charge {line.charge} "
                        f"- adjustments {line_adjusted} = {expected}, but the payer paid "
                        f"{line.paid}",
                    )
                )
        expected = claim.charge - adjusted
        if expected != claim.paid:
            out.append(
                Imbalance(
                    "claim",
                    claim.claim_id,
                    None,
                    expected,
                    claim.paid,
                    f"claim {claim.claim_id}: charge {claim.charge} - adjustments {adjusted} "
                    f"(claim and lines) = {expected}, but the payer paid {claim.paid}",
                )
            )
    taken = _total(payment.provider_adjustments)
    expected = paid_total - taken
    if expected != payment.amount:
        out.append(
            Imbalance(
                "payment",
                None,
                None,
                expected,
                payment.amount,
                f"payment {payment.trace_number}: claims paid {paid_total} - provider adjustments "
                f"{taken} = {expected}, but the payment amount (BPR02) is {payment.amount}",
            )
        )
    return out
