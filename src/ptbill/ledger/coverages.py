"""A patient's coverages in order, with their dates (`patient_coverages`).

Each row is one coverage (payer and member id) at one rank -- 1 primary, 2 secondary, 3
tertiary -- from a start date to an end date (inclusive; open while in force). A visit that
lists its coverages records them (ranks from 1, dates from its date of service on); a biller
adds one by hand (`ptbill coverage add`). A new coverage at a rank ends the one it replaces the
day before it starts (one that began the same day is replaced: it never was in force). The
claims to the next payers of a visit (ptbill.ledger.secondary) follow the ranks in force on its
date of service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config, PayerProfile
from ptbill.domain.records import quick_init
from ptbill.domain.visit import Subscriber, Visit
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.bulk import from_driver
from ptbill.ledger.cob_data import select_ids
from ptbill.ledger.patient_models import PatientCoverage

MAX_RANK = 3  # primary, secondary, tertiary (SBR01 P, S, T)
ONE_DAY = dt.timedelta(days=1)


@quick_init
@dataclass(frozen=True, slots=True)
class InForce:
    """A coverage in force on a date: its rank, payer and subscriber."""

    rank: int
    payer_pk: int
    payer_key: str
    coverage_id: int
    subscriber: Subscriber
    start_date: dt.date
    end_date: dt.date | None

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


def _refuse(origin: str, field: str, problem: str, fix: str) -> InputError:
    return InputError(file=origin, visit_id=None, field=field, problem=problem, fix=fix)


def profile_of(config: Config, key: str, origin: str) -> PayerProfile:
    """The payer profile a coverage names, or an error that lists the ones there are."""
    profile = config.payer(key)
    if profile is None:
        raise _refuse(
            origin,
            "payer",
            f"no payer profile {key!r}",
            f"use one of {', '.join(sorted(config.payers))}",
        )
    return profile


def payer_row(p: PayerProfile) -> dict[str, Any]:
    """The payers row of a profile (the import writes it too: ptbill.ledger.importer)."""
    return {
        "key": p.key,
        "name": p.name,
        "payer_id": p.payer_id,
        "medicare": p.claim_filing_indicator == "MB",
        "kx_threshold": p.kx_threshold,
        "timely_filing_days": p.timely_filing_days,
        "appeal_days": p.appeal_days,
    }


def payer_pk(session: Session, profile: PayerProfile) -> int:
    """The payers row of a profile, made when no visit of it was imported yet."""
    found = session.scalar(select(m.Payer.id).where(m.Payer.key == profile.key))
    if found is not None:
        return found
    row = m.Payer(**payer_row(profile))
    session.add(row)
    session.flush()
    return row.id


def _coverage_pk(session: Session, patient_pk: int, payer: int, sub: Subscriber) -> int:
    found = session.scalar(
        select(m.Coverage.id).where(
            m.Coverage.patient_id == patient_pk,
            m.Coverage.payer_id == payer,
            m.Coverage.member_id == sub.member_id,
        )
    )
    if found is not None:
        return found
    row = m.Coverage(
        patient_id=patient_pk,
        payer_id=payer,
        member_id=sub.member_id,
        relationship=sub.relationship,
        group_number=sub.group_number,
    )
    session.add(row)
    session.flush()
    return row.id


def record(
    session: Session,
    *,
    patient_pk: int,
    profile: PayerProfile,
    subscriber: Subscriber,
    rank: int,
    start: dt.date,
    end: dt.date | None = None,
    source: str,
) -> PatientCoverage:
    """Record a coverage at a rank from `start`: an open row of the same coverage and rank that
    began earlier goes on; another coverage open at that rank ends the day before."""
    if not 1 <= rank <= MAX_RANK:
        raise _refuse(
            "coverage",
            "rank",
            f"rank {rank} is not 1 (primary), 2 (secondary) or 3 (tertiary)",
            "give the coverage's place in the order of payers",
        )
    if end is not None and end < start:
        raise _refuse(
            "coverage",
            "end_date",
            f"the coverage ends ({end}) before it starts ({start})",
            "give an end date on or after the start date",
        )
    coverage = _coverage_pk(session, patient_pk, payer_pk(session, profile), subscriber)
    text = subscriber.model_dump_json(exclude_none=True)
    rows = session.scalars(
        select(PatientCoverage).where(
            PatientCoverage.patient_id == patient_pk, PatientCoverage.rank == rank
        )
    ).all()
    for row in rows:
        if row.coverage_id == coverage and row.start_date <= start and _open_on(row, start):
            row.subscriber_json = text
            if end is not None:
                row.end_date = end
            return row
    for row in rows:
        if row.coverage_id != coverage and row.start_date <= start and _open_on(row, start):
            if row.start_date == start:  # replaced from its first day: it never was in force
                session.delete(row)
            else:
                row.end_date = start - ONE_DAY  # replaced at this rank
    same = next((r for r in rows if r.coverage_id == coverage and r.start_date == start), None)
    if same is not None:
        same.end_date, same.subscriber_json = end, text
        return same
    row = PatientCoverage(
        patient_id=patient_pk,
        coverage_id=coverage,
        rank=rank,
        start_date=start,
        end_date=end,
        subscriber_json=text,
        source=source[:60],
    )
    session.add(row)
    session.flush()
    return row


def _open_on(row: PatientCoverage, day: dt.date) -> bool:
    return row.end_date is None or row.end_date >= day


def record_visit(
    session: Session,
    config: Config,
    *,
    patient_pk: int,
    coverages: Sequence[tuple[str, Subscriber]],
    date_of_service: dt.date,
    visit_id: str,
) -> None:
    """A visit's coverages (payer key, subscriber) in order: ranks 1.. from its date of service;
    a higher rank the visit no longer lists ends the day before (the patient lost it)."""
    for rank, (key, subscriber) in enumerate(coverages[:MAX_RANK], start=1):
        profile = config.payer(key)
        if profile is None:
            continue  # the import refuses a visit of an unknown payer before this
        record(
            session,
            patient_pk=patient_pk,
            profile=profile,
            subscriber=subscriber,
            rank=rank,
            start=date_of_service,
            source=f"visit:{visit_id}",
        )
    for row in session.scalars(
        select(PatientCoverage).where(
            PatientCoverage.patient_id == patient_pk,
            PatientCoverage.rank > len(coverages),
            PatientCoverage.start_date < date_of_service,
        )
    ):
        if _open_on(row, date_of_service):
            row.end_date = date_of_service - ONE_DAY


def record_imported(session: Session, config: Config, items: Iterable[tuple[int, Visit]]) -> None:
    """The coverages of imported visits that list them (`coverages`), by patient id: the
    one-coverage shorthand (`payer` + `subscriber`) records nothing (its payer is the claim's)."""
    for patient_pk, visit in items:
        listed = getattr(visit, "coverages", None)
        if listed:
            record_visit(
                session,
                config,
                patient_pk=patient_pk,
                coverages=[(c.payer, c.subscriber) for c in listed],
                date_of_service=visit.date_of_service,
                visit_id=visit.visit_id,
            )


_COVERAGES_SQL = (
    "SELECT patient_coverages.patient_id, patient_coverages.rank, coverages.payer_id, "
    "payers.key, patient_coverages.coverage_id, patient_coverages.subscriber_json, "
    "patient_coverages.start_date, patient_coverages.end_date FROM patient_coverages "
    "JOIN coverages ON coverages.id = patient_coverages.coverage_id "
    "JOIN payers ON payers.id = coverages.payer_id "
    "WHERE patient_coverages.patient_id IN ({}) "
    "ORDER BY patient_coverages.rank, patient_coverages.start_date"
)
# Subscriber.model_validate_json without its wrapper (a run of next payers reads thousands).
_SUBSCRIBER_JSON = Subscriber.__pydantic_validator__.validate_json


def of_patients(session: Session, patient_pks: Iterable[int]) -> dict[int, list[InForce]]:
    """Every recorded coverage of these patients, by patient, in rank and date order."""
    ids = list(dict.fromkeys(patient_pks))
    out: dict[int, list[InForce]] = {p: [] for p in ids}
    session.flush()  # as a query through the session would
    conn = session.connection()
    day = from_driver(conn.dialect, PatientCoverage, "start_date")
    # Plain SQL, each distinct date converted once: thousands of rows, none changed here.
    for patient, rank, payer, key, coverage, subscriber, start, end in select_ids(
        conn, _COVERAGES_SQL, ids
    ):
        out[patient].append(
            InForce(rank, payer, key, coverage, _SUBSCRIBER_JSON(subscriber), day(start), day(end))
        )
    return out


def at(coverages: Sequence[InForce], rank: int, day: dt.date) -> InForce | None:
    """The coverage at `rank` on `day`, if any."""
    return next((c for c in coverages if c.rank == rank and c.covers(day)), None)
