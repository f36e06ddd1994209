"""What the coding engine answers: claim lines with units, modifiers and the reasons for both.

Plain frozen dataclasses rather than pydantic models: the engine builds them from input that
was already validated, and coding must stay fast (tens of thousands of visits a second).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ptbill.domain.records import quick_init

UnitMethod = Literal["cms", "ama"]


@quick_init
@dataclass(frozen=True, slots=True)
class CodedLine:
    code: str
    units: int
    modifiers: tuple[str, ...]
    diagnosis_pointers: tuple[int, ...]
    minutes: int | None
    assistant_minutes: int
    charge: Decimal | None
    # Index (0-based) of the documented service(s) this line comes from.
    services: tuple[int, ...]
    # Why these units and modifiers, one sentence per decision.
    explanation: tuple[str, ...]
    # Units the visit asked for, when it gave any (the scrubber compares them).
    requested_units: int | None = None
    # Set when the line earns no unit: why it is not billed.
    reason: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class CodedVisit:
    visit_id: str
    date_of_service: dt.date
    payer: str
    unit_method: UnitMethod
    total_timed_minutes: int
    timed_units: int
    lines: tuple[CodedLine, ...]
    notes: tuple[str, ...] = ()
    # For payers with a KX threshold: this visit's estimated Medicare amount and how it was
    # estimated (None: unknown), the figure the KX decision used.
    therapy_amount: Decimal | None = None
    therapy_amount_basis: str = ""

    @property
    def billed_lines(self) -> tuple[CodedLine, ...]:
        return tuple(line for line in self.lines if line.units > 0)

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge or Decimal(0) for line in self.billed_lines), Decimal(0))
