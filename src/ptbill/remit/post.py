"""`ptbill post FILE.835`: post a remittance to the ledger, all of it or nothing.

- Idempotent: the file's sha256 is unique in `remittances`; the same file again is refused with
  a clear message and changes nothing. Two processes posting the same file at once: the second
  waits on the first's transaction (PostgreSQL: the unique index; SQLite: the write lock) and is
  then refused, so the file posts once.
- Atomic: the caller runs this in one transaction; a file that stops being readable halfway
  (or any other error) rolls everything back.
- Matching: each claim payment (CLP) to its claim by CLP01 (our CLM01, the claim number), else
  by the line control numbers (REF*6R) of its service lines; each service line to its claim
  line by REF*6R, else by code and modifiers. What matches nothing, or a claim that cannot take
  a payment in its state, becomes an `unmatched` work item (the money is still recorded).
- Reversals (CLP02 = 22) post their negative amounts and take the claim back to `accepted`;
  the corrected payment that usually follows is posted like any other. A new decision on a
  claim closes the work items of the decision it replaces.
- Provider-level adjustments (PLB) are recorded against the payment (and the claim, when their
  reference names one).
- Every adjustment is classified (ptbill.remit.classify); denials become `denial` work items
  with their deadline; lines paid short of the expected payment beyond the payer's tolerance
  become `underpayment` work items with their likely cause (ptbill.pricing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.states import POSTABLE, State, allowed, audit_row
from ptbill.ledger.stored import priced_line_from_json
from ptbill.pricing import Adjustment as PricingAdjustment
from ptbill.pricing import PaidLine, PricedVisit, Tolerance, find_underpayments
from ptbill.remit.classify import UNPROCESSABLE, classify, due_date
from ptbill.x12 import ClaimPayment, Payment, X12Error, read_835
from ptbill.x12.read_835 import Adjustment, ServiceLine

ZERO = Decimal(0)
FIX_835 = (
    "check that this is the whole 835 file as the payer sent it (005010X221A1); if it "
    "was cut or altered, ask the payer or clearinghouse to send it again"
)
_CHUNK = 500
# Work items a new decision on a claim replaces.
_DECISION_ITEMS = ("denial", "underpayment", "rejection")
_UNDERPAYMENT_ACTION = {"deductible": "bill_patient", "sequestration": "informational"}


@dataclass
class PostSummary:
    file: str
    remittance_id: int = 0
    payments: int = 0
    claims: int = 0
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    reversals: int = 0
    paid_total: Decimal = ZERO
    provider_adjustments: Decimal = ZERO
    denial_items: int = 0
    underpayment_items: int = 0
    states: Counter[str] = field(default_factory=Counter)
    imbalances: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "remittance_id": self.remittance_id,
            "payments": self.payments,
            "claims": self.claims,
            "matched": self.matched,
            "unmatched": self.unmatched,
            "reversals": self.reversals,
            "paid_total": self.paid_total,
            "provider_adjustments": self.provider_adjustments,
            "denial_items": self.denial_items,
            "underpayment_items": self.underpayment_items,
            "states": dict(sorted(self.states.items())),
            "imbalances": self.imbalances,
        }


class AlreadyPosted(InputError):
    pass


def _already(path: str, before: m.Remittance | None, sha: str) -> AlreadyPosted:
    when = (
        f" on {before.received_on} (remittance #{before.id}, {before.claim_count} claims)"
        if before is not None
        else " by another process just now"
    )
    return AlreadyPosted(
        path,
        None,
        None,
        f"this 835 (sha256 {sha[:12]}...) was already posted{when}; nothing was changed",
        "nothing to do: a remittance posts once",
    )


def post_file(
    session: Session,
    path: str,
    *,
    who: str,
    config: Config | None = None,
    as_of: dt.date | None = None,
) -> PostSummary:
    """Post the 835 at `path` in the caller's transaction (which the caller commits)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, None, None, "no such file", "check the path") from None
    except OSError as e:
        raise InputError(
            path,
            None,
            None,
            f"cannot read the file ({e.strerror})",
            "check the path and its permissions",
        ) from None
    sha = hashlib.sha256(data).hexdigest()
    text = data.decode("utf-8", errors="replace")
    del data
    return post_text(session, text, path, who=who, config=config, as_of=as_of, sha=sha, source=path)


