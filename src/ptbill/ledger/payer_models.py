"""The ledger's tables for talking to payers (migration 0003): the 270s and 276s ptbill wrote
and what each asked about, the 271 and 277 answers, and the clearinghouse exchange (its runs,
every upload and download, and its own audit trail, one row per outcome).

Imported by ptbill.ledger.models, so that one metadata holds every ledger table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ptbill.ledger.base import Base, _fk
from ptbill.ledger.types import Money


class OutboundFile(Base):
    """A 270 or 276 interchange ptbill wrote (837Ps are `submissions`)."""

    __tablename__ = "outbound_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(4))  # 270 or 276
    interchange_control_number: Mapped[int] = mapped_column(Integer, unique=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    created_on: Mapped[dt.date] = mapped_column(Date)
    item_count: Mapped[int] = mapped_column(Integer)


class OutboundItem(Base):
    """One patient asked about in a 270, or one claim in a 276, by the trace number (TRN02)
    its answer returns."""

    __tablename__ = "outbound_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbound_id: Mapped[int] = _fk("outbound_files.id")
    trace: Mapped[str] = mapped_column(String(50), unique=True)
    patient_id: Mapped[int | None] = _fk("patients.id", nullable=True)
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True, index=False)
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    visit_id: Mapped[str | None] = mapped_column(String(38))
    payer_key: Mapped[str] = mapped_column(String(64))
    service_date: Mapped[dt.date] = mapped_column(Date)


class InboundFile(Base):
    """A file the payer side sent, applied once: its sha256 is unique."""

    __tablename__ = "inbound_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(6))  # 999 TA1 277CA 277 271 835, or other
    status: Mapped[str] = mapped_column(String(12))  # applied, set_aside
    detail: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)
    run_id: Mapped[int | None] = _fk("exchange_runs.id", nullable=True)
    content: Mapped[str] = mapped_column(Text)


class ExchangeRun(Base):
    """One `ptbill exchange run`: what it sent, received and applied."""

    __tablename__ = "exchange_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clearinghouse: Mapped[str] = mapped_column(String(64))
    run_on: Mapped[dt.date] = mapped_column(Date)
    who: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))  # running, ok, problems, failed
    uploaded: Mapped[int] = mapped_column(Integer, default=0)
    downloaded: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    set_aside: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp()
    )


class ExchangeEvent(Base):
    """The exchange's audit trail: every upload, download, application, archive and failure."""

    __tablename__ = "exchange_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = _fk("exchange_runs.id")
    action: Mapped[str] = mapped_column(String(12))  # upload download apply archive connect
    file: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(6))
    outcome: Mapped[str] = mapped_column(String(12))  # ok, duplicate, set_aside, failed
    detail: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp()
    )


class Upload(Base):
    """An outbound file put in the clearinghouse's mailbox (sha256 unique: sent once)."""

    __tablename__ = "exchange_uploads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(4))  # 837, 270, 276
    source_id: Mapped[int] = mapped_column(Integer)  # submissions.id or outbound_files.id
    remote_name: Mapped[str] = mapped_column(String(300))
    uploaded_on: Mapped[dt.date] = mapped_column(Date)
    run_id: Mapped[int | None] = _fk("exchange_runs.id", nullable=True, index=False)
    # Migration 0012: the upload's progress, recorded before each step so that a run killed
    # between the server's rename and this row's `sent` is reconciled by the next run (sending:
    # the whole file may not be on the server yet; placed: written whole under its temporary
    # name, the rename next; sent) and the clearinghouse whose mailbox it goes to.
    state: Mapped[str] = mapped_column(String(8), server_default="sent")
    clearinghouse: Mapped[str | None] = mapped_column(String(64))


class ExchangeLease(Base):
    """The run of a clearinghouse going now (migration 0012): one row a clearinghouse, so a
    second run is refused; renewed as the run works, taken over once its process is known
    dead or it is not renewed before `expires_at` (ptbill.exchange.lease)."""

    __tablename__ = "exchange_leases"
    clearinghouse: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int | None] = mapped_column(Integer)
    who: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC


class EligibilityCheck(Base):
    """One person's 271 answer, as ptbill reads it (ptbill.x12.benefits)."""

    __tablename__ = "eligibility_checks"
    __table_args__ = (Index("ix_eligibility_checks_patient", "patient_id", "checked_on"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = _fk("inbound_files.id")
    trace: Mapped[str | None] = mapped_column(String(50))
    patient_id: Mapped[int | None] = _fk("patients.id", nullable=True, index=False)
    payer_id: Mapped[int | None] = _fk("payers.id", nullable=True, index=False)
    member_id: Mapped[str | None] = mapped_column(String(80))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    service_date: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool | None] = mapped_column(Boolean)
    plan_begin: Mapped[dt.date | None] = mapped_column(Date)
    plan_end: Mapped[dt.date | None] = mapped_column(Date)
    deductible_remaining: Mapped[Decimal | None] = mapped_column(Money)
    out_of_pocket_remaining: Mapped[Decimal | None] = mapped_column(Money)
    coinsurance_percent: Mapped[Decimal | None] = mapped_column(Money)
    copay: Mapped[Decimal | None] = mapped_column(Money)
    visit_limit: Mapped[int | None] = mapped_column(Integer)
    visits_used: Mapped[int | None] = mapped_column(Integer)
    visits_remaining: Mapped[int | None] = mapped_column(Integer)
    prior_authorization_required: Mapped[bool | None] = mapped_column(Boolean)
    medicare: Mapped[bool] = mapped_column(Boolean, default=False)
    therapy_amount_applied: Mapped[Decimal | None] = mapped_column(Money)
    errors: Mapped[str] = mapped_column(Text)  # JSON list
    result_json: Mapped[str] = mapped_column(Text)


class ClaimStatusCheck(Base):
    """One claim's 277 answer."""

    __tablename__ = "claim_status_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = _fk("inbound_files.id")
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    trace: Mapped[str] = mapped_column(String(50))
    reference: Mapped[str] = mapped_column(String(50))  # our claim number, as answered
    checked_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12))  # pending finalized denied not_found ...
    category: Mapped[str] = mapped_column(String(4))
    code: Mapped[str] = mapped_column(String(10))
    detail: Mapped[str] = mapped_column(Text)
    payer_claim_control_number: Mapped[str | None] = mapped_column(String(50))
    paid: Mapped[Decimal | None] = mapped_column(Money)
