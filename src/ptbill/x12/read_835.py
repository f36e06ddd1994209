"""Reading X12 835 remittances (005010X221A1), streaming: one Payment per transaction set.

The file is read in chunks and each payment (BPR/TRN up to SE) is yielded as soon as its SE
is read, so memory holds one transaction set at a time whatever the file size. Amounts are
Decimal exactly as written. Totals that do not balance are reported on the payment
(`Payment.imbalances`), never corrected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.x12.balance import Imbalance, check_payment
from ptbill.x12.codes import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUS,
    PAYMENT_HANDLING,
    PAYMENT_METHODS,
    REVERSAL,
)
from ptbill.x12.envelope import REMITTANCE, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import Delimiters, Source
from ptbill.x12.values import (
    amount,
    code,
    date8,
    element_name,
    optional,
    shown,
    text,
)

_ONE = Decimal(1)
_CREDIT_DEBIT = frozenset({"C", "D"})


@dataclass(slots=True)
class Adjustment:
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


@dataclass(slots=True)
class ServiceLine:
    qualifier: str  # SVC01-1: HC for CPT/HCPCS
    code: str
    modifiers: list[str]
    charge: Decimal
    paid: Decimal
    revenue_code: str
    units: Decimal  # SVC05, 1 when not sent
    original: Procedure | None  # SVC06: the code as billed, when the payer paid another
    original_units: Decimal | None  # SVC07
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ codes (RARCs)
    date_of_service: dt.date | None = None  # DTM*472, or the start of a DTM*150/151 period
    service_end: dt.date | None = None  # DTM*151
    control_number: str | None = None  # REF*6R: our line item control number from the 837
    allowed: Decimal | None = None  # AMT*B6
    # The other REF / AMT / QTY segments of the line, by qualifier (None when there are none).
    references: dict[str, str] | None = None
    amounts: dict[str, Decimal] | None = None
    quantities: dict[str, Decimal] | None = None


@dataclass(slots=True)
class ClaimPayment:
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
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
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
class ProviderAdjustment:
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


@dataclass(slots=True)
class Payment:
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
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    summaries: list[ProviderSummary] = field(default_factory=list)
    imbalances: list[Imbalance] = field(default_factory=list)

    def corrections(self) -> list[tuple[ClaimPayment, ClaimPayment | None]]:
        """Each reversal (CLP02 = 22) with the corrected claim that follows it, if any."""
        out: list[tuple[ClaimPayment, ClaimPayment | None]] = []
        for i, claim in enumerate(self.claims):
            if claim.is_reversal:
                after = (c for c in self.claims[i + 1:]
                         if c.claim_id == claim.claim_id and not c.is_reversal)
                out.append((claim, next(after, None)))
        return out


def _procedure(e: list[str], i: int, sep: str) -> list[str]:
    """An SVC composite split: qualifier, code, then modifiers (and more)."""
    parts = e[i].split(sep)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise X12Error("the procedure needs a qualifier and a code (HC:97110)",
                       element=element_name(e, i))
    return parts


def _modifiers(parts: list[str]) -> list[str]:
    modifiers = parts[2:6]
    return [m for m in modifiers if m] if "" in modifiers else modifiers


def _missing(e: list[str]) -> X12Error:
    """The error for a segment that stops before a required element."""
    return X12Error("a required element is missing", element=element_name(e, len(e)))


class _Parser:
    """Builds one Payment from the segments of one 835 transaction set.

    The handlers run once per segment of files of any size, so they read elements directly
    after one length check; every problem still names its element.
    """

    def __init__(self) -> None:
        self.handlers = {
            "CLP": self._clp, "SVC": self._svc, "CAS": self._cas, "DTM": self._dtm,
            "REF": self._ref, "AMT": self._amt, "QTY": self._qty, "NM1": self._nm1,
            "LQ": self._lq, "MIA": self._mia, "MOA": self._moa, "LX": self._lx,
            "TS3": self._ts3, "PLB": self._plb, "BPR": self._bpr, "TRN": self._trn,
            "N1": self._n1,
            # Read past: free text, addresses and contacts, currency, Part A summaries.
            "NTE": _skip, "CUR": _skip, "N2": _skip, "N3": _skip, "N4": _skip,
            "PER": _skip, "RDM": _skip, "TS2": _skip,
        }
        self.component = ":"

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.payment = Payment(control_number=st[2])
        self.claim: ClaimPayment | None = None
        self.line: ServiceLine | None = None
        self.party = ""  # the open N1 loop: PR payer, PE payee
        self.header_number: str | None = None
        self.summary = False  # after the first PLB only PLBs may follow
        self.seen_bpr = self.seen_trn = False

    def end(self) -> Payment:
        if not self.seen_bpr:
            raise X12Error("the transaction set has no BPR (financial information)")
        if not self.seen_trn:
            raise X12Error("the transaction set has no TRN (trace number)")
        payment = self.payment
        payment.imbalances = check_payment(payment)
        return payment

    # --- header ------------------------------------------------------------------------

    def _bpr(self, e: list[str]) -> None:
        if self.seen_bpr or self.claim is not None:
            raise X12Error("BPR must come once, first in the transaction set")
        p = self.payment
        p.handling = code(e, 1, PAYMENT_HANDLING, "transaction handling code")
        total = amount(e, 2)
        debit = code(e, 3, _CREDIT_DEBIT, "credit/debit flag (C or D)") == "D"
        p.amount = -total if debit else total
        p.method = code(e, 4, PAYMENT_METHODS, "payment method (ACH, CHK, NON, BOP, FWT)")
        p.payment_date = date8(e, 16)
        self.seen_bpr = True

    def _trn(self, e: list[str]) -> None:
        if self.claim is not None:
            raise X12Error("TRN belongs in the header, before the claims")
        self.payment.trace_number = text(e, 2)
        self.payment.trace_originator = optional(e, 3)
        self.seen_trn = True

    def _n1(self, e: list[str]) -> None:
        if self.claim is not None:
            raise X12Error("N1 belongs in the header, before the claims")
        p = self.payment
        self.party = entity = text(e, 1)
        name, qualifier, ident = optional(e, 2), optional(e, 3), optional(e, 4)
        if entity == "PR":
            p.payer, p.payer_id = name, ident
        elif entity == "PE":
            p.payee = name
            if qualifier == "XX":
                p.payee_npi = ident
            elif qualifier == "FI":
                p.payee_tax_id = ident
        else:
            raise X12Error(f"N1 entity {shown(entity)} is neither PR (payer) nor PE (payee)",
                           element="N101")

    # --- claims --------------------------------------------------------------------------

    def _lx(self, e: list[str]) -> None:
        self._no_summary("LX")
        self.header_number = text(e, 1)
        self.claim = self.line = None

    def _ts3(self, e: list[str]) -> None:
        if self.header_number is None or self.claim is not None:
            raise X12Error("TS3 belongs right after LX")
        self.payment.summaries.append(ProviderSummary(
            text(e, 1), text(e, 2), date8(e, 3), amount(e, 4), amount(e, 5)))

    def _clp(self, e: list[str]) -> None:
        if self.summary or not self.seen_bpr:
            self._no_summary("CLP")
            raise X12Error("CLP before the BPR: the payment header is missing")
        n = len(e)
        if n < 8:
            raise _missing(e)
        if not e[1]:
            raise X12Error("the claim id is missing", element="CLP01")
        if e[2] not in CLAIM_STATUS:
            code(e, 2, CLAIM_STATUS, "claim status code")
        if not e[6]:
            raise X12Error("the claim filing indicator is missing", element="CLP06")
        self.line = None
        self.claim = claim = ClaimPayment(
            e[1], e[2], amount(e, 3), amount(e, 4), amount(e, 5) if e[5] else None,
            e[6], e[7], e[8] if n > 8 else "", e[9] if n > 9 else "", self.header_number)
        self.payment.claims.append(claim)

    def _svc(self, e: list[str]) -> None:
        claim = self.claim
        if claim is None:
            raise _outside_claim("SVC")
        n = len(e)
        if n < 4:
            raise _missing(e)
        sep = self.component
        billed = _procedure(e, 1, sep)
        original = None
        if n > 6 and e[6]:
            parts = _procedure(e, 6, sep)
            original = Procedure(parts[0], parts[1], _modifiers(parts))
        self.line = line = ServiceLine(
            billed[0], billed[1], _modifiers(billed),
            amount(e, 2), amount(e, 3), e[4] if n > 4 else "",
            amount(e, 5) if n > 5 and e[5] else _ONE,
            original, amount(e, 7) if n > 7 and e[7] else None)
        claim.lines.append(line)

    def _cas(self, e: list[str]) -> None:
        claim = self.claim
        if claim is None:
            raise _outside_claim("CAS")
        n = len(e)
        if n < 4:
            raise _missing(e)
        if n > 20:
            raise X12Error(f"CAS has {n - 1} elements; at most 19 (six reason triplets)")
        group = e[1]
        if group not in ADJUSTMENT_GROUPS:
            code(e, 1, ADJUSTMENT_GROUPS, "claim adjustment group code")
        if not e[2]:
            raise X12Error("the adjustment reason code is missing", element="CAS02")
        line = self.line
        target = claim.adjustments if line is None else line.adjustments
        for i in range(2, n, 3):
            reason = e[i]
            if reason:
                target.append(Adjustment(group, reason, amount(e, i + 1),
                                         amount(e, i + 2) if i + 2 < n and e[i + 2] else None))
            elif any(e[i + 1:i + 3]):
                raise X12Error("an adjustment amount without its reason code",
                               element=element_name(e, i))

    def _nm1(self, e: list[str]) -> None:
        claim = self.claim
        if claim is None:
            raise _outside_claim("NM1")
        n = len(e)
        if n < 3 or not e[1]:
            raise X12Error("the entity code is missing", element="NM101")
        claim.parties.append(Party(
            e[1], e[3] if n > 3 else "", e[4] if n > 4 else "",
            e[8] if n > 8 else "", e[9] if n > 9 else ""))

    def _mia(self, e: list[str]) -> None:
        claim = self._claim("MIA")
        claim.inpatient = e[1:]
        claim.remarks.extend(r for i in (5, 20, 21, 22, 23) if (r := optional(e, i)))

    def _moa(self, e: list[str]) -> None:
        claim = self._claim("MOA")
        claim.outpatient = e[1:]
        claim.remarks.extend(r for r in e[3:8] if r)

    def _lq(self, e: list[str]) -> None:
        if self.line is None:
            raise X12Error("LQ (remark code) outside a service line")
        text(e, 1)
        self.line.remarks.append(text(e, 2))

    # --- segments whose meaning depends on where they stand --------------------------

    def _dtm(self, e: list[str]) -> None:
        if len(e) < 3:
            raise _missing(e)
        qualifier = e[1]
        if not qualifier:
            raise X12Error("the date qualifier is missing", element="DTM01")
        when = date8(e, 2)
        line = self.line
        if line is not None:
            if qualifier == "472" or qualifier == "150":
                line.date_of_service = when
            elif qualifier == "151":
                line.service_end = when
        elif self.claim is not None:
            claim = self.claim
            if qualifier == "050":
                claim.received = when
            elif qualifier == "232":
                claim.statement_start = when
            elif qualifier == "233":
                claim.statement_end = when
            elif qualifier == "036":
                claim.coverage_expiration = when
        elif qualifier == "405":
            self.payment.production_date = when

    def _ref(self, e: list[str]) -> None:
        if len(e) < 3 or not e[1] or not e[2]:
            raise X12Error("a required element is missing",
                           element="REF01" if len(e) < 2 or not e[1] else "REF02")
        qualifier, value = e[1], e[2]
        line = self.line
        if line is not None:
            if qualifier == "6R":
                line.control_number = value
            else:
                if line.references is None:
                    line.references = {}
                line.references[qualifier] = value
        elif self.claim is not None:
            claim = self.claim
            if claim.references is None:
                claim.references = {}
            claim.references[qualifier] = value
        else:
            p = self.payment
            p.references[qualifier] = value
            if self.party == "PE" and qualifier == "TJ" and p.payee_tax_id is None:
                p.payee_tax_id = value
            elif self.party == "PR" and qualifier == "2U" and not p.payer_id:
                p.payer_id = value

    def _amt(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), amount(e, 2)
        line = self.line
        if line is not None:
            if qualifier == "B6":
                line.allowed = value
            else:
                if line.amounts is None:
                    line.amounts = {}
                line.amounts[qualifier] = value
        else:
            claim = self._claim("AMT")
            if claim.amounts is None:
                claim.amounts = {}
            claim.amounts[qualifier] = value

    def _qty(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), amount(e, 2)
        line = self.line
        if line is not None:
            if line.quantities is None:
                line.quantities = {}
            line.quantities[qualifier] = value
        else:
            claim = self._claim("QTY")
            if claim.quantities is None:
                claim.quantities = {}
            claim.quantities[qualifier] = value

    # --- summary ---------------------------------------------------------------------

    def _plb(self, e: list[str]) -> None:
        self.summary = True
        self.claim = self.line = None
        provider, period = text(e, 1), date8(e, 2)
        sep = self.component
        n = len(e)
        if n > 15:
            raise X12Error(f"PLB has {n - 1} elements; at most 14 (six reason/amount pairs)")
        if n < 5:
            raise _missing(e)
        adjustments = self.payment.provider_adjustments
        for i in range(3, n, 2):
            composite = e[i]
            if not composite:
                if i + 1 < n and e[i + 1]:
                    raise X12Error("an amount without its reason", element=element_name(e, i))
                continue
            reason, _, reference = composite.partition(sep)
            if not reason:
                raise X12Error("the adjustment reason code is missing",
                               element=element_name(e, i))
            adjustments.append(ProviderAdjustment(provider, period, reason, reference,
                                                  amount(e, i + 1)))

    # --- helpers -----------------------------------------------------------------------

    def _claim(self, sid: str) -> ClaimPayment:
        if self.claim is None:
            raise _outside_claim(sid)
        return self.claim

    def _no_summary(self, sid: str) -> None:
        if self.summary:
            raise X12Error(f"{sid} after the provider adjustments (PLB): the order is wrong")


def _outside_claim(sid: str) -> X12Error:
    return X12Error(f"{sid} outside a claim (no CLP before it)")


def _skip(e: list[str]) -> None:
    return None


def read_835(source: Source) -> Iterator[Payment]:
    """Yield each payment (835 transaction set) in `source`: a path or an open text stream.

    Raises X12Error (with the segment number, id, element and problem) for anything that is
    not a readable 835; payments already yielded stay valid.
    """
    return read_transactions(source, REMITTANCE, _Parser())
