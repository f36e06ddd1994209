"""The KX threshold tracker (billing-rules.md M-3, M-6): a patient's Medicare allowed amounts
for therapy in a calendar year, in two buckets, PT and SLP combined (GP, GN) and OT (GO).

A pure accumulator: it is fed priced claims (what the claim should be allowed) and, once a
remittance is posted, the allowed amounts of the claim's 835 lines, which then replace the
priced estimate of that claim. It yields `therapy_amount_ytd` for a visit's episode: the amount
already incurred this calendar year before the visit. Allowed amounts count in full, including
the parts applied to deductible and coinsurance (M-3). The ledger stores the entries; this
module only adds them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ptbill.pricing.model import PricedVisit
from ptbill.pricing.money import ZERO

Bucket = Literal["pt_slp", "ot"]
Source = Literal["priced", "remit"]
_BUCKET_OF = {"GP": "pt_slp", "GN": "pt_slp", "GO": "ot"}


def bucket_of(modifiers: Sequence[str]) -> Bucket | None:
    """The threshold bucket of a line by its discipline modifier; None for a non-therapy line."""
    for m in modifiers:
        if m in _BUCKET_OF:
            return _BUCKET_OF[m]  # type: ignore[return-value]
    return None


@dataclass(frozen=True, slots=True)
class TherapyEntry:
    patient_id: str
    claim_id: str
    date_of_service: dt.date
    bucket: Bucket
    amount: Decimal | None  # None: the priced line's amount is unknown
    source: Source


@dataclass(frozen=True, slots=True)
class RemitLine:
    """One posted 835 service line: its date, modifiers and the payer's allowed amount."""

    date_of_service: dt.date
    modifiers: tuple[str, ...]
    allowed: Decimal


@dataclass(frozen=True, slots=True)
class TherapyYtd:
    amount: Decimal
    claims: int  # claims counted
    estimated_claims: int  # of those, counted from pricing (no remittance posted yet)
    unknown_lines: int  # priced lines whose amount is unknown (counted as $0)

    @property
    def explanation(self) -> str:
        text = f"${self.amount} from {self.claims} claim(s)"
        if self.estimated_claims:
            text += f", {self.estimated_claims} of them estimated from pricing (not yet remitted)"
        if self.unknown_lines:
            text += f"; {self.unknown_lines} priced line(s) of unknown amount counted as $0"
        return text


@dataclass(frozen=True)
class KxTracker:
    entries: tuple[TherapyEntry, ...] = ()

    def with_priced(self, patient_id: str, priced: PricedVisit) -> KxTracker:
        """Add a Medicare claim as priced (its claim id is the visit id)."""
        if priced.pricing != "medicare_pfs":
            raise ValueError(f"visit {priced.visit_id} is not priced under the Medicare PFS")
        new = []
        for line in priced.lines:
            bucket = bucket_of(line.modifiers)
            if bucket is not None:
                new.append(
                    TherapyEntry(
                        patient_id,
                        priced.visit_id,
                        priced.date_of_service,
                        bucket,
                        line.allowed,
                        "priced",
                    )
                )
        return KxTracker(self.entries + tuple(new))

    def with_remit(self, patient_id: str, claim_id: str, lines: Iterable[RemitLine]) -> KxTracker:
        """Add a posted remittance's lines for a claim; they supersede its priced estimate."""
        new = tuple(
            TherapyEntry(patient_id, claim_id, line.date_of_service, bucket, line.allowed, "remit")
            for line in lines
            if (bucket := bucket_of(line.modifiers)) is not None
        )
        return KxTracker(self.entries + new)

    def therapy_amount_ytd(
        self,
        patient_id: str,
        on: dt.date,
        bucket: Bucket = "pt_slp",
        exclude_claim: str | None = None,
    ) -> TherapyYtd:
        """Allowed amounts of the calendar year of `on`, dated on or before `on`, of every claim
        but `exclude_claim` (the visit being coded). Same-day claims count as already incurred.
        """
        remitted = {
            e.claim_id for e in self.entries if e.source == "remit" and e.patient_id == patient_id
        }
        total, claims, estimated, unknown = ZERO, set(), set(), 0
        for e in self.entries:
            if (
                e.patient_id != patient_id
                or e.bucket != bucket
                or e.claim_id == exclude_claim
                or e.date_of_service.year != on.year
                or e.date_of_service > on
            ):
                continue
            if e.source == "priced" and e.claim_id in remitted:
                continue  # the remittance replaced this estimate
            claims.add(e.claim_id)
            if e.source == "priced":
                estimated.add(e.claim_id)
            if e.amount is None:
                unknown += 1
                continue
            total += e.amount
        return TherapyYtd(total, len(claims), len(estimated), unknown)
