"""Timely filing: the payer's filing limit from the date of service (C-8, C-9)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review
from ptbill.scrub.rules._dates import days_after


@dataclass(frozen=True, slots=True)
class TimelyParams(Params):
    warn_days: int = param(30, "warn this many days or fewer before the filing deadline")


@rule(
    "TIMELY-FILING",
    "timely_filing",
    "error",
    ("C-8", "C-9", "42 CFR 424.44", "CMS-CPM1-70", "NORIDIAN-TF"),
    params=TimelyParams,
)
def timely_filing(r: Review, p: TimelyParams) -> Iterator[Hit]:
    """A claim past, or close to, the payer's timely-filing limit.

    *What it checks*: the as-of date (the day the claim would be sent) against the date of
    service + the profile's `timely_filing_days` (Medicare 365: 12 months, C-8; commercial by
    contract, C-9). Within `warn_days` (30) of the deadline it warns.
    *Why payers care*: Medicare denies claims filed more than 12 months after the date of
    service with CO-29 and no appeal rights except narrow exceptions; rejected claims do not
    stop the clock (C-8, 42 CFR 424.44).
    *Fails*: date of service 2026-03-02, as of 2027-03-10, Medicare.
    *Passes*: the same as of 2026-03-10.
    *Fix*: past the limit: do not send (write off, unless an exception such as a Medicare
    administrative error applies); close to it: send now.
    """
    limit = r.profile.timely_filing_days
    deadline = days_after(r.dos, limit)
    left = (deadline - r.as_of).days
    if left < 0:
        yield Hit(
            f"as of {r.as_of} the claim is {-left} day(s) past {r.profile.name}'s "
            f"{limit}-day filing limit (date of service {r.dos}, deadline {deadline})",
            "do not send: write it off unless a filing-limit exception applies (CO-29)",
        )
    elif left <= p.warn_days:
        yield Hit(
            f"the {limit}-day filing limit for date of service {r.dos} ends {deadline}, "
            f"{left} day(s) after {r.as_of}",
            "send the claim now",
            severity="warning",
        )


@rule("DOS-AFTER-AS-OF", "timely_filing", "error", ("C-8",))
def dos_after_as_of(r: Review, p: NoParams) -> Iterator[Hit]:
    """A date of service after the as-of date.

    *What it checks*: the date of service is on or before the as-of date.
    *Why payers care*: a claim cannot be filed for a service that has not happened yet; a
    future date is usually a typo in the year or month.
    *Fails*: date of service 2026-03-02 scrubbed as of 2026-03-01.
    *Passes*: as of 2026-03-02.
    *Fix*: correct the date of service, or wait until after the visit.
    """
    if r.dos > r.as_of:
        yield Hit(
            f"date of service {r.dos} is after the as-of date {r.as_of}",
            "correct the date of service, or scrub on or after it",
        )
