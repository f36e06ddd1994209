"""The business date a request works on.

In order: the request's `as_of`; the app setting (`ptbill serve --as-of`, PTBILL_AS_OF);
today in the company's time zone (WebSettings.current_date, frozen by PTBILL_TODAY), the same
default the ledger's commands use, so that the pages and `ptbill worklist` agree on what is
overdue. An import's today is its input's: in the time zone of the file's only clinic, read
once the file is checked, as `ptbill import` reads it (ptbill.cli.clock).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from ptbill.config.profiles import Config
from ptbill.ledger.importer import AsOfFor
from ptbill.web.settings import WebSettings

__all__ = ["business_date", "import_day"]


def business_date(
    session: Session, settings: WebSettings, requested: dt.date | None = None
) -> dt.date:
    """The date to work on."""
    return requested or settings.as_of or settings.current_date()


def import_day(
    settings: WebSettings, config: Config, requested: dt.date | None = None
) -> dt.date | AsOfFor:
    """The date an import works on: one that needs no clock (asked for, the app's, frozen),
    else what reads the clock in the zone of the input's clinics once they are known."""
    given = requested or settings.as_of or settings.today
    if given is not None:
        return given
    return lambda clinics: settings.current_date(config.input_zone(clinics))