def post_text(
    session: Session,
    text: str,
    name: str,
    *,
    who: str,
    config: Config | None,
    as_of: dt.date | None,
    sha: str | None = None,
    source: str | None = None,
) -> PostSummary:
    """Post an 835 given as text (`source`: the same text's file, read again as a stream so
    that memory holds one payment at a time besides the text kept for the ledger)."""
    sha = sha or hashlib.sha256(text.encode()).hexdigest()
    before = session.scalar(select(m.Remittance).where(m.Remittance.sha256 == sha))
    if before is not None:
        raise _already(name, before, sha)
    poster = _Poster(session, name, who, config, as_of)
    try:
        for payment in read_835(source if source is not None else io.StringIO(text)):
            if poster.remittance is None:
                poster.open(sha, text, payment)
            poster.post(payment)
    except X12Error as e:
        raise InputError(name, None, e.where() or None, e.problem, FIX_835) from None
    if poster.remittance is None:
        raise InputError(
            name, None, None, "the file holds no payment (835 transaction set)", FIX_835
        )
    poster.close()
    return poster.summary


@dataclass(slots=True)
class _Claim:
    """The columns of a claim posting reads and changes (plain values: fast in bulk)."""

    id: int
    claim_number: str
    state: str
    version: int
    payer_id: int
    date_of_service: dt.date
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    contractual: Decimal
    denied: Decimal
    payer_control_number: str | None
    first_response: str | None
    first_determined_on: dt.date | None
    determined_on: dt.date | None
    closed_on: dt.date | None
    touched: bool = False

    def changes(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "state": self.state,
            "paid": self.paid,
            "patient_responsibility": self.patient_responsibility,
            "contractual": self.contractual,
            "denied": self.denied,
            "payer_control_number": self.payer_control_number,
            "first_response": self.first_response,
            "first_determined_on": self.first_determined_on,
            "determined_on": self.determined_on,
            "closed_on": self.closed_on,
        }


# The keys of the line and adjustment rows, in the order claim_payment() builds them.
_LINE_KEYS = (
    "seq",
    "claim_line_id",
    "code",
    "modifiers",
    "charge",
    "paid",
    "allowed",
    "units",
    "control_number",
    "remarks",
    "date_of_service",
)
_ADJ_KEYS = ("group_code", "carc", "rarc", "amount", "category", "action")
_CLAIM_COLUMNS = [
    m.Claim.id,
    m.Claim.claim_number,
    m.Claim.state,
    m.Claim.version,
    m.Claim.payer_id,
    m.Claim.date_of_service,
    m.Claim.charge,
    m.Claim.paid,
    m.Claim.patient_responsibility,
    m.Claim.contractual,
    m.Claim.denied,
    m.Claim.payer_control_number,
    m.Claim.first_response,
    m.Claim.first_determined_on,
    m.Claim.determined_on,
    m.Claim.closed_on,
]


@dataclass(slots=True)
class _Line:
    id: int
    version: int
    line_number: int
    code: str
    modifiers: str
    expected_payment: Decimal | None
    control_number: str


