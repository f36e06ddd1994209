"""Patient statements (`ptbill statements --as-of DATE`): for every patient with a balance due,
a statement as PDF (one per patient and one batch file for printing) and a CSV row (for a mail
vendor, with the clinic's key), and the dunning cycle that follows each balance.

The cycle: a first statement; a reminder 30 days after it; a final notice at 60 days; 30 days
after the final notice, a `collections` work item and no more statements. Between those steps a
run sends nothing to that patient. A balance paid or written off ends the cycle (a `closed`
row), after collections too (its work item is done): a later balance starts a new one. Credits
are applied before (ptbill.ledger.patient_pay).

A run reaches the patients of the clinics it is given (`--clinic`; on the web, those the writer
bills for). Each statement lists its patient's clinic (as configured), the patient, each visit
with a balance -- charges, what insurance paid, adjustments, the patient's share, what the
patient paid and what is owed -- the aging of the balance, and how to pay. Statements are
recorded (`statements`) with what they listed, so that what was sent can be shown again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Clinic, Config
from ptbill.ledger import models as m
from ptbill.ledger.balances import BUCKETS, PatientBalance, balances, cents
from ptbill.ledger.jsontext import to_json
from ptbill.ledger.patient_models import PatientTransaction, Statement
from ptbill.ledger.patient_pay import apply_credits, end_collections
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.work_items import close_open
from ptbill.remit.letter import latin1, phone_text
from ptbill.reports.cells import spreadsheet_row
from ptbill.reports.pdftext import Page, write_pdf

ZERO = Decimal(0)
REMINDER_DAYS, FINAL_DAYS, COLLECTIONS_DAYS = 30, 60, 30
DUE_DAYS = 30  # "please pay by": the statement date + this
STEPS = ("first", "reminder", "final")
ENDED = ("closed", "collections")
NOTICE = {
    "first": "Statement of your account.",
    "reminder": "Reminder: this balance is past due. Please pay it or call us.",
    "final": "Final notice: unless this balance is paid or arranged within 30 days, the account "
    "may be referred to collections.",
}
_IN_CHUNK = 1000  # claim ids a query names at most (SQLite's limit on parameters)

CSV_COLUMNS = (
    "patient_id",
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
    "statement_date",
    "step",
    "balance",
    *(f"aging_{name}" for name, _ in BUCKETS),
    "pay_by",
    "visits",
    "clinic",  # the configured clinic's key: whose return address the envelope carries
)


@dataclass
class StatementRun:
    as_of: dt.date
    statements: list[dict[str, Any]] = field(default_factory=list)
    patients: list[int] = field(default_factory=list)  # the ledger ids of `statements`' patients
    collections: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # a balance, but no step is due yet
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "statements": cents(self.statements),  # amounts with their two places
            "collections": self.collections,
            "closed": self.closed,
            "waiting": self.waiting,
            "files": self.files,
        }


def _next_step(history: list[Statement], as_of: dt.date) -> str | None:
    """The dunning step due for a patient with a balance (None: nothing due today)."""
    if not history or history[-1].step in ENDED:
        if history and history[-1].step == "collections":
            return None
        return "first"
    cycle: list[Statement] = []
    for s in reversed(history):
        if s.step in ENDED:
            break
        cycle.insert(0, s)
    first, last = cycle[0], cycle[-1]
    if last.statement_date >= as_of:
        return None
    if last.step == "first" and as_of >= first.statement_date + dt.timedelta(days=REMINDER_DAYS):
        return "reminder"
    if last.step == "reminder" and as_of >= first.statement_date + dt.timedelta(days=FINAL_DAYS):
        return "final"
    if last.step == "final" and as_of >= last.statement_date + dt.timedelta(days=COLLECTIONS_DAYS):
        return "collections"
    return None


def _addresses(session: Session, patient_ids: list[int]) -> dict[int, dict[str, str]]:
    """Each patient's address from their latest visit (the ledger keeps visits as given)."""
    out: dict[int, dict[str, str]] = {}
    for i in range(0, len(patient_ids), 500):
        q = (
            select(m.Visit.patient_id, m.Visit.source_json)
            .where(m.Visit.patient_id.in_(patient_ids[i : i + 500]))
            .order_by(m.Visit.date_of_service)
        )
        for pid, text in session.execute(q):
            address = json.loads(text).get("patient", {}).get("address")
            if address:
                out[pid] = address
    return out


