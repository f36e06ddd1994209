"""Reading X12 277CA claim acknowledgments (005010X214).

A 277CA tells, claim by claim, whether the payer (or clearinghouse) took our 837P claims into
adjudication (STC category A1/A2/A5) or rejected them (A3/A4/A6/A7/A8 ...), and why, in STC
status codes. The hierarchy is information source (HL 20) > receiver (21) > billing provider
(19) > patient (PT), with a claim (TRN*2 = our CLM01) and its service lines under the patient.

A rejection above the claims rejects the claims beneath it: the information receiver's status
(2200B) is about the whole batch (its TRN02 is the BHT03 of the 837 answered), the billing
provider's (2200C) about all its claims. A receiver or provider rejected with no claim loop
beneath it rejects every claim of the batch (of that provider) without naming them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.x12.codes import (
    ACCEPTED_CATEGORIES,
    ENTITIES,
    REJECTED_CATEGORIES,
    STATUS_CATEGORIES,
    STATUS_CODES,
    describe,
)
from ptbill.x12.envelope import CLAIM_ACK, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import Delimiters, Source
from ptbill.x12.values import (
    amount,
    date8,
    element_name,
    optional,
    parse_date8,
    shown,
    text,
)

_LEVELS = {"20": "source", "21": "receiver", "19": "provider", "PT": "patient"}


@dataclass(slots=True)
class Status:
    """One status of an STC (STC01, or the extra ones in STC10 / STC11)."""

    category: str
    code: str
    entity: str
    action: str = ""  # STC03 of its segment: WQ accepted, U rejected

    # The category decides; one not in the code list (de-identified files write X9) leaves
    # the verdict to the action code.
    @property
    def accepted(self) -> bool:
        if self.category in STATUS_CATEGORIES:
            return self.category in ACCEPTED_CATEGORIES
        return self.action == "WQ"

    @property
    def rejected(self) -> bool:
        if self.category in STATUS_CATEGORIES:
            return self.category in REJECTED_CATEGORIES
        return self.action == "U"

    @property
    def message(self) -> str:
        words = describe(STATUS_CATEGORIES, self.category, "category")
        if self.code:
            words += "; " + describe(STATUS_CODES, self.code, "status code")
        if self.entity:
            words += f" ({ENTITIES.get(self.entity, 'entity ' + self.entity)})"
        return words


@dataclass(slots=True)
class StatusReport:
    """One STC segment: its statuses, date, action code, amount and free text."""

    statuses: list[Status]
    date: dt.date | None
    action: str  # STC03: WQ accepted, U rejected
    amount: Decimal | None  # STC04: total charge of the claim (or line)
    text: str  # STC12


def _verdict(reports: list[StatusReport]) -> str:
    statuses = [s for r in reports for s in r.statuses]
    if any(s.rejected for s in statuses):
        return "rejected"
    if any(s.accepted for s in statuses):
        return "accepted"
    return "unknown"


@dataclass(slots=True)
class LineAck:
    procedure: str  # SVC01 as sent back, e.g. HC:97110:GP
    charge: Decimal | None
    units: Decimal | None
    control_number: str | None  # REF*FJ: our REF*6R
    reports: list[StatusReport] = field(default_factory=list)

    @property
    def status(self) -> str:
        return _verdict(self.reports)


@dataclass(slots=True)
class Level:
    """What an information receiver and a billing provider both carry: their statuses, the
    counts (QTY) and amounts (AMT) of claims accepted and rejected, the claims listed."""

    name: str = ""
    reports: list[StatusReport] = field(default_factory=list)
    quantities: dict[str, Decimal] = field(default_factory=dict)  # QTY: 90/QA accepted...
    amounts: dict[str, Decimal] = field(default_factory=dict)  # AMT: YU accepted, YY rejected
    claims: int = 0  # claim loops beneath it

    @property
    def status(self) -> str:
        return _verdict(self.reports)


@dataclass(slots=True)
class ReceiverAck(Level):
    """The information receiver (2000B: the submitter of the 837) and the batch's status."""

    batch: str | None = None  # TRN02: the claim transaction batch number, the 837's BHT03


@dataclass(slots=True)
class ProviderAck(Level):
    """A billing provider (2000C) and the status of its claims as a whole."""

    npi: str | None = None
    receiver: ReceiverAck | None = None  # the level above


def rejecting(level: str, reports: list[StatusReport]) -> list[tuple[str, Status]]:
    """(level, status) of each rejecting status among `reports`."""
    return [(level, s) for r in reports for s in r.statuses if s.rejected]


