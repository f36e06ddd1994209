"""Prior authorization: a number where the payer needs one, visits or units left, and the
authorized date range (R-2, CARC 197)."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.config.profiles import PayerProfile
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review


def _needs_auth(profile: PayerProfile) -> bool:
    return profile.requires_authorization


@rule("AUTH-MISSING", "authorization", "error", ("R-2", "M-13"), when=_needs_auth)
def auth_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """No authorization number for a payer that requires prior authorization.

    *What it checks*: when the payer profile has `requires_authorization`, the visit's
    `episode.authorization.number` is given.
    *Why payers care*: plans that require prior authorization deny the claim without it
    (CARC 197, R-2).
    *Fails*: a commercial visit with no `authorization`.
    *Passes*: `"authorization": {"number": "A123", ...}`.
    *Fix*: obtain the authorization (retroactively if the payer allows) and record its number.
    """
    if not (r.auth and r.auth.number):
        yield Hit(
            f"{r.profile.name} requires prior authorization and the visit has no "
            "authorization number",
            "record the authorization number (obtain one, retroactively if the payer allows)",
        )


@rule(
    "AUTH-EXHAUSTED",
    "authorization",
    "error",
    ("R-2",),
    when=_needs_auth,
    needs=Needs.AUTHORIZATION,
)
def auth_exhausted(r: Review, p: NoParams) -> Iterator[Hit]:
    """An authorization with no visits or units left for this visit.

    *What it checks*: for a payer that requires authorization: `visits_used` (before this
    visit) is below `visits_authorized`, and `units_used` plus this visit's billed units do not
    exceed `units_authorized`. Using the last authorized visit is reported as a warning.
    *Why payers care*: services beyond the authorized count are denied as unauthorized
    (CARC 197, R-2).
    *Fails*: `"visits_authorized": 12, "visits_used": 12`.
    *Passes*: `"visits_authorized": 12, "visits_used": 5`.
    *Fix*: request more visits from the payer before billing this one.
    """
    a = r.auth
    if a is None:
        return
    if a.visits_authorized is not None:
        if a.visits_used >= a.visits_authorized:
            yield Hit(
                f"authorization {a.number or '(no number)'}: {a.visits_used} of "
                f"{a.visits_authorized} authorized visits already used; none left for "
                f"{r.dos}",
                "request more visits from the payer before billing this one",
            )
        elif a.visits_used + 1 == a.visits_authorized:
            yield Hit(
                f"authorization {a.number or '(no number)'}: this visit uses the last of "
                f"{a.visits_authorized} authorized visits",
                "request more visits before the next one",
                severity="warning",
            )
    if a.units_authorized is not None:
        billed = sum(x.units for _, x in r.billed)
        if a.units_used + billed > a.units_authorized:
            yield Hit(
                f"authorization {a.number or '(no number)'}: {a.units_used} units used "
                f"+ {billed} billed today = {a.units_used + billed}, over the "
                f"{a.units_authorized} authorized",
                "request more units from the payer",
            )


@rule("AUTH-DATES", "authorization", "error", ("R-2",), when=_needs_auth, needs=Needs.AUTHORIZATION)
def auth_dates(r: Review, p: NoParams) -> Iterator[Hit]:
    """A date of service outside the authorization's date range.

    *What it checks*: for a payer that requires authorization, the date of service lies
    between the authorization's `start_date` and `end_date` (when given).
    *Why payers care*: an authorization covers its dates only; other dates are unauthorized
    (CARC 197, R-2).
    *Fails*: authorization 2026-02-16..2026-02-28, date of service 2026-03-02.
    *Passes*: authorization 2026-02-16..2026-04-30.
    *Fix*: request an extension or a new authorization covering the date of service.
    """
    a = r.auth
    if a is None:
        return
    if a.start_date and r.dos < a.start_date:
        yield Hit(
            f"date of service {r.dos} is before authorization "
            f"{a.number or '(no number)'} starts ({a.start_date})",
            "request an authorization that covers the date of service",
        )
    if a.end_date and r.dos > a.end_date:
        yield Hit(
            f"date of service {r.dos} is after authorization "
            f"{a.number or '(no number)'} ended ({a.end_date})",
            "request an extension or a new authorization",
        )
