"""What of a payment was posted before (`ptbill post`, ptbill.remit.post): the payment itself,
by its identity, or some of its claim payments (ptbill.ledger.identity).

A claim payment's decision may post more than once only when it was reversed in between: its
postings are counted by identity, originals and reversals apart (claim_payments.occurrence).
An original is already posted while its postings outnumber its reversals (those later in the
same payment counted: a corrected payment may come before the reversal); a reversal is already
posted when its reversals reach its postings (and at least one was posted: a reversal of a
decision posted before the ledger existed posts once).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ptbill.ledger import models as m
from ptbill.ledger.identity import claim_payment_identity
from ptbill.remit.post_match import select_in
from ptbill.x12 import RemittanceClaim


@dataclass(frozen=True)
class Earlier:
    """A payment, or a claim payment (`claim`: its CLP01), that was posted before."""

    trace_number: str
    payer: str
    amount: Decimal  # the payment's (BPR02), or the claim payment's (CLP04)
    payment_date: dt.date | None
    posted_on: dt.date  # the date of the remittance it posted with
    remittance_id: int
    file_name: str
    claim: str | None = None
    in_trace: str | None = None  # a claim payment's: the new payment that carried it again

    def text(self) -> str:
        what = (
            f"claim {self.claim} ({self.amount} paid) in payment {self.in_trace}"
            if self.claim is not None
            else f"payment of {self.amount} from {self.payer}"
        )
        return (
            f"{what}: already posted on {self.posted_on} (trace {self.trace_number}), "
            f"remittance #{self.remittance_id} ({self.file_name})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "trace_number": self.trace_number,
            "payer": self.payer,
            "amount": self.amount,
            "payment_date": self.payment_date,
            "posted_on": self.posted_on,
            "remittance_id": self.remittance_id,
            "file_name": self.file_name,
            "claim": self.claim,
            "in_trace": self.in_trace,
            "message": self.text(),
        }


def _earlier_rows(conn: Connection, *where: Any) -> Any:
    p, r = m.Payment, m.Remittance
    return conn.execute(
        select(
            p.trace_number,
            p.payer_name,
            p.amount,
            p.payment_date,
            r.received_on,
            r.id,
            r.file_name,
        )
        .join(r, r.id == p.remittance_id)
        .where(*where)
        .order_by(p.id)
    )


def earlier_payment(conn: Connection, identity: str) -> Earlier | None:
    row = _earlier_rows(conn, m.Payment.identity == identity).first()
    return Earlier(*row) if row is not None else None


def earlier_payments(conn: Connection, remittance_id: int) -> list[Earlier]:
    """The payments of a remittance, as already posted (the same file again)."""
    return [Earlier(*row) for row in _earlier_rows(conn, m.Payment.remittance_id == remittance_id)]


_COUNT_SQL = (
    "SELECT identity, reversal, MAX(occurrence) FROM claim_payments "
    "WHERE identity IN ({}) GROUP BY identity, reversal"
)


class ClaimPostings:
    """The claim payments of one payment against what was posted before. take() each in
    order: its identity and occurrence to store, or the Earlier posting it repeats."""

    def __init__(self, conn: Connection, payer: str, claims: list[RemittanceClaim]) -> None:
        self.conn = conn
        self.identities = [
            claim_payment_identity(
                payer, cp.claim_id, cp.payer_claim_control_number, cp.charge, cp.paid
            )
            for cp in claims
        ]
        wanted = list({i for i in self.identities if i is not None})
        self.posted: Counter[tuple[str, bool]] = Counter(
            {(i, bool(rev)): n for i, rev, n in select_in(conn, _COUNT_SQL, wanted)}
        )
        # Reversals of this payment not taken yet.
        self.reversals_ahead: Counter[str] = Counter(
            i for i, cp in zip(self.identities, claims, strict=True) if i and cp.is_reversal
        )

    def take(self, seq: int, cp: RemittanceClaim) -> tuple[str | None, int | None, bool]:
        """(identity, occurrence, already posted) of the payment's claim payment `seq`
        (1-based): identity and occurrence None when it is not stored as a posting."""
        identity = self.identities[seq - 1]
        if identity is None:
            return None, None, False
        originals, reversals = self.posted[identity, False], self.posted[identity, True]
        if cp.is_reversal:
            self.reversals_ahead[identity] -= 1
            already = reversals >= max(originals, 1)
        else:
            already = originals > reversals + self.reversals_ahead[identity]
        if already:
            return None, None, True
        self.posted[identity, cp.is_reversal] += 1
        return identity, self.posted[identity, cp.is_reversal], False

    def earlier(self, seq: int, cp: RemittanceClaim, in_trace: str) -> Earlier | None:
        """The posting that claim payment `seq` repeats (the latest one; None: one earlier in
        the same payment, not written yet)."""
        c = m.ClaimPayment
        row = _earlier_rows(
            self.conn,
            m.Payment.id
            == select(c.payment_id)
            .where(c.identity == self.identities[seq - 1], c.reversal.is_(cp.is_reversal))
            .order_by(c.occurrence.desc())
            .limit(1)
            .scalar_subquery(),
        ).first()
        if row is None:
            return None
        trace, payer, _, payment_date, posted_on, remittance_id, file_name = row
        return Earlier(
            trace,
            payer,
            cp.paid,
            payment_date,
            posted_on,
            remittance_id,
            file_name,
            claim=cp.claim_id,
            in_trace=in_trace,
        )
