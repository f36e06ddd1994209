"""Eligibility before the visit: 270 inquiries from visits, 271 answers applied to the ledger.

- `request`: one inquiry per patient and payer of the visits given (a visit file, or the
  ledger's visits of a date), asking the service types of the payer profile
  (`eligibility_service_types`) for the date of service; the 270 and what each trace asks
  about are kept (ptbill.ledger.outbound).
- `apply_271`: each person answered becomes an `eligibility_checks` row, found by the trace
  number of the inquiry (else by member id). What a biller must act on before the claim is
  made becomes an `eligibility` work item: coverage inactive on the date asked (its ready
  claims on dates the coverage does not reach are blocked), no PT visit left, or the payer's
  own errors (AAA) with its follow-up. For Medicare, the therapy amount applied this year feeds
  the KX tracker (ptbill.ledger.episode).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.coding import resolve
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.jsontext import to_json as dumps
from ptbill.ledger.outbound import Written, record, register_inbound, settings
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.states import State, audit_row
from ptbill.ledger.submit import stored_visit
from ptbill.x12.benefits import read_people
from ptbill.x12.write_270 import EligibilityInquiry, Person, write_270

# The summary's values an eligibility_checks row keeps, by the same names.
_CHECK_FIELDS = (
    "active",
    "plan_begin",
    "plan_end",
    "deductible_remaining",
    "out_of_pocket_remaining",
    "coinsurance_percent",
    "copay",
    "visit_limit",
    "visits_used",
    "visits_remaining",
    "prior_authorization_required",
    "medicare",
    "therapy_amount_applied",
)


def _person(first: str | None, last: str | None, birth: dt.date | None, sex: str | None) -> Person:
    return Person(last or "", first or "", birth, sex)


def inquiry_for(visit: Visit, config: Config, trace: str, origin: str) -> EligibilityInquiry:
    """The 270 inquiry for the patient of one visit, on its date of service."""
    ctx = resolve(visit, config, origin)
    p, sub = visit.patient, visit.subscriber
    patient = _person(p.first_name, p.last_name, p.birth_date, p.sex)
    if sub.relationship == "self":
        subscriber, dependent = patient, None
    else:
        if not sub.last_name or not sub.first_name:
            raise InputError(
                origin,
                "the subscriber is not the patient and has no name",
                "add the subscriber's first and last name",
                visit_id=visit.visit_id,
                field="subscriber.last_name",
            )
        subscriber = _person(sub.first_name, sub.last_name, sub.birth_date, sub.sex)
        dependent = patient
    bp = ctx.billing_provider
    return EligibilityInquiry(
        trace=trace,
        payer_name=ctx.profile.payer_name,
        payer_id=ctx.profile.payer_id,
        provider_name=bp.name,
        provider_npi=bp.npi,
        provider_tax_id=bp.tax_id,
        member_id=sub.member_id,
        subscriber=subscriber,
        patient=dependent,
        service_date=visit.date_of_service,
        service_types=tuple(ctx.profile.eligibility_service_types),
        group_number=sub.group_number,
    )


def ledger_visits(session: Session, on: dt.date, scope: Scope = EVERYTHING) -> list[Visit]:
    """The ledger's visits on a date (the day's schedule) of `scope`'s clinics, in visit id
    order."""
    rows = session.scalars(
        select(m.Visit)
        .where(m.Visit.date_of_service == on, scope.visits())
        .order_by(m.Visit.visit_id)
    )
    return [stored_visit(row) for row in rows]


def patient_visits(session: Session, patient_id: int) -> list[Visit]:
    """A patient's visits, the latest first (`request` asks about each payer's latest)."""
    rows = session.scalars(
        select(m.Visit)
        .where(m.Visit.patient_id == patient_id)
        .order_by(m.Visit.date_of_service.desc(), m.Visit.visit_id)
    )
    return [stored_visit(row) for row in rows]


def request(
    session: Session,
    config: Config,
    visits: list[Visit],
    *,
    as_of: dt.date,
    file_name: str,
    origin: str = "visits",
) -> Written:
    """The 270 for these visits' patients (one inquiry per patient, payer and member id)."""
    written = Written("270")
    chosen: dict[tuple[str, str, str], Visit] = {}
    for v in visits:
        chosen.setdefault((v.patient.id, v.payer, v.subscriber.member_id), v)
    if not chosen:
        return written
    patients = _patient_ids(session, [v.patient.id for v in chosen.values()])
    payers = {p.key: p.id for p in session.scalars(select(m.Payer))}
    s = settings(session, config, as_of, (v.clinic for v in chosen.values()))
    inquiries, rows = [], []
    for n, v in enumerate(chosen.values(), start=1):
        trace = f"E{s.interchange_control_number:09d}{n:04d}"
        inquiries.append(inquiry_for(v, config, trace, origin))
        rows.append(
            {
                "trace": trace,
                "patient_id": patients.get((v.clinic or "", v.patient.id)),
                "payer_id": payers.get(v.payer),
                "claim_id": None,
                "visit_id": v.visit_id,
                "payer_key": v.payer,
                "service_date": v.date_of_service,
            }
        )
        written.items.append(
            {"trace": trace, "visit_id": v.visit_id, "payer": v.payer, "date": v.date_of_service}
        )
    written.text = write_270(inquiries, s)
    written.interchange_control_number = s.interchange_control_number
    record(session, written, file_name, as_of, rows)
    return written


