"""The ledger's own "today": the latest business date it has recorded.

Commands take an explicit --as-of; without one, they use the latest date the ledger has seen
(an import, a submission, an acknowledgement, a posted payment, any claim change), never the
machine's clock, so that running the same commands on the same files gives the same ledger.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.patient_models import PatientTransaction, Statement


def latest_date(session: Session) -> dt.date | None:
    found = [
        session.scalar(select(func.max(column)))
        for column in (
            m.AuditEntry.on_date,
            m.Payment.determined_on,
            m.Acknowledgement.received_on,
            m.Remittance.received_on,
            PatientTransaction.on_date,
            Statement.statement_date,
        )
    ]
    dates = [d for d in found if d is not None]
    return max(dates) if dates else None


def as_of_or_latest(session: Session, as_of: dt.date | None) -> dt.date:
    if as_of is not None:
        return as_of
    latest = latest_date(session)
    if latest is None:
        raise InputError(
            "--as-of",
            None,
            None,
            "the ledger is empty, so it has no date to work as of",
            "give --as-of YYYY-MM-DD",
        )
    return latest
