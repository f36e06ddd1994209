"""What posting an 835 did (`ptbill post`, ptbill.remit.post): counts the payment batches
(ptbill.remit.post_batch) add to as they write, the payments posted before, and the JSON the
CLI and API show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from ptbill.ledger.scope import remittance_clinics
from ptbill.ledger.secondary import CobSummary
from ptbill.remit.post_once import Earlier

ZERO = Decimal(0)
CENT = Decimal("0.01")  # posted money is in cents ("2598.2" in an 835 is 2598.20)


@dataclass
class PostSummary:
    file: str
    remittance_id: int = 0
    payments: int = 0
    claims: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    reversals: int = 0
    paid_total: Decimal = ZERO
    provider_adjustments: Decimal = ZERO
    denial_items: int = 0
    underpayment_items: int = 0
    overpayment_items: int = 0
    work_items: int = 0  # every item opened (denials, underpayments, overpayments, unmatched...)
    already_posted: list[Earlier] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)
    imbalances: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # odd but readable: a repeated ISA13...
    cob: CobSummary = field(default_factory=CobSummary)

    @property
    def wholly_posted_before(self) -> bool:
        """Nothing new: every payment of the file was posted before."""
        return not self.payments and bool(self.already_posted)

    def clinics(self, session: Session) -> set[int | None]:
        """The clinics the file concerns (ptbill.ledger.scope): of what it posted, and of the
        remittances its payments were posted with before -- a user held to some clinics is
        told about a payment posted before only when they hold its clinic too."""
        out: set[int | None] = set()
        for rid in {self.remittance_id, *(e.remittance_id for e in self.already_posted)} - {0}:
            out |= remittance_clinics(session, rid)
        return out

    @property
    def needs_a_person(self) -> bool:
        """Claims that matched nothing, or work items opened (`ptbill post` exits 1)."""
        return bool(self.unmatched or self.work_items)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "posted": not self.wholly_posted_before,
            "remittance_id": self.remittance_id or None,
            "payments": self.payments,
            "claims": self.claims,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "reversals": self.reversals,
            "paid_total": self.paid_total.quantize(CENT),
            "provider_adjustments": self.provider_adjustments.quantize(CENT),
            "denial_items": self.denial_items,
            "underpayment_items": self.underpayment_items,
            "overpayment_items": self.overpayment_items,
            "work_items": self.work_items,
            "already_posted": [e.as_json() for e in self.already_posted],
            "needs_a_person": self.needs_a_person,
            "states": dict(sorted(self.states.items())),
            "imbalances": self.imbalances,
            "warnings": self.warnings,
            "next_payers": self.cob.as_json(),
        }