def _patient_ids(session: Session, external: list[str]) -> dict[tuple[str, str], int]:
    q = (
        select(m.Clinic.key, m.Patient.external_id, m.Patient.id)
        .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        .where(m.Patient.external_id.in_(external))
    )
    return {(clinic, ext): pid for clinic, ext, pid in session.execute(q)}


# --- applying a 271 -------------------------------------------------------------------------


@dataclass
class EligibilitySummary:
    file: str
    inbound_id: int = 0
    people: list[dict[str, Any]] = field(default_factory=list)
    work_items: int = 0
    blocked_claims: list[str] = field(default_factory=list)
    # Claims an earlier answer blocked that this one says the coverage reaches: ready again.
    released_claims: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # traces that match no inquiry

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "inbound_id": self.inbound_id,
            "subscribers": self.people,
            "work_items": self.work_items,
            "blocked_claims": self.blocked_claims,
            "released_claims": self.released_claims,
            "unmatched": self.unmatched,
        }


def apply_271(
    session: Session,
    text: str,
    name: str,
    *,
    as_of: dt.date,
    who: str,
    run_id: int | None = None,
) -> EligibilitySummary:
    """Apply a 271 (its text) in the caller's transaction: all of it, once."""
    people = read_people(text, name, detail=False)  # the 271 itself is kept, whole
    inbound = register_inbound(session, text, name, "271", as_of=as_of, run_id=run_id)
    summary = EligibilitySummary(name, inbound.id)
    items = _inquiries(session, {p["trace"] for p in people if p["trace"]})
    # Who an answer is about: its inquiry's patient, else the member id's coverage.
    asked = {p["trace"]: items.get(p["trace"] or "") for p in people}
    coverages = _coverages(
        session,
        {
            p["member_id"]
            for p in people
            if p["member_id"] and getattr(asked[p["trace"]], "patient_id", None) is None
        },
    )
    rows = []
    for person in people:
        item = asked[person["trace"]]
        patient_id: int | None
        if item is not None and item.patient_id is not None:
            patient_id, payer_id = item.patient_id, item.payer_id
        else:
            patient_id, payer_id = coverages.get(
                person["member_id"] or "", (None, item.payer_id if item else None)
            )
        if item is None:
            summary.unmatched.append(person["trace"] or "(no trace)")
        rows.append(
            {
                "inbound_id": inbound.id,
                "trace": (person["trace"] or "")[:50] or None,
                "patient_id": patient_id,
                "payer_id": payer_id,
                "member_id": person["member_id"],
                "checked_on": as_of,
                "service_date": item.service_date if item else None,
                **{name: person[name] for name in _CHECK_FIELDS},
                "errors": dumps(person["errors"]),
                "result_json": dumps(person),
            }
        )
    # One bulk insert with its ids allocated ahead (ptbill.ledger.bulk), not an ORM object a row.
    ids = Bulk(session).insert(pm.EligibilityCheck, rows, with_ids=True)
    for person, row, check_id in zip(people, rows, ids, strict=True):
        check = _Check(**{name: row[name] for name in _CHECK_READ})
        summary.people.append({**person, "check_id": check_id})
        _consequences(session, check, asked[person["trace"]], person, summary, as_of, who)
    return summary


