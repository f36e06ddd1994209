"""price_visit: what each billed line of a coded visit should be paid, and by whom.

A pure function of the coded visit, the payer profile, the billing provider and the reference
snapshot (the bundled data, plus the releases imported into the data folder when the snapshot
was taken); the date that decides every value is the visit's date of service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TypedDict

from ptbill.config.profiles import PayerProfile
from ptbill.domain.coded import CodedVisit
from ptbill.domain.visit import BillingProvider
from ptbill.pricing.contract import contract_lines
from ptbill.pricing.locality import resolve_locality
from ptbill.pricing.medicare import (
    PART_B_COINSURANCE,
    PfsLine,
    SharePolicy,
    medicare_sequestration,
    pfs_lines,
)
from ptbill.pricing.model import PricedLine, PricedVisit, Settlement
from ptbill.pricing.money import HUNDRED, ZERO, money
from ptbill.pricing.settle import settle_line
from ptbill.pricing.sources import (
    Found,
    GpciTable,
    RvuTable,
    fee_schedule,
    gpci_table,
    rvu_table,
)
from ptbill.reference.constants import CQ_REDUCTION, constant
from ptbill.reference.importers.fees import FeeSchedule
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot

ORDER_NOTE = (
    "MPPR is applied before the CQ/CO 15% reduction, which is taken on the line "
    "after MPPR (the order is open in billing-rules.md 9.5; see docs/pricing.md)"
)


@dataclass(frozen=True)
class Sources:
    """The reference data a visit's date of service (and `as_of`) selects for pricing. Visits
    of one payer whose sources have the same `key` and whose billed lines are alike price
    alike (ptbill.pricing.memo)."""

    year: int
    locality: Found[str]
    rvus: Found[RvuTable] | None  # None: the payer's pricing needs no Medicare amounts
    gpcis: Found[GpciTable] | None
    schedule: Found[FeeSchedule] | None  # contract pricing only

    @cached_property
    def key(self) -> tuple[object, ...]:
        """The sources by the names of their releases (each text names the release it found,
        or why none was found)."""
        rvus = self.rvus
        caveat = rvus.value.caveat if rvus is not None and rvus.value is not None else None
        return (
            self.year,
            self.locality.value,
            self.locality.text,
            rvus and rvus.text,
            caveat,
            self.gpcis and self.gpcis.text,
            self.schedule and self.schedule.text,
        )


def sources_for(
    profile: PayerProfile,
    billing_provider: BillingProvider | None,
    on: dt.date,
    fee_schedules: Mapping[str, FeeSchedule] | None = None,
    as_of: dt.date | None = None,
    reference: ReferenceSnapshot = BUNDLED_ONLY,
) -> Sources:
    """What prices a visit of this payer and billing provider on `on`: see price_visit."""
    medicare = profile.pricing == "medicare_pfs" or profile.percent_of_medicare is not None
    return Sources(
        on.year,
        resolve_locality(billing_provider, on, reference),
        rvu_table(reference, on.year, on, as_of) if medicare else None,
        gpci_table(reference, on.year) if medicare else None,
        None
        if profile.pricing == "medicare_pfs"
        else _schedule(profile, on, fee_schedules, as_of, reference),
    )


def price_visit(
    coded: CodedVisit,
    profile: PayerProfile,
    billing_provider: BillingProvider | None,
    fee_schedules: Mapping[str, FeeSchedule] | None = None,
    *,
    deductible_remaining: Decimal | None = None,
    as_of: dt.date | None = None,
    reference: ReferenceSnapshot = BUNDLED_ONLY,
) -> PricedVisit:
    """Price every billed line of `coded`.

    `fee_schedules`: contract fee schedules by payer key; when None, the snapshot's are used.
    `deductible_remaining`: the patient's deductible still to meet this year (e.g. from an
    eligibility response); when None the patient share excludes any deductible, and says so.
    `as_of`: leave out PFS releases CMS published after this date and contracts effective after.
    `reference`: the reference snapshot of the run (default: the bundled data only).
    """
    sources = sources_for(
        profile, billing_provider, coded.date_of_service, fee_schedules, as_of, reference
    )
    return price_from(coded, profile, sources, deductible_remaining)


def price_from(
    coded: CodedVisit,
    profile: PayerProfile,
    sources: Sources,
    deductible_remaining: Decimal | None = None,
) -> PricedVisit:
    """Price every billed line of `coded` from the sources its date selected."""
    year = sources.year
    locality = sources.locality
    notes: list[str] = []
    cq_constant = constant(CQ_REDUCTION, year)
    cq_possible = (cq_constant.value if cq_constant else None) or Decimal(0)
    if profile.pricing == "medicare_pfs":
        coinsurance = (
            profile.coinsurance_percent
            if profile.coinsurance_percent is not None
            else PART_B_COINSURANCE
        )
        seq, seq_text = medicare_sequestration(year, profile.sequestration_percent)
        policy = SharePolicy(coinsurance, seq, applies_sequestration=True)
        lines, pfs_notes = _pfs(coded, sources, policy)
        notes += [*pfs_notes, ORDER_NOTE, seq_text]
    else:
        coinsurance = profile.coinsurance_percent or Decimal(0)
        scale = profile.percent_of_medicare or HUNDRED
        policy = SharePolicy(coinsurance, None, applies_sequestration=False, scale_percent=scale)
        if profile.percent_of_medicare is not None:
            medicare, pfs_notes = _pfs(coded, sources, policy)
        else:  # Medicare's amounts are not needed
            medicare = [PfsLine(i, x) for i, x in enumerate(coded.lines) if x.units > 0]
        assert sources.schedule is not None
        lines = contract_lines(medicare, sources.schedule, profile, coinsurance, cq_possible)
        if profile.percent_of_medicare is not None:
            notes += [*pfs_notes, ORDER_NOTE]
        if profile.coinsurance_percent is None:
            notes.append(
                "no coinsurance_percent in the payer profile: the whole allowed amount "
                "is expected from the payer and the patient share shows $0"
            )
    notes.append(_deductible_note(profile, year, deductible_remaining))
    priced = _settle(lines, deductible_remaining)
    return PricedVisit(
        coded.visit_id,
        coded.date_of_service,
        coded.payer,
        profile.pricing,
        locality.value,
        tuple(priced),
        tuple(dict.fromkeys(notes)),
    )


def _pfs(
    coded: CodedVisit, sources: Sources, policy: SharePolicy
) -> tuple[list[PfsLine], list[str]]:
    assert sources.rvus is not None and sources.gpcis is not None
    return pfs_lines(coded, sources.locality, sources.rvus, sources.gpcis, policy)


def _schedule(
    profile: PayerProfile,
    on: dt.date,
    given: Mapping[str, FeeSchedule] | None,
    as_of: dt.date | None,
    reference: ReferenceSnapshot,
) -> Found[FeeSchedule]:
    if given is not None:
        schedule = given.get(profile.key)
        if schedule is None:
            return Found(None, f"no fee schedule given for payer {profile.key!r}")
        return Found(schedule, f"fee schedule {schedule.name}")
    found = fee_schedule(reference, profile.key, on, profile.fee_schedule, as_of)
    fees = profile.contract_fees
    if found.value is not None or profile.fee_schedule or fees is None:
        return found
    if fees.effective is not None and fees.effective > (min(on, as_of) if as_of else on):
        return Found(
            None, f"{found.text}; the configured {fees.name} takes effect {fees.effective}"
        )
    amounts = {(code, ""): amount for code, amount in fees.allowed.items()}
    schedule = FeeSchedule(fees.name, profile.key, fees.effective, "configuration", amounts)
    return Found(schedule, f"fee schedule {fees.name} ({fees.label})")


def _deductible_note(profile: PayerProfile, year: int, remaining: Decimal | None) -> str:
    if remaining is not None:
        return f"deductible: {money(remaining)} still to meet this year, applied line by line"
    annual = profile.annual_deductible.get(year)
    amount = (
        f"{money(annual)} a year per the payer profile"
        if annual is not None
        else "amount not configured (annual_deductible in the payer profile)"
    )
    return (
        f"the patient share EXCLUDES the deductible ({amount}); whether the patient has met "
        "it is unknown here, so Medicare or the plan may pay less than shown"
    )


class _LineKeys(TypedDict):
    """What every priced line takes from its coded line, priced or not."""

    index: int
    code: str
    units: int
    modifiers: tuple[str, ...]
    charge: Decimal | None
    source: str


def _settle(lines: list[PfsLine], deductible_remaining: Decimal | None) -> list[PricedLine]:
    remaining = deductible_remaining if deductible_remaining is not None else ZERO
    out = []
    for p in lines:
        line = p.line
        common: _LineKeys = {
            "index": p.index,
            "code": line.code,
            "units": line.units,
            "modifiers": line.modifiers,
            "charge": line.charge,
            "source": p.source,
        }
        if p.status == "not_paid":
            out.append(
                PricedLine(
                    **common,
                    status="not_paid",
                    allowed=ZERO,
                    expected_payment=ZERO,
                    patient_responsibility=ZERO,
                    basis=tuple(p.basis),
                )
            )
            continue
        if p.status != "priced" or p.math is None:
            out.append(
                PricedLine(
                    **common,
                    status="unpriced",
                    allowed=None,
                    expected_payment=None,
                    patient_responsibility=None,
                    basis=tuple(p.basis),
                    sequestration=None,
                )
            )
            continue
        parts, s = settle_line(p.math, remaining)
        remaining -= s.deductible
        basis = [*p.basis]
        if p.math.scale_percent != HUNDRED:
            basis.append(
                f"{p.math.scale_percent}% of the Medicare amount "
                f"{money(parts.gross - parts.mppr - parts.cq)}"
            )
        basis.append(
            f"allowed {money(s.allowed)} = {line.units} x {money(p.math.unit_fee)}"
            + (f" - MPPR {money(parts.mppr)}" if parts.mppr else "")
            + (f" - CQ/CO {money(parts.cq)}" if parts.cq else "")
        )
        basis.append(
            _split_text(
                s,
                p.math.coinsurance_percent,
                p.math.sequestration_percent,
                p.math.applies_sequestration,
            )
        )
        if line.charge is not None and line.charge < s.allowed:
            basis.append(
                f"the charge {money(line.charge)} is below the allowed amount: check "
                "the chargemaster (payers commonly allow the lower of the two; not "
                "applied here)"
            )
        out.append(
            PricedLine(
                **common,
                status="priced",
                allowed=s.allowed,
                expected_payment=s.expected_payment,
                patient_responsibility=s.patient_responsibility,
                basis=tuple(basis),
                unit_fee=p.math.unit_fee,
                mppr_reduction=parts.mppr,
                cq_reduction=parts.cq,
                deductible=s.deductible,
                coinsurance=s.coinsurance,
                sequestration=s.sequestration,
                math=p.math,
            )
        )
    return out


def _split_text(
    s: Settlement, coinsurance: Decimal, seq_percent: Decimal | None, applies: bool
) -> str:
    text = (
        f"patient: deductible {money(s.deductible)} + coinsurance {coinsurance}% of "
        f"{money(s.allowed - s.deductible)} = {money(s.coinsurance)}; payer's share "
        f"{money(s.payer_before_sequestration)}"
    )
    if not applies:
        return text + f"; expected payment {money(s.expected_payment)}"
    if s.sequestration is None:
        return text + (
            f"; sequestration unknown for the year, not applied: expected payment "
            f"{money(s.expected_payment)} before sequestration"
        )
    return text + (
        f" - sequestration {seq_percent}% {money(s.sequestration)} = expected "
        f"payment {money(s.expected_payment)}"
    )
