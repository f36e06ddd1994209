"""Plan of care: present, certified in time by a named practitioner, and in force on the date
of service (billing-rules.md D-2..D-7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.domain.visit import PlanOfCare
from ptbill.reference.catalog import INITIAL_EVALUATION_CODES
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._dates import days_after


def _evaluation_only(r: Review) -> bool:
    return bool(r.billed) and all(x.code in INITIAL_EVALUATION_CODES for _, x in r.billed)


@rule("POC-MISSING", "plan_of_care", "error", ("D-2", "D-3", "D-1", "MBPM15-220.1.2"))
def poc_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """Treatment billed without a plan of care.

    *What it checks*: the visit's `episode.plan_of_care` is given, unless the only billed
    service is the initial evaluation (the order plus the evaluation suffice, D-1).
    *Why payers care*: therapy is paid only under a plan of care that states diagnoses, goals
    and the type, amount, duration and frequency of treatment (D-2) and is certified (D-3).
    *Fails*: a 97110 visit with `"episode": {"visit_number": 3}` (no plan_of_care).
    *Passes*: the same with a plan of care (start date, end date, certification).
    *Fix*: attach the plan of care established at the evaluation.
    """
    if r.poc is None and not _evaluation_only(r):
        yield Hit(
            "treatment is billed without a plan of care",
            "give episode.plan_of_care (start and end date, certification date and the "
            "certifying NPI)",
        )


@dataclass(frozen=True, slots=True)
class CertificationParams(Params):
    days: int = param(30, "days after the plan's start within which it is certified")


@rule(
    "POC-NOT-CERTIFIED",
    "plan_of_care",
    "error",
    ("D-3", "D-6", "MBPM15-220.1.3"),
    params=CertificationParams,
    needs=Needs.PLAN_OF_CARE,
)
def poc_not_certified(r: Review, p: CertificationParams) -> Iterator[Hit]:
    """A plan of care that no physician or NPP has certified.

    *What it checks*: the plan of care has a `certified_date` (except on an evaluation-only
    visit).
    *Why payers care*: the physician/NPP signs and dates the plan, within 30 days of the first
    treatment (D-3); from 2025 a signed order on file plus proof the plan was sent within 30 days
    counts as certification (D-6). Claims before certification are not payable.
    *Fails*: `"plan_of_care": {"start_date": "2026-02-16", "end_date": "2026-05-16"}`.
    *Passes*: the same with `"certified_date": "2026-02-20", "certifying_npi": "1245319599"`.
    *Fix*: hold the claim until the plan is certified, then record the date and the NPI.
    """
    if r.poc is None or r.poc.certified_date is not None or _evaluation_only(r):
        return
    due = days_after(r.poc.start_date, p.days)
    yield Hit(
        f"the plan of care starting {r.poc.start_date} is not certified (certification "
        f"due by {due})",
        "hold the claim until the physician/NPP certifies the plan; "
        "record certified_date and certifying_npi",
    )


@rule(
    "POC-CERT-LATE",
    "plan_of_care",
    "error",
    ("D-3", "D-5", "MBPM15-220.1.3"),
    params=CertificationParams,
    needs=Needs.PLAN_OF_CARE,
)
def poc_cert_late(r: Review, p: CertificationParams) -> Iterator[Hit]:
    """A plan of care certified more than 30 days after the first treatment, without the
    reason for the delay.

    *What it checks*: `certified_date` is at most `days` (30) after the plan's start date (the
    evaluation counts as the first treatment), or `delayed_certification_reason` is given.
    *Why payers care*: a timely initial certification is dated within 30 days of the first
    treatment (D-3); a delayed one is accepted only with evidence of the physician's
    involvement and the reason (D-5).
    *Fails*: start 2026-02-16, certified 2026-03-30.
    *Passes*: the same with `"delayed_certification_reason": "physician on leave; ..."`.
    *Fix*: document why the certification was late (the delayed certification reason) and keep
    the evidence of the physician's involvement.
    """
    poc = r.poc
    if poc is None or poc.certified_date is None:
        return
    due = days_after(poc.start_date, p.days)
    if poc.certified_date > due and not (poc.delayed_certification_reason or "").strip():
        late = (poc.certified_date - due).days
        yield Hit(
            f"the plan of care starting {poc.start_date} was certified "
            f"{poc.certified_date}, {late} day(s) after the {p.days}-day limit "
            f"({due}), with no reason for the delay",
            "record delayed_certification_reason and keep the evidence of the "
            "physician's involvement",
        )


@dataclass(frozen=True, slots=True)
class ExpiryParams(Params):
    max_days: int = param(90, "a certification covers at most this many days from the start")
    warn_days: int = param(7, "report (info) this many days or fewer before the plan ends")


@rule(
    "POC-EXPIRED",
    "plan_of_care",
    "error",
    ("D-4", "MBPM15-220.1.3"),
    params=ExpiryParams,
    needs=Needs.PLAN_OF_CARE,
)
def poc_expired(r: Review, p: ExpiryParams) -> Iterator[Hit]:
    """A date of service outside the plan of care's certified period.

    *What it checks*: the date of service is on or after the plan's start date and on or before
    both its end date and its start date + `max_days` (90): a certification covers the plan's
    duration or 90 days, whichever is shorter. Within `warn_days` of the end it reports (info)
    that recertification is due.
    *Why payers care*: services after the certified period are not covered until the plan is
    recertified (D-4).
    *Fails*: plan 2026-01-02..2026-05-16, date of service 2026-04-10 (98 days after the start).
    *Passes*: plan 2026-02-16..2026-05-16, date of service 2026-03-02.
    *Fix*: have the physician/NPP recertify the plan (a new plan of care with new dates), then
    bill.
    """
    poc = r.poc
    if poc is None:
        return
    limit = days_after(poc.start_date, p.max_days)
    # The certified period ends on the plan's end date or at the limit, whichever is first.
    end = poc.end_date if poc.end_date and poc.end_date <= limit else limit
    if r.dos < poc.start_date:
        yield Hit(
            f"date of service {r.dos} is before the plan of care starts ({poc.start_date})",
            "bill under the plan in force on the date of service",
        )
    elif r.dos > end:
        yield Hit(
            f"the plan of care expired on {end} ({_ends_why(poc, limit, p)}); date of service "
            f"{r.dos} is {(r.dos - end).days} day(s) later",
            "have the physician/NPP recertify the plan of care, then bill",
        )
    elif (end - r.dos).days <= p.warn_days:
        yield Hit(
            f"the plan of care ends {end} ({_ends_why(poc, limit, p)}), {(end - r.dos).days} "
            "day(s) after this visit",
            "request recertification before the next visits",
            severity="info",
        )


def _ends_why(poc: PlanOfCare, limit: dt.date, p: ExpiryParams) -> str:
    """Which bound ends the certified period: the plan's end date or the `max_days` limit."""
    return (
        f"its end date {poc.end_date}"
        if poc.end_date and poc.end_date <= limit
        else f"{p.max_days} days after its start {poc.start_date}"
    )


@rule(
    "POC-CERTIFIER-MISSING",
    "plan_of_care",
    "error",
    ("D-3", "D-7", "C-7", "NORIDIAN-CERTNPI"),
    needs=Needs.PLAN_OF_CARE,
)
def poc_certifier_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A certified plan of care that does not name the certifying practitioner.

    *What it checks*: a plan with a `certified_date` has a `certifying_npi`.
    *Why payers care*: only physicians and NPPs may certify (D-7), and Medicare claims carry
    the certifier's NPI as the referring provider (C-7, NORIDIAN-CERTNPI).
    *Fails*: `"certified_date": "2026-02-20"` with no `certifying_npi`.
    *Passes*: the same with `"certifying_npi": "1245319599"`.
    *Fix*: record the NPI of the physician/NPP who signed the plan.
    """
    if r.poc is not None and r.poc.certified_date is not None and not r.poc.certifying_npi:
        yield Hit(
            f"the plan of care was certified {r.poc.certified_date} but names no certifying NPI",
            "record certifying_npi (the physician/NPP who signed)",
        )
