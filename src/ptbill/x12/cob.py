"""Coordination of benefits on an 837P (005010X222A1): what an earlier payer decided, as the
claim to the next payer carries it.

A secondary (or tertiary) claim is the primary claim's lines sent to the next payer with, per
earlier payer, loop 2320 (its claim-level adjustments CAS, what it paid AMT*D, the patient
liability it left AMT*EAF, OI), 2330A (the subscriber of that coverage) and 2330B (that payer),
and per line loop 2430 (SVD what it paid on the line, the line's CAS, DTP*573 the adjudication
date). The TR3 balances each earlier payer's figures against the claim:

- per line: the line charge (SV102) = SVD02 + the line's CAS amounts (2430);
- per claim: the claim charge (CLM02) - the 2320 CAS - every 2430 CAS of that payer = AMT*D.

`imbalances` says where a claim breaks either rule, so that a claim that a payer would reject
is never written (the ledger's secondary claims are scrubbed with it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.domain.records import quick_init
from ptbill.domain.visit import Address

ZERO = Decimal(0)
# SBR01 for the payer at each position: 1 primary, 2 secondary, 3 tertiary.
SEQUENCE_CODES = {1: "P", 2: "S", 3: "T"}
MAX_CAS_REASONS = 6  # reasons in one CAS segment
MAX_CAS_SEGMENTS = 5  # CAS segments in a 2320 or 2430 loop


@quick_init
@dataclass(frozen=True, slots=True)
class CobAdjustment:
    """One CAS reason of an earlier payer: group (CO, PR, OA, PI), CARC and amount."""

    group: str
    reason: str
    amount: Decimal


@quick_init
@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """Loop 2430: what one earlier payer decided on one line."""

    payer_id: str  # SVD01: the payer's id as in its 2330B NM109
    paid: Decimal  # SVD02
    code: str  # SVD03, as the payer adjudicated it
    modifiers: tuple[str, ...]
    units: Decimal  # SVD05
    adjustments: tuple[CobAdjustment, ...]
    adjudicated_on: dt.date  # DTP*573


@quick_init
@dataclass(frozen=True, slots=True)
class OtherPayer:
    """Loops 2320, 2330A and 2330B: an earlier payer and the coverage it paid under."""

    sequence: str  # SBR01 of that payer: P or S
    relationship: str  # SBR02: the patient's relationship to that subscriber (18 self)
    group_number: str | None
    filing_indicator: str  # SBR09
    subscriber_last: str
    subscriber_first: str
    member_id: str
    subscriber_address: Address | None
    payer_name: str
    payer_id: str
    paid: Decimal  # AMT*D
    patient_liability: Decimal  # AMT*EAF
    adjustments: tuple[CobAdjustment, ...]  # claim-level CAS
    claim_control_number: str | None  # REF*F8 in 2330B: that payer's claim number


def cas_segments(adjustments: Iterable[CobAdjustment]) -> int:
    """How many CAS segments these adjustments need: one per group, six reasons in each (a
    group with more continues in another segment)."""
    counts: dict[str, int] = {}
    for a in adjustments:
        counts[a.group] = counts.get(a.group, 0) + 1
    return sum(-(-n // MAX_CAS_REASONS) for n in counts.values())


def _too_many_cas(adjustments: Sequence[CobAdjustment]) -> bool:
    """More CAS segments than a 2320 or 2430 holds (five reasons or fewer always fit: a
    segment holds at least one, so they are not counted by group, a claim's lines each)."""
    return len(adjustments) > MAX_CAS_SEGMENTS and cas_segments(adjustments) > MAX_CAS_SEGMENTS


def patient_liability(adjustments: Iterable[CobAdjustment]) -> Decimal:
    """What a payer left the patient to pay: its PR adjustments."""
    return sum([a.amount for a in adjustments if a.group == "PR"], ZERO)


def imbalances(
    charge: Decimal,
    line_charges: Sequence[Decimal],
    others: Sequence[OtherPayer],
    lines: Sequence[Sequence[LineAdjudication]],
) -> list[str]:
    """Where the earlier payers' figures do not balance against the claim (empty: they do).
    `lines[i]` are line i's adjudications (one per earlier payer)."""
    problems = []
    for other in others:
        line_cas = ZERO
        for number, (line_charge, adjudications) in enumerate(
            zip(line_charges, lines, strict=True), start=1
        ):
            mine = [a for a in adjudications if a.payer_id == other.payer_id]
            if len(mine) != 1:
                problems.append(
                    f"line {number}: {len(mine)} decisions of {other.payer_name} "
                    "(the claim to the next payer needs exactly one per line)"
                )
                continue
            adjustments = mine[0].adjustments
            cas = sum((a.amount for a in adjustments), ZERO)
            if _too_many_cas(adjustments):
                problems.append(f"line {number}: more CAS segments than the 5 a 2430 holds")
            line_cas += cas
            if mine[0].paid + cas != line_charge:
                problems.append(
                    f"line {number}: charge {line_charge} is not {other.payer_name}'s paid "
                    f"{mine[0].paid} + adjustments {cas}"
                )
        claim_cas = sum((a.amount for a in other.adjustments), ZERO)
        if charge - claim_cas - line_cas != other.paid:
            problems.append(
                f"claim: charge {charge} - adjustments {claim_cas + line_cas} is not "
                f"{other.payer_name}'s paid {other.paid}"
            )
        if _too_many_cas(other.adjustments):
            problems.append(
                f"claim: more CAS segments than the 5 a 2320 holds ({other.payer_name})"
            )
    return problems
