"""What pricing answers: per billed line the allowed amount, the payer's expected payment and
the patient's share, each with how it was computed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ptbill.pricing.money import ZERO

Pricing = Literal["medicare_pfs", "fee_schedule"]
# priced: amounts known; not_paid: the payer pays nothing for the code (e.g. status B);
# unpriced: the amounts cannot be computed from the data at hand (the basis says why).
LineStatus = Literal["priced", "not_paid", "unpriced"]


@dataclass(frozen=True, slots=True)
class LineMath:
    """The numbers a line's amounts come from, kept so that an underpayment can be explained
    by recomputing the line under another assumption (settle.py, underpayment.py)."""

    unit_fee: Decimal  # one unit before reductions (contract amount, or PFS amount)
    units: int
    full_units: int  # units paid with their full PE
    mppr_cut: Decimal  # per reduced unit: 50% of its PE part, in cents (0: no MPPR possible)
    cq_percent: Decimal  # reduction percent applied to the line (0: none)
    cq_possible_percent: Decimal  # what an assistant reduction would be for this payer
    scale_percent: Decimal  # percent of Medicare for a contract priced that way, else 100
    coinsurance_percent: Decimal
    sequestration_percent: Decimal | None  # None: unknown for the year (not applied)
    applies_sequestration: bool


@dataclass(frozen=True, slots=True)
class Settlement:
    """How one line's allowed amount splits between patient and payer (settle.py)."""

    allowed: Decimal
    deductible: Decimal
    coinsurance: Decimal
    payer_before_sequestration: Decimal
    sequestration: Decimal | None  # None: the rate for the year is unknown
    expected_payment: Decimal

    @property
    def patient_responsibility(self) -> Decimal:
        return self.deductible + self.coinsurance


@dataclass(frozen=True, slots=True)
class PricedLine:
    index: int  # position in the coded visit's lines
    code: str
    units: int
    modifiers: tuple[str, ...]
    charge: Decimal | None
    status: LineStatus
    allowed: Decimal | None
    expected_payment: Decimal | None
    patient_responsibility: Decimal | None
    basis: tuple[str, ...]
    # The parts, when priced.
    unit_fee: Decimal | None = None
    mppr_reduction: Decimal = ZERO
    cq_reduction: Decimal = ZERO
    deductible: Decimal = ZERO
    coinsurance: Decimal = ZERO
    sequestration: Decimal | None = ZERO
    source: str = ""  # the release(s) the amounts come from
    math: LineMath | None = None


@dataclass(frozen=True)
class PricedVisit:
    visit_id: str
    date_of_service: dt.date
    payer: str
    pricing: Pricing
    locality: str | None
    lines: tuple[PricedLine, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """Every billed line has known amounts (priced or not paid)."""
        return all(line.status != "unpriced" for line in self.lines)

    def _total(self, name: str) -> Decimal | None:
        values = [getattr(line, name) for line in self.lines]
        if any(v is None for v in values):
            return None
        return sum(values, ZERO)

    @property
    def allowed(self) -> Decimal | None:
        return self._total("allowed")

    @property
    def expected_payment(self) -> Decimal | None:
        return self._total("expected_payment")

    @property
    def patient_responsibility(self) -> Decimal | None:
        return self._total("patient_responsibility")
