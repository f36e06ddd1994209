"""Claim-level checks: charges on every line and replacement/void claims that name the claim
they replace."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules.duplicates import REPLACEMENT_FREQUENCIES

_FREQUENCY = {"7": "replacement", "8": "void"}


@rule(
    "CHARGE-MISSING",
    "documentation",
    "error",
    ("C-11", "X12-837P-SV102"),
    needs=Needs.NO_CHARGE,
)
def charge_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A billed line without a charge (no chargemaster entry for its code).

    *What it checks*: every billed line has a charge, which comes from the clinic's
    chargemaster (charge per unit).
    *Why payers care*: the 837P service line requires a charge amount (SV102); a line without
    one cannot be sent.
    *Fails*: a visit of a clinic whose chargemaster has no 97535, billing 97535.
    *Passes*: the chargemaster lists 97535.
    *Fix*: add the code's charge per unit to the clinic's chargemaster (configuration) and
    re-code.
    """
    for n, line in r.billed:
        if line.charge is None:
            where = (
                f"clinic {r.ctx.clinic.key!r}"
                if r.ctx.clinic is not None
                else "the visit's billing provider (no chargemaster)"
            )
            yield Hit(
                f"{line.code} has no charge: {where} has no chargemaster entry for it",
                f"add {line.code} to the clinic's chargemaster and re-code",
                n,
            )


@rule("CHARGE-DIFFERS", "documentation", "info", ("C-11", "X12-837P-SV102"), needs=Needs.CHARGES)
def charge_differs(r: Review, p: NoParams) -> Iterator[Hit]:
    """A line whose charge the EMR sent differs from the clinic's chargemaster.

    *What it checks*: a billed line whose services carry `charge` (the EMR's) and whose code
    is also in the clinic's chargemaster, at a different amount for its units.
    *Why payers care*: the claim carries the charge the EMR sent (SV102); two price lists that
    disagree usually mean one of them is out of date, and every claim repeats the difference.
    *Fails*: the chargemaster has 97110 at 48.00, the EMR sends 1 unit at 100.00.
    *Passes*: the EMR sends 48.00, or no charge.
    *Fix*: nothing if the EMR's charge is right; otherwise correct the EMR's fee schedule or
    the chargemaster.
    """
    prices = r.ctx.chargemaster
    services = r.visit.services
    for n, line in r.billed:
        per_unit = prices.get(line.code)
        if per_unit is None or any(services[i].charge is None for i in line.services):
            continue
        expected = per_unit * line.units
        if line.charge != expected:
            yield Hit(
                f"{line.code}: the EMR's charge {line.charge:.2f} is billed; the chargemaster "
                f"says {expected} ({line.units} x {per_unit})",
                "nothing if the EMR's charge is right; else correct the EMR or the chargemaster",
                n,
            )


@rule(
    "FREQ-ORIGINAL-MISSING", "duplicate", "error", ("C-10", "STEDI-FREQ"), needs=Needs.REPLACEMENT
)
def original_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A replacement or void claim (frequency 7 or 8) that does not name the original claim.

    *What it checks*: `frequency_code` 7 or 8 comes with `original_claim_id` (the payer's
    claim control number).
    *Why payers care*: a replacement or void must reference the payer's original claim number
    (REF*F8); without it the payer cannot match it and rejects it (C-10, STEDI-FREQ).
    *Fails*: `"frequency_code": "7", "original_claim_id": null`.
    *Passes*: `"frequency_code": "7", "original_claim_id": "22012345678900"`.
    *Fix*: copy the payer's claim control number from the remittance of the original claim.
    """
    v = r.visit
    if v.frequency_code in REPLACEMENT_FREQUENCIES and not (v.original_claim_id or "").strip():
        yield Hit(
            f"frequency code {v.frequency_code} ({_FREQUENCY[v.frequency_code]}) without "
            "the original claim's id",
            "give original_claim_id: the payer's claim control "
            "number from the original claim's remittance",
        )


@rule(
    "FREQ-REOPENING",
    "duplicate",
    "warning",
    ("C-10", "NORIDIAN-REOPEN"),
    enabled=False,
    needs=Needs.REPLACEMENT,
)
def reopening(r: Review, p: NoParams) -> Iterator[Hit]:
    """A replacement or void claim sent to a payer that corrects claims through reopenings.

    *What it checks*: `frequency_code` 7 or 8 on a payer where this rule is on (Medicare).
    *Why payers care*: Medicare Part B contractors correct processed claims through reopenings
    (portal, phone, written) within a year of the initial determination; whether a MAC accepts
    837P frequency 7/8 varies (C-10, NORIDIAN-REOPEN).
    *Fails*: a Medicare visit with `"frequency_code": "7"`.
    *Passes*: `"frequency_code": "1"`.
    *Fix*: check the MAC's policy; request a reopening if it does not accept 7/8.
    """
    code = r.visit.frequency_code
    if code in REPLACEMENT_FREQUENCIES:
        yield Hit(
            f"frequency code {code} ({_FREQUENCY[code]}) to {r.profile.name}: its "
            "contractors usually correct claims through a reopening",
            "check the contractor accepts 7/8 claims; otherwise request a reopening",
        )
