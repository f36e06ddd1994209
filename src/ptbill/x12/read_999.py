"""Reading X12 999 implementation acknowledgments (005010X231A1), and TA1 interchange
acknowledgments found in the same file.

A 999 answers one functional group of our 837P: per transaction set (AK2 .. IK5) whether it was
accepted, with the segments (IK3) and elements (IK4) in error; per group (AK9) the verdict and
counts. Every code comes with plain words (ptbill.x12.codes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ptbill.x12.codes import (
    ACCEPTED_ACK,
    ACK_STATUS,
    ELEMENT_ERRORS,
    GROUP_ERRORS,
    INTERCHANGE_NOTES,
    SECURITY_ERROR,
    SEGMENT_ERRORS,
    TRANSACTION_ERRORS,
    describe,
)
from ptbill.x12.envelope import ACKNOWLEDGMENT, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import Delimiters, Source
from ptbill.x12.values import code, count, optional, text

_TA1_STATUS = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}


class _Verdict:
    """`accepted` and `status` in words from an acknowledgment code (IK501, AK901)."""

    __slots__ = ()
    status_code: str

    @property
    def accepted(self) -> bool:
        return self.status_code in ACCEPTED_ACK

    @property
    def status(self) -> str:
        return ACK_STATUS[self.status_code]


@dataclass(slots=True)
class ElementError:
    position: str  # IK401: element position (:component position:repetition)
    reference: str  # IK402: data element reference number
    code: str  # IK403
    bad_value: str  # IK404: a copy of the bad data, when sent

    @property
    def message(self) -> str:
        return describe(ELEMENT_ERRORS, self.code, "element error")


@dataclass(slots=True)
class SegmentError:
    segment_id: str  # IK301
    position: int  # IK302: position in the transaction set (ST = 1)
    loop: str  # IK303
    code: str  # IK304
    claim_id: str | None = None  # from a CTX*CLM01 business unit context, when sent
    elements: list[ElementError] = field(default_factory=list)

    @property
    def message(self) -> str:
        return describe(SEGMENT_ERRORS, self.code, "segment error")


@dataclass(slots=True)
class TransactionAck(_Verdict):
    transaction_set: str  # AK201, e.g. 837
    control_number: str  # AK202: our ST02
    implementation: str  # AK203
    status_code: str = ""  # IK501
    error_codes: list[str] = field(default_factory=list)  # IK502-IK506
    segments: list[SegmentError] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [describe(TRANSACTION_ERRORS, c, "transaction set error") for c in self.error_codes]


@dataclass(slots=True)
class GroupAck(_Verdict):
    ack_control_number: str  # ST02 of the 999
    functional_id: str  # AK101, HC for claims
    group_control_number: str  # AK102: our GS06
    version: str  # AK103
    status_code: str = ""  # AK901
    included: int = 0  # AK902: transaction sets in our group
    received: int = 0  # AK903
    accepted_count: int = 0  # AK904
    error_codes: list[str] = field(default_factory=list)  # AK905-AK909
    transactions: list[TransactionAck] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        return [
            GROUP_ERRORS.get(c)
            or (SECURITY_ERROR if c.isdigit() and 10 <= int(c) <= 26 else f"group error {c}")
            for c in self.error_codes
        ]


@dataclass(slots=True)
class InterchangeAck:
    """TA1: the verdict on an interchange envelope (our ISA13)."""

    control_number: str
    date: dt.date | None
    status_code: str  # A, E, R
    note_code: str

    @property
    def accepted(self) -> bool:
        return self.status_code in ("A", "E")

    @property
    def status(self) -> str:
        return _TA1_STATUS[self.status_code]

    @property
    def message(self) -> str:
        """The note in words; empty when the TA1 sends none (TA105 left out)."""
        if not self.note_code:
            return ""
        return describe(INTERCHANGE_NOTES, self.note_code, "interchange note")


@dataclass(slots=True)
class Acknowledgments:
    groups: list[GroupAck] = field(default_factory=list)
    interchanges: list[InterchangeAck] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """TA1 for a file of interchange acknowledgments only, else 999."""
        return "TA1" if self.interchanges and not self.groups else "999"

    @property
    def accepted(self) -> bool:
        return all(
            g.accepted and all(t.accepted for t in g.transactions) for g in self.groups
        ) and all(i.accepted for i in self.interchanges)


class _Parser:
    def __init__(self) -> None:
        self.handlers = {
            "AK1": self._ak1,
            "AK2": self._ak2,
            "IK3": self._ik3,
            "CTX": self._ctx,
            "IK4": self._ik4,
            "IK5": self._ik5,
            "AK9": self._ak9,
        }
        self.interchanges: list[InterchangeAck] = []

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.st02 = st[2]
        self.group: GroupAck | None = None
        self.transaction: TransactionAck | None = None
        self.segment: SegmentError | None = None
        self.closed = False  # AK9 read

    def end(self) -> GroupAck:
        if self.group is None:
            raise X12Error("the 999 has no AK1 (which group it answers)")
        if not self.closed:
            raise X12Error("the 999 has no AK9 (the verdict on the group)")
        if self.transaction is not None:
            raise X12Error(f"transaction set {self.transaction.control_number} has no IK5")
        return self.group

    def _open_group(self, sid: str) -> GroupAck:
        if self.group is None or self.closed:
            raise X12Error(f"{sid} outside the AK1 .. AK9 of a group")
        return self.group

    def _open_transaction(self, sid: str) -> TransactionAck:
        if self.transaction is None:
            raise X12Error(f"{sid} outside an AK2 .. IK5 transaction set response")
        return self.transaction

    def _ak1(self, e: list[str]) -> None:
        if self.group is not None:
            raise X12Error("a second AK1 in one 999 transaction set")
        self.group = GroupAck(self.st02, text(e, 1), text(e, 2), optional(e, 3))

    def _ak2(self, e: list[str]) -> None:
        group = self._open_group("AK2")
        if self.transaction is not None:
            raise X12Error(
                f"AK2 before the IK5 of transaction set {self.transaction.control_number}"
            )
        self.transaction = TransactionAck(text(e, 1), text(e, 2), optional(e, 3))
        self.segment = None
        group.transactions.append(self.transaction)

    def _ik3(self, e: list[str]) -> None:
        transaction = self._open_transaction("IK3")
        self.segment = SegmentError(
            text(e, 1),
            count(e, 2),
            optional(e, 3),
            code(e, 4, SEGMENT_ERRORS, "segment error code") if optional(e, 4) else "",
        )
        transaction.segments.append(self.segment)

    def _ctx(self, e: list[str]) -> None:
        self._open_transaction("CTX")
        name, _, reference = text(e, 1).partition(self.component)
        if name == "CLM01" and self.segment is not None:
            self.segment.claim_id = reference

    def _ik4(self, e: list[str]) -> None:
        if self.segment is None:
            raise X12Error("IK4 outside an IK3 segment error")
        self.segment.elements.append(
            ElementError(
                text(e, 1),
                optional(e, 2),
                code(e, 3, ELEMENT_ERRORS, "element error code"),
                optional(e, 4),
            )
        )

    def _ik5(self, e: list[str]) -> None:
        transaction = self._open_transaction("IK5")
        transaction.status_code = code(e, 1, ACK_STATUS, "acknowledgment code")
        transaction.error_codes = [c for c in e[2:7] if c]
        self.transaction = self.segment = None

    def _ak9(self, e: list[str]) -> None:
        group = self._open_group("AK9")
        if self.transaction is not None:
            raise X12Error(
                f"AK9 before the IK5 of transaction set {self.transaction.control_number}"
            )
        group.status_code = code(e, 1, ACK_STATUS, "acknowledgment code")
        group.included, group.received = count(e, 2), count(e, 3)
        group.accepted_count = count(e, 4)
        group.error_codes = [c for c in e[5:10] if c]
        self.closed = True

    def _ta1(self, e: list[str]) -> None:
        date = None
        if optional(e, 2):
            date = _ta1_date(e[2])
        self.interchanges.append(
            InterchangeAck(
                text(e, 1),
                date,
                code(e, 4, _TA1_STATUS, "interchange acknowledgment code"),
                optional(e, 5),
            )
        )


def _ta1_date(s: str) -> dt.date:
    """TA102, written YYMMDD; some senders write CCYYMMDD, which says the same unambiguously."""
    if len(s) not in (6, 8) or not (s.isascii() and s.isdigit()):
        raise X12Error("not a date written YYMMDD", element="TA102")
    year = 2000 + int(s[:2]) if len(s) == 6 else int(s[:4])
    try:
        return dt.date(year, int(s[-4:-2]), int(s[-2:]))
    except ValueError:
        raise X12Error("not a date written YYMMDD", element="TA102") from None


def read_999(source: Source, warnings: list[str] | None = None) -> Acknowledgments:
    """Every functional group acknowledgment (999) and interchange acknowledgment (TA1).
    What is odd but readable is added to `warnings`."""
    parser = _Parser()
    groups = list(read_transactions(source, ACKNOWLEDGMENT, parser, {"TA1": parser._ta1}, warnings))
    return Acknowledgments(groups, parser.interchanges)