class _Poster:
    def __init__(
        self, session: Session, name: str, who: str, config: Config | None, as_of: dt.date | None
    ) -> None:
        self.s, self.name, self.who, self.config, self.as_of = session, name, who, config, as_of
        self.summary = PostSummary(name)
        self.remittance: m.Remittance | None = None
        self.claims: dict[str, _Claim] = {}  # by claim number, for the whole file
        self.lines: dict[int, list[_Line]] = {}  # by claim id
        self.payers: dict[int, m.Payer] = {p.id: p for p in session.scalars(select(m.Payer))}
        self.decided: dict[int, str] = {}  # claims the file moved: id -> state
        self.bulk = Bulk(session)
        self.conn = session.connection()  # Core selects: no ORM work for plain rows

    # -- file ---------------------------------------------------------------------------------

    def open(self, sha: str, text: str, first: Payment) -> None:
        received = self.as_of or first.production_date or first.payment_date
        if received is None:
            raise InputError(
                self.name,
                None,
                "BPR16",
                "the payment has no date",
                "give the posting date with --as-of",
            )
        self.remittance = m.Remittance(
            sha256=sha, file_name=self.name[-300:], content=text, received_on=received
        )
        self.s.add(self.remittance)
        try:
            self.s.flush()
        except IntegrityError:
            raise _already(self.name, None, sha) from None
        self.summary.remittance_id = self.remittance.id

    def close(self) -> None:
        r = self.remittance
        assert r is not None
        r.payment_count, r.claim_count = self.summary.payments, self.summary.claims
        r.total_paid = self.summary.paid_total
        self.summary.states = Counter(self.decided.values())

    # -- one payment (an 835 transaction set) ------------------------------------------------

    def post(self, p: Payment) -> None:
        assert self.remittance is not None
        determined = p.production_date or p.payment_date or self.remittance.received_on
        on = self.as_of or determined
        payment = m.Payment(
            remittance_id=self.remittance.id,
            control_number=p.control_number[:9],
            trace_number=p.trace_number[:50],
            payment_date=p.payment_date,
            determined_on=determined,
            amount=p.amount,
            method=p.method[:3],
            payer_name=p.payer[:60],
            payer_identifier=p.payer_id[:80],
            payee_npi=p.payee_npi,
        )
        self.s.add(payment)
        self.s.flush()
        self.summary.payments += 1
        self.summary.paid_total += p.amount
        self.summary.imbalances += [f"payment {p.trace_number}: {i.message}" for i in p.imbalances]
        matched = self._match(p.claims)
        batch = _Batch(self, payment.id, determined, on, f"remittance:{self.remittance.id}")
        for seq, (cp, claim) in enumerate(zip(p.claims, matched, strict=True), start=1):
            batch.claim_payment(seq, cp, claim)
        batch.provider_adjustments(p)
        batch.write()
        # Claims may come back in a later payment: they are read again then (with what this
        # payment wrote), so memory does not grow with the file.
        self.claims.clear()
        self.lines.clear()

    def _match(self, payments: list[ClaimPayment]) -> list[_Claim | None]:
        numbers = {cp.claim_id for cp in payments} - set(self.claims)
        self._load(m.Claim.claim_number, list(numbers))
        unmatched = [cp for cp in payments if cp.claim_id not in self.claims]
        by_control: dict[str, str] = {}
        if unmatched:
            controls = [x.control_number for cp in unmatched for x in cp.lines if x.control_number]
            for i in range(0, len(controls), _CHUNK):
                q = (
                    select(m.ClaimLine.control_number, m.Claim.claim_number)
                    .join(m.ClaimVersion, m.ClaimVersion.id == m.ClaimLine.version_id)
                    .join(m.Claim, m.Claim.id == m.ClaimVersion.claim_id)
                    .where(m.ClaimLine.control_number.in_(controls[i : i + _CHUNK]))
                )
                by_control.update({k: v for k, v in self.conn.execute(q)})
            self._load(
                m.Claim.claim_number, [n for n in set(by_control.values()) if n not in self.claims]
            )
        out: list[_Claim | None] = []
        for cp in payments:
            claim = self.claims.get(cp.claim_id)
            if claim is None:
                number = next(
                    (
                        by_control[x.control_number]
                        for x in cp.lines
                        if x.control_number in by_control
                    ),
                    None,
                )
                claim = self.claims.get(number) if number else None
            out.append(claim)
        self._load_lines([c.id for c in out if c is not None and c.id not in self.lines])
        return out

    def _load(self, column: Any, values: list[str]) -> None:
        for i in range(0, len(values), _CHUNK):
            for row in self.conn.execute(
                select(*_CLAIM_COLUMNS).where(column.in_(values[i : i + _CHUNK]))
            ):
                self.claims[row.claim_number] = _Claim(*row)

    def _load_lines(self, claim_ids: list[int]) -> None:
        ids = list(dict.fromkeys(claim_ids))
        for claim_id in ids:
            self.lines[claim_id] = []
        for i in range(0, len(ids), _CHUNK):
            q = (
                select(
                    m.ClaimVersion.claim_id,
                    m.ClaimLine.id,
                    m.ClaimVersion.version,
                    m.ClaimLine.line_number,
                    m.ClaimLine.code,
                    m.ClaimLine.modifiers,
                    m.ClaimLine.expected_payment,
                    m.ClaimLine.control_number,
                )
                .join(m.ClaimVersion, m.ClaimVersion.id == m.ClaimLine.version_id)
                .where(m.ClaimVersion.claim_id.in_(ids[i : i + _CHUNK]))
            )
            for claim_id, *rest in self.conn.execute(q):
                self.lines[claim_id].append(_Line(*rest))


