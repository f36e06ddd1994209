"""The ledger's latest business date: the latest date it has recorded (an import, a submission,
an acknowledgement, a posted payment, a patient payment or statement, any claim change).

No command's default any more (that is today, ptbill.cli.clock); tests and benchmarks use it to
work as of the end of a generated ledger.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