@dataclass(frozen=True, slots=True)
class _Check:
    """What an answer's consequences read of its eligibility_checks row."""

    inbound_id: int
    patient_id: int | None
    payer_id: int | None
    checked_on: dt.date
    service_date: dt.date | None
    active: bool | None
    plan_begin: dt.date | None
    plan_end: dt.date | None
    visit_limit: int | None
    visits_remaining: int | None


_CHECK_READ = tuple(f.name for f in fields(_Check))


_IN_CHUNK = 500  # values in one IN (...) list


def _inquiries(session: Session, traces: set[str]) -> dict[str, pm.OutboundItem]:
    """The inquiries (270 traces) these answers name, by trace."""
    ordered = sorted(traces)
    items: dict[str, pm.OutboundItem] = {}
    for i in range(0, len(ordered), _IN_CHUNK):
        chunk = ordered[i : i + _IN_CHUNK]
        q = select(pm.OutboundItem).where(pm.OutboundItem.trace.in_(chunk))
        items.update((item.trace, item) for item in session.scalars(q))
    return items


def _coverages(session: Session, member_ids: set[str]) -> dict[str, tuple[int, int]]:
    """(patient id, payer id) of the ledger's first coverage of each member id: who an answer
    that matches no inquiry of a known patient is about."""
    ordered = sorted(member_ids)
    found: dict[str, tuple[int, int]] = {}
    for i in range(0, len(ordered), _IN_CHUNK):
        q = (
            select(m.Coverage.member_id, m.Coverage.patient_id, m.Coverage.payer_id)
            .where(m.Coverage.member_id.in_(ordered[i : i + _IN_CHUNK]))
            .order_by(m.Coverage.id)
        )
        for member_id, patient_id, payer_id in session.execute(q):
            found.setdefault(member_id, (patient_id, payer_id))
    return found


def covers(check: _Check, on: dt.date) -> bool | None:
    """Whether the answer says the coverage reaches `on` (None: it does not say)."""
    if check.plan_begin is not None and on < check.plan_begin:
        return False
    if check.plan_end is not None and on > check.plan_end:
        return False
    if check.active is False:
        asked = check.service_date or check.checked_on
        return False if on >= asked or check.plan_end is not None else None
    return check.active


