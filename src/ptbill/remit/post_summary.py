"""What posting an 835 did (`ptbill post`, ptbill.remit.post): counts the payment batches
(ptbill.remit.post_batch) add to as they write, and the JSON the CLI and API show."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ptbill.ledger.secondary import CobSummary

ZERO = Decimal(0)


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
    states: Counter[str] = field(default_factory=Counter)
    imbalances: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # odd but readable: a repeated ISA13...
    cob: CobSummary = field(default_factory=CobSummary)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "remittance_id": self.remittance_id,
            "payments": self.payments,
            "claims": self.claims,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "reversals": self.reversals,
            "paid_total": self.paid_total,
            "provider_adjustments": self.provider_adjustments,
            "denial_items": self.denial_items,
            "underpayment_items": self.underpayment_items,
            "states": dict(sorted(self.states.items())),
            "imbalances": self.imbalances,
            "warnings": self.warnings,
            "next_payers": self.cob.as_json(),
        }
