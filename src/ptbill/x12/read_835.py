"""Reading X12 835 remittances (005010X221A1), streaming: one Payment per transaction set.

The file is read in chunks and each payment (BPR/TRN up to SE) is yielded as soon as its SE
is read, so memory holds one transaction set at a time whatever the file size. Amounts are
Decimal exactly as written. Totals that do not balance are reported on the payment
(`Payment.imbalances`), never corrected.

Speed: a remittance of 200,000 claims is some two million segments, so the frequent segments
are read inline in one loop (`_Parser.body`) rather than through a handler call each, and the
many that repeat word for word are read once per distinct text (`_READ_ONCE`); see there.
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
from ptbill.x12.envelope import REMITTANCE, located, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import Delimiters, Segments, Source
from ptbill.x12.values import (
    MONEY,
    Cents,
    amount,
    code,
    date8,
    element_name,
    money,
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
                after = (
                    c
                    for c in self.claims[i + 1 :]
                    if c.claim_id == claim.claim_id and not c.is_reversal
                )
                out.append((claim, next(after, None)))
        return out


def _procedure(e: list[str], i: int, sep: str) -> list[str]:
    """An SVC composite split: qualifier, code, then modifiers (and more)."""
    parts = e[i].split(sep)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise X12Error(
            "the procedure needs a qualifier and a code (HC:97110)", element=element_name(e, i)
        )
    return parts


def _modifiers(parts: list[str]) -> list[str]:
    modifiers = parts[2:6]
    return [m for m in modifiers if m] if "" in modifiers else modifiers


def _missing(e: list[str]) -> X12Error:
    """The error for a segment that stops before a required element."""
    return X12Error("a required element is missing", element=element_name(e, len(e)))


_new = object.__new__
# Where the reason, amount and quantity (0 past the end) of each CAS triplet stand, by the
# number of elements (4 to 20): a tuple is faster to walk than a range made per segment.
_TRIPLETS = {
    k: tuple((i, i + 1, i + 2 if i + 2 < k else 0) for i in range(2, k, 3)) for k in range(4, 21)
}

# --- the segments read once per distinct text ---------------------------------------------
#
# Most segments of a remittance repeat word for word (the date of service, the fee-schedule
# CAS and AMT amounts, SVC of the same code, charge and payment), so `body` keeps what each
# distinct CAS, DTM, SVC, AMT and LQ text reads as, checked, in a memo of the transaction
# set's reader: a repeat is neither split nor checked again, only applied to the open claim
# or line. What one of these segments reads as depends on its text and the delimiters only
# (one set per interchange file, hence per reader); where it stands is checked every time.

_CAS, _DTM, _SVC, _AMT, _LQ = range(5)
_SEGMENT_MEMO_SIZE = 1 << 14  # distinct texts kept; past it the memo starts again


def _read_cas(e: list[str], component: str) -> tuple:
    """(_CAS, ((group, reason, amount, quantity), ...), the amounts' total cents)."""
    k = len(e)
    if k < 4:
        raise _missing(e)
    if k > 20:
        raise X12Error(f"CAS has {k - 1} elements; at most 19 (six reason triplets)")
    group = e[1]
    if group not in ADJUSTMENT_GROUPS:
        code(e, 1, ADJUSTMENT_GROUPS, "claim adjustment group code")
    if not e[2]:
        raise X12Error("the adjustment reason code is missing", element="CAS02")
    reasons = []
    total: Cents = 0
    for i, j, q in _TRIPLETS[k]:
        reason = e[i]
        if reason:
            value, cents = money(e, j)
            reasons.append((group, reason, value, amount(e, q) if q and e[q] else None))
            total += cents
        elif any(e[j : j + 2]):
            raise X12Error(
                "an adjustment amount without its reason code", element=element_name(e, i)
            )
    return (_CAS, tuple(reasons), total)


def _read_dtm(e: list[str], component: str) -> tuple:
    """(_DTM, qualifier, date)."""
    if len(e) < 3:
        raise _missing(e)
    if not e[1]:
        raise X12Error("the date qualifier is missing", element="DTM01")
    return (_DTM, e[1], date8(e, 2))


def _read_svc(e: list[str], component: str) -> tuple:
    """(_SVC, (qualifier, code, modifiers, charge, paid, revenue code, units, the original
    procedure as (qualifier, code, modifiers) or None, original units), charge - paid in
    cents)."""
    k = len(e)
    if k < 4:
        raise _missing(e)
    billed = e[1].split(component)
    if len(billed) < 2 or not billed[0] or not billed[1]:
        _procedure(e, 1, component)  # raises: no qualifier or code
    original = None
    if k > 6 and e[6]:
        parts = _procedure(e, 6, component)
        original = (parts[0], parts[1], tuple(_modifiers(parts)))
    (charge, charge_cents), (paid, paid_cents) = money(e, 2), money(e, 3)
    line = (
        billed[0],
        billed[1],
        tuple(_modifiers(billed)),
        charge,
        paid,
        e[4] if k > 4 else "",
        amount(e, 5) if k > 5 and e[5] else _ONE,
        original,
        amount(e, 7) if k > 7 and e[7] else None,
    )
    return (_SVC, line, charge_cents - paid_cents)


def _read_amt(e: list[str], component: str) -> tuple:
    """(_AMT, qualifier, amount)."""
    text(e, 1)
    return (_AMT, e[1], amount(e, 2))


def _read_lq(e: list[str], component: str) -> tuple:
    """(_LQ, remark code, None)."""
    text(e, 1)
    return (_LQ, text(e, 2), None)


# What a CAS, DTM, SVC, AMT or LQ segment reads as, checked: (kind, what, value).
_READ_ONCE = {
    "CAS": _read_cas,
    "DTM": _read_dtm,
    "SVC": _read_svc,
    "AMT": _read_amt,
    "LQ": _read_lq,
}


def _outside_claim(sid: str) -> X12Error:
    return X12Error(f"{sid} outside a claim (no CLP before it)")


def _outside_line() -> X12Error:
    return X12Error("LQ (remark code) outside a service line")


class _Parser:
    """Builds one Payment from the segments of one 835 transaction set.

    `body` reads the frequent segments (CLP, SVC, CAS, DTM, REF, AMT, NM1, LQ) inline and
    keeps where it stands (the open claim and line) in locals; the others go to the handler
    methods. Every problem still names its element.

    Balance is checked in whole cents while reading (the memo of amounts holds each amount's
    cents): a residual per line (charge - paid - its CAS) and per claim (the same with the
    claim's and its lines' CAS) must come to zero, and the payment's (claims paid - PLB -
    BPR02). Only a payment where one does not, or that holds an amount in other than whole
    cents, is checked again with Decimal by `check_payment`, which writes the report; so the
    report is exactly that of the Decimal rules.
    """

    def __init__(self) -> None:
        # The segments `body` does not read inline.
        self.handlers = {
            "MIA": self._mia,
            "MOA": self._moa,
            "LX": self._lx,
            "QTY": self._qty,
            "TS3": self._ts3,
            "PLB": self._plb,
            "BPR": self._bpr,
            "TRN": self._trn,
            "N1": self._n1,
            # Read past: free text, addresses and contacts, currency, Part A summaries.
            "NTE": _skip,
            "CUR": _skip,
            "N2": _skip,
            "N3": _skip,
            "N4": _skip,
            "PER": _skip,
            "RDM": _skip,
            "TS2": _skip,
        }
        self.component = ":"
        # What each distinct text of a segment in _READ_ONCE reads as, for the whole file.
        self.memo: dict[str, tuple] = {}

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.payment = Payment(control_number=st[2])
        self.claim: ClaimPayment | None = None
        self.line: ServiceLine | None = None
        self.party = ""  # the open N1 loop: PR payer, PE payee
        self.header_number: str | None = None
        self.summary = False  # after the first PLB only PLBs may follow
        self.seen_bpr = self.seen_trn = False
        # The payment's balance in cents: BPR02 signed, the PLB amounts, and whether a line
        # or claim did not come to zero (body sets the claims paid and that flag).
        self.bpr_cents: Cents = 0
        self.plb_cents: Cents = 0
        self.paid_cents: Cents = 0
        self.unbalanced = False

    def end(self) -> Payment:
        if not self.seen_bpr:
            raise X12Error("the transaction set has no BPR (financial information)")
        if not self.seen_trn:
            raise X12Error("the transaction set has no TRN (trace number)")
        payment = self.payment
        if self.unbalanced or self.paid_cents - self.plb_cents - self.bpr_cents:
            payment.imbalances = check_payment(payment)
        return payment

    def body(self, segments: Segments) -> list[str] | None:
        """Read the segments of the transaction set up to the first that is not an 835 body
        segment (its SE, or one out of place) and return that one (None at the end).

        Each segment is first looked up in the memo of texts already read (see _READ_ONCE);
        only the others are split. The objects are slotted dataclasses filled attribute by
        attribute after object.__new__ (faster than their generated __init__; every field is
        set), and amounts and dates come from the memos of values already parsed.
        """
        money_memo, handlers, new = MONEY, self.handlers, _new
        memo = self.memo
        remembered = memo.get
        sep, component = segments.separator, self.component
        payment = self.payment
        claims = payment.claims
        claim, line, header_number = self.claim, self.line, self.header_number
        claim_res: Cents = 0  # charge - paid - adjustments of the open claim, in cents
        line_res: Cents = 0  # the same for the open service line
        paid_total: Cents = 0
        unbalanced = False
        stop: list[str] | None = None
        raw = "ST"  # the segment before the first of the body, should reading it fail
        try:
            while True:
                for raw in segments.raws:
                    read = remembered(raw)
                    if read is None:
                        e = raw.split(sep)
                        sid = e[0]
                        if sid == "REF":
                            if len(e) < 3 or not e[1] or not e[2]:
                                raise X12Error(
                                    "a required element is missing",
                                    element="REF01" if len(e) < 2 or not e[1] else "REF02",
                                )
                            qualifier, reference = e[1], e[2]
                            if line is not None:
                                if qualifier == "6R":
                                    line.control_number = reference
                                else:
                                    if line.references is None:
                                        line.references = {}
                                    line.references[qualifier] = reference
                            elif claim is not None:
                                if claim.references is None:
                                    claim.references = {}
                                claim.references[qualifier] = reference
                            else:
                                self._payment_ref(qualifier, reference)
                            continue

                        if sid == "CLP":
                            if self.summary or not self.seen_bpr:
                                self._no_summary("CLP")
                                raise X12Error("CLP before the BPR: the payment header is missing")
                            k = len(e)
                            if k < 8:
                                raise _missing(e)
                            if not e[1]:
                                raise X12Error("the claim id is missing", element="CLP01")
                            if e[2] not in CLAIM_STATUS:
                                code(e, 2, CLAIM_STATUS, "claim status code")
                            if not e[6]:
                                raise X12Error(
                                    "the claim filing indicator is missing", element="CLP06"
                                )
                            try:
                                charge, charge_cents = money_memo[e[3]]
                                paid, paid_cents = money_memo[e[4]]
                            except KeyError:
                                (charge, charge_cents), (paid, paid_cents) = (
                                    money(e, 3),
                                    money(e, 4),
                                )
                            if line_res or claim_res:
                                unbalanced = True
                            claim_res = charge_cents - paid_cents
                            line_res = 0
                            paid_total += paid_cents
                            line = None
                            claim = new(ClaimPayment)
                            claim.claim_id = e[1]
                            claim.status = e[2]
                            claim.charge = charge
                            claim.paid = paid
                            if e[5]:
                                try:
                                    claim.patient_responsibility = money_memo[e[5]][0]
                                except KeyError:
                                    claim.patient_responsibility = amount(e, 5)
                            else:
                                claim.patient_responsibility = None
                            claim.filing_indicator = e[6]
                            claim.payer_claim_control_number = e[7]
                            if k < 10:
                                e = e + [""] * (10 - k)
                            claim.facility_code = e[8]
                            claim.frequency_code = e[9]
                            claim.header_number = header_number
                            claim.adjustments = []
                            claim.lines = []
                            claim.parties = []
                            claim.remarks = []
                            claim.inpatient = claim.outpatient = None
                            claim.statement_start = claim.statement_end = None
                            claim.received = claim.coverage_expiration = None
                            claim.references = claim.amounts = claim.quantities = None
                            claims.append(claim)
                            continue

                        if sid == "NM1":
                            if claim is None:
                                raise _outside_claim("NM1")
                            k = len(e)
                            if k < 3 or not e[1]:
                                raise X12Error("the entity code is missing", element="NM101")
                            if k < 10:  # trailing elements left out: pad, as they are empty
                                e = e + [""] * (10 - k)
                            party = new(Party)
                            party.entity = e[1]
                            party.last_or_organization = e[3]
                            party.first = e[4]
                            party.id_qualifier = e[8]
                            party.id = e[9]
                            claim.parties.append(party)
                            continue

                        reader = _READ_ONCE.get(sid)
                        if reader is None:
                            handler = handlers.get(sid)
                            if handler is None:
                                stop = e
                                break
                            self.claim, self.line = claim, line
                            handler(e)
                            claim, line, header_number = self.claim, self.line, self.header_number
                            continue
                        # Where CAS, SVC and LQ stand is checked before what they hold.
                        if sid == "LQ":
                            if line is None:
                                raise _outside_line()
                        elif claim is None and (sid == "CAS" or sid == "SVC"):
                            raise _outside_claim(sid)
                        read = reader(e, component)
                        if len(memo) >= _SEGMENT_MEMO_SIZE:
                            memo.clear()
                        memo[raw] = read

                    # Each read is (kind, what, value): see _READ_ONCE.
                    kind, what, value = read
                    if kind == _CAS:
                        if claim is None:
                            raise _outside_claim("CAS")
                        target = claim.adjustments if line is None else line.adjustments
                        for fields in what:
                            adjustment = new(Adjustment)
                            (
                                adjustment.group,
                                adjustment.reason,
                                adjustment.amount,
                                adjustment.quantity,
                            ) = fields
                            target.append(adjustment)
                        claim_res -= value
                        if line is not None:
                            line_res -= value

                    elif kind == _DTM:
                        if line is not None:
                            if what == "472" or what == "150":
                                line.date_of_service = value
                            elif what == "151":
                                line.service_end = value
                        elif claim is not None:
                            if what == "050":
                                claim.received = value
                            elif what == "232":
                                claim.statement_start = value
                            elif what == "233":
                                claim.statement_end = value
                            elif what == "036":
                                claim.coverage_expiration = value
                        elif what == "405":
                            payment.production_date = value

                    elif kind == _SVC:
                        if claim is None:
                            raise _outside_claim("SVC")
                        if line_res:
                            unbalanced = True
                        line_res = value
                        line = new(ServiceLine)
                        (
                            line.qualifier,
                            line.code,
                            modifiers,
                            line.charge,
                            line.paid,
                            line.revenue_code,
                            line.units,
                            original,
                            line.original_units,
                        ) = what
                        line.modifiers = [*modifiers]
                        line.original = (
                            None
                            if original is None
                            else Procedure(original[0], original[1], [*original[2]])
                        )
                        line.adjustments = []
                        line.remarks = []
                        line.date_of_service = line.service_end = line.control_number = None
                        line.allowed = line.references = line.amounts = line.quantities = None
                        claim.lines.append(line)

                    elif kind == _AMT:
                        if line is not None:
                            if what == "B6":
                                line.allowed = value
                            else:
                                if line.amounts is None:
                                    line.amounts = {}
                                line.amounts[what] = value
                        else:
                            if claim is None:
                                raise _outside_claim("AMT")
                            if claim.amounts is None:
                                claim.amounts = {}
                            claim.amounts[what] = value

                    else:  # _LQ
                        if line is None:
                            raise _outside_line()
                        line.remarks.append(what)

                else:  # the batch ran out: on to the next, if any
                    if segments.advance():
                        continue
                break
        except (X12Error, IndexError, ValueError, ArithmeticError) as exc:
            raise located(exc, segments.number(), raw.split(sep)) from None
        self.claim, self.line = claim, line
        self.paid_cents = paid_total
        self.unbalanced = unbalanced or bool(line_res) or bool(claim_res)
        return stop

    # --- header ------------------------------------------------------------------------

    def _bpr(self, e: list[str]) -> None:
        if self.seen_bpr or self.claim is not None:
            raise X12Error("BPR must come once, first in the transaction set")
        p = self.payment
        p.handling = code(e, 1, PAYMENT_HANDLING, "transaction handling code")
        total, cents = money(e, 2)
        debit = code(e, 3, _CREDIT_DEBIT, "credit/debit flag (C or D)") == "D"
        p.amount = -total if debit else total
        self.bpr_cents = -cents if debit else cents
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
            raise X12Error(
                f"N1 entity {shown(entity)} is neither PR (payer) nor PE (payee)", element="N101"
            )

    def _payment_ref(self, qualifier: str, value: str) -> None:
        """A REF of the payment header or of its payer / payee loop."""
        p = self.payment
        p.references[qualifier] = value
        if self.party == "PE" and qualifier == "TJ" and p.payee_tax_id is None:
            p.payee_tax_id = value
        elif self.party == "PR" and qualifier == "2U" and not p.payer_id:
            p.payer_id = value

    # --- claims --------------------------------------------------------------------------

    def _lx(self, e: list[str]) -> None:
        self._no_summary("LX")
        self.header_number = text(e, 1)
        self.claim = self.line = None

    def _ts3(self, e: list[str]) -> None:
        if self.header_number is None or self.claim is not None:
            raise X12Error("TS3 belongs right after LX")
        self.payment.summaries.append(
            ProviderSummary(text(e, 1), text(e, 2), date8(e, 3), amount(e, 4), amount(e, 5))
        )

    def _mia(self, e: list[str]) -> None:
        claim = self._claim("MIA")
        claim.inpatient = e[1:]
        claim.remarks.extend(r for i in (5, 20, 21, 22, 23) if (r := optional(e, i)))

    def _moa(self, e: list[str]) -> None:
        claim = self._claim("MOA")
        claim.outpatient = e[1:]
        claim.remarks.extend(r for r in e[3:8] if r)

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
                raise X12Error("the adjustment reason code is missing", element=element_name(e, i))
            value, cents = money(e, i + 1)
            adjustments.append(ProviderAdjustment(provider, period, reason, reference, value))
            self.plb_cents += cents

    # --- helpers -----------------------------------------------------------------------

    def _claim(self, sid: str) -> ClaimPayment:
        if self.claim is None:
            raise _outside_claim(sid)
        return self.claim

    def _no_summary(self, sid: str) -> None:
        if self.summary:
            raise X12Error(f"{sid} after the provider adjustments (PLB): the order is wrong")


def _skip(e: list[str]) -> None:
    return None


def read_835(source: Source, warnings: list[str] | None = None) -> Iterator[Payment]:
    """Yield each payment (835 transaction set) in `source`: a path or an open text stream.

    Raises X12Error (with the segment number, id, element and problem) for anything that is
    not a readable 835; payments already yielded stay valid. What is odd but readable is
    added to `warnings` once the whole file is read.
    """
    return read_transactions(source, REMITTANCE, _Parser(), warnings=warnings)
