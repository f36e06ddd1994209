"""Reading X12 277 claim status responses (005010X212), the answers to our 276 requests.

The hierarchy is payer (HL 20) > receiver (21) > provider (19) > subscriber (22) > dependent
(23); each claim (2200D/2200E) returns our trace number (TRN*2), its statuses (STC: category,
status code and entity, dates and amounts), the payer's claim number (REF*1K) and our claim id
(REF*EJ), and may list lines (SVC, 2220D/E) with their own statuses.

`ClaimStatus.status` reads the first STC (the current one, X212 puts it first): `not_found`
(A4, D0, or status code 35), `rejected` (A3, A6, A7, A8), `denied` (F2), `finalized` (F0, F1,
F3, F4), `pending` (P*, A0 to A2, A5, R*), `error` (E*), else `unknown`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.x12.codes import ENTITIES, STATUS_CATEGORIES, STATUS_CODES, describe
from ptbill.x12.envelope import Handler, Kind, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import KIND_277
from ptbill.x12.read_271 import OneBht, date_or_range
from ptbill.x12.tokenizer import Delimiters, Source
from ptbill.x12.values import amount, date8, element_name, optional, shown, text

STATUS_RESPONSE = Kind("277 claim status response", "HN", "277", "005010X212", KIND_277)
_LEVELS = {
    "20": "source",
    "21": "receiver",
    "19": "provider",
    "22": "subscriber",
    "23": "dependent",
}

# What each category means for the claim (first match wins, in this order).
_VERDICTS = (
    ("not_found", frozenset({"A4", "D0"})),
    ("rejected", frozenset({"A3", "A6", "A7", "A8"})),
    ("denied", frozenset({"F2"})),
    ("finalized", frozenset({"F0", "F1", "F3", "F3F", "F3N", "F4", "F5"})),
    ("error", frozenset({"E0", "E1", "E2", "E3", "E4"})),
)
NOT_FOUND_CODES = frozenset({"35"})  # claim or encounter not found

STATUS_WORDS = {
    **STATUS_CATEGORIES,
    "F3": "finalized: revised",
    "F4": "finalized: adjudication complete, no payment forthcoming",
    "P5": "pending: patient requested information",
    "R0": "requests for additional information: general",
    "R1": "requests for additional information: entity requests",
    "R3": "requests for additional information: claim or line",
    "R4": "requests for additional information: documentation",
}


# Status codes a 277 answer uses beyond those of a 277CA (ptbill.x12.codes).
_CODES = {**STATUS_CODES, "65": "claim or line has been paid", "88": "claim or line denied"}


@dataclass(slots=True)
class StatusCode:
    category: str
    code: str
    entity: str

    @property
    def message(self) -> str:
        words = describe(STATUS_WORDS, self.category, "category")
        if self.code:
            words += "; " + describe(_CODES, self.code, "status code")
        if self.entity:
            words += f" ({ENTITIES.get(self.entity, 'entity ' + self.entity)})"
        return words


@dataclass(slots=True)
class Stc:
    codes: list[StatusCode]
    date: dt.date | None  # STC02: effective date of the status
    charge: Decimal | None  # STC04
    paid: Decimal | None  # STC05
    adjudicated: dt.date | None  # STC06
    check_date: dt.date | None  # STC08
    check_number: str  # STC09


@dataclass(slots=True)
class LineStatus:
    procedure: str
    charge: Decimal | None
    paid: Decimal | None
    control_number: str | None = None
    statuses: list[Stc] = field(default_factory=list)


def verdict(statuses: list[Stc]) -> str:
    """The claim's status in ptbill's words, from its current (first) STC."""
    if not statuses:
        return "unknown"
    codes = statuses[0].codes
    categories = {c.category for c in codes}
    if any(c.code in NOT_FOUND_CODES for c in codes):
        return "not_found"
    for name, found in _VERDICTS:
        if categories & found:
            return name
    if any(c[:1] in ("P", "R") or c in ("A0", "A1", "A2", "A5") for c in categories):
        return "pending"
    return "unknown"


@dataclass(slots=True)
class ClaimStatus:
    control_number: str  # ST02
    payer_name: str
    provider_npi: str | None
    trace: str  # TRN02 of 2200D/E: our request's trace number
    member_id: str | None
    claim_id: str | None = None  # REF*EJ: our CLM01
    payer_claim_control_number: str | None = None  # REF*1K
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    statuses: list[Stc] = field(default_factory=list)
    lines: list[LineStatus] = field(default_factory=list)

    @property
    def status(self) -> str:
        return verdict(self.statuses)

    @property
    def detail(self) -> str:
        return "; ".join(c.message for s in self.statuses[:1] for c in s.codes) or self.status


class _Parser(OneBht):
    transaction = "277"

    def __init__(self) -> None:
        self.handlers: Mapping[str, Handler] = {
            "BHT": self._bht,
            "HL": self._hl,
            "NM1": self._nm1,
            "PER": _ignore,
            "TRN": self._trn,
            "STC": self._stc,
            "REF": self._ref,
            "DTP": self._dtp,
            "SVC": self._svc,
            "QTY": _ignore,
            "AMT": _ignore,
            "DMG": _ignore,
        }

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.control = st[2]
        self.claims: list[ClaimStatus] = []
        self.level = ""
        self.payer = ""
        self.npi: str | None = None
        self.member: str | None = None
        self.claim: ClaimStatus | None = None
        self.line: LineStatus | None = None
        self.seen_bht = False

    def end(self) -> list[ClaimStatus]:
        self._check_bht()
        # The handlers are bound methods (a cycle with the parser): let go of what was read,
        # so the caller frees it when done with it, not at the collector's next pass.
        claims, self.claims = self.claims, []
        self.claim = self.line = None
        return claims

    def _hl(self, e: list[str]) -> None:
        code = text(e, 3)
        if code not in _LEVELS:
            raise X12Error(
                f"hierarchical level {shown(code)} is not one of a 277 (20, 21, 19, 22, 23)",
                element="HL03",
            )
        self.level = _LEVELS[code]
        self.claim = self.line = None
        if self.level == "subscriber":
            self.member = None

    def _nm1(self, e: list[str]) -> None:
        if self.level == "source":
            self.payer = optional(e, 3)
        elif self.level == "provider":
            self.npi = optional(e, 9) if optional(e, 8) == "XX" else None
        elif self.level == "subscriber":
            self.member = optional(e, 9) or None
        elif not self.level:
            raise X12Error("NM1 before any HL")

    def _trn(self, e: list[str]) -> None:
        if self.level in ("subscriber", "dependent"):
            self.claim = ClaimStatus(self.control, self.payer, self.npi, text(e, 2), self.member)
            self.line = None
            self.claims.append(self.claim)

    def _code(self, e: list[str], i: int) -> StatusCode | None:
        composite = optional(e, i)
        if not composite:
            return None
        parts = composite.split(self.component) + ["", ""]
        if not parts[0]:
            raise X12Error("the status category is missing", element=element_name(e, i))
        return StatusCode(parts[0], parts[1], parts[2])

    def _stc(self, e: list[str]) -> None:
        codes = [c for i in (1, 10, 11) if (c := self._code(e, i)) is not None]
        if not codes:
            raise X12Error("the claim status is missing", element="STC01")
        stc = Stc(
            codes,
            date8(e, 2) if optional(e, 2) else None,
            amount(e, 4) if optional(e, 4) else None,
            amount(e, 5) if optional(e, 5) else None,
            date8(e, 6) if optional(e, 6) else None,
            date8(e, 8) if optional(e, 8) else None,
            optional(e, 9),
        )
        if self.line is not None:
            self.line.statuses.append(stc)
        elif self.claim is not None:
            self.claim.statuses.append(stc)
        # Receiver and provider level statuses (2200B/C) say nothing of one claim.

    def _ref(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), text(e, 2)
        if self.line is not None and qualifier == "FJ":
            self.line.control_number = value
        elif self.claim is not None and qualifier == "1K":
            self.claim.payer_claim_control_number = value
        elif self.claim is not None and qualifier == "EJ":
            self.claim.claim_id = value

    def _dtp(self, e: list[str]) -> None:
        if self.claim is None or self.line is not None:
            return
        self.claim.service_start, end = date_or_range(e)
        self.claim.service_end = end or self.claim.service_start

    def _svc(self, e: list[str]) -> None:
        if self.claim is None:
            raise X12Error("SVC outside a claim")
        self.line = LineStatus(
            text(e, 1),
            amount(e, 2) if optional(e, 2) else None,
            amount(e, 3) if optional(e, 3) else None,
        )
        self.claim.lines.append(self.line)


def _ignore(e: list[str]) -> None:
    return None


def read_277(source: Source) -> list[ClaimStatus]:
    """Every claim answered in every 277 (005010X212) transaction set in `source`."""
    return [c for claims in read_transactions(source, STATUS_RESPONSE, _Parser()) for c in claims]
