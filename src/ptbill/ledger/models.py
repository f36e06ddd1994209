"""The ledger's tables (SQLAlchemy 2). The schema itself is created by the Alembic migrations
in ptbill/ledger/migrations; a test checks that these models and the migrated schema agree.

Money columns are `Money` (NUMERIC on PostgreSQL, integer cents on SQLite; Decimal in Python).
Dates are business dates given to the commands (`--as-of`, the 835's dates), never the clock;
only `audit_log.recorded_at` is a database timestamp, written for the audit trail and read by
nothing that computes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, MappedSQLExpression, column_property, mapped_column

from ptbill.ledger.base import Base, _fk
from ptbill.ledger.types import Money

# --- who and what ---------------------------------------------------------------------------


class Clinic(Base):
    """A billing provider: a configured clinic, or one a visit file carried (key `npi:NPI`)."""

    __tablename__ = "clinics"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    npi: Mapped[str] = mapped_column(String(10))
    tax_id: Mapped[str] = mapped_column(String(12))


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    npi: Mapped[str] = mapped_column(String(10), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(60))
    last_name: Mapped[str | None] = mapped_column(String(60))
    credential: Mapped[str | None] = mapped_column(String(20))


class Payer(Base):
    """A payer profile as it stood when a visit of it was last imported."""

    __tablename__ = "payers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    payer_id: Mapped[str] = mapped_column(String(80))
    medicare: Mapped[bool] = mapped_column(Boolean, default=False)
    kx_threshold: Mapped[bool] = mapped_column(Boolean, default=False)
    timely_filing_days: Mapped[int] = mapped_column(Integer)
    appeal_days: Mapped[int] = mapped_column(Integer)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("clinic_id", "external_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clinic_id: Mapped[int] = _fk("clinics.id", index=False)
    external_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))


class Coverage(Base):
    __tablename__ = "coverages"
    __table_args__ = (UniqueConstraint("patient_id", "payer_id", "member_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id", index=False)
    payer_id: Mapped[int] = _fk("payers.id")
    member_id: Mapped[str] = mapped_column(String(80))
    relationship: Mapped[str] = mapped_column(String(10))
    group_number: Mapped[str | None] = mapped_column(String(50))


class PlanOfCare(Base):
    __tablename__ = "plans_of_care"
    __table_args__ = (UniqueConstraint("patient_id", "start_date"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id", index=False)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    certified_date: Mapped[dt.date | None] = mapped_column(Date)
    certifying_npi: Mapped[str | None] = mapped_column(String(10))


class Authorization(Base):
    __tablename__ = "authorizations"
    __table_args__ = (UniqueConstraint("patient_id", "payer_id", "auth_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = _fk("patients.id", index=False)
    payer_id: Mapped[int] = _fk("payers.id")
    # number|start_date: an authorization without a number is still one row per start date.
    auth_key: Mapped[str] = mapped_column(String(80))
    number: Mapped[str | None] = mapped_column(String(50))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    visits_authorized: Mapped[int | None] = mapped_column(Integer)
    units_authorized: Mapped[int | None] = mapped_column(Integer)


class Visit(Base):
    """A visit as imported: the JSON as given, and the episode context the ledger derived."""

    __tablename__ = "visits"
    __table_args__ = (Index("ix_visits_patient_dos", "patient_id", "date_of_service"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(38), unique=True)
    clinic_id: Mapped[int] = _fk("clinics.id", index=False)
    patient_id: Mapped[int] = _fk("patients.id", index=False)
    payer_id: Mapped[int] = _fk("payers.id")
    coverage_id: Mapped[int] = _fk("coverages.id", index=False)
    plan_of_care_id: Mapped[int | None] = _fk("plans_of_care.id", nullable=True, index=False)
    authorization_id: Mapped[int | None] = _fk("authorizations.id", nullable=True, index=False)
    rendering_npi: Mapped[str] = mapped_column(String(10))
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    visit_number: Mapped[int | None] = mapped_column(Integer)
    progress_report: Mapped[bool] = mapped_column(Boolean, default=False)
    units_billed: Mapped[int] = mapped_column(Integer, default=0)
    # The authorization's use before this visit, as given or derived (the next visit's anchor).
    auth_visits_used: Mapped[int | None] = mapped_column(Integer)
    auth_units_used: Mapped[int | None] = mapped_column(Integer)
    therapy_amount_ytd: Mapped[Decimal | None] = mapped_column(Money)
    # The visit as given (pydantic dump of the fields the file set) and its hash.
    source_json: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    # The visit with the derived episode, when anything was derived (else NULL).
    effective_json: Mapped[str | None] = mapped_column(Text)
    derived: Mapped[str | None] = mapped_column(String(200))  # derived fields, comma separated
    source_file: Mapped[str] = mapped_column(String(300))
    imported_on: Mapped[dt.date] = mapped_column(Date)


# --- claims -----------------------------------------------------------------------------------


class Claim(Base):
    """A claim to one payer for one visit. The primary claim's `claim_number` (CLM01, the
    835's CLP01) is the visit id; a secondary or tertiary claim (ptbill.ledger.secondary) is a
    claim of its own for the same visit, linked to the primary (migration 0004)."""

    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_number: Mapped[str] = mapped_column(String(38), unique=True)
    visit_pk: Mapped[int] = _fk("visits.id")
    patient_id: Mapped[int] = _fk("patients.id")
    payer_id: Mapped[int] = _fk("payers.id")
    state: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    charge: Mapped[Decimal] = mapped_column(Money)
    expected_allowed: Mapped[Decimal | None] = mapped_column(Money)
    expected_payment: Mapped[Decimal | None] = mapped_column(Money)
    # Running totals of what was posted (signed: reversals subtract).
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    patient_responsibility: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    contractual: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    denied: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    written_off: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    payer_control_number: Mapped[str | None] = mapped_column(String(50))
    first_submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    last_submitted_on: Mapped[dt.date | None] = mapped_column(Date)
    # The payer's first verdict on the first submission: accepted or rejected.
    first_response: Mapped[str | None] = mapped_column(String(10))
    first_determined_on: Mapped[dt.date | None] = mapped_column(Date)
    determined_on: Mapped[dt.date | None] = mapped_column(Date)
    created_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    # Coordination of benefits: 1 primary, 2 secondary, 3 tertiary (SBR01 P, S, T); the
    # primary claim of a secondary or tertiary one; crossover: the primary payer forwarded
    # the claim itself (no 837P is sent for it).
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    primary_claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    crossover: Mapped[bool] = mapped_column(Boolean, default=False)


class StoredText(Base):
    """A JSON text many rows share, stored once: a priced line's math and basis, a visit's
    pricing notes, a line's explanation, a version's findings. 100,000 demo visits hold 19,710
    distinct ones among 772,000 uses (ptbill.ledger.texts)."""

    __tablename__ = "texts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)


def _text_id() -> Mapped[int | None]:
    # Nullable: SQLite cannot make a column it adds NOT NULL (migration 0002). Not indexed:
    # texts are never deleted.
    return _fk("texts.id", nullable=True, index=False)


def _text(column: Mapped[int | None]) -> MappedSQLExpression[Any]:
    """The body of the text a column points to, read with the row (read-only)."""
    return column_property(select(StoredText.body).where(StoredText.id == column).scalar_subquery())


class ClaimVersion(Base):
    __tablename__ = "claim_versions"
    __table_args__ = (UniqueConstraint("claim_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = _fk("claims.id", index=False)
    version: Mapped[int] = mapped_column(Integer)
    frequency_code: Mapped[str] = mapped_column(String(1))
    original_claim_id: Mapped[str | None] = mapped_column(String(50))
    scrub_status: Mapped[str] = mapped_column(String(10))
    findings_text_id: Mapped[int | None] = _text_id()
    pricing_notes_text_id: Mapped[int | None] = _text_id()
    findings_json: Mapped[str] = _text(findings_text_id)
    pricing_notes_json: Mapped[str | None] = _text(pricing_notes_text_id)
    charge: Mapped[Decimal] = mapped_column(Money)
    expected_payment: Mapped[Decimal | None] = mapped_column(Money)
    created_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # A secondary or tertiary claim's version: the earlier payer's decision (claim payment)
    # its loops 2320/2430 carry (migration 0004).
    basis_payment_id: Mapped[int | None] = _fk("claim_payments.id", nullable=True, index=False)


class ClaimLine(Base):
    __tablename__ = "claim_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = _fk("claim_versions.id")
    line_number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(20))  # space separated
    units: Mapped[int] = mapped_column(Integer)
    charge: Mapped[Decimal | None] = mapped_column(Money)  # None: no chargemaster entry
    pointers: Mapped[str] = mapped_column(String(20))  # comma separated, 1-based
    minutes: Mapped[int | None] = mapped_column(Integer)
    assistant_minutes: Mapped[int] = mapped_column(Integer, default=0)
    date_of_service: Mapped[dt.date] = mapped_column(Date)
    # REF*6R: unique across the ledger; the 835 returns it.
    control_number: Mapped[str] = mapped_column(String(50), unique=True)
    explanation_text_id: Mapped[int | None] = _text_id()
    price_status: Mapped[str] = mapped_column(String(10))
    expected_allowed: Mapped[Decimal | None] = mapped_column(Money)
    expected_payment: Mapped[Decimal | None] = mapped_column(Money)
    expected_patient: Mapped[Decimal | None] = mapped_column(Money)
    price_text_id: Mapped[int | None] = _text_id()
    explanation_json: Mapped[str] = _text(explanation_text_id)
    price_json: Mapped[str | None] = _text(price_text_id)


# --- submissions and acknowledgements ---------------------------------------------------------


class Counter(Base):
    """Persistent counters (ISA13, GS06): each number is used once, ever."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    interchange_control_number: Mapped[int] = mapped_column(Integer, unique=True)
    group_control_number: Mapped[int] = mapped_column(Integer, unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_on: Mapped[dt.date] = mapped_column(Date)
    claim_count: Mapped[int] = mapped_column(Integer)
    total_charge: Mapped[Decimal] = mapped_column(Money)


class SubmissionClaim(Base):
    __tablename__ = "submission_claims"
    __table_args__ = (UniqueConstraint("submission_id", "claim_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = _fk("submissions.id", index=False)
    claim_id: Mapped[int] = _fk("claims.id")
    version_id: Mapped[int] = _fk("claim_versions.id", index=False)
    transaction_set: Mapped[str] = mapped_column(String(9))  # ST02


class Acknowledgement(Base):
    __tablename__ = "acknowledgements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(6))  # 999 or 277CA
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)


class AckResult(Base):
    __tablename__ = "ack_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ack_id: Mapped[int] = _fk("acknowledgements.id")
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    version: Mapped[int | None] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(50))  # CLM01, or the ST02 for a 999
    status: Mapped[str] = mapped_column(String(10))  # accepted, rejected, unknown
    detail: Mapped[str] = mapped_column(Text)


# --- remittances ------------------------------------------------------------------------------


class Remittance(Base):
    """An 835 file as posted; its sha256 is unique, so one file posts once."""

    __tablename__ = "remittances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date] = mapped_column(Date)
    payment_count: Mapped[int] = mapped_column(Integer, default=0)
    claim_count: Mapped[int] = mapped_column(Integer, default=0)
    total_paid: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class Payment(Base):
    """One 835 transaction set: BPR/TRN. `identity` (ptbill.ledger.identity: payer, trace
    number, amount, date) is unique: a payment posts once, whatever file it comes in (NULL: a
    payment without a trace number, or one posted again before migration 0005)."""

    __tablename__ = "payments"
    __table_args__ = (Index("ux_payments_identity", "identity", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remittance_id: Mapped[int] = _fk("remittances.id")
    control_number: Mapped[str] = mapped_column(String(9))
    trace_number: Mapped[str] = mapped_column(String(50))
    payment_date: Mapped[dt.date | None] = mapped_column(Date)
    determined_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(3))
    payer_name: Mapped[str] = mapped_column(String(60))
    payer_identifier: Mapped[str] = mapped_column(String(80))
    payee_npi: Mapped[str | None] = mapped_column(String(10))
    identity: Mapped[str | None] = mapped_column(String(64))


class ClaimPayment(Base):
    """One CLP: the payer's decision on one claim (claim_id NULL: matched no claim, or a
    decision already posted that a later payment carried again).

    `identity` (ptbill.ledger.identity: payer, CLP01, CLP07, charge and paid without sign) and
    `occurrence` number the postings of one decision: its first posting is 1, and after a
    reversal (reversal true, its own numbers) it may post again as 2. Unique together: two
    postings of the same decision at once cannot both commit."""

    __tablename__ = "claim_payments"
    __table_args__ = (
        UniqueConstraint("payment_id", "seq"),
        Index("ux_claim_payments_identity", "identity", "reversal", "occurrence", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = _fk("payments.id", index=False)
    seq: Mapped[int] = mapped_column(Integer)  # position in the payment
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    version: Mapped[int | None] = mapped_column(Integer)
    clp01: Mapped[str] = mapped_column(String(38))
    status: Mapped[str] = mapped_column(String(2))
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    patient_responsibility: Mapped[Decimal] = mapped_column(Money)
    payer_control_number: Mapped[str] = mapped_column(String(50))
    reversal: Mapped[bool] = mapped_column(Boolean, default=False)
    determined_on: Mapped[dt.date] = mapped_column(Date)
    state_after: Mapped[str | None] = mapped_column(String(20))
    # Claim-level remarks (MOA/MIA RARCs, space separated) and the crossover carrier the payer
    # forwarded the claim to (NM1*TT name), which decide how the next payer is billed.
    remarks: Mapped[str | None] = mapped_column(String(200))
    crossover_to: Mapped[str | None] = mapped_column(String(80))
    identity: Mapped[str | None] = mapped_column(String(64))
    occurrence: Mapped[int | None] = mapped_column(Integer)


class LinePayment(Base):
    __tablename__ = "line_payments"
    __table_args__ = (UniqueConstraint("claim_payment_id", "seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_payment_id: Mapped[int] = _fk("claim_payments.id", index=False)
    seq: Mapped[int] = mapped_column(Integer)  # position in the claim payment
    claim_line_id: Mapped[int | None] = _fk("claim_lines.id", nullable=True)
    code: Mapped[str] = mapped_column(String(8))
    modifiers: Mapped[str] = mapped_column(String(20))
    charge: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money)
    allowed: Mapped[Decimal] = mapped_column(Money)
    units: Mapped[str] = mapped_column(String(12))  # as sent (a decimal number)
    control_number: Mapped[str | None] = mapped_column(String(50))
    remarks: Mapped[str] = mapped_column(String(200))  # RARCs, space separated
    date_of_service: Mapped[dt.date | None] = mapped_column(Date)


class Adjustment(Base):
    """One CAS reason, with how ptbill classified it."""

    __tablename__ = "adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_payment_id: Mapped[int] = _fk("claim_payments.id")
    line_payment_id: Mapped[int | None] = _fk("line_payments.id", nullable=True)
    group_code: Mapped[str] = mapped_column(String(2))
    carc: Mapped[str] = mapped_column(String(5))
    rarc: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Money)
    category: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(30))


class ProviderAdjustment(Base):
    """One PLB pair: money taken back (positive) or paid extra (negative) outside claims."""

    __tablename__ = "provider_adjustments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = _fk("payments.id")
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    reason: Mapped[str] = mapped_column(String(4))
    reference: Mapped[str] = mapped_column(String(50))
    amount: Mapped[Decimal] = mapped_column(Money)
    fiscal_period_end: Mapped[dt.date] = mapped_column(Date)


class PayerRefund(Base):
    """Money the clinic sent back to a payer for a claim's over-payment (a check or an EFT):
    it settles the claim's `refund` items (ptbill.ledger.payer_refunds). Its reference (the
    check number, the EFT trace) counts once at its clinic: `reference_key` is it stripped and
    upper-cased, unique with the clinic."""

    __tablename__ = "payer_refunds"
    __table_args__ = (UniqueConstraint("clinic_id", "reference_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = _fk("claims.id")
    clinic_id: Mapped[int] = _fk("clinics.id", index=False)
    amount: Mapped[Decimal] = mapped_column(Money)
    on_date: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(5))  # check, eft
    reference: Mapped[str] = mapped_column(String(50))
    reference_key: Mapped[str] = mapped_column(String(50))
    who: Mapped[str] = mapped_column(String(64))


# --- work -------------------------------------------------------------------------------------


WORK_ITEM_INDEX = (
    "status",
    "due_date",
    "kind",
    "category",
    "rule",
    "carc",
    "claim_id",
    "amount",
    "created_on",
)


class WorkItem(Base):
    __tablename__ = "work_items"
    # The open items by deadline, with what the work queue filters and groups them by: its
    # counts and groups read this index alone, not the rows (ptbill.remit.worklist).
    __table_args__ = (Index("ix_work_items_open", *WORK_ITEM_INDEX),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int | None] = _fk("claims.id", nullable=True)
    # The patient of an item of no claim about the patient's own money (refund, collections).
    patient_id: Mapped[int | None] = _fk("patients.id", nullable=True)
    reference: Mapped[str] = mapped_column(String(50))  # claim number, or CLP01 when unmatched
    visit_id: Mapped[str | None] = mapped_column(String(38))
    kind: Mapped[str] = mapped_column(String(15))  # ptbill.remit.work_kinds
    category: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str | None] = mapped_column(String(40))  # the scrub rule of a blocked item
    carc: Mapped[str | None] = mapped_column(String(5))
    rarc: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    action: Mapped[str] = mapped_column(String(30))
    detail: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, done
    created_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    resolution: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40))  # import, ack:ID, remittance:ID


class Appeal(Base):
    __tablename__ = "appeals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = _fk("claims.id")
    level: Mapped[str] = mapped_column(String(80))
    created_on: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)


class AuditEntry(Base):
    """Every change of a claim's state: who, on which business date, from, to and why."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = _fk("claims.id")
    who: Mapped[str] = mapped_column(String(64))
    on_date: Mapped[dt.date] = mapped_column(Date)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    why: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(
        DateTime, server_default=func.current_timestamp()
    )


# The tables for talking to payers, for patients, of the job queue and of the requests that
# recorded money (ptbill.ledger.once) live in their own modules, on this metadata.
from ptbill.ledger import job_models as _job_models  # noqa: E402, F401
from ptbill.ledger import once as _once  # noqa: E402, F401
from ptbill.ledger import patient_models as _patient_models  # noqa: E402, F401
from ptbill.ledger import payer_models as _payer_models  # noqa: E402, F401
