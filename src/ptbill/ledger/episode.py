"""The episode context a visit file may leave out, derived from the patient's stored history.

interfaces.md: "A CLI user supplies [the episode] in the file; the ledger derives it from stored
history (previous visits, plans of care, authorizations, paid amounts)". Only the fields the
file did not give are derived (pydantic's `model_fields_set` tells given from defaulted):

- `plan_of_care`: the patient's stored plan in force on the date of service (else the latest
  one begun before it);
- `visit_number`: the number after the latest earlier visit under that plan whose number is
  known, counting the earlier visits imported after it; with no known number, 1 + the earlier
  visits under the plan (the evaluation is visit 1);
- `last_progress_report_visit`: the visit number of the latest earlier visit under the plan
  that carried a progress report (None: none since the evaluation);
- `authorization`: the patient's stored authorization from this payer covering the date, with
  `visits_used` = earlier visits under it and `units_used` = units billed on them;
- `therapy_amount_ytd` (payers with the KX threshold): this calendar year's allowed amounts
  for PT and SLP before this visit, from pricing and, once posted, the 835's allowed amounts
  (ptbill.pricing.KxTracker adds them up); when a Medicare 271 reported the amount applied this
  year (claims of other providers count, M-6), at least that amount plus this ledger's amounts
  dated after the date it answered for;
- `eligibility`: the latest 271 answer applied for the patient and payer
  (ptbill.ledger.eligibility).

"Earlier" means an earlier date of service, or the same date and a smaller visit id. Visits
imported later with earlier dates do not renumber visits already imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import PayerProfile
from ptbill.domain.visit import Authorization, Eligibility, Episode, PlanOfCare, Visit
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.pricing import KxTracker, bucket_of
from ptbill.pricing.kx import TherapyEntry

DERIVABLE = (
    "plan_of_care",
    "visit_number",
    "last_progress_report_visit",
    "authorization",
    "therapy_amount_ytd",
    "eligibility",
)


def auth_key(number: str | None, start: dt.date | None) -> str:
    return f"{number or ''}|{start.isoformat() if start else ''}"


@dataclass(slots=True)
class Prior:
    """What derivation needs to know of one stored visit."""

    visit_id: str
    dos: dt.date
    plan_start: dt.date | None
    visit_number: int | None
    progress_report: bool
    payer: str
    auth: str | None  # auth_key
    units: int
    auth_used: tuple[int, int] | None = None  # (visits, units) used before it


@dataclass(slots=True)
class PatientHistory:
    plans: dict[dt.date, PlanOfCare] = field(default_factory=dict)
    auths: dict[tuple[str, str], Authorization] = field(default_factory=dict)
    visits: dict[str, Prior] = field(default_factory=dict)
    # Therapy amounts by claim (the claim number is the visit id), priced or remitted.
    therapy: dict[str, list[TherapyEntry]] = field(default_factory=dict)
    # The latest 271 answer per payer key, and Medicare's reported therapy amounts (date the
    # 271 answered for, amount applied that year).
    eligibility: dict[str, Eligibility] = field(default_factory=dict)
    therapy_reported: list[tuple[dt.date, Decimal]] = field(default_factory=list)

    def before(self, visit: Visit) -> list[Prior]:
        key = (visit.date_of_service, visit.visit_id)
        return [
            p
            for p in self.visits.values()
            if p.visit_id != visit.visit_id and (p.dos, p.visit_id) < key
        ]

    def plan_on(self, on: dt.date) -> PlanOfCare | None:
        started = [p for start, p in self.plans.items() if start <= on]
        in_force = [p for p in started if p.end_date is None or p.end_date >= on]
        pool = in_force or started
        return max(pool, key=lambda p: p.start_date) if pool else None

    def auth_on(self, payer: str, on: dt.date) -> tuple[str, Authorization] | None:
        found = [
            (key, a)
            for (p, key), a in self.auths.items()
            if p == payer
            and (a.start_date is None or a.start_date <= on)
            and (a.end_date is None or a.end_date >= on)
        ]
        if not found:
            return None
        return max(found, key=lambda ka: ka[1].start_date or dt.date.min)


def derive(
    visit: Visit, profile: PayerProfile, history: PatientHistory, patient_key: str
) -> tuple[Visit, tuple[str, ...]]:
    """The visit with its missing episode fields derived, and the names of those fields."""
    episode = visit.episode
    given = episode.model_fields_set if episode is not None else set()
    missing = [f for f in DERIVABLE if f not in given]
    if not missing:
        return visit, ()
    values = episode.model_dump(exclude_unset=True) if episode is not None else {}
    derived: list[str] = []
    earlier = history.before(visit)
    dos = visit.date_of_service

    plan = episode.plan_of_care if episode is not None else None
    if "plan_of_care" in missing:
        plan = history.plan_on(dos)
        if plan is not None:
            values["plan_of_care"] = plan.model_dump()
            derived.append("plan_of_care")
    if plan is not None:
        under_plan = [p for p in earlier if p.plan_start == plan.start_date]
        number = values.get("visit_number")
        if "visit_number" in missing:
            number = _next_number(under_plan)
            values["visit_number"] = number
            derived.append("visit_number")
        if "last_progress_report_visit" in missing:
            reports = [
                p.visit_number
                for p in under_plan
                if p.progress_report
                and p.visit_number is not None
                and (number is None or p.visit_number < number)
            ]
            last = max(reports, default=None)
            # The evaluation (visit 1) counts as the first report: null means "none since".
            values["last_progress_report_visit"] = last if last and last > 1 else None
            derived.append("last_progress_report_visit")
    if "authorization" in missing:
        found = history.auth_on(visit.payer, dos)
        if found is not None:
            key, auth = found
            used = [p for p in earlier if p.auth == key and p.payer == visit.payer]
            visits_used, units_used = _used(used)
            values["authorization"] = {
                **auth.model_dump(),
                "visits_used": visits_used,
                "units_used": units_used,
            }
            derived.append("authorization")
    if "therapy_amount_ytd" in missing and profile.kx_threshold:
        bucket = bucket_of((profile.discipline_modifier,)) or "pt_slp"
        tracker = KxTracker(tuple(e for entries in history.therapy.values() for e in entries))
        ytd = tracker.therapy_amount_ytd(patient_key, dos, bucket, exclude_claim=visit.visit_id)
        amount = ytd.amount
        reported = [r for r in history.therapy_reported if r[0].year == dos.year and r[0] < dos]
        if reported:
            on, applied = max(reported)
            since = tracker.therapy_amount_ytd(
                patient_key, on, bucket, exclude_claim=visit.visit_id
            )
            amount = max(amount, applied + ytd.amount - since.amount)
        values["therapy_amount_ytd"] = amount
        derived.append("therapy_amount_ytd")
    if "eligibility" in missing and visit.payer in history.eligibility:
        values["eligibility"] = history.eligibility[visit.payer].model_dump()
        derived.append("eligibility")
    if not derived:
        return visit, ()
    effective = visit.model_copy(update={"episode": Episode.model_validate(values)})
    return effective, tuple(derived)


def _next_number(earlier: list[Prior]) -> int:
    known = [p for p in earlier if p.visit_number is not None]
    if not known:
        return len(earlier) + 1
    anchor = max(known, key=lambda p: (p.dos, p.visit_id))
    after = [p for p in earlier if (p.dos, p.visit_id) > (anchor.dos, anchor.visit_id)]
    return anchor.visit_number + len(after) + 1  # type: ignore[operator]


def _used(earlier: list[Prior]) -> tuple[int, int]:
    """Visits and units used before a visit: the latest earlier visit whose use is known, plus
    itself and the visits imported after it; else all earlier visits."""
    known = [p for p in earlier if p.auth_used is not None]
    if not known:
        return len(earlier), sum(p.units for p in earlier)
    anchor = max(known, key=lambda p: (p.dos, p.visit_id))
    since = [p for p in earlier if (p.dos, p.visit_id) >= (anchor.dos, anchor.visit_id)]
    visits, units = anchor.auth_used  # type: ignore[misc]
    return visits + len(since), units + sum(p.units for p in since)


def remember(
    history: PatientHistory, visit: Visit, units: int, entries: Iterable[TherapyEntry]
) -> None:
    """Add a just-imported visit to the in-run history (it is stored too, in the same
    transaction, but the run keeps its own copy to avoid a query per visit)."""
    e = visit.episode
    plan = e.plan_of_care if e else None
    auth = e.authorization if e else None
    key = None
    if plan is not None and plan.start_date not in history.plans:
        history.plans[plan.start_date] = plan
    if auth is not None:
        key = auth_key(auth.number, auth.start_date)
        history.auths.setdefault(
            (visit.payer, key), auth.model_copy(update={"visits_used": 0, "units_used": 0})
        )
    history.visits[visit.visit_id] = Prior(
        visit.visit_id,
        visit.date_of_service,
        plan.start_date if plan else None,
        e.visit_number if e else None,
        bool(e and e.progress_report_this_visit),
        visit.payer,
        key,
        units,
        (auth.visits_used, auth.units_used) if auth is not None else None,
    )
    history.therapy[visit.visit_id] = list(entries)


def load_histories(session: Session, patients: dict[int, str]) -> dict[str, PatientHistory]:
    """The stored history of these patients (pk -> patient key), keyed by patient key."""
    out = {key: PatientHistory() for key in patients.values()}
    if not patients:
        return out
    ids = list(patients)
    for row in session.execute(
        select(m.PlanOfCare).where(m.PlanOfCare.patient_id.in_(ids))
    ).scalars():
        out[patients[row.patient_id]].plans[row.start_date] = PlanOfCare(
            start_date=row.start_date,
            end_date=row.end_date,
            certified_date=row.certified_date,
            certifying_npi=row.certifying_npi,
        )
    q = (
        select(m.Authorization, m.Payer.key)
        .join(m.Payer)
        .where(m.Authorization.patient_id.in_(ids))
    )
    for auth, payer in session.execute(q):
        out[patients[auth.patient_id]].auths[(payer, auth.auth_key)] = Authorization(
            number=auth.number,
            start_date=auth.start_date,
            end_date=auth.end_date,
            visits_authorized=auth.visits_authorized,
            units_authorized=auth.units_authorized,
        )
    prior = (
        select(
            m.Visit.patient_id,
            m.Visit.visit_id,
            m.Visit.date_of_service,
            m.PlanOfCare.start_date,
            m.Visit.visit_number,
            m.Visit.progress_report,
            m.Payer.key,
            m.Authorization.auth_key,
            m.Visit.units_billed,
            m.Visit.auth_visits_used,
            m.Visit.auth_units_used,
        )
        .join(m.Payer, m.Payer.id == m.Visit.payer_id)
        .outerjoin(m.PlanOfCare, m.PlanOfCare.id == m.Visit.plan_of_care_id)
        .outerjoin(m.Authorization, m.Authorization.id == m.Visit.authorization_id)
        .where(m.Visit.patient_id.in_(ids))
    )
    for pid, vid, dos, start, number, report, payer, key, units, av, au in session.execute(prior):
        out[patients[pid]].visits[vid] = Prior(
            vid, dos, start, number, report, payer, key, units, (av, au) if av is not None else None
        )
    _load_therapy(session, patients, out)
    _load_eligibility(session, patients, out)
    return out


def _load_eligibility(
    session: Session, patients: dict[int, str], out: dict[str, PatientHistory]
) -> None:
    """The latest 271 answer of each patient and payer, and Medicare's reported amounts."""
    c = pm.EligibilityCheck
    q = (
        select(c, m.Payer.key)
        .join(m.Payer, m.Payer.id == c.payer_id)
        .where(c.patient_id.in_(list(patients)))
        .order_by(c.checked_on, c.id)
    )
    for check, payer in session.execute(q):
        assert check.patient_id is not None  # the query's: of these patients
        history = out[patients[check.patient_id]]
        history.eligibility[payer] = Eligibility(
            checked_on=check.checked_on,
            asked_for=check.service_date,
            active=check.active,
            plan_begin=check.plan_begin,
            plan_end=check.plan_end,
            visits_remaining=check.visits_remaining,
        )
        if check.medicare and check.therapy_amount_applied is not None:
            on = check.service_date or check.checked_on
            history.therapy_reported.append((on, check.therapy_amount_applied))