@dataclass(slots=True)
class ClaimAck:
    claim_id: str  # TRN02: our CLM01
    billing_npi: str | None
    payer_claim_control_number: str | None = None  # REF*1K
    clearinghouse_trace: str | None = None  # REF*D9
    service_start: dt.date | None = None
    service_end: dt.date | None = None
    reports: list[StatusReport] = field(default_factory=list)
    lines: list[LineAck] = field(default_factory=list)
    provider: ProviderAck | None = None  # the levels above (links up only: no cycle)
    receiver: ReceiverAck | None = None

    @property
    def inherited(self) -> list[tuple[str, Status]]:
        """The rejecting statuses of the billing provider and the information receiver above
        the claim: they reject it too."""
        provider = rejecting("billing provider", self.provider.reports) if self.provider else []
        receiver = rejecting("receiver", self.receiver.reports) if self.receiver else []
        return provider + receiver

    @property
    def status(self) -> str:
        """accepted, rejected (any rejecting status wins, the claim's, a line's or a level's
        above) or unknown (pending and the like)."""
        if self.inherited:
            return "rejected"
        return _verdict(self.reports + [r for line in self.lines for r in line.reports])

    @property
    def total_charge(self) -> Decimal | None:
        return next((r.amount for r in self.reports if r.amount is not None), None)

    def reasons(self) -> list[str]:
        """Every status of the claim in words: its own, its lines', and the rejecting ones of
        the levels above it."""
        words = [s.message for r in self.reports for s in r.statuses]
        words += [
            f"line {line.control_number or line.procedure}: {s.message}"
            for line in self.lines
            for r in line.reports
            for s in r.statuses
        ]
        return words + [f"{level}: {s.message}" for level, s in self.inherited]

    def rejection_codes(self) -> list[str]:
        """The status codes of every rejecting status that concerns the claim."""
        mine = self.reports + [r for line in self.lines for r in line.reports]
        return [s.code for _, s in rejecting("claim", mine) + self.inherited]


@dataclass(slots=True)
class ClaimAcknowledgment:
    """One 277CA transaction set."""

    control_number: str
    reference: str = ""  # BHT03
    created: dt.date | None = None  # BHT04
    payer: str = ""
    receivers: list[ReceiverAck] = field(default_factory=list)
    providers: list[ProviderAck] = field(default_factory=list)
    claims: list[ClaimAck] = field(default_factory=list)

    @property
    def receiver_reports(self) -> list[StatusReport]:
        return [r for receiver in self.receivers for r in receiver.reports]


def verdict(acks: list[ClaimAcknowledgment]) -> str:
    """The verdict of a 277CA file: rejected when anything is (a claim, a line, a billing
    provider or a receiver), accepted when every claim is (every level, when no claim is
    listed), else pending (received, in process: nothing to fix yet)."""
    levels = [x.status for a in acks for x in (*a.receivers, *a.providers)]
    claims = [c.status for a in acks for c in a.claims]
    if "rejected" in levels or "rejected" in claims:
        return "rejected"
    shown = claims or levels
    return "accepted" if shown and all(s == "accepted" for s in shown) else "pending"