def _consequences(
    session: Session,
    check: _Check,
    item: pm.OutboundItem | None,
    person: dict[str, Any],
    summary: EligibilitySummary,
    as_of: dt.date,
    who: str,
) -> None:
    reference = item.visit_id if item and item.visit_id else f"271 #{check.inbound_id}"
    due = max(as_of, item.service_date) if item else as_of
    if person["errors"]:
        words = "; ".join(e["message"] for e in person["errors"])
        _item(
            session,
            check,
            reference,
            None,
            "eligibility_error",
            "correct_and_resend",
            f"the payer could not answer the eligibility inquiry: {words}. Check the "
            "member id, name and birth date, then ask again with `ptbill eligibility request`",
            due,
            as_of,
            summary,
        )
        return
    if check.active is False or (
        check.plan_end is not None and item and item.service_date > check.plan_end
    ):
        blocked = _block_uncovered(session, check, who, as_of)
        summary.blocked_claims += blocked
        listed = f"; claims blocked: {', '.join(blocked)}" if blocked else ""
        _item(
            session,
            check,
            reference,
            _first_claim(session, blocked),
            "coverage_inactive",
            "verify_coverage",
            f"the payer says coverage is not active (plan {check.plan_begin or '?'} to "
            f"{check.plan_end or '?'}){listed}. Ask the patient for current insurance before "
            "the visit; bill the right payer or the patient",
            due,
            as_of,
            summary,
        )
        return
    # The coverage is active: what an earlier answer about this visit found is settled.
    settled = ["coverage_inactive", "eligibility_error"] if check.active else []
    if check.active:
        summary.released_claims += _release_covered(session, check, who, as_of)
    if check.visits_remaining == 0:
        _item(
            session,
            check,
            reference,
            None,
            "visit_limit",
            "request_more_visits",
            f"no PT visit left this benefit period (limit {check.visit_limit or '?'}): "
            "ask the payer for more visits or tell the patient before treating",
            due,
            as_of,
            summary,
        )
    elif check.active:
        settled.append("visit_limit")
    if not settled:
        return
    w = m.WorkItem
    session.execute(
        update(w)
        .where(
            w.kind == "eligibility",
            w.status == "open",
            w.reference == reference[:50],
            w.patient_id == check.patient_id,
            w.category.in_(settled),
        )
        .values(
            status="done",
            closed_on=as_of,
            resolution=f"the payer's 271 applied on {as_of} says the coverage is active",
        )
    )


def _first_claim(session: Session, numbers: list[str]) -> int | None:
    if not numbers:
        return None
    return session.scalar(select(m.Claim.id).where(m.Claim.claim_number == numbers[0]))


_BLOCKED_WHY = "eligibility: the 271"  # how a claim blocked by an answer is audited


def _block_uncovered(session: Session, check: _Check, who: str, as_of: dt.date) -> list[str]:
    """Ready claims of the patient with this payer on dates the coverage does not reach."""
    return _move(
        session,
        check,
        (State.READY, State.BLOCKED),
        lambda claim: covers(check, claim.date_of_service) is False,
        who,
        f"{_BLOCKED_WHY} applied on {as_of} says coverage does not reach",
        as_of,
    )


def _release_covered(session: Session, check: _Check, who: str, as_of: dt.date) -> list[str]:
    """Claims of the patient with this payer that an earlier 271 blocked (their last move) on
    dates this answer's coverage reaches: ready again."""

    def blocked_by_a_271(claim: m.Claim) -> bool:
        last = session.scalar(
            select(m.AuditEntry.why)
            .where(m.AuditEntry.claim_id == claim.id)
            .order_by(m.AuditEntry.id.desc())
            .limit(1)
        )
        return (last or "").startswith(_BLOCKED_WHY) and covers(
            check, claim.date_of_service
        ) is True

    return _move(
        session,
        check,
        (State.BLOCKED, State.READY),
        blocked_by_a_271,
        who,
        f"eligibility: the 271 applied on {as_of} says coverage reaches",
        as_of,
    )


def _move(
    session: Session,
    check: _Check,
    move: tuple[State, State],
    chosen: Callable[[m.Claim], bool],
    who: str,
    why: str,
    as_of: dt.date,
) -> list[str]:
    """The patient's claims with this payer in move[0] that `chosen` picks, moved to move[1]
    in date order, each audited "`why` DATE OF SERVICE"; their numbers."""
    if check.patient_id is None:
        return []
    q = select(m.Claim).where(m.Claim.patient_id == check.patient_id, m.Claim.state == str(move[0]))
    if check.payer_id is not None:
        q = q.where(m.Claim.payer_id == check.payer_id)
    moved = []
    for claim in session.scalars(q.order_by(m.Claim.date_of_service)):
        if not chosen(claim):
            continue
        row = audit_row(
            claim.id, claim.state, move[1], who, as_of, f"{why} {claim.date_of_service}"
        )
        session.add(m.AuditEntry(**row))
        claim.state = str(move[1])
        moved.append(claim.claim_number)
    return moved