class _Batch:
    """The rows one payment writes, collected and then inserted in bulk."""

    def __init__(
        self, poster: _Poster, payment_id: int, determined: dt.date, on: dt.date, source: str
    ) -> None:
        self.p = poster
        self.payment_id, self.determined, self.on, self.source = payment_id, determined, on, source
        self.claim_payments: list[dict[str, Any]] = []
        self.lines: list[list[tuple[Any, ...]]] = []  # per claim payment
        self.adjustments: list[list[tuple[int | None, tuple[Any, ...]]]] = []  # (line seq, row)
        self.audit: list[dict[str, Any]] = []
        self.work: list[dict[str, Any]] = []
        self.decided: set[int] = set()  # claims whose older decision items close
        self.touched: dict[int, _Claim] = {}
        self.underpaid: list[tuple[_Claim, int, list[tuple[_Line, ServiceLine]]]] = []

    # -- one CLP ------------------------------------------------------------------------------

    def claim_payment(self, seq: int, cp: ClaimPayment, claim: _Claim | None) -> None:
        p = self.p
        p.summary.claims += 1
        reason = None
        if claim is None:
            reason = "no claim has this claim number (CLP01) or these line control numbers"
        elif claim.state not in POSTABLE:
            reason = f"claim {claim.claim_number} is {claim.state}: it cannot take a payment"
            claim = None
        lines = p.lines.get(claim.id, []) if claim is not None else []
        version, matches = _match_lines(claim, lines, cp.lines)
        remarks = list(cp.remarks)
        patient = (
            cp.patient_responsibility
            if cp.patient_responsibility is not None
            else sum((a.amount for a in _all_adjustments(cp) if a.group == "PR"), ZERO)
        )
        row = {
            "payment_id": self.payment_id,
            "seq": seq,
            "claim_id": claim.id if claim else None,
            "version": version,
            "clp01": cp.claim_id[:38],
            "status": cp.status[:2],
            "charge": cp.charge,
            "paid": cp.paid,
            "patient_responsibility": patient,
            "payer_control_number": cp.payer_claim_control_number[:50],
            "reversal": cp.is_reversal,
            "determined_on": self.determined,
            "state_after": None,
        }
        line_rows: list[tuple[Any, ...]] = []
        adjustments: list[tuple[int | None, tuple[Any, ...]]] = []
        for a in cp.adjustments:
            adjustments.append((None, self._adjustment(a, remarks[0] if remarks else None)))
        for n, (svc, line) in enumerate(zip(cp.lines, matches, strict=True), start=1):
            line_rows.append(
                (  # in the order of _LINE_KEYS
                    n,
                    line.id if line else None,
                    svc.code[:8],
                    " ".join(svc.modifiers)[:20],
                    svc.charge,
                    svc.paid,
                    _allowed(svc),
                    str(svc.units)[:12],
                    (svc.control_number or "")[:50] or None,
                    " ".join(svc.remarks)[:200],
                    svc.date_of_service or cp.statement_start,
                )
            )
            rarc = svc.remarks[0] if svc.remarks else (remarks[0] if remarks else None)
            for a in svc.adjustments:
                adjustments.append((n, self._adjustment(a, rarc)))
        self.claim_payments.append(row)
        self.lines.append(line_rows)
        self.adjustments.append(adjustments)
        if claim is None:
            p.summary.unmatched.append(cp.claim_id)
            self._unmatched(cp, reason or "")
            return
        p.summary.matched += 1
        row["state_after"] = self._apply(claim, cp, patient, [r for _, r in adjustments], version)
        if not cp.is_reversal:
            self._work(claim, cp, adjustments, line_rows, matches)

    def _adjustment(self, a: Adjustment, rarc: str | None) -> tuple[Any, ...]:
        """An adjustment row, in the order of _ADJ_KEYS."""
        c = classify(a.group, a.reason, rarc)
        return (a.group[:2], a.reason[:5], rarc, a.amount, c.category, c.action)

    def _apply(
        self,
        claim: _Claim,
        cp: ClaimPayment,
        patient: Decimal,
        adjustments: list[tuple[Any, ...]],
        version: int,
    ) -> str:
        """Add the payment to the claim's totals and move its state."""
        claim.paid += cp.paid
        claim.patient_responsibility += patient
        for group, _, _, amount, category, _ in adjustments:
            if group == "PR":
                continue
            if category == "contractual":
                claim.contractual += amount
            elif category != "patient_responsibility":
                claim.denied += amount
        if cp.is_reversal:
            to = State.ACCEPTED
            why = (
                f"reversal (CLP02 22) of payer claim {cp.payer_claim_control_number} in "
                f"{self.source}"
            )
            self.p.summary.reversals += 1
        else:
            to = _outcome(cp, adjustments)
            why = (
                f"{cp.status_meaning} by the payer (CLP02 {cp.status}); paid {cp.paid} of "
                f"{cp.charge}, version {version}, in {self.source}"
            )
            if cp.payer_claim_control_number:
                claim.payer_control_number = cp.payer_claim_control_number[:50]
            claim.first_determined_on = claim.first_determined_on or self.determined
            claim.determined_on = self.determined
            if claim.first_response is None and version == 1:
                claim.first_response = "accepted"
        self.decided.add(claim.id)
        if to != claim.state:
            if allowed(claim.state, to):
                self.audit.append(audit_row(claim.id, claim.state, to, self.p.who, self.on, why))
                claim.state = str(to)
            else:  # e.g. a second decision on a closed claim: money recorded, state kept
                self.work.append(
                    self._item(
                        claim,
                        "unmatched",
                        "other",
                        None,
                        None,
                        cp.paid,
                        "review",
                        f"claim {claim.claim_number} is "
                        f"{claim.state}; the payer's new decision ({why}) "
                        "needs a person to look",
                        self.on + dt.timedelta(days=30),
                    )
                )
        self.touched[claim.id] = claim
        self.p.decided[claim.id] = claim.state
        return claim.state

    # -- work items ---------------------------------------------------------------------------

    def _item(
        self,
        claim: _Claim | None,
        kind: str,
        category: str,
        carc: str | None,
        rarc: str | None,
        amount: Decimal | None,
        action: str,
        detail: str,
        due: dt.date,
        reference: str | None = None,
    ) -> dict[str, Any]:
        return {
            "claim_id": claim.id if claim else None,
            "reference": (reference or (claim.claim_number if claim else ""))[:50],
            "visit_id": claim.claim_number if claim else None,
            "kind": kind,
            "category": category,
            "carc": carc,
            "rarc": rarc,
            "amount": amount,
            "action": action,
            "detail": detail,
            "due_date": due,
            "status": "open",
            "created_on": self.on,
            "closed_on": None,
            "resolution": None,
            "source": self.source,
        }

    def _unmatched(self, cp: ClaimPayment, reason: str) -> None:
        self.work.append(
            self._item(
                None,
                "unmatched",
                "unmatched",
                None,
                None,
                cp.paid,
                "review",
                f"835 claim {cp.claim_id} (payer claim {cp.payer_claim_control_number or '-'}, "
                f"status {cp.status}, paid {cp.paid}): {reason}; find the claim and post it by "
                "hand, or return the money",
                self.on + dt.timedelta(days=30),
                reference=cp.claim_id,
            )
        )

    def _work(
        self,
        claim: _Claim,
        cp: ClaimPayment,
        adjustments: list[tuple[int | None, tuple[Any, ...]]],
        line_rows: list[tuple[Any, ...]],
        matches: list[_Line | None],
    ) -> None:
        payer = self.p.payers[claim.payer_id]
        denied_lines: set[int] = set()
        for line_seq, (group, carc, rarc, amount, _, _) in adjustments:
            if amount <= 0:
                continue
            c = classify(group, carc, rarc)
            if not c.is_denial:
                continue
            if line_seq is not None:
                denied_lines.add(line_seq)
            where = f"line {line_rows[line_seq - 1][2]}" if line_seq is not None else "the claim"
            due = due_date(
                c.action,
                medicare=payer.medicare,
                appeal_days=payer.appeal_days,
                timely_filing_days=payer.timely_filing_days,
                date_of_service=claim.date_of_service,
                determined_on=self.determined,
                processed=rarc not in UNPROCESSABLE,
            )
            self.work.append(
                self._item(
                    claim,
                    "denial",
                    c.category,
                    carc,
                    rarc,
                    amount,
                    c.action,
                    f"{where}: {group}-{carc} {c.plain}. {c.advice[:1].upper()}{c.advice[1:]}",
                    due,
                )
            )
        short = []
        for n, (svc, line) in enumerate(zip(cp.lines, matches, strict=True), start=1):
            if line is None or n in denied_lines or line.expected_payment is None:
                continue
            if svc.paid < line.expected_payment:
                short.append((line, svc))
        if short and not any(
            a[4] != "contractual" and a[0] != "PR" and line_seq is None
            for line_seq, a in adjustments
        ):
            self.underpaid.append((claim, len(self.work), short))

    def _underpayments(self) -> None:
        """Explain short-paid lines with ptbill.pricing (only for claims with a short line)."""
        if not self.underpaid:
            return
        line_ids = [line.id for _, _, short in self.underpaid for line, _ in short]
        priced: dict[int, str] = {}
        for i in range(0, len(line_ids), _CHUNK):
            q = select(m.ClaimLine.id, m.ClaimLine.price_json).where(
                m.ClaimLine.id.in_(line_ids[i : i + _CHUNK])
            )
            priced.update({k: v for k, v in self.p.s.execute(q) if v})
        for claim, _, short in self.underpaid:
            payer = self.p.payers[claim.payer_id]
            tolerance = self._tolerance(payer)
            priced_lines, paid = [], []
            for line, svc in short:
                if line.id not in priced:
                    continue
                pl = priced_line_from_json(priced[line.id])
                priced_lines.append(pl)
                paid.append(
                    PaidLine(
                        pl.index,
                        svc.paid,
                        svc.allowed,
                        tuple(
                            PricingAdjustment(a.group, a.reason, a.amount) for a in svc.adjustments
                        ),
                    )
                )
            if not priced_lines:
                continue
            visit = PricedVisit(
                claim.claim_number,
                claim.date_of_service,
                payer.key,
                "medicare_pfs" if payer.medicare else "fee_schedule",
                None,
                tuple(priced_lines),
            )
            for u in find_underpayments(visit, paid, tolerance):
                action = _UNDERPAYMENT_ACTION.get(u.likely_cause, "reopen")
                due = due_date(
                    action,
                    medicare=payer.medicare,
                    appeal_days=payer.appeal_days,
                    timely_filing_days=payer.timely_filing_days,
                    date_of_service=claim.date_of_service,
                    determined_on=self.determined,
                )
                self.work.append(
                    self._item(
                        claim,
                        "underpayment",
                        u.likely_cause,
                        None,
                        None,
                        u.gap,
                        action,
                        f"line {u.code} {' '.join(u.modifiers)}: {u.explanation}",
                        due,
                    )
                )
                self.p.summary.underpayment_items += 1

    def _tolerance(self, payer: m.Payer) -> Tolerance:
        profile = self.p.config.payer(payer.key) if self.p.config is not None else None
        return Tolerance.from_profile(profile) if profile is not None else Tolerance()

    def provider_adjustments(self, p: Payment) -> None:
        if not p.provider_adjustments:
            return
        refs = {a.reference for a in p.provider_adjustments if a.reference}
        claims: dict[str, int] = {}
        if refs:
            q = select(m.Claim.claim_number, m.Claim.payer_control_number, m.Claim.id).where(
                m.Claim.claim_number.in_(refs) | m.Claim.payer_control_number.in_(refs)
            )
            for number, icn, cid in self.p.s.execute(q):
                claims[number] = cid
                if icn:
                    claims[icn] = cid
        rows = [
            {
                "payment_id": self.payment_id,
                "claim_id": claims.get(a.reference),
                "reason": a.reason[:4],
                "reference": a.reference[:50],
                "amount": a.amount,
                "fiscal_period_end": a.fiscal_period_end,
            }
            for a in p.provider_adjustments
        ]
        self.p.bulk.insert(m.ProviderAdjustment, rows)
        self.p.summary.provider_adjustments += sum((a.amount for a in p.provider_adjustments), ZERO)

    # -- writing ------------------------------------------------------------------------------

    def write(self) -> None:
        s = self.p.s
        self._underpayments()
        bulk = self.p.bulk
        cp_ids = bulk.insert(m.ClaimPayment, self.claim_payments, with_ids=True)
        line_rows = [
            (cp_id, *row) for cp_id, rows in zip(cp_ids, self.lines, strict=True) for row in rows
        ]
        names = ["claim_payment_id", *_LINE_KEYS]
        line_ids = bulk.insert_tuples(m.LinePayment, names, line_rows, with_ids=True)
        line_id = {(r[0], r[1]): i for r, i in zip(line_rows, line_ids, strict=True)}
        adjustments = [
            (cp_id, None if n is None else line_id[(cp_id, n)], *a)
            for cp_id, rows in zip(cp_ids, self.adjustments, strict=True)
            for n, a in rows
        ]
        bulk.insert_tuples(
            m.Adjustment, ["claim_payment_id", "line_payment_id", *_ADJ_KEYS], adjustments
        )
        if self.decided:
            ids = list(self.decided)
            for i in range(0, len(ids), _CHUNK):
                s.execute(
                    update(m.WorkItem)
                    .where(
                        m.WorkItem.claim_id.in_(ids[i : i + _CHUNK]),
                        m.WorkItem.kind.in_(_DECISION_ITEMS),
                        m.WorkItem.status == "open",
                        m.WorkItem.source != self.source,
                    )
                    .values(
                        status="done",
                        closed_on=self.on,
                        resolution=f"superseded by the payer's decision in {self.source}",
                    )
                )
        if self.touched:
            bulk.update(m.Claim, [c.changes() for c in self.touched.values()])
        bulk.insert(m.AuditEntry, self.audit)
        bulk.insert(m.WorkItem, self.work)
        self.p.summary.denial_items += sum(1 for w in self.work if w["kind"] == "denial")


