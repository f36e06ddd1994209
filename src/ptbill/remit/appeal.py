"""`ptbill appeal CLAIM`: an appeal letter (HTML and PDF) for a denied or short-paid claim.

The letter names the claim and the payer's decision, says what was denied in plain words
(group, CARC and RARC), and lays out the documentation that supports each billed code -- the
minutes and how they make the units, the purpose of the service and the patient's response,
the plan of care, its certification and the progress reports -- with the citations the
argument rests on (billing-rules.md). The claim moves to `appealed`; the letter is stored with
its deadline: the payer profile's `appeal_days` from the initial determination (Medicare's
redetermination: 120 days).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claim_pipeline import code_claim
from ptbill.coding import VisitContext, resolve
from ptbill.config.profiles import Config
from ptbill.denials.classify import classify
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.states import State, check, move
from ptbill.ledger.submit import stored_visit
from ptbill.ledger.work_items import close_open
from ptbill.reference.adjustment_codes import GROUPS, carc_words, rarc_words
from ptbill.remit.actions import find_claim
from ptbill.remit.letter import Letter, phone_text, to_html, to_pdf

# The sources the letter cites (billing-rules.md "Sources"), in our words.
CITATIONS = {
    "CMS-CPM5-20.2": "CMS Pub. 100-04, Medicare Claims Processing Manual, ch. 5, section 20.2: "
    "units of 15-minute timed codes from the total timed minutes",
    "CPT-TIME": "CPT's time rule: a unit of time is reached once its midpoint is passed (8 "
    "minutes of a 15-minute unit), each code by its own minutes (as quoted in Premera Blue "
    "Cross, Billing for Time, 2019)",
    "MBPM15-220.3E": "CMS Pub. 100-02, Medicare Benefit Policy Manual, ch. 15, section "
    "220.3.E: what each treatment note documents (services, minutes, "
    "signature)",
    "MBPM15-220.1.2": "CMS Pub. 100-02, ch. 15, section 220.1.2: the plan of care (diagnoses, "
    "goals, type, amount, duration and frequency of therapy)",
    "MBPM15-220.1.3": "CMS Pub. 100-02, ch. 15, section 220.1.3: certification of the plan of "
    "care by a physician or NPP",
    "MBPM15-220.3D": "CMS Pub. 100-02, ch. 15, section 220.3.D: progress reports at least "
    "every 10 treatment days",
    "NORIDIAN-CO50": "Noridian, reason code guidance CO-50 (medical necessity and the "
    "diagnosis-procedure relationship)",
    "MLN1783722": "CMS MLN fact sheet 1783722: proper use of modifiers 59, XE, XP, XS and XU "
    "(distinct procedural services)",
    "NGS-KX-2024": "NGS Medicare: the therapy threshold and the KX modifier",
    "NGS-APPEALS": "NGS Medicare: the appeals process (redetermination within 120 days)",
    "X12-CARC": "X12 Claim Adjustment Reason Codes list",
}
_BY_CATEGORY = {
    "medical_necessity": ("NORIDIAN-CO50",),
    "ncci_bundling": ("MLN1783722",),
    "benefit_maximum": ("NGS-KX-2024",),
}
# A Medicare contractor's guidance, cited to Medicare only.
_MEDICARE_ONLY = frozenset({"NORIDIAN-CO50", "NGS-KX-2024", "NGS-APPEALS"})
# The units' rule, by the payer's unit method (billing-rules U-10, U-30/U-31).
_UNITS = {"cms": ("the CMS total-time (8-minute) rule", "CMS-CPM5-20.2")}
_PER_CODE = ("the CPT per-code midpoint rule", "CPT-TIME")
_BASE = (
    "MBPM15-220.3E",
    "MBPM15-220.1.2",
    "MBPM15-220.1.3",
    "MBPM15-220.3D",
    "X12-CARC",
)
APPEALABLE = (State.DENIED, State.PARTIALLY_PAID, State.PAID)


@dataclass
class AppealResult:
    claim: str
    appeal_id: int
    level: str
    due_date: dt.date
    html_path: str
    pdf_path: str

    def as_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim,
            "appeal_id": self.appeal_id,
            "level": self.level,
            "due_date": self.due_date,
            "html": self.html_path,
            "pdf": self.pdf_path,
        }


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"${value:,.2f}"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def appeal(
    session: Session, config: Config, number: str, *, as_of: dt.date, who: str, out_dir: str
) -> AppealResult:
    claim = find_claim(session, number)
    if claim.state not in APPEALABLE:
        check(number, claim.state, State.APPEALED, "an appeal")
    decision = session.scalar(
        select(m.ClaimPayment)
        .where(m.ClaimPayment.claim_id == claim.id, m.ClaimPayment.reversal.is_(False))
        .order_by(m.ClaimPayment.id.desc())
    )
    if decision is None:
        raise InputError(
            f"claim {number}",
            "the payer has not decided this claim yet (no remittance posted)",
            "appeal after the 835 is posted",
        )
    payer = session.get(m.Payer, claim.payer_id)
    assert payer is not None
    level = (
        "Medicare Part B redetermination (first level of appeal)"
        if payer.medicare
        else "request for reconsideration"
    )
    due = decision.determined_on + dt.timedelta(days=payer.appeal_days)
    visit_row = session.get(m.Visit, claim.visit_pk)
    assert visit_row is not None
    visit = stored_visit(visit_row)
    letter = _letter(session, config, claim, decision, payer, visit, level, due, as_of)
    html_text, pdf = to_html(letter), to_pdf(letter)
    row = m.Appeal(
        claim_id=claim.id, level=level, created_on=as_of, due_date=due, html=html_text, pdf=pdf
    )
    session.add(row)
    session.flush()
    move(
        session,
        claim,
        State.APPEALED,
        who,
        as_of,
        f"{level} (appeal #{row.id}), due {due}",
        "an appeal",
    )
    close_open(
        session,
        as_of,
        f"appealed on {as_of} (appeal #{row.id})",
        ("denial", "underpayment"),
        claims=[claim.id],
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"appeal-{_safe(number)}"
    html_path, pdf_path = base.with_suffix(".html"), base.with_suffix(".pdf")
    html_path.write_text(html_text, encoding="utf-8")
    pdf_path.write_bytes(pdf)
    return AppealResult(number, row.id, level, due, str(html_path), str(pdf_path))


def _denials(session: Session, decision: m.ClaimPayment) -> list[dict[str, Any]]:
    """The denied or reduced lines of the payer's decision, with their adjustments."""
    lines = {
        lp.id: lp
        for lp in session.scalars(
            select(m.LinePayment).where(m.LinePayment.claim_payment_id == decision.id)
        )
    }
    out = []
    for a in session.scalars(
        select(m.Adjustment)
        .where(m.Adjustment.claim_payment_id == decision.id)
        .order_by(m.Adjustment.id)
    ):
        c = classify(a.group_code, a.carc, a.rarc)
        if not c.is_denial:
            continue
        lp = lines.get(a.line_payment_id) if a.line_payment_id else None
        out.append({"line": lp, "adjustment": a, "class": c})
    return out


