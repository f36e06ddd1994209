"""Patient statements (`ptbill statements --as-of DATE`): for every patient with a balance due,
a statement as PDF (one per patient and one batch file for printing) and a CSV row (for a mail
vendor), and the dunning cycle that follows each balance.

The cycle: a first statement; a reminder 30 days after it; a final notice at 60 days; 30 days
after the final notice, a `collections` work item and no more statements. Between those steps a
run sends nothing to that patient. A balance paid or written off ends the cycle (a `closed`
row): a later balance starts a new one. Credits are applied before (ptbill.ledger.patient_pay).

Each statement lists the clinic, the patient, each visit with a balance -- charges, what
insurance paid, adjustments, the patient's share, what the patient paid and what is owed --
the aging of the balance, and how to pay. Statements are recorded (`statements`) with what
they listed, so that what was sent can be shown again.
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

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.balances import BUCKETS, PatientBalance, balances
from ptbill.ledger.jsontext import to_json
from ptbill.ledger.patient_models import Statement
from ptbill.ledger.patient_pay import apply_credits
from ptbill.remit.letter import latin1

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
)


@dataclass
class StatementRun:
    as_of: dt.date
    statements: list[dict[str, Any]] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # a balance, but no step is due yet
    files: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "statements": self.statements,
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
    cycle = []
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


def run_statements(
    session: Session,
    config: Config,
    *,
    as_of: dt.date,
    who: str,
    out_dir: Path | None = None,
) -> StatementRun:
    """Make the statements due as of a date (and their files in `out_dir`, when given)."""
    patients = [pid for (pid,) in session.execute(select(m.Patient.id))]
    apply_credits(session, patients, on=as_of, who=who)
    owed = balances(session, as_of)
    history: dict[int, list[Statement]] = {}
    for s in session.scalars(select(Statement).order_by(Statement.statement_date, Statement.id)):
        history.setdefault(s.patient_id, []).append(s)
    run = StatementRun(as_of)
    due: list[tuple[PatientBalance, str]] = []
    for pid, bal in sorted(owed.items(), key=lambda kv: kv[1].external_id):
        past = history.get(pid, [])
        if bal.balance <= 0:
            if past and past[-1].step not in ENDED:
                session.add(_row(pid, as_of, "closed", ZERO, {"reason": "paid or written off"}))
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
    clinic = next(iter(config.clinics.values()), None)
    addresses = _addresses(session, [b.patient_id for b, _ in due])
    pages = []
    for bal, step in due:
        detail = _detail(bal, step, as_of, addresses.get(bal.patient_id, {}))
        session.add(_row(bal.patient_id, as_of, step, bal.balance, detail))
        run.statements.append(detail)
        pages.append(detail)
    session.flush()
    if out_dir is not None and pages:
        run.files = write_files(pages, clinic, as_of, out_dir)
    return run


def _row(pid: int, on: dt.date, step: str, balance: Decimal, detail: dict[str, Any]) -> Statement:
    return Statement(
        patient_id=pid, statement_date=on, step=step, balance=balance, detail_json=to_json(detail)
    )


def _collections_item(bal: PatientBalance, on: dt.date) -> m.WorkItem:
    return m.WorkItem(
        claim_id=None,
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
        "it off (ptbill patient-writeoff)",
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


def write_files(
    pages: list[dict[str, Any]], clinic: Any, as_of: dt.date, out_dir: Path
) -> list[str]:
    """One PDF per patient, one batch PDF with every statement, and the mail vendor's CSV."""
    out_dir.mkdir(parents=True, exist_ok=True)
    day = as_of.isoformat()
    batch = _pdf(as_of)
    files = []
    for page in pages:
        single = _pdf(as_of)
        for pdf in (single, batch):
            _page(pdf, page, clinic)
        path = out_dir / f"statement-{_safe(page['patient_id'])}-{day}.pdf"
        path.write_bytes(bytes(single.output()))
        files.append(str(path))
    batch_path = out_dir / f"statements-{day}.pdf"
    batch_path.write_bytes(bytes(batch.output()))
    csv_path = out_dir / f"statements-{day}.csv"
    csv_path.write_text(to_csv(pages), encoding="utf-8")
    return [str(batch_path), str(csv_path), *files]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:64]


def to_csv(pages: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    w = csv.writer(buffer, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for p in pages:
        a = p["address"]
        w.writerow(
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
                p["balance"],
                *(p["aging"][name] for name, _ in BUCKETS),
                p["pay_by"],
                len(p["visits"]),
            ]
        )
    return buffer.getvalue()


def _pdf(as_of: dt.date) -> FPDF:
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(dt.datetime.combine(as_of, dt.time(0, 0), tzinfo=dt.UTC))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_compression(True)
    return pdf


def _money(value: Any) -> str:
    """An amount as the statement prints it (a Decimal, or its text in a stored statement)."""
    return f"{Decimal(str(value)):,.2f}"


def statement_pdf(detail: dict[str, Any], clinic: Any) -> bytes:
    """One statement as PDF, from what it listed (a stored statement's detail)."""
    pdf = _pdf(dt.date.fromisoformat(str(detail["statement_date"])))
    _page(pdf, detail, clinic)
    return bytes(pdf.output())


_WIDTHS = (26, 24, 24, 24, 22, 22, 22)
_HEAD = ("Date", "Charges", "Insurance paid", "Adjustments", "Your share", "You paid", "Owed")


def _page(pdf: FPDF, p: dict[str, Any], clinic: Any) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, latin1(clinic.name if clinic else "Statement"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    if clinic is not None:
        a = clinic.address
        pdf.cell(
            0, 4.5, latin1(f"{a.line1}, {a.city}, {a.state} {a.zip}"), new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, f"Patient statement - {p['statement_date']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    address = p["address"]
    for line in (
        p["name"],
        address.get("line1", ""),
        address.get("line2") or "",
        f"{address.get('city', '')} {address.get('state', '')} {address.get('zip', '')}".strip(),
    ):
        if line:
            pdf.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, latin1(f"Account: {p['patient_id']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 5, NOTICE[p["step"]], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 8.5)
    for w, h in zip(_WIDTHS, _HEAD, strict=True):
        pdf.cell(w, 5, h, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 8.5)
    for v in p["visits"]:
        values = (
            str(v["date_of_service"]),
            *(
                _money(v[k])
                for k in (
                    "charges",
                    "insurance_paid",
                    "adjustments",
                    "your_share",
                    "you_paid",
                    "owed",
                )
            ),
        )
        for w, text in zip(_WIDTHS, values, strict=True):
            pdf.cell(w, 5, text)
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0,
        6,
        f"Amount due: ${_money(p['balance'])}   Please pay by {p['pay_by']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 8.5)
    aging = "   ".join(
        f"{name.replace('_', ' ')}: {_money(amount)}" for name, amount in p["aging"].items()
    )
    pdf.cell(0, 5, f"Aging (days since insurance decided): {aging}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    pay = "Pay by card or cash at the front desk, or mail a check payable to the clinic"
    if clinic is not None:
        a = clinic.address
        pay += f" to {a.line1}, {a.city}, {a.state} {a.zip}"
        if clinic.submitter is not None and clinic.submitter.phone:
            pay += f". Questions: call {clinic.submitter.phone}"
    pdf.multi_cell(
        0,
        4.5,
        latin1(pay + f". Write your account number ({p['patient_id']}) on the check."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