def _all_adjustments(cp: ClaimPayment) -> Iterable[Adjustment]:
    yield from cp.adjustments
    for line in cp.lines:
        yield from line.adjustments


def _allowed(svc: ServiceLine) -> Decimal:
    """The payer's allowed amount for a line: AMT*B6, else paid + patient share + the
    reductions taken after allowing (sequestration)."""
    if svc.allowed is not None:
        return svc.allowed
    return svc.paid + sum(
        (a.amount for a in svc.adjustments if a.group == "PR" or a.reason == "253"), ZERO
    )


def _outcome(cp: ClaimPayment, adjustments: list[tuple[Any, ...]]) -> State:
    denial = any(
        a[3] > 0 and a[4] not in ("contractual", "patient_responsibility") for a in adjustments
    )
    if cp.status == "4" or (cp.paid <= 0 and denial):
        return State.DENIED
    return State.PARTIALLY_PAID if denial else State.PAID


def _match_lines(
    claim: _Claim | None, lines: list[_Line], services: list[ServiceLine]
) -> tuple[int | None, list[_Line | None]]:
    """The version the payment answers and the claim line of each service line."""
    if claim is None:
        return None, [None] * len(services)
    by_control = {x.control_number: x for x in lines}
    found = [by_control.get(svc.control_number or "") for svc in services]
    versions = {x.version for x in found if x is not None}
    version = max(versions) if versions else claim.version
    pool = [x for x in lines if x.version == version and x not in found]
    for i, svc in enumerate(services):
        if found[i] is not None:
            continue
        wanted = " ".join(svc.modifiers)
        pick = next(
            (x for x in pool if x.code == svc.code and x.modifiers == wanted), None
        ) or next((x for x in pool if x.code == svc.code), None)
        if pick is not None:
            pool.remove(pick)
            found[i] = pick
    return version, found