def _load_therapy(
    session: Session, patients: dict[int, str], out: dict[str, PatientHistory]
) -> None:
    """Therapy amounts of the patients' claims with payers that track the KX threshold: the
    835's allowed amounts where a remittance was posted, else the priced estimate."""
    ids = list(patients)
    lines = (
        select(
            m.Claim.patient_id,
            m.Claim.claim_number,
            m.ClaimLine.id,
            m.ClaimLine.date_of_service,
            m.ClaimLine.modifiers,
            m.ClaimLine.expected_allowed,
        )
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(
            m.ClaimVersion,
            (m.ClaimVersion.claim_id == m.Claim.id) & (m.ClaimVersion.version == m.Claim.version),
        )
        .join(m.ClaimLine, m.ClaimLine.version_id == m.ClaimVersion.id)
        .where(m.Claim.patient_id.in_(ids), m.Payer.kx_threshold.is_(True))
    )
    rows = session.execute(lines).all()
    if not rows:
        return
    remitted: dict[int, Decimal] = {}
    q = select(m.LinePayment.claim_line_id, m.LinePayment.allowed).where(
        m.LinePayment.claim_line_id.in_([r[2] for r in rows])
    )
    for line_id, allowed in session.execute(q):
        assert line_id is not None  # the query's: of these lines
        remitted[line_id] = remitted.get(line_id, Decimal(0)) + allowed
    by_claim: dict[str, list[TherapyEntry]] = {}
    claims_remitted = {r[1] for r in rows if r[2] in remitted}
    for pid, claim, line_id, dos, modifiers, expected in rows:
        bucket = bucket_of(tuple(modifiers.split()))
        if bucket is None:
            continue
        key = patients[pid]
        if claim in claims_remitted:
            entry = TherapyEntry(
                key, claim, dos, bucket, remitted.get(line_id, Decimal(0)), "remit"
            )
        else:
            entry = TherapyEntry(key, claim, dos, bucket, expected, "priced")
        by_claim.setdefault(claim, []).append(entry)
    for claim, entries in by_claim.items():
        out[entries[0].patient_id].therapy[claim] = entries
