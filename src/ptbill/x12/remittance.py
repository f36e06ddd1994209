"""What an 835 remittance says, as `read_835` reads it: one `RemittanceAdvice` per transaction
set (one payment and its advice: what a biller calls an ERA), its claims, their service lines
and adjustments. Amounts are Decimal exactly as written.

The names are the remittance's own, so that they do not collide with the ledger's rows the
posting writes from them (ptbill.ledger.models): a RemittanceAdvice posts as a Payment of a
Remittance (the file), a RemittanceClaim as a ClaimPayment, a ServicePayment (the TR3's loop
2110, Service Payment Information) as a LinePayment, a RemittanceAdjustment (one CAS reason)
as an Adjustment and a ProviderLevelAdjustment (PLB) as a ProviderAdjustment.

The classes are slotted, but for RemittanceClaim and ServicePayment: their optional fields are
class attributes (the declared defaults), which the reader leaves as they are unless a segment
sets them. So an optional field is added here, with its default, and set where it is read,
and nowhere else (a collection field defaults to None, as `references` does, for the same
reason: the lists the reader makes for every claim and line are its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ptbill.x12.codes import CLAIM_STATUS, REVERSAL


@dataclass(slots=True)
class RemittanceAdjustment:
    """One CAS reason: group (CO, PR, OA, PI), reason code (CARC), amount and quantity."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None


@dataclass(slots=True)
class Procedure:
    """An SVC01/SVC06 composite: qualifier (HC for CPT/HCPCS), code, up to four modifiers."""

    qualifier: str
    code: str
    modifiers: list[str]


@dataclass(slots=True)
class Party:
    """An NM1 in a claim: entity (QC patient, IL insured, 82 rendering...), name and id."""

    entity: str
    last_or_organization: str
    first: str
    id_qualifier: str
    id: str


@dataclass  # not slotted: see the module's docstring
class ServicePayment:
    """One service line as the payer paid it (SVC and what follows it, loop 2110)."""

    qualifier: str  # SVC01-1: HC for CPT/HCPCS
    code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal  # SVC05, 1 when not sent
    original: Procedure | None  # SVC06: the code as billed, when the payer paid another
    original_units: Decimal | None  # SVC07
    adjustments: list[RemittanceAdjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ codes (RARCs)
    date_of_service: dt.date | None = None  # DTM*472, or the start of a DTM*150/151 period
    service_end: dt.date | None = None  # DTM*151
    control_number: str | None = None  # REF*6R: our line item control number from the 837
    allowed: Decimal | None = None  # AMT*B6
    # The other REF / AMT / QTY segments of the line, by qualifier (None when there are none).
    references: dict[str, str] | None = None
    amounts: dict[str, Decimal] | None = None
    quantities: dict[str, Decimal] | None = None


@dataclass  # not slotted: see the module's docstring
class RemittanceClaim:
    """The payer's decision on one claim (CLP and what follows it, loop 2100)."""

    claim_id: str  # CLP01: our claim id (the 837's CLM01)
    status: str  # CLP02
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    filing_indicator: str
    payer_claim_control_number: str
    facility_code: str
    frequency_code: str
    header_number: str | None  # LX01 of the group the claim is in
    adjustments: list[RemittanceAdjustment] = field(default_factory=list)
    lines: list[ServicePayment] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # claim-level RARCs from MIA/MOA
    inpatient: list[str] | None = None  # MIA elements, as sent
    outpatient: list[str] | None = None  # MOA elements, as sent
    statement_start: dt.date | None = None  # DTM*232
    statement_end: dt.date | None = None  # DTM*233
    received: dt.date | None = None  # DTM*050
    coverage_expiration: dt.date | None = None  # DTM*036
    # The REF / AMT / QTY segments of the claim, by qualifier (None when there are none).
    references: dict[str, str] | None = None
    amounts: dict[str, Decimal] | None = None
    quantities: dict[str, Decimal] | None = None

    @property
    def is_reversal(self) -> bool:
        return self.status == REVERSAL

    @property
    def status_meaning(self) -> str:
        return CLAIM_STATUS[self.status]


@dataclass(slots=True)
class ProviderLevelAdjustment:
    """A PLB pair: reason code (e.g. WO, L6, FB), its reference, and the amount taken back
    (positive) or paid extra (negative)."""

    provider_id: str
    fiscal_period_end: dt.date
    reason: str
    reference: str
    amount: Decimal


@dataclass(slots=True)
class ProviderSummary:
    """TS3: the payer's totals for one provider and facility type within the payment."""

    provider_id: str
    facility_code: str
    fiscal_period_end: dt.date
    claim_count: Decimal
    total_charge: Decimal


@dataclass(frozen=True, slots=True)
class Imbalance:
    """A balancing rule the payer's figures break (ptbill.x12.balance): reported, never fixed."""

    level: Literal["line", "claim", "payment"]
    claim_id: str | None
    line: int | None  # 1-based position of the service line within its claim
    expected: Decimal  # what the rule computes
    found: Decimal  # what the payer wrote
    message: str


@dataclass(slots=True)
class RemittanceAdvice:
    """One 835 transaction set: one payment (BPR, TRN) and the claims it pays."""

    control_number: str  # ST02
    handling: str = ""  # BPR01: I remittance with payment, H notification only...
    amount: Decimal = Decimal(0)  # BPR02, signed: a debit (BPR03 = D) is negative
    method: str = ""  # BPR04: ACH, CHK, NON...
    payment_date: dt.date | None = None  # BPR16
    trace_number: str = ""  # TRN02: check or EFT number
    trace_originator: str = ""  # TRN03
    production_date: dt.date | None = None  # DTM*405
    payer: str = ""
    payer_id: str = ""
    payee: str = ""
    payee_npi: str | None = None
    payee_tax_id: str | None = None
    references: dict[str, str] = field(default_factory=dict)
    claims: list[RemittanceClaim] = field(default_factory=list)
    provider_adjustments: list[ProviderLevelAdjustment] = field(default_factory=list)
    summaries: list[ProviderSummary] = field(default_factory=list)
    imbalances: list[Imbalance] = field(default_factory=list)

    def corrections(self) -> list[tuple[RemittanceClaim, RemittanceClaim | None]]:
        """Each reversal (CLP02 = 22) with the corrected claim that follows it, if any."""
        out: list[tuple[RemittanceClaim, RemittanceClaim | None]] = []
        for i, claim in enumerate(self.claims):
            if claim.is_reversal:
                after = (
                    c
                    for c in self.claims[i + 1 :]
                    if c.claim_id == claim.claim_id and not c.is_reversal
                )
                out.append((claim, next(after, None)))
        return out
