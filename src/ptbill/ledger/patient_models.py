"""The ledger's tables for what follows the primary payer (migration 0004): a patient's
coverages in order with their dates, the patient's own payments, refunds and write-offs and
where each was applied, and the statements sent.

Imported by ptbill.ledger.models, so that one metadata holds every ledger table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ptbill.ledger.base import Base, _fk
from ptbill.ledger.types import Money


class PatientCoverage(Base):
    """One of a patient's coverages at one rank (1 primary, 2 secondary, 3 tertiary) from
    `start_date` to `end_date` (inclusive; None: still in force). Made from the visits'
    `coverages` (a visit in force at a later date closes a coverage it no longer lists) or
    added by hand (`ptbill coverage add`)."""

    __tablename__ = "patient_coverages"
    __table_args__ = (UniqueConstraint("patient_id", "coverage_id", "rank", "start_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id")
    coverage_id: Mapped[int] = _fk("coverages.id", index=False)
    rank: Mapped[int] = mapped_column(Integer)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # The subscriber as the visit format gives it (JSON): the claim to this payer names them.
    subscriber_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(60))  # visit:ID, or who added it


class PatientTransaction(Base):
    """Money between the clinic and the patient: a payment (amount > 0), a refund paid back
    (amount > 0), or a write-off of the patient's balance. Applications say which claims a
    payment or write-off paid; what a payment leaves unapplied is the patient's credit."""

    __tablename__ = "patient_transactions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id")
    kind: Mapped[str] = mapped_column(String(10))  # payment, refund, writeoff
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(10))  # card, cash, check (none: write-off)
    reference: Mapped[str] = mapped_column(String(50))
    on_date: Mapped[dt.date] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


class PatientApplication(Base):
    """Part of a payment or write-off applied to a claim's patient balance (the primary claim
    of the visit stands for its secondary and tertiary claims). Negative: taken back to the
    patient's credit when a later decision lowered the balance below what was applied."""

    __tablename__ = "patient_applications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = _fk("patient_transactions.id")
    claim_id: Mapped[int] = _fk("claims.id")
    amount: Mapped[Decimal] = mapped_column(Money)
    on_date: Mapped[dt.date] = mapped_column(Date)


class Statement(Base):
    """A statement sent to a patient: its dunning step (first, reminder, final), the balance
    it asked for, and what it listed (JSON)."""

    __tablename__ = "statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id")
    statement_date: Mapped[dt.date] = mapped_column(Date)
    step: Mapped[str] = mapped_column(String(12))
    balance: Mapped[Decimal] = mapped_column(Money)
    detail_json: Mapped[str] = mapped_column(Text)