class _Parser:
    def __init__(self) -> None:
        self.handlers = {
            "BHT": self._bht,
            "HL": self._hl,
            "NM1": self._nm1,
            "TRN": self._trn,
            "STC": self._stc,
            "REF": self._ref,
            "DTP": self._dtp,
            "SVC": self._svc,
            "QTY": self._qty,
            "AMT": self._amt,
        }

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.ack = ClaimAcknowledgment(st[2])
        self.level = ""
        self.receiver: ReceiverAck | None = None
        self.provider: ProviderAck | None = None
        self.claim: ClaimAck | None = None
        self.line: LineAck | None = None
        self.seen_bht = False

    def end(self) -> ClaimAcknowledgment:
        if not self.seen_bht:
            raise X12Error("the 277CA has no BHT")
        # As read_277's parser: nothing read stays held by the parser's handler cycle.
        ack = self.ack
        del self.ack
        self.receiver = self.provider = self.claim = self.line = None
        return ack

    def _bht(self, e: list[str]) -> None:
        if self.seen_bht:
            raise X12Error("a second BHT in one transaction set")
        self.ack.reference = optional(e, 3)
        self.ack.created = date8(e, 4) if optional(e, 4) else None
        self.seen_bht = True

    def _hl(self, e: list[str]) -> None:
        level = text(e, 3)
        if level not in _LEVELS:
            raise X12Error(
                f"hierarchical level {shown(level)} is not one of a 277CA (20, 21, 19, PT)",
                element="HL03",
            )
        self.level = _LEVELS[level]
        self.claim = self.line = None
        if self.level == "source":
            self.receiver = self.provider = None
        elif self.level == "receiver":
            self.receiver = ReceiverAck()
            self.ack.receivers.append(self.receiver)
            self.provider = None
        elif self.level == "provider":
            self.provider = ProviderAck(receiver=self.receiver)
            self.ack.providers.append(self.provider)

    def _nm1(self, e: list[str]) -> None:
        entity, name = text(e, 1), optional(e, 3)
        if self.level == "source":
            self.ack.payer = name
        elif self.level == "receiver" and self.receiver is not None:
            self.receiver.name = name
        elif self.level == "provider" and self.provider is not None:
            self.provider.name = name
            self.provider.npi = optional(e, 9) if optional(e, 8) == "XX" else None
        elif not self.level:
            raise X12Error(f"NM1*{entity} before any HL")

    def _trn(self, e: list[str]) -> None:
        text(e, 2)
        if self.level == "patient":
            provider, receiver = self.provider, self.receiver
            self.claim = ClaimAck(
                e[2], provider.npi if provider else None, provider=provider, receiver=receiver
            )
            self.line = None
            self.ack.claims.append(self.claim)
            for level in (provider, receiver):
                if level is not None:
                    level.claims += 1
        elif self.level == "receiver" and self.receiver is not None:
            self.receiver.batch = e[2]

    def _status(self, e: list[str], i: int) -> Status | None:
        composite = optional(e, i)
        if not composite:
            return None
        parts = composite.split(self.component)
        if not parts[0]:
            raise X12Error("the status category is missing", element=element_name(e, i))
        return Status(
            parts[0],
            parts[1] if len(parts) > 1 else "",
            parts[2] if len(parts) > 2 else "",
            optional(e, 3),
        )

    def _stc(self, e: list[str]) -> None:
        first = self._status(e, 1)
        if first is None:
            raise X12Error("the claim status is missing", element="STC01")
        statuses = [first] + [s for i in (10, 11) if (s := self._status(e, i)) is not None]
        report = StatusReport(
            statuses,
            date8(e, 2) if optional(e, 2) else None,
            optional(e, 3),
            amount(e, 4) if optional(e, 4) else None,
            optional(e, 12),
        )
        if self.line is not None:
            self.line.reports.append(report)
        elif self.claim is not None:
            self.claim.reports.append(report)
        elif self.level == "provider" and self.provider is not None:
            self.provider.reports.append(report)
        elif self.level == "receiver" and self.receiver is not None:
            self.receiver.reports.append(report)
        else:
            raise X12Error("STC outside a receiver, provider or claim")

    def _ref(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), text(e, 2)
        if self.line is not None and qualifier == "FJ":
            self.line.control_number = value
        elif self.claim is not None and qualifier == "1K":
            self.claim.payer_claim_control_number = value
        elif self.claim is not None and qualifier == "D9":
            self.claim.clearinghouse_trace = value

    def _dtp(self, e: list[str]) -> None:
        if self.claim is None or self.line is not None:
            return  # source dates (050, 009) and line dates: not needed
        fmt, value = text(e, 2), text(e, 3)
        if fmt == "D8":
            self.claim.service_start = self.claim.service_end = date8(e, 3)
        elif fmt == "RD8":
            start, _, stop = value.partition("-")
            self.claim.service_start = parse_date8(start, "DTP03")
            self.claim.service_end = parse_date8(stop, "DTP03")
        else:
            raise X12Error(f"date format {shown(fmt)} is neither D8 nor RD8", element="DTP02")

    def _svc(self, e: list[str]) -> None:
        if self.claim is None:
            raise X12Error("SVC outside a claim")
        self.line = LineAck(
            text(e, 1),
            amount(e, 2) if optional(e, 2) else None,
            amount(e, 7) if optional(e, 7) else None,
            None,
        )
        self.claim.lines.append(self.line)

    def _level(self) -> Level | None:
        """The receiver or provider whose QTY and AMT segments these are."""
        if self.level == "provider":
            return self.provider
        return self.receiver if self.level == "receiver" else None

    def _qty(self, e: list[str]) -> None:
        if (level := self._level()) is not None:
            level.quantities[text(e, 1)] = amount(e, 2)

    def _amt(self, e: list[str]) -> None:
        if (level := self._level()) is not None:
            level.amounts[text(e, 1)] = amount(e, 2)


def read_277ca(source: Source, warnings: list[str] | None = None) -> list[ClaimAcknowledgment]:
    """Every 277CA transaction set in `source` (a path or an open text stream). What is odd but
    readable is added to `warnings`."""
    return list(read_transactions(source, CLAIM_ACK, _Parser(), warnings=warnings))