def clinics_of(
    session: Session, config: Config, patient_ids: list[int]
) -> dict[int, Clinic | None]:
    """Each patient's clinic as configured (by the clinic's key, else its NPI; None: a
    clinic the configuration does not name), for the statement's letterhead."""
    out: dict[int, Clinic | None] = {}
    for i in range(0, len(patient_ids), 500):
        q = (
            select(m.Patient.id, m.Clinic.key, m.Clinic.npi)
            .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
            .where(m.Patient.id.in_(patient_ids[i : i + 500]))
        )
        for pid, key, npi in session.execute(q):
            out[pid] = config.clinic(key) or config.clinic_by_npi(npi)
    return out


def run_statements(
    session: Session,
    config: Config,
    *,
    as_of: dt.date,
    who: str,
    out_dir: Path | None = None,
    scope: Scope = EVERYTHING,
) -> StatementRun:
    """Make the statements due as of a date to the patients of `scope`'s clinics (and their
    files in `out_dir`, when given), each under its patient's clinic."""
    paying = session.scalars(
        select(PatientTransaction.patient_id)
        .where(scope.patient_ids(PatientTransaction.patient_id))
        .distinct()
    )
    apply_credits(session, list(paying), on=as_of, who=who)
    owed = balances(session, as_of, scope=scope)
    history: dict[int, list[Statement]] = {}
    for s in session.scalars(
        select(Statement)
        .where(scope.patient_ids(Statement.patient_id))
        .order_by(Statement.statement_date, Statement.id)
    ):
        history.setdefault(s.patient_id, []).append(s)
    run = StatementRun(as_of)
    due: list[tuple[PatientBalance, str]] = []
    for pid, bal in sorted(owed.items(), key=lambda kv: kv[1].external_id):
        past = history.get(pid, [])
        if bal.balance <= 0:
            if past and past[-1].step != "closed":  # a cycle, or collections, ends
                session.add(_row(pid, as_of, "closed", ZERO, {"reason": "paid or written off"}))
                end_collections(session, pid, as_of, "paid or written off")
                run.closed.append(bal.external_id)
            continue
        step = _next_step(past, as_of)
        if step is None:
            run.waiting.append(bal.external_id)
        elif step == "collections":
            session.add(_row(pid, as_of, "collections", bal.balance, {}))
            session.add(_collections_item(bal, as_of))
            run.collections.append(bal.external_id)
        else:
            due.append((bal, step))
    ids = [b.patient_id for b, _ in due]
    addresses, clinics = _addresses(session, ids), clinics_of(session, config, ids)
    pages = []
    for bal, step in due:
        detail = _detail(bal, step, as_of, addresses.get(bal.patient_id, {}))
        session.add(_row(bal.patient_id, as_of, step, bal.balance, detail))
        run.statements.append(detail)
        run.patients.append(bal.patient_id)
        pages.append((detail, clinics.get(bal.patient_id)))
    _billed(session, [v.claim_id for bal, _ in due for v in bal.visits if v.balance > 0], as_of)
    session.flush()
    if out_dir is not None and pages:
        run.files = write_files(pages, as_of, out_dir, Staged(session))
    return run


def _billed(session: Session, heads: list[int], on: dt.date) -> None:
    """The "bill the patient" denial items (PR-96, PR-119 ...: the payer gave the line to the
    patient) of the visits a statement now bills are done: no write-off applies to them (the
    payer owes nothing) and the statement is their work."""
    c = m.Claim
    for i in range(0, len(heads), _IN_CHUNK):
        part = heads[i : i + _IN_CHUNK]
        chain = session.scalars(
            select(c.id).where(c.id.in_(part) | c.primary_claim_id.in_(part))
        ).all()
        close_open(
            session,
            on,
            f"billed to the patient on the statement of {on.isoformat()}",
            ("denial",),
            claims=chain,
            action="bill_patient",
        )


def _row(pid: int, on: dt.date, step: str, balance: Decimal, detail: dict[str, Any]) -> Statement:
    return Statement(
        patient_id=pid, statement_date=on, step=step, balance=balance, detail_json=to_json(detail)
    )


def _collections_item(bal: PatientBalance, on: dt.date) -> m.WorkItem:
    return m.WorkItem(
        claim_id=None,
        patient_id=bal.patient_id,
        reference=f"patient:{bal.external_id}"[:50],
        visit_id=None,
        kind="collections",
        category="patient_balance",
        carc=None,
        rarc=None,
        amount=bal.balance,
        action="collections",
        detail=f"patient {bal.external_id} owes {bal.balance} after a first statement, a "
        "reminder and a final notice: refer to collections, arrange a payment plan, or write "
        "it off (`ptbill patient-writeoff`)",
        due_date=on + dt.timedelta(days=30),
        status="open",
        created_on=on,
        closed_on=None,
        resolution=None,
        source="statements",
    )


