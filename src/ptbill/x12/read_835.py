"""Reading X12 835 remittances (005010X221A1), streaming: one RemittanceAdvice per transaction
set (the classes are in ptbill.x12.remittance).

The file is read in chunks and each advice (BPR/TRN up to SE) is yielded as soon as its SE is
read, so memory holds one transaction set at a time whatever the file size. Amounts are Decimal
exactly as written. Totals that do not balance are reported on the advice (`imbalances`), never
corrected.

Where each segment is read:

- CAS, DTM, SVC, AMT and LQ: most of a remittance, and most of them repeat word for word (the
  date of service, the fee-schedule CAS and AMT amounts, SVC of the same code, charge and
  payment). What such a text says depends on the text alone: its reader (`_READ_ONCE`) checks
  it once per distinct text, and `_Parser.body` applies what it says where the reader stands,
  to the first reading and every repeat alike;
- CLP (`_Parser.clp`), NM1 and REF: one of a kind, split and checked every time;
- the others: their handler (`_HANDLERS`).

`body` applies the frequent segments itself, with where it stands (the open claim and line)
in local variables, rather than through a handler call each: in CPython 3.11 a call per
segment makes the read a tenth slower, and a dataclass constructor per object more again
(measured: docs/benchmarks/x12.md). So the objects are made with `object.__new__` and only the
fields their segment carries are set; the others keep their class defaults
(ptbill.x12.remittance), so that a new optional field is set only where it is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ptbill.x12.balance import check_payment
from ptbill.x12.codes import (
    ADJUSTMENT_GROUPS,
    CLAIM_STATUS,
    PAYMENT_HANDLING,
    PAYMENT_METHODS,
)
from ptbill.x12.envelope import REMITTANCE, located, read_transactions
from ptbill.x12.errors import X12Error
from ptbill.x12.remittance import (
    Party,
    Procedure,
    ProviderLevelAdjustment,
    ProviderSummary,
    RemittanceAdjustment,
    RemittanceAdvice,
    RemittanceClaim,
    ServicePayment,
)
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
_new = object.__new__


def _missing(e: list[str]) -> X12Error:
    """The error for a segment that stops before a required element."""
    return X12Error("a required element is missing", element=element_name(e, len(e)))


def _outside_claim(sid: str) -> X12Error:
    return X12Error(f"{sid} outside a claim (no CLP before it)")


def _outside_line() -> X12Error:
    return X12Error("LQ (remark code) outside a service line")


# --- what a CAS, DTM, SVC, AMT or LQ text says ---------------------------------------------
#
# Each reader checks the segment's elements and returns (kind, what, value); `body` keeps that
# per distinct text (what a text says depends on it and the file's delimiters only, so the
# memo belongs to one read) and applies it where the reader stands, for the first reading and
# every repeat alike. Where a segment stands is checked every time.

_CAS, _DTM, _SVC, _AMT, _LQ = range(5)
Said = tuple[int, Any, Any]
_SEGMENT_MEMO_SIZE = 1 << 14  # distinct texts kept; past it the memo starts again

# Where the reason, amount and quantity (0 past the end) of each CAS triplet stand, by the
# number of elements (4 to 20): a tuple is faster to walk than a range made per segment.
_TRIPLETS = {
    k: tuple((i, i + 1, i + 2 if i + 2 < k else 0) for i in range(2, k, 3)) for k in range(4, 21)
}


def _read_cas(e: list[str], component: str) -> Said:
    """(_CAS, ((group, reason, amount, quantity), ...), the amounts' total in cents)."""
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
    return _CAS, tuple(reasons), total


def _read_dtm(e: list[str], component: str) -> Said:
    """(_DTM, qualifier, date)."""
    if len(e) < 3:
        raise _missing(e)
    if not e[1]:
        raise X12Error("the date qualifier is missing", element="DTM01")
    return _DTM, e[1], date8(e, 2)


def _procedure(e: list[str], i: int, sep: str) -> list[str]:
    """An SVC composite split: qualifier, code, then modifiers (and more)."""
    parts = e[i].split(sep)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise X12Error(
            "the procedure needs a qualifier and a code (HC:97110)", element=element_name(e, i)
        )
    return parts


def _modifiers(parts: list[str]) -> tuple[str, ...]:
    modifiers = parts[2:6]
    return tuple(m for m in modifiers if m) if "" in modifiers else tuple(modifiers)


def _read_svc(e: list[str], component: str) -> Said:
    """(_SVC, the line's fields as `body` unpacks them, charge - paid in cents)."""
    k = len(e)
    if k < 4:
        raise _missing(e)
    billed = _procedure(e, 1, component)
    original = None
    if k > 6 and e[6]:
        parts = _procedure(e, 6, component)
        original = (parts[0], parts[1], _modifiers(parts))
    (charge, charge_cents), (paid, paid_cents) = money(e, 2), money(e, 3)
    fields = (
        billed[0],  # qualifier
        billed[1],  # code
        _modifiers(billed),
        charge,
        paid,
        e[4] if k > 4 else "",  # revenue code
        amount(e, 5) if k > 5 and e[5] else _ONE,  # units
        original,  # (qualifier, code, modifiers) or None
        amount(e, 7) if k > 7 and e[7] else None,  # original units
    )
    return _SVC, fields, charge_cents - paid_cents


def _read_amt(e: list[str], component: str) -> Said:
    """(_AMT, qualifier, amount)."""
    text(e, 1)
    return _AMT, e[1], amount(e, 2)


def _read_lq(e: list[str], component: str) -> Said:
    """(_LQ, remark code, None)."""
    text(e, 1)
    return _LQ, text(e, 2), None


_READ_ONCE: dict[str, Callable[[list[str], str], Said]] = {
    "CAS": _read_cas,
    "DTM": _read_dtm,
    "SVC": _read_svc,
    "AMT": _read_amt,
    "LQ": _read_lq,
}


class _Parser:
    """Builds one RemittanceAdvice from the segments of one 835 transaction set.

    Balance is checked in whole cents while reading (the memo of amounts holds each amount's
    cents): a residual per line (charge - paid - its CAS) and per claim (the same with the
    claim's and its lines' CAS) must come to zero, and the advice's (claims paid - PLB -
    BPR02). Only an advice where one does not, or that holds an amount in other than whole
    cents, is checked again with Decimal by `check_payment`, which writes the report; so the
    report is exactly that of the Decimal rules.
    """

    # read_transactions hands the segments to `body`, not to handlers of its own.
    handlers: Mapping[str, Callable[[list[str]], None]] = MappingProxyType({})

    def __init__(self) -> None:
        self.component = ":"
        # What each distinct CAS, DTM, SVC, AMT and LQ text says, for the whole file.
        self.memo: dict[str, Said] = {}

    def begin(self, st: list[str], delimiters: Delimiters) -> None:
        self.component = delimiters.component
        self.advice = RemittanceAdvice(control_number=st[2])
        # Where the reader stands: the open claim and service line (`body` keeps them in
        # locals, and sets these for the handlers).
        self.claim: RemittanceClaim | None = None
        self.line: ServicePayment | None = None
        self.party = ""  # the open N1 loop: PR payer, PE payee
        self.header_number: str | None = None
        self.summary = False  # after the first PLB only PLBs may follow
        self.seen_bpr = self.seen_trn = False
        # The balance in cents: BPR02 signed and the PLB amounts (the handlers), the claims
        # paid and whether a line or claim did not come to zero (`body`).
        self.bpr_cents: Cents = 0
        self.plb_cents: Cents = 0
        self.paid_cents: Cents = 0
        self.unbalanced = False

    def end(self) -> RemittanceAdvice:
        if not self.seen_bpr:
            raise X12Error("the transaction set has no BPR (financial information)")
        if not self.seen_trn:
            raise X12Error("the transaction set has no TRN (trace number)")
        advice = self.advice
        if self.unbalanced or self.paid_cents - self.plb_cents - self.bpr_cents:
            advice.imbalances = check_payment(advice)
        return advice

    def body(self, segments: Segments) -> list[str] | None:
        """Read the segments of the transaction set up to the first that is not an 835 body
        segment (its SE, or one out of place) and return that one (None at the end).

        A segment whose text was read before is only applied; another is split and read (see
        the module's docstring for where each segment is read)."""
        memo = self.memo
        remembered, sep, component = memo.get, segments.separator, self.component
        claim, line = self.claim, self.line
        claim_res: Cents = 0  # charge - paid - adjustments of the open claim, in cents
        line_res: Cents = 0  # the same for the open service line
        paid_total: Cents = 0
        unbalanced = False
        stop: list[str] | None = None
        raw = "ST"  # the segment before the first of the body, should reading it fail
        try:
            while True:
                for raw in segments.raws:
                    said = remembered(raw)
                    if said is None:
                        e = raw.split(sep)
                        sid = e[0]
                        if sid == "REF":  # of the line (6R: its control number), claim or header
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
                                self.header_ref(qualifier, reference)
                            continue

                        elif sid == "CLP":  # a claim: the handler checks and builds it
                            claim, residual, paid_cents = self.clp(e)
                            if line_res or claim_res:
                                unbalanced = True
                            claim_res, line_res = residual, 0
                            paid_total += paid_cents
                            line = None
                            continue

                        elif sid == "NM1":  # a party to the claim
                            if claim is None:
                                raise _outside_claim("NM1")
                            k = len(e)
                            if k < 3 or not e[1]:
                                raise X12Error("the entity code is missing", element="NM101")
                            if k < 10:  # trailing elements left out: pad, as they are empty
                                e = e + [""] * (10 - k)
                            party = _new(Party)
                            party.entity = e[1]
                            party.last_or_organization = e[3]
                            party.first = e[4]
                            party.id_qualifier = e[8]
                            party.id = e[9]
                            claim.parties.append(party)
                            continue

                        elif (read := _READ_ONCE.get(sid)) is not None:
                            # Where CAS, SVC and LQ stand is checked before what they say.
                            if sid == "LQ":
                                if line is None:
                                    raise _outside_line()
                            elif claim is None and (sid == "CAS" or sid == "SVC"):
                                raise _outside_claim(sid)
                            said = read(e, component)
                            if len(memo) >= _SEGMENT_MEMO_SIZE:
                                memo.clear()
                            memo[raw] = said

                        else:  # a rarer segment: to its handler, or the end of the body
                            handler = _HANDLERS.get(sid)
                            if handler is None:
                                stop = e
                                break
                            self.claim, self.line = claim, line
                            handler(self, e)
                            claim, line = self.claim, self.line
                            continue

                    # What a CAS, DTM, SVC, AMT or LQ text says, applied where the reader stands.
                    kind, what, value = said
                    if kind == _CAS:  # adjustments of the open line, else of the claim
                        if claim is None:
                            raise _outside_claim("CAS")
                        adjustments = claim.adjustments if line is None else line.adjustments
                        for fields in what:
                            adjustment = _new(RemittanceAdjustment)
                            (
                                adjustment.group,
                                adjustment.reason,
                                adjustment.amount,
                                adjustment.quantity,
                            ) = fields
                            adjustments.append(adjustment)
                        claim_res -= value
                        if line is not None:
                            line_res -= value

                    elif kind == _DTM:  # a date of the open line, else claim, else advice
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
                            self.advice.production_date = value

                    elif kind == _SVC:  # a service line: its ServicePayment
                        if claim is None:
                            raise _outside_claim("SVC")
                        if line_res:
                            unbalanced = True
                        line_res = value
                        line = _new(ServicePayment)
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
                        claim.lines.append(line)

                    elif kind == _AMT:  # an amount of the open line, else claim
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

                    else:  # _LQ: a remark code of the open line
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

    # --- the other segments, each to its handler (_HANDLERS) ------------------------------

    def bpr(self, e: list[str]) -> None:
        if self.seen_bpr or self.claim is not None:
            raise X12Error("BPR must come once, first in the transaction set")
        p = self.advice
        p.handling = code(e, 1, PAYMENT_HANDLING, "transaction handling code")
        total, cents = money(e, 2)
        debit = code(e, 3, _CREDIT_DEBIT, "credit/debit flag (C or D)") == "D"
        p.amount = -total if debit else total
        self.bpr_cents = -cents if debit else cents
        p.method = code(e, 4, PAYMENT_METHODS, "payment method (ACH, CHK, NON, BOP, FWT)")
        p.payment_date = date8(e, 16)
        self.seen_bpr = True

    def trn(self, e: list[str]) -> None:
        if self.claim is not None:
            raise X12Error("TRN belongs in the header, before the claims")
        self.advice.trace_number = text(e, 2)
        self.advice.trace_originator = optional(e, 3)
        self.seen_trn = True

    def n1(self, e: list[str]) -> None:
        if self.claim is not None:
            raise X12Error("N1 belongs in the header, before the claims")
        p = self.advice
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

    def header_ref(self, qualifier: str, value: str) -> None:
        """A REF of the header or of its payer / payee loop (`body` reads REF)."""
        p = self.advice
        p.references[qualifier] = value
        if self.party == "PE" and qualifier == "TJ" and p.payee_tax_id is None:
            p.payee_tax_id = value
        elif self.party == "PR" and qualifier == "2U" and not p.payer_id:
            p.payer_id = value

    def lx(self, e: list[str]) -> None:
        self.no_summary("LX")
        self.header_number = text(e, 1)
        self.claim = self.line = None

    def ts3(self, e: list[str]) -> None:
        if self.header_number is None or self.claim is not None:
            raise X12Error("TS3 belongs right after LX")
        self.advice.summaries.append(
            ProviderSummary(text(e, 1), text(e, 2), date8(e, 3), amount(e, 4), amount(e, 5))
        )

    def clp(self, e: list[str]) -> tuple[RemittanceClaim, Cents, Cents]:
        """A claim: its RemittanceClaim, with its charge - paid and its paid in cents."""
        if self.summary or not self.seen_bpr:
            self.no_summary("CLP")
            raise X12Error("CLP before the BPR: the payment header is missing")
        k = len(e)
        if k < 8:
            raise _missing(e)
        if not e[1]:
            raise X12Error("the claim id is missing", element="CLP01")
        if e[2] not in CLAIM_STATUS:
            code(e, 2, CLAIM_STATUS, "claim status code")
        if not e[6]:
            raise X12Error("the claim filing indicator is missing", element="CLP06")
        try:
            charge, charge_cents = MONEY[e[3]]
            paid, paid_cents = MONEY[e[4]]
        except KeyError:
            (charge, charge_cents), (paid, paid_cents) = money(e, 3), money(e, 4)
        if k < 10:
            e = e + [""] * (10 - k)
        claim = _new(RemittanceClaim)
        claim.claim_id = e[1]
        claim.status = e[2]
        claim.charge = charge
        claim.paid = paid
        if e[5]:
            try:
                claim.patient_responsibility = MONEY[e[5]][0]
            except KeyError:
                claim.patient_responsibility = amount(e, 5)
        else:
            claim.patient_responsibility = None
        claim.filing_indicator = e[6]
        claim.payer_claim_control_number = e[7]
        claim.facility_code = e[8]
        claim.frequency_code = e[9]
        claim.header_number = self.header_number
        claim.adjustments = []
        claim.lines = []
        claim.parties = []
        claim.remarks = []
        self.advice.claims.append(claim)
        return claim, charge_cents - paid_cents, paid_cents

    def nm1(self, e: list[str]) -> None:
        """A party to the claim."""
        claim = self.open_claim("NM1")
        k = len(e)
        if k < 3 or not e[1]:
            raise X12Error("the entity code is missing", element="NM101")
        if k < 10:  # trailing elements left out: pad, as they are empty
            e = e + [""] * (10 - k)
        claim.parties.append(Party(e[1], e[3], e[4], e[8], e[9]))

    def mia(self, e: list[str]) -> None:
        claim = self.open_claim("MIA")
        claim.inpatient = e[1:]
        claim.remarks.extend(r for i in (5, 20, 21, 22, 23) if (r := optional(e, i)))

    def moa(self, e: list[str]) -> None:
        claim = self.open_claim("MOA")
        claim.outpatient = e[1:]
        claim.remarks.extend(r for r in e[3:8] if r)

    def qty(self, e: list[str]) -> None:
        qualifier, value = text(e, 1), amount(e, 2)
        line = self.line
        if line is not None:
            if line.quantities is None:
                line.quantities = {}
            line.quantities[qualifier] = value
        else:
            claim = self.open_claim("QTY")
            if claim.quantities is None:
                claim.quantities = {}
            claim.quantities[qualifier] = value

    def plb(self, e: list[str]) -> None:
        self.summary = True
        self.claim = self.line = None
        provider, period = text(e, 1), date8(e, 2)
        sep = self.component
        n = len(e)
        if n > 15:
            raise X12Error(f"PLB has {n - 1} elements; at most 14 (six reason/amount pairs)")
        if n < 5:
            raise _missing(e)
        adjustments = self.advice.provider_adjustments
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
            adjustments.append(ProviderLevelAdjustment(provider, period, reason, reference, value))
            self.plb_cents += cents

    def skip(self, e: list[str]) -> None:
        """Read past: free text, addresses and contacts, currency, Part A summaries."""

    # --- helpers -----------------------------------------------------------------------

    def open_claim(self, sid: str) -> RemittanceClaim:
        if self.claim is None:
            raise _outside_claim(sid)
        return self.claim

    def no_summary(self, sid: str) -> None:
        if self.summary:
            raise X12Error(f"{sid} after the provider adjustments (PLB): the order is wrong")


# The segments `body` hands to a handler; any other segment than these and those `body` reads
# itself ends the body (SE, or one out of place, which the envelope reports).
_HANDLERS: dict[str, Callable[[_Parser, list[str]], None]] = {
    "BPR": _Parser.bpr,
    "TRN": _Parser.trn,
    "N1": _Parser.n1,
    "LX": _Parser.lx,
    "TS3": _Parser.ts3,
    "MIA": _Parser.mia,
    "MOA": _Parser.moa,
    "QTY": _Parser.qty,
    "PLB": _Parser.plb,
    **dict.fromkeys(("NTE", "CUR", "N2", "N3", "N4", "PER", "RDM", "TS2"), _Parser.skip),
}


def read_835(source: Source, warnings: list[str] | None = None) -> Iterator[RemittanceAdvice]:
    """Yield each remittance advice (835 transaction set) in `source`: a path or an open text
    stream.

    Raises X12Error (with the segment number, id, element and problem) for anything that is
    not a readable 835; payments already yielded stay valid. What is odd but readable is
    added to `warnings` once the whole file is read.
    """
    return read_transactions(source, REMITTANCE, _Parser(), warnings=warnings)
