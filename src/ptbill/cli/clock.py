"""Today: the date a command works as of when it is given no --as-of.

The clock is read here, at the edge, and nowhere below: the date goes down as `as_of`. It is
today's date in the clinic's time zone (`timezone` of [clinics.KEY], else the configuration's
company-wide `timezone`, else the machine's). `ptbill --today DATE` or PTBILL_TODAY=DATE
freezes the clock for a run (tests, a reproducible chain of commands); --as-of still overrides
it per command.
"""

from __future__ import annotations

import datetime as dt

import click

from ptbill.cli.common import profiles, settings_of
from ptbill.config import Config
from ptbill.config.profiles import one_clinic

__all__ = ["as_of_or_today", "given_day", "one_clinic", "today"]


def today(ctx: click.Context, config: Config | None = None, clinic: str | None = None) -> dt.date:
    """Today in `clinic`'s time zone (the company's when None), or the frozen date. `config`:
    the run's (default: the one --config names)."""
    frozen: dt.date | None = settings_of(ctx).get("today")
    if frozen is not None:
        return frozen
    zone = (config or profiles(ctx)).zone(clinic)
    return dt.datetime.now(zone).date() if zone is not None else dt.date.today()


def as_of_or_today(
    ctx: click.Context,
    as_of: dt.datetime | None,
    config: Config | None = None,
    clinic: str | None = None,
) -> dt.date:
    """--as-of when given, else today."""
    return as_of.date() if as_of is not None else today(ctx, config, clinic)


def given_day(ctx: click.Context, as_of: dt.datetime | None) -> dt.date | None:
    """--as-of, else the frozen date: a date that needs no clock (None: today, which an input's
    clinics decide)."""
    return as_of.date() if as_of is not None else settings_of(ctx).get("today")