def _detail(
    bal: PatientBalance, step: str, as_of: dt.date, address: dict[str, str]
) -> dict[str, Any]:
    return {
        "patient_id": bal.external_id,
        "name": bal.name,
        "address": address,
        "statement_date": as_of,
        "step": step,
        "balance": bal.balance,
        "credit": bal.credit,
        "aging": bal.aging(as_of),
        "pay_by": as_of + dt.timedelta(days=DUE_DAYS),
        # The balance by reason (each listed visit's, net of what the patient paid on it).
        "owed_for": {k: v for k, v in bal.by_reason().items() if v > 0},
        "visits": [
            {
                "claim_id": v.claim_number,
                "date_of_service": v.date_of_service,
                "charges": v.charge,
                "insurance_paid": v.insurance_paid,
                "adjustments": v.adjustments,
                "your_share": v.share,
                "you_paid": v.applied,
                "owed": v.balance,
            }
            for v in bal.visits
            if v.balance > 0
        ],
    }


# -- files ----------------------------------------------------------------------------------


class Staged:
    """Files written under a temporary name (`.NAME.part`), given their names once the
    session's transaction commits and removed when it does not: no statement is left to be
    mailed for a run the ledger did not record."""

    def __init__(self, session: Session) -> None:
        self.paths: list[Path] = []
        event.listen(session, "after_commit", self._publish)
        event.listen(session, "after_transaction_end", self._discard)

    @staticmethod
    def _part(path: Path) -> Path:
        return path.with_name(f".{path.name}.part")

    def write(self, path: Path, data: bytes) -> None:
        self.paths.append(path)
        self._part(path).write_bytes(data)

    def _publish(self, session: Session) -> None:
        for path in self.paths:
            self._part(path).replace(path)
        self.paths = []

    def _discard(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:  # the transaction itself, not a savepoint in it
            for path in self.paths:
                self._part(path).unlink(missing_ok=True)
            self.paths = []


def write_files(
    pages: list[tuple[dict[str, Any], Clinic | None]],
    as_of: dt.date,
    out_dir: Path,
    staged: Staged,
) -> list[str]:
    """One PDF per patient (named by its clinic's key and the patient's id), one batch PDF
    with every statement, and the mail vendor's CSV; each statement under its clinic. Each
    page is rendered once (ptbill.reports.pdftext) and written into both PDFs, under a
    temporary name until the ledger commits (`staged`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    day = as_of.isoformat()
    streams: list[bytes] = []
    files = []
    for page, clinic in pages:
        mine = [x.stream() for x in render(page, clinic)]
        streams += mine
        whose = f"{clinic.key}-" if clinic is not None else ""  # clinics may share patient ids
        path = out_dir / f"statement-{_safe(whose + page['patient_id'])}-{day}.pdf"
        staged.write(path, write_pdf(mine, f"Statement {page['patient_id']}", as_of))
        files.append(str(path))
    batch_path = out_dir / f"statements-{day}.pdf"
    staged.write(batch_path, write_pdf(streams, f"Statements {day}", as_of))
    csv_path = out_dir / f"statements-{day}.csv"
    staged.write(csv_path, to_csv(pages).encode("utf-8"))
    return [str(batch_path), str(csv_path), *files]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64]


def to_csv(pages: list[tuple[dict[str, Any], Clinic | None]]) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p, clinic in pages:
        a = p["address"]
        w.writerow(
            spreadsheet_row(
                [
                    p["patient_id"],
                    p["name"],
                    a.get("line1", ""),
                    a.get("line2") or "",
                    a.get("city", ""),
                    a.get("state", ""),
                    a.get("zip", ""),
                    p["statement_date"],
                    p["step"],
                    _plain(p["balance"]),
                    *(_plain(p["aging"][name]) for name, _ in BUCKETS),
                    p["pay_by"],
                    len(p["visits"]),
                    clinic.key if clinic is not None else "",
                ]
            )
        )
    return buffer.getvalue()


def _plain(value: Any) -> str:
    """An amount as the CSV writes it: two places, no thousands separator."""
    return f"{Decimal(str(value)):.2f}"


def _money(value: Any) -> str:
    """An amount as the statement prints it (a Decimal, or its text in a stored statement)."""
    return f"{Decimal(str(value)):,.2f}"


def batch_pdf(pages: list[tuple[dict[str, Any], Clinic | None]], on: dt.date) -> bytes:
    """A day's statements as one PDF to print (from what each listed: stored statements)."""
    streams = [x.stream() for detail, clinic in pages for x in render(detail, clinic)]
    return write_pdf(streams, f"Statements {on.isoformat()}", on)


def statement_pdf(detail: dict[str, Any], clinic: Clinic | None) -> bytes:
    """One statement as PDF, from what it listed (a stored statement's detail)."""
    on = dt.date.fromisoformat(str(detail["statement_date"]))
    pages = [x.stream() for x in render(detail, clinic)]
    return write_pdf(pages, f"Statement {detail['patient_id']}", on)


# Columns of the visits table: (header, right edge in mm from the left, key).
_COLUMNS = (
    ("Date", 18, "date_of_service"),
    ("Charges", 68, "charges"),
    ("Insurance paid", 98, "insurance_paid"),
    ("Adjustments", 126, "adjustments"),
    ("Your share", 150, "your_share"),
    ("You paid", 172, "you_paid"),
    ("Owed", 194, "owed"),
)


BOTTOM_MM = 250  # a longer list of visits goes on over the next page


def render(p: dict[str, Any], clinic: Clinic | None) -> list[Page]:
    """One patient's statement: a page, and more when the visits do not fit on it."""
    page, y = Page(), 20.0
    pages = [page]

    def line(text: str, size: float = 10, bold: bool = False, step: float = 5.0) -> None:
        nonlocal y
        page.text(18, y, latin1(text), size, bold)
        y += step

    if clinic is not None:
        a = clinic.address
        line(clinic.name, 14, True, 6)
        line(f"{a.line1}, {a.city}, {a.state} {a.zip}", 9, step=9)
    line(f"Patient statement - {p['statement_date']}", 11, True, 7)
    address = p["address"]
    city = f"{address.get('city', '')} {address.get('state', '')} {address.get('zip', '')}"
    for text in (p["name"], address.get("line1", ""), address.get("line2") or "", city.strip()):
        if text:
            line(text)
    line(f"Account: {p['patient_id']}", step=8)
    line(NOTICE[p["step"]], 10, True, 8)

    def headers() -> None:
        nonlocal y
        for header, right, _ in _COLUMNS:
            if right == 18:
                page.text(18, y, header, 8.5, True)
            else:
                page.right(right, y, header, 8.5, True)
        page.rule(18, 194, y + 1.5)
        y += 5.5

    headers()
    for v in p["visits"]:
        if y > BOTTOM_MM:
            page, y = Page(), 20.0
            pages.append(page)
            line(f"{p['name']}, account {p['patient_id']} (continued)", 9, step=7)
            headers()
        page.text(18, y, str(v["date_of_service"]), 8.5)
        for _, right, key in _COLUMNS[1:]:
            page.right(right, y, _money(v[key]), 8.5)
        y += 4.8
    y += 3
    line(f"Amount due: ${_money(p['balance'])}    Please pay by {p['pay_by']}", 11, True, 6)
    aging = "   ".join(f"{k.replace('_', ' ')}: {_money(v)}" for k, v in p["aging"].items())
    line(f"Aging (days since insurance decided): {aging}", 8.5, step=8)
    owed_for = p.get("owed_for")  # not in statements stored before it was listed
    if owed_for:
        parts = ", ".join(f"{REASON_WORDS.get(k, k)} {_money(v)}" for k, v in owed_for.items())
        line(f"What you owe is for: {parts}.", 9, step=6)
    for text in how_to_pay(clinic, p["patient_id"]):
        line(text, 9, step=4.5)
    return pages


# How a statement names the reasons of a patient's share (ptbill.ledger.balances.REASON_NAMES).
REASON_WORDS = {
    "deductible": "deductible",
    "coinsurance": "coinsurance",
    "copay": "copay",
    "non_covered": "services your plan does not cover",
    "other": "other (see your insurer's explanation of benefits)",
}


def how_to_pay(clinic: Clinic | None, account: str) -> list[str]:
    """The statement's last lines: to whom and where a check goes, and whom to call (the
    clinic's `statements` contact, else the clinic's own name, address and submitter phone)."""
    if clinic is None:
        return [
            "Pay by card or cash at the front desk, or mail a check payable to the clinic.",
            f"Write your account number ({account}) on the check.",
        ]
    contact = clinic.statements
    a = contact.address or clinic.address
    street = ", ".join(x for x in (a.line1, a.line2) if x)
    lines = [
        "Pay by card or cash at the front desk, or mail a check payable to "
        f"{contact.payable_to or clinic.name}",
        f"to {street}, {a.city}, {a.state} {a.zip}. "
        f"Write your account number ({account}) on the check.",
    ]
    phone = contact.phone or (clinic.submitter.phone if clinic.submitter else "")
    if phone:
        lines.append(f"Questions about this statement: call {phone_text(phone)}.")
    return lines
