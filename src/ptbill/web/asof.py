"""The business date a request works on.

In order: the request's `as_of`; the app setting (`ptbill serve --as-of`, PTBILL_AS_OF);
today in the company's time zone (WebSettings.current_date, frozen by PTBILL_TODAY), the same
default the ledger's commands use, so that the pages and `ptbill worklist` agree on what is
overdue.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ptbill.web.settings import WebSettings

__all__ = ["business_date"]


def business_date(
    session: Session, settings: WebSettings, requested: dt.date | None = None
) -> dt.date:
    """The date to work on."""
    return requested or settings.as_of or settings.current_date()
