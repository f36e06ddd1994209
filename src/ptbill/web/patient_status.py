"""A patient's billing status on a business date: the plan of care, the progress report due,
the authorization left and the KX threshold tracker.

Built from the ledger's own history loader (ptbill.ledger.episode.load_histories), the same
history the importer derives episodes from, so the page agrees with what the next visit's
scrub will say. The limits come from the payer profile's active scrub rules (the progress
report interval, the certification window) and the reference constants (the KX threshold).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.episode import PatientHistory, load_histories
from ptbill.ledger.scope import Scope
from ptbill.pricing import KxTracker
from ptbill.reference.constants import KX_THRESHOLD, REVIEW_THRESHOLD, constant
from ptbill.scrub import active_rules
from ptbill.web.asof import business_date
from ptbill.web.queries.claims import list_claims
from ptbill.web.queries.common import MAX_LIMIT
from ptbill.web.queries.patients import patient_row
from ptbill.web.settings import WebSettings

DEFAULT_REPORT_EVERY = 10  # the rule's default, when a payer has no progress-report rule


def _rule_param(config: Config, payer: str, rule_id: str, name: str) -> Any | None:
    profile = config.payer(payer)
    if profile is None:
        return None
    for active in active_rules(profile):
        if active.rule.id == rule_id:
            return active.params.get(name)
    return None


def _plan_status(history: PatientHistory, on: dt.date, cert_days: int) -> dict[str, Any] | None:
    plan = history.plan_on(on)
    if plan is None:
        return None
    if plan.end_date is not None and plan.end_date < on:
        status, note = "expired", f"ended {plan.end_date}: a new plan of care is needed"
    elif plan.certified_date is None:
        due = plan.start_date + dt.timedelta(days=cert_days)
        status = "overdue" if on > due else "due"
        note = f"not certified; certification due by {due}"
    else:
        status = "ok"
        left = (plan.end_date - on).days if plan.end_date else None
        note = f"certified {plan.certified_date}" + (
            f"; ends {plan.end_date} ({left} days left)" if left is not None else ""
        )
    return {
        "start_date": plan.start_date,
        "end_date": plan.end_date,
        "certified_date": plan.certified_date,
        "certifying_npi": plan.certifying_npi,
        "status": status,
        "note": note,
    }


def _declared_report(session: Session, visit_id: str) -> int | None:
    """The last progress report a stored visit's own episode declares (its visit number when
    it carries one, else its `last_progress_report_visit`): reports written before the
    ledger's history begins are known only from there."""
    row = session.execute(
        select(m.Visit.effective_json, m.Visit.source_json).where(m.Visit.visit_id == visit_id)
    ).first()
    if row is None:
        return None
    episode = json.loads(row[0] or row[1]).get("episode") or {}
    if episode.get("progress_report_this_visit") and episode.get("visit_number"):
        return int(episode["visit_number"])
    last = episode.get("last_progress_report_visit")
    return int(last) if last else None


def _progress(
    session: Session, history: PatientHistory, on: dt.date, every: int
) -> dict[str, Any] | None:
    plan = history.plan_on(on)
    if plan is None:
        return None
    visits = sorted(
        (p for p in history.visits.values() if p.plan_start == plan.start_date and p.dos <= on),
        key=lambda p: (p.dos, p.visit_id),
    )
    numbers = [p.visit_number for p in visits if p.visit_number is not None]
    last_visit = max(numbers, default=0)
    reports = [p.visit_number for p in visits if p.progress_report and p.visit_number]
    if visits:
        declared = _declared_report(session, visits[-1].visit_id)
        reports += [declared] if declared else []
    # The evaluation (visit 1) counts as the first report (billing-rules D-8).
    last_report = max((n for n in reports if n > 1), default=None)
    start = 1 if last_report is None else last_report + 1
    due_by = start + every - 1
    next_visit = last_visit + 1
    if next_visit > due_by:
        status, note = "overdue", f"was due by visit {due_by}; write it before the next visit"
    elif next_visit == due_by:
        status, note = "due", f"due at the next visit (visit {due_by})"
    else:
        status, note = "ok", f"due by visit {due_by} ({due_by - last_visit} visits from now)"
    return {
        "visits_under_plan": len(visits),
        "last_visit_number": last_visit or None,
        "last_progress_report_visit": last_report,
        "due_by_visit": due_by,
        "every": every,
        "status": status,
        "note": note,
    }


