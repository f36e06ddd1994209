"""The business date a request works on: never the clock.

In order: the request's `as_of`; the app setting (`ptbill serve --as-of`, PTBILL_AS_OF); the
ledger's latest business date (ptbill.ledger.dates.latest_date: the last import, claim change,
acknowledgement or payment), the same default the ledger's commands use.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ptbill.ledger.dates import latest_date
from ptbill.web.settings import WebSettings

__all__ = ["business_date", "latest_date"]


def business_date(
    session: Session, settings: WebSettings, requested: dt.date | None = None
) -> dt.date | None:
    """The date to work on; None only when the ledger is empty and nothing was given."""
    return requested or settings.as_of or latest_date(session)