def _letter(
    session: Session,
    config: Config,
    claim: m.Claim,
    decision: m.ClaimPayment,
    payer: m.Payer,
    visit: Visit,
    level: str,
    due: dt.date,
    on: dt.date,
) -> Letter:
    ctx = resolve(visit, config, f"claim {claim.claim_number}")
    bp = ctx.billing_provider
    profile = ctx.profile
    letter = Letter(f"Appeal: {level}", on)
    letter.lines(
        bp.name,
        bp.address.line1,
        f"{bp.address.city}, {bp.address.state} {bp.address.zip}",
        f"NPI {bp.npi}, TIN {bp.tax_id}",
        "",
        on.isoformat(),
        "",
        f"To: {profile.payer_name} ({profile.name}), appeals department",
    )
    p = visit.patient
    letter.heading("The claim")
    letter.table(
        [
            ["Item", "Value"],
            ["Patient", f"{p.first_name} {p.last_name} (born {p.birth_date})"],
            ["Member id", visit.subscriber.member_id],
            ["Our claim number", claim.claim_number],
            ["Payer's claim number", decision.payer_control_number or "-"],
            ["Date of service", visit.date_of_service.isoformat()],
            ["Billed", _money(claim.charge)],
            ["Paid", _money(claim.paid)],
            ["Initial determination", decision.determined_on.isoformat()],
            ["Appeal due by", due.isoformat()],
        ]
    )
    asked = "a redetermination" if payer.medicare else "a reconsideration"
    standard = (
        "as the rules cited at the end require"
        if payer.medicare
        else "to the standard of the Medicare rules cited at the end, which we keep for every payer"
    )
    letter.para(
        f"We ask for {asked} of the decision of {decision.determined_on} on the "
        "services below. The treatment record shows that each billed service was "
        "skilled physical therapy under a certified plan of care, furnished and documented "
        f"{standard}."
    )
    denials = _denials(session, decision)
    letter.heading("What was denied, in plain words")
    rows = [["Line", "Billed", "Paid", "Adjustment", "What it means"]]
    categories = set()
    for d in denials:
        a, lp, c = d["adjustment"], d["line"], d["class"]
        categories.add(c.category)
        where = f"{lp.code} {lp.modifiers}".strip() if lp else "whole claim"
        meaning = f"{GROUPS.get(a.group_code, a.group_code)}; {carc_words(a.carc)}"
        if a.rarc:
            meaning += f"; {rarc_words(a.rarc)}"
        rows.append(
            [
                where,
                _money(lp.charge) if lp else _money(decision.charge),
                _money(lp.paid) if lp else _money(decision.paid),
                f"{a.group_code}-{a.carc} {a.rarc or ''} {_money(a.amount)}".strip(),
                meaning,
            ]
        )
    for w in session.scalars(
        select(m.WorkItem).where(
            m.WorkItem.claim_id == claim.id,
            m.WorkItem.kind == "underpayment",
            m.WorkItem.status == "open",
        )
    ):
        categories.add("underpayment")
        rows.append(["(see detail)", "", "", f"short paid {_money(w.amount)}", w.detail])
    if len(rows) == 1:
        rows.append(
            [
                "whole claim",
                _money(decision.charge),
                _money(decision.paid),
                f"CLP02 {decision.status}",
                "the payer did not pay the claim in full",
            ]
        )
    letter.table(rows)
    units_rule = _UNITS.get(profile.unit_method, _PER_CODE)
    _documentation(letter, session, claim, visit, ctx, units_rule, payer.medicare)
    letter.heading("Citations")
    keys = [units_rule[1], *_BASE]
    for cat in sorted(categories):
        keys += [k for k in _BY_CATEGORY.get(cat, ()) if k not in keys]
    if payer.medicare:
        keys.append("NGS-APPEALS")
    else:
        keys = [k for k in keys if k not in _MEDICARE_ONLY]
    letter.items([f"[{k}] {CITATIONS[k]}" for k in keys])
    letter.heading("Enclosures")
    enclosures = [
        f"Treatment note of {visit.date_of_service} (signed)",
        "Plan of care and its certification",
    ]
    e = visit.episode
    if e and e.progress_report_this_visit:
        enclosures.append("Progress report written at this visit")
    elif e and e.last_progress_report_visit:
        enclosures.append(f"Latest progress report (visit {e.last_progress_report_visit})")
    letter.items(enclosures)
    phone = ctx.clinic.submitter.phone if ctx.clinic and ctx.clinic.submitter else ""
    letter.para(
        "Please reprocess the claim and pay the services as billed. For questions, call the "
        f"billing office of {bp.name}" + (f" at {phone_text(phone)}." if phone else ".")
    )
    letter.lines("Sincerely,", "", f"Billing office, {bp.name}")
    return letter