def _item(
    session: Session,
    check: _Check,
    reference: str,
    claim_id: int | None,
    category: str,
    action: str,
    detail: str,
    due: dt.date,
    as_of: dt.date,
    summary: EligibilitySummary,
) -> None:
    """An `eligibility` item; a visit asked about again with the same problem keeps its one
    open item, said as of the latest answer."""
    w = m.WorkItem
    before = session.scalar(
        select(w).where(
            w.kind == "eligibility",
            w.status == "open",
            w.reference == reference[:50],
            w.category == category,
            w.patient_id == check.patient_id,
        )
    )
    if before is not None:
        before.detail, before.source = detail, f"271:{check.inbound_id}"
        before.claim_id = claim_id or before.claim_id
        return
    session.add(
        m.WorkItem(
            claim_id=claim_id,
            patient_id=check.patient_id,  # the patient's clinic's work, with or without a claim
            reference=reference[:50],
            visit_id=reference[:38] if not reference.startswith("271 #") else None,
            kind="eligibility",
            category=category,
            carc=None,
            rarc=None,
            amount=None,
            action=action,
            detail=detail,
            due_date=due,
            status="open",
            created_on=as_of,
            source=f"271:{check.inbound_id}",
        )
    )
    summary.work_items += 1


def latest_checks(
    session: Session, patient_id: int, limit: int = 10, offset: int = 0
) -> list[dict[str, Any]]:
    """A patient's latest eligibility answers, newest first (for the web and the API)."""
    q = (
        select(pm.EligibilityCheck, m.Payer.key)
        .outerjoin(m.Payer, m.Payer.id == pm.EligibilityCheck.payer_id)
        .where(pm.EligibilityCheck.patient_id == patient_id)
        .order_by(pm.EligibilityCheck.checked_on.desc(), pm.EligibilityCheck.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [check_json(c, payer) for c, payer in session.execute(q)]


def check_json(c: pm.EligibilityCheck, payer: str | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "payer": payer,
        "checked_on": c.checked_on,
        "service_date": c.service_date,
        "member_id": c.member_id,
        "active": c.active,
        "plan_begin": c.plan_begin,
        "plan_end": c.plan_end,
        "deductible_remaining": c.deductible_remaining,
        "out_of_pocket_remaining": c.out_of_pocket_remaining,
        "coinsurance_percent": c.coinsurance_percent,
        "copay": c.copay,
        "visit_limit": c.visit_limit,
        "visits_used": c.visits_used,
        "visits_remaining": c.visits_remaining,
        "prior_authorization_required": c.prior_authorization_required,
        "medicare": c.medicare,
        "therapy_amount_applied": c.therapy_amount_applied,
        "errors": json.loads(c.errors),
        "other_payers": json.loads(c.result_json).get("other_payers", []),
    }


def recent_checks(
    session: Session,
    patient: str | None = None,
    limit: int = 50,
    offset: int = 0,
    scope: Scope = EVERYTHING,
) -> list[dict[str, Any]]:
    """The latest answers in the ledger, newest first; of one patient (its visit-format id);
    of the patients of `scope`'s clinics."""
    q = (
        select(pm.EligibilityCheck, m.Payer.key, m.Patient.external_id)
        .outerjoin(m.Payer, m.Payer.id == pm.EligibilityCheck.payer_id)
        .outerjoin(m.Patient, m.Patient.id == pm.EligibilityCheck.patient_id)
        .where(scope.patient_ids(pm.EligibilityCheck.patient_id))
        .order_by(pm.EligibilityCheck.checked_on.desc(), pm.EligibilityCheck.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if patient is not None:
        q = q.where(m.Patient.external_id == patient)
    return [{**check_json(c, payer), "patient": ext} for c, payer, ext in session.execute(q)]
