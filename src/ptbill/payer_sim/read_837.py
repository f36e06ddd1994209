"""What the simulated payer reads of an 837P (005010X222A1): per claim its id, frequency,
payer, member, dates and service lines -- enough to adjudicate it. Built on ptbill.x12's
envelope reader, so the envelope's counts and control numbers are checked as for any file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.x12.envelope import CLAIM, ENVELOPE_IDS, Handler, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import Delimiters, Source
from ptbill.x12.values import amount, date8, optional, text


@dataclass(slots=True)
class SimLine:
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    units: int
    date_of_service: dt.date | None = None
    control_number: str = ""
    # A claim to a later payer: what the earlier payers left the patient on the line (the PR
    # adjustments of its 2430 loops).
    prior_patient: Decimal = Decimal(0)


@dataclass(slots=True)
class SimClaim:
    claim_id: str  # CLM01
    charge: Decimal
    frequency_code: str
    place_of_service: str
    transaction_set: str  # ST02
    billing_npi: str
    billing_name: str
    payer_id: str
    payer_name: str
    filing_indicator: str
    member_id: str
    subscriber_last: str
    subscriber_first: str
    original_claim_id: str | None = None
    prior_authorization: str | None = None
    diagnoses: list[str] = field(default_factory=list)
    lines: list[SimLine] = field(default_factory=list)
    sequence: str = "P"  # SBR01 of 2000B: P primary, S secondary, T tertiary

    @property
    def date_of_service(self) -> dt.date:
        dates = [x.date_of_service for x in self.lines if x.date_of_service]
        return min(dates) if dates else dt.date.min


@dataclass(slots=True)
class SimTransaction:
    control_number: str  # ST02
    claims: list[SimClaim] = field(default_factory=list)


def _skip(e: list[str]) -> None:
    return None


class _Handlers(dict[str, Handler]):
    """The segments the payer reads; every other segment inside a set is read past."""

    def get(self, key: str, default: Handler | None = None) -> Handler | None:  # type: ignore[override]
        found = super().get(key)
        if found is not None:
            return found
        return None if key in ENVELOPE_IDS else _skip


class _Parser:
    def __init__(self) -> None:
        self.handlers = _Handlers(
            {
                "NM1": self._nm1,
                "SBR": self._sbr,
                "CLM": self._clm,
                "REF": self._ref,
                "HI": self._hi,
                "SV1": self._sv1,
                "DTP": self._dtp,
                "HL": self._hl,
                "SVD": self._svd,
                "CAS": self._cas,
            }
        )

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.set = SimTransaction(st[2])
        self.billing = ("", "")
        self.subscriber = ("", "", "")
        self.payer = ("", "")
        self.filing = ""
        self.sequence = "P"
        self.claim: SimClaim | None = None
        self.line: SimLine | None = None
        self.in_2430 = False

    def end(self) -> SimTransaction:
        return self.set

    def _hl(self, e: list[str]) -> None:
        self.claim = self.line = None
        self.in_2430 = False

    def _sbr(self, e: list[str]) -> None:
        if self.claim is not None:  # 2320: an earlier payer's, not this claim's
            return
        self.filing = optional(e, 9)
        self.sequence = optional(e, 1) or "P"

    def _svd(self, e: list[str]) -> None:
        self.in_2430 = self.line is not None

    def _cas(self, e: list[str]) -> None:
        if not self.in_2430 or self.line is None or text(e, 1) != "PR":
            return
        for i in range(3, len(e), 3):  # CAS02/03, 05/06...: reason, amount
            if e[i]:
                self.line.prior_patient += amount(e, i)

    def _nm1(self, e: list[str]) -> None:
        entity = text(e, 1)
        if entity == "85":
            self.billing = (optional(e, 9), optional(e, 3))
        elif entity == "IL":
            self.subscriber = (optional(e, 9), optional(e, 3), optional(e, 4))
        elif entity == "PR":
            self.payer = (optional(e, 9), optional(e, 3))

    def _clm(self, e: list[str]) -> None:
        facility = text(e, 5).split(self.component)
        self.claim = SimClaim(
            text(e, 1),
            amount(e, 2),
            facility[2] if len(facility) > 2 else "1",
            facility[0],
            self.set.control_number,
            self.billing[0],
            self.billing[1],
            self.payer[0],
            self.payer[1],
            self.filing,
            *self.subscriber,
            sequence=self.sequence,
        )
        self.line = None
        self.set.claims.append(self.claim)

    def _ref(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), text(e, 2)
        if self.line is not None and qualifier == "6R":
            self.line.control_number = value
        elif self.claim is not None and self.line is None:
            if qualifier == "F8":
                self.claim.original_claim_id = value
            elif qualifier == "G1":
                self.claim.prior_authorization = value

    def _hi(self, e: list[str]) -> None:
        if self.claim is None:
            raise X12Error("HI outside a claim")
        self.claim.diagnoses = [c.split(self.component)[1] for c in e[1:] if c]

    def _sv1(self, e: list[str]) -> None:
        if self.claim is None:
            raise X12Error("SV1 outside a claim")
        parts = text(e, 1).split(self.component)
        units = Decimal(text(e, 4))
        self.in_2430 = False
        self.line = SimLine(parts[1], tuple(p for p in parts[2:6] if p), amount(e, 2), int(units))
        self.claim.lines.append(self.line)

    def _dtp(self, e: list[str]) -> None:
        if self.line is not None and text(e, 1) == "472":
            self.line.date_of_service = date8(e, 3)


def transactions_837p(source: Source) -> Iterator[SimTransaction]:
    """The transaction sets of an 837P file (a path or an open text stream), one at a time."""
    return read_transactions(source, CLAIM, _Parser())


def read_837p(source: Source) -> list[SimTransaction]:
    """Every transaction set of an 837P file (a path or an open text stream)."""
    return list(transactions_837p(source))