def _documentation(
    letter: Letter,
    session: Session,
    claim: m.Claim,
    visit: Visit,
    ctx: VisitContext,
    units_rule: tuple[str, str],
    medicare: bool,
) -> None:
    version = session.scalar(
        select(m.ClaimVersion).where(
            m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == claim.version
        )
    )
    assert version is not None
    lines = list(
        session.scalars(
            select(m.ClaimLine)
            .where(m.ClaimLine.version_id == version.id)
            .order_by(m.ClaimLine.line_number)
        )
    )
    coded = code_claim(visit, ctx)
    services_of = {x.code: x.services for x in coded.lines}
    letter.heading("The documentation that supports each code")
    rows = [["Code", "Units", "Minutes", "Why these units", "Purpose", "Response / progress"]]
    for x in lines:
        services = [visit.services[i] for i in services_of.get(x.code, ())]
        notes = [s.note for s in services if s.note is not None]
        minutes = "-" if x.minutes is None else f"{x.minutes}"
        if x.assistant_minutes:
            minutes += f" ({x.assistant_minutes} by the PTA)"
        purpose = "; ".join(n.purpose for n in notes if n.purpose) or "-"
        extra = [s.body_region for s in services if s.body_region]
        extra += [f"distinct: {s.distinct.reason}" for s in services if s.distinct]
        if extra:
            purpose += f" ({'; '.join(extra)})"
        rows.append(
            [
                f"{x.code} {x.modifiers}".strip(),
                str(x.units),
                minutes,
                " ".join(json.loads(x.explanation_json)) or "-",
                purpose,
                "; ".join(n.response for n in notes if n.response) or "-",
            ]
        )
    letter.table(rows)
    timed = visit.total_timed_minutes
    total = visit.total_treatment_minutes
    method, source = units_rule
    letter.para(
        f"Total timed minutes {timed if timed is not None else '-'}, total treatment "
        f"minutes {total if total is not None else '-'}; the units follow {method} "
        f"[{source}]. Diagnoses treated: {', '.join(visit.diagnoses) or '-'}."
    )
    e = visit.episode
    facts = []
    if e and e.plan_of_care:
        poc = e.plan_of_care
        facts.append(
            f"Plan of care from {poc.start_date} to {poc.end_date or '(open)'}, "
            f"certified on {poc.certified_date or '(not recorded)'} by NPI "
            f"{poc.certifying_npi or '-'} [MBPM15-220.1.2] [MBPM15-220.1.3]"
        )
    if e and e.visit_number:
        facts.append(f"This was visit {e.visit_number} of the plan of care")
    if e and e.progress_report_this_visit:
        facts.append("A progress report was written at this visit [MBPM15-220.3D]")
    elif e and e.last_progress_report_visit:
        facts.append(
            f"The latest progress report was written at visit "
            f"{e.last_progress_report_visit} [MBPM15-220.3D]"
        )
    if e and e.authorization and e.authorization.number:
        facts.append(
            f"Authorization {e.authorization.number} "
            f"({e.authorization.start_date} to {e.authorization.end_date})"
        )
    if medicare and e and e.kx_medical_necessity_documented:  # KX is Medicare's
        facts.append(
            "The medical necessity of therapy above the yearly threshold is "
            "documented (KX) [NGS-KX-2024]"
        )
    if visit.signed:
        facts.append(
            f"The note was signed on {visit.signed.date} by NPI {visit.signed.by_npi} "
            "[MBPM15-220.3E]"
        )
    if facts:
        letter.heading("Plan of care and progress")
        letter.items(facts)