def _authorizations(history: PatientHistory, on: dt.date) -> list[dict[str, Any]]:
    out = []
    for payer in sorted({p for p, _ in history.auths}):
        found = history.auth_on(payer, on)
        if found is None:
            continue
        key, auth = found
        used = [
            p for p in history.visits.values() if p.auth == key and p.payer == payer and p.dos <= on
        ]
        left = None if auth.visits_authorized is None else auth.visits_authorized - len(used)
        status = "ok" if left is None or left > 2 else ("overdue" if left <= 0 else "due")
        out.append(
            {
                "payer": payer,
                "number": auth.number,
                "start_date": auth.start_date,
                "end_date": auth.end_date,
                "visits_authorized": auth.visits_authorized,
                "visits_used": len(used),
                "visits_left": left,
                "units_authorized": auth.units_authorized,
                "units_used": sum(p.units for p in used),
                "status": status,
            }
        )
    return out


def _kx(history: PatientHistory, key: str, on: dt.date) -> dict[str, Any] | None:
    entries = tuple(e for es in history.therapy.values() for e in es)
    if not entries:
        return None
    ytd = KxTracker(entries).therapy_amount_ytd(key, on, "pt_slp")
    limit = constant(KX_THRESHOLD, on.year)
    review = constant(REVIEW_THRESHOLD, on.year)
    threshold = limit.value if limit is not None else None
    share = (ytd.amount / threshold) if threshold else None
    if threshold is None:
        status, note = "unknown", f"no KX threshold in the reference data for {on.year}"
    elif ytd.amount >= threshold:
        status, note = (
            "over",
            "over the threshold: every therapy line needs KX and documented medical necessity",
        )
    elif share is not None and share >= Decimal("0.8"):
        status, note = "due", f"${threshold - ytd.amount} left before KX is required"
    else:
        status, note = "ok", f"${threshold - ytd.amount} left before KX is required"
    return {
        "year": on.year,
        "amount_ytd": ytd.amount,
        "threshold": threshold,
        "review_threshold": review.value if review is not None else None,
        "share": share,
        "claims": ytd.claims,
        "estimated_claims": ytd.estimated_claims,
        "explanation": ytd.explanation,
        "status": status,
        "note": note,
        "source": limit.source if limit is not None else None,
    }


def patient_status(
    session: Session, config: Config, patient_id: int, on: dt.date
) -> dict[str, Any]:
    """Plan of care, progress report, authorizations and KX tracker of one patient on `on`."""
    key = str(patient_id)
    history = load_histories(session, {patient_id: key})[key]
    payers = session.scalars(
        select(m.Payer.key)
        .join(m.Coverage, m.Coverage.payer_id == m.Payer.id)
        .where(m.Coverage.patient_id == patient_id)
        .distinct()
    ).all()
    every = next(
        (
            v
            for p in payers
            if (v := _rule_param(config, p, "PROGRESS-REPORT-OVERDUE", "every")) is not None
        ),
        DEFAULT_REPORT_EVERY,
    )
    cert_days = next(
        (
            v
            for p in payers
            if (v := _rule_param(config, p, "POC-NOT-CERTIFIED", "days")) is not None
        ),
        30,
    )
    return {
        "as_of": on,
        "payers": list(payers),
        "plan_of_care": _plan_status(history, on, cert_days),
        "progress_report": _progress(session, history, on, every),
        "authorizations": _authorizations(history, on),
        "kx": _kx(history, key, on),
    }


def patient_view(
    session: Session,
    scope: Scope,
    config: Config,
    settings: WebSettings,
    patient_id: int,
    as_of: dt.date | None,
) -> dict[str, Any]:
    p = patient_row(session, scope, patient_id)
    day = business_date(session, settings, as_of)
    claims = list_claims(session, scope, patient_id=patient_id, limit=MAX_LIMIT)
    return {
        "id": p.id,
        "clinic_id": p.clinic_id,
        "external_id": p.external_id,
        "name": f"{p.last_name}, {p.first_name}",
        "sex": p.sex,
        "claims": claims["claims"],  # the latest MAX_LIMIT
        "claims_total": claims["total"],
        "status": patient_status(session, config, p.id, day) if day else None,
    }
