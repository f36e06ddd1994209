"""The demo clinic's second coverages: of its Medicare patients, about four in ten have a
Medigap plan (ptbill bills it after Medicare: a secondary 837P) and two in ten have Medicaid
(Medicare crosses their claims over: MA18). Chosen from a hash of the patient id, so the
visits the generator makes (and its random draws) do not change.

Recorded in the ledger as the front desk would (`ptbill coverage add`): rank 2 from the first
of the year. The simulated payer learns which Medicare members are crossed over."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.domain.visit import Subscriber
from ptbill.ledger import coverages
from ptbill.ledger import models as m

MEDIGAP, MEDICAID = "medigap", "medicaid"


def _bucket(patient_id: str) -> int:
    return int(hashlib.sha256(patient_id.encode()).hexdigest()[:8], 16) % 10


def second_coverages(visits: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Medicare patient id -> (the second payer's key, its member id)."""
    out: dict[str, tuple[str, str]] = {}
    for v in visits:
        pid = v["patient"]["id"]
        if v.get("payer") != "medicare" or pid in out:
            continue
        bucket = _bucket(pid)
        if bucket < 4:
            out[pid] = (MEDIGAP, f"MG{int(hashlib.sha256(pid.encode()).hexdigest()[:9], 16):011d}")
        elif bucket < 6:
            out[pid] = (
                MEDICAID,
                f"MCD{int(hashlib.sha256(pid.encode()).hexdigest()[-8:], 16):09d}",
            )
    return out


def crossovers(visits: list[dict[str, Any]], second: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Medicare member id -> the payer Medicare crosses the claims over to (Medicaid)."""
    return {
        v["subscriber"]["member_id"]: second[v["patient"]["id"]][0]
        for v in visits
        if v["patient"]["id"] in second and second[v["patient"]["id"]][0] == MEDICAID
    }


def record_second_coverages(
    session: Session,
    config: Config,
    visits: list[dict[str, Any]],
    second: dict[str, tuple[str, str]],
) -> dict[str, int]:
    """Record each patient's second coverage from January 1 of the visits' year."""
    start = min(dt.date.fromisoformat(v["date_of_service"]) for v in visits).replace(month=1, day=1)
    clinic_of = {v["patient"]["id"]: v.get("clinic") for v in visits}
    counts = {MEDIGAP: 0, MEDICAID: 0}
    for pid, (payer, member) in sorted(second.items()):
        q = select(m.Patient.id).where(m.Patient.external_id == pid)
        if clinic_of.get(pid):
            q = q.join(m.Clinic, m.Clinic.id == m.Patient.clinic_id).where(
                m.Clinic.key == clinic_of[pid]
            )
        patient = session.scalar(q)
        if patient is None:
            continue
        coverages.record(
            session,
            patient_pk=patient,
            profile=config.payers[payer],
            subscriber=Subscriber(member_id=member),
            rank=2,
            start=start,
            source="demo front desk",
        )
        counts[payer] += 1
    return counts
