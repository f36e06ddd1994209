"""The coding engine: a visit's documented services -> claim lines with units, modifiers,
diagnosis pointers and charges, each decision explained.

A pure function of the visit, its payer profile and the clinic's chargemaster; the date that
matters (NCCI edit dates, the KX year) is the visit's date of service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ptbill.coding.assistant import CqSplit, split_timed, split_untimed
from ptbill.coding.modifiers import (
    DISTINCT_MODIFIERS,
    UNPAID_STATUSES,
    distinct_evidence,
    distinct_modifier,
    kx_decision,
    ncci_pairs,
)
from ptbill.coding.pointers import assign_pointers
from ptbill.coding.units import FAMILIES, FAMILY_OF, allocate_per_code, allocate_total_time
from ptbill.config.profiles import PayerProfile
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.domain.visit import Distinct, Service, Visit
from ptbill.pricing.pfs import cached_unit_amount, pfs_stamp
from ptbill.reference.catalog import lookup
from ptbill.reference.ncci import ptp_table


@dataclass(slots=True)
class _Entry:
    """One code of the day, after merging repeated entries of it (U-21)."""

    code: str
    services: list[int]
    minutes: int | None
    assistant: int
    pointers: list[int] | None
    body_region: str | None
    distinct: Distinct | None
    modifiers: list[str]
    requested_units: int | None
    why: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Line:
    entry: _Entry
    code: str
    units: int
    minutes: int | None
    assistant: int
    why: list[str]
    reason: str | None = None
    modifiers: list[str] = field(default_factory=list)
    cq: bool = False


def _merge(services: Sequence[Service]) -> list[_Entry]:
    entries: dict[str, _Entry] = {}
    for index, s in enumerate(services):
        family = FAMILY_OF.get(s.code)
        key = family.base if family else s.code
        e = entries.get(key)
        if e is None:
            entries[key] = _Entry(
                key,
                [index],
                s.minutes,
                s.assistant_minutes,
                list(s.diagnosis_pointers) if s.diagnosis_pointers is not None else None,
                s.body_region,
                s.distinct,
                list(s.modifiers),
                s.units,
            )
            if key != s.code:
                entries[key].why.append(
                    f"{s.code} entered: its minutes count toward {key} and its add-on"
                )
            continue
        e.services.append(index)
        if s.minutes is not None:
            e.minutes = (e.minutes or 0) + s.minutes
        e.assistant += s.assistant_minutes
        if s.diagnosis_pointers is not None:
            e.pointers = list(dict.fromkeys((e.pointers or []) + list(s.diagnosis_pointers)))
        e.body_region = e.body_region or s.body_region
        e.distinct = e.distinct or s.distinct
        e.modifiers = list(dict.fromkeys(e.modifiers + list(s.modifiers)))
        if s.units is not None:
            e.requested_units = (e.requested_units or 0) + s.units
        e.why.append(
            f"{s.code} entered {len(e.services)} times: merged into one line with "
            f"{e.minutes} minutes (one line per code per day, U-21)"
        )
    for e in entries.values():
        if e.minutes is not None and e.assistant > e.minutes:
            e.why.append(
                f"assistant minutes {e.assistant} exceed the service's {e.minutes}; "
                f"counted as {e.minutes}"
            )
            e.assistant = e.minutes
    return list(entries.values())


def _priorities(pooled: list[_Line], prices: dict[str, Decimal]) -> list[int]:
    """Tie-break ranks for the higher-paying policy: the higher charge per unit first."""
    ranked = sorted(range(len(pooled)), key=lambda i: (-prices.get(pooled[i].code, Decimal(0)), i))
    ranks = [0] * len(pooled)
    for rank, i in enumerate(ranked):
        ranks[i] = rank
    return ranks


def _unit_lines(
    profile: PayerProfile, entries: list[_Entry], prices: dict[str, Decimal]
) -> tuple[list[_Line], int, int, str]:
    """Units for every entry: the lines, the timed minutes, the pooled timed units and how the
    day's units were decided."""
    lines: list[_Line] = []
    pooled: list[_Line] = []
    for e in entries:
        info = lookup(e.code)
        if e.code in FAMILIES:
            lines.extend(_family_lines(e))
        elif info is not None and info.timed:
            if e.minutes is None:
                lines.append(
                    _Line(
                        e,
                        e.code,
                        0,
                        None,
                        0,
                        list(e.why),
                        reason="timed code without minutes: document the minutes",
                    )
                )
            else:
                pooled.append(_Line(e, e.code, 0, e.minutes, e.assistant, list(e.why)))
                lines.append(pooled[-1])
        else:
            units = e.requested_units if e.requested_units is not None else 1
            why = list(e.why)
            if info is None:
                why.append(
                    f"{e.code} is not in the code catalog: billed as documented, {units} unit(s)"
                )
            elif info.timed is None:
                why.append(
                    f"the catalog does not say whether {e.code} is timed: billed as a "
                    f"service, {units} unit(s)"
                )
            elif e.requested_units is not None:
                why.append(f"untimed: {units} unit(s) as documented")
            else:
                why.append("untimed (service-based) code: 1 unit whatever the minutes (U-2)")
            lines.append(
                _Line(
                    e,
                    e.code,
                    units,
                    e.minutes,
                    e.assistant,
                    why,
                    reason=None if units else "documented with 0 units",
                )
            )
    minutes = [line.minutes or 0 for line in pooled]
    timed_minutes = sum(minutes) + sum(e.minutes or 0 for e in entries if e.code in FAMILIES)
    if profile.unit_method == "cms":
        # first_listed: the pooled lines are already in the order the visit lists them
        prio = _priorities(pooled, prices) if profile.tie_break == "higher_paying" else None
        alloc = allocate_total_time(minutes, prio)
        head = (
            f"CMS total-time method: {alloc.total_minutes} timed minutes today make "
            f"{alloc.total_units} unit(s) (8-minute rule)"
        )
    else:
        alloc = allocate_per_code(minutes)
        head = "AMA per-code method: this code's own minutes decide its units"
    for line, m, units, extra in zip(pooled, minutes, alloc.units, alloc.extra, strict=True):
        line.units = units
        full, left = divmod(m, 15)
        if profile.unit_method == "ama":
            line.why.append(f"{m} min -> {units} unit(s): a unit once 8 minutes of it pass")
        elif extra:
            line.why.append(
                f"{m} min = {full} full unit(s) + {left} leftover min; the leftover "
                "won one of the day's remaining units (largest leftover first)"
            )
        else:
            line.why.append(
                f"{m} min = {full} full unit(s) + {left} leftover min"
                + ("; the leftover did not win a remaining unit" if left else "")
            )
        if units == 0:
            line.reason = f"{m} minutes earn no unit" + (
                " once the day's units went to larger leftovers (U-14)"
                if profile.unit_method == "cms" and alloc.total_units
                else " (under 8 minutes)"
            )
        if line.entry.requested_units not in (None, units):
            line.why.append(
                f"the visit asked for {line.entry.requested_units} unit(s); the "
                f"minutes support {units}"
            )
    return lines, timed_minutes, alloc.total_units, head


def _family_lines(e: _Entry) -> list[_Line]:
    fam = FAMILIES[e.code]
    if e.minutes is None:
        return [
            _Line(
                e,
                fam.base,
                0,
                None,
                0,
                list(e.why),
                reason="timed code without minutes: document the minutes",
            )
        ]
    base, addon = fam.units(e.minutes)
    rule = (
        f"{fam.base} is the first {fam.first_minutes} min and {fam.addon} each further "
        f"{fam.addon_minutes} min; a unit once its midpoint passes"
    )
    first = min(e.minutes, fam.first_minutes)
    lines = [
        _Line(
            e,
            fam.base,
            base,
            first,
            min(e.assistant, first),
            [*e.why, f"{e.minutes} min: {rule}"],
            reason=None
            if base
            else f"{e.minutes} minutes do not reach the midpoint of "
            f"{fam.base}'s first {fam.first_minutes} minutes",
        )
    ]
    if addon:
        rest = e.minutes - first
        lines.append(
            _Line(
                e,
                fam.addon,
                addon,
                rest,
                max(0, e.assistant - first),
                [
                    f"{rest} min past the first {fam.first_minutes}: {addon} add-on "
                    f"unit(s) of {fam.addon}"
                ],
            )
        )
    return lines


def _apply_cq(lines: list[_Line], profile: PayerProfile) -> list[_Line]:
    if not profile.assistant_modifier:
        return lines
    mod, pct = profile.assistant_modifier, profile.cq_de_minimis_percent
    out: list[_Line] = []
    for line in lines:
        if line.units == 0 or line.assistant == 0:
            out.append(line)
            continue
        info = lookup(line.code)
        timed = info is not None and info.timed and line.code not in FAMILY_OF
        split: CqSplit = (
            split_timed(line.units, line.minutes or 0, line.assistant, pct)
            if timed
            else split_untimed(line.units, line.minutes, line.assistant, pct)
        )
        if split.plain_units:
            plain = _Line(
                line.entry,
                line.code,
                split.plain_units,
                split.plain_minutes,
                max(0, line.assistant - split.cq_minutes) if split.cq_units else line.assistant,
                [*line.why, f"{mod}: {split.why}"],
            )
            out.append(plain)
        if split.cq_units:
            cq = _Line(
                line.entry,
                line.code,
                split.cq_units,
                split.cq_minutes,
                min(line.assistant, split.cq_minutes),
                [*line.why, f"{mod}: {split.why}"]
                if not split.plain_units
                else [f"{mod} line for the assistant's units of {line.code}: {split.why}"],
                cq=True,
            )
            cq.modifiers.append(mod)
            out.append(cq)
    return out


def _apply_ncci(visit: Visit, profile: PayerProfile, lines: list[_Line]) -> None:
    table = None if profile.ncci_table == "none" else ptp_table(profile.ncci_table)
    billed = [line for line in lines if line.units > 0]
    for hit in ncci_pairs(table, [line.code for line in billed], visit.date_of_service):
        col1 = next(line for line in billed if line.code == hit.column1)
        edit = (
            f"NCCI PTP edit {hit.column1}/{hit.column2} (modifier indicator "
            f"{hit.indicator}; table: {hit.release})"
        )
        for line in (x for x in billed if x.code == hit.column2):
            requested = [m for m in line.entry.modifiers if m in DISTINCT_MODIFIERS]
            if hit.indicator == "0":
                line.why.append(
                    f"{edit}: no modifier can bypass it; {hit.column2} will be "
                    "denied with " + hit.column1
                )
            elif requested:
                line.why.append(f"{edit}: {', '.join(requested)} as requested by the clinician")
            else:
                ev = distinct_evidence(
                    line.entry.distinct, line.entry.body_region, col1.entry.body_region
                )
                if ev is None:
                    line.why.append(
                        f"{edit}: no distinct service documented (separate time "
                        "block, body region or session), so no modifier"
                    )
                else:
                    mod = distinct_modifier(profile.distinct_modifier, ev.kind)
                    if mod not in line.modifiers:  # one code may meet several partners
                        line.modifiers.append(mod)
                    line.why.append(f"{mod} on the column-2 code: {edit}; {ev.text}")


def _estimate_amount(
    visit: Visit, lines: list[_Line], locality: str | None, prices: dict[str, Decimal]
) -> tuple[Decimal | None, str]:
    """This visit's Medicare amount for the KX test: PFS per unit before MPPR (an upper
    bound), or the charges when the fee schedule for the year is not in the data."""
    year = visit.date_of_service.year
    total, basis = Decimal(0), f"{year} PFS before reductions"
    data_stamp = pfs_stamp()
    for line in (x for x in lines if x.units > 0):
        info = lookup(line.code)
        if info is not None and info.mpfs_status in UNPAID_STATUSES:
            continue
        price = cached_unit_amount(line.code, year, locality, data_stamp)
        if price.amount is not None:
            total += price.amount * line.units
            continue
        if line.code not in prices:
            return None, price.basis
        total += prices[line.code] * line.units
        basis = f"charges, an upper bound: {price.basis}"
    return total, basis


def _order(line: _Line, discipline: str, kx: bool) -> tuple[str, ...]:
    mods = [discipline, *line.modifiers] if discipline else list(line.modifiers)
    if kx:
        mods.append("KX")
    mods.extend(m for m in line.entry.modifiers if m not in mods)
    return tuple(mods)


def code_visit(
    visit: Visit,
    profile: PayerProfile,
    chargemaster: dict[str, Decimal] | None = None,
    locality: str | None = None,
) -> CodedVisit:
    """Code one visit. `chargemaster` is the clinic's charge per unit by code; `locality` its
    Medicare locality ("MAC-locality"), used to estimate the amount for the KX threshold."""
    prices = chargemaster or {}
    entries = _merge(visit.services)
    lines, timed_minutes, timed_units, method = _unit_lines(profile, entries, prices)
    lines = _apply_cq(lines, profile)
    _apply_ncci(visit, profile, lines)

    notes: list[str] = [method]
    kx = False
    amount, basis = None, ""
    if profile.kx_threshold and any(line.units for line in lines):
        episode = visit.episode
        ytd = episode.therapy_amount_ytd if episode else Decimal(0)
        amount, basis = _estimate_amount(visit, lines, locality, prices)
        decision = kx_decision(
            visit.date_of_service.year,
            ytd,
            amount,
            basis,
            bool(episode and episode.kx_medical_necessity_documented),
        )
        kx = decision.apply
        notes.append(decision.why)

    default_pointers, pointer_why = assign_pointers(tuple(visit.diagnoses))
    coded = []
    for line in lines:
        why = list(line.why)
        if line.entry.pointers is not None:
            pointers = tuple(line.entry.pointers)
        else:
            pointers = default_pointers
            why.append(pointer_why)
        per_unit = prices.get(line.code)
        charge = per_unit * line.units if per_unit is not None else None
        if per_unit is None:
            why.append(f"no charge for {line.code} in the clinic's chargemaster")
        billed = line.units > 0
        if billed and kx:
            why.append("KX: past the therapy threshold with medical necessity documented")
        coded.append(
            CodedLine(
                code=line.code,
                units=line.units,
                modifiers=_order(line, profile.discipline_modifier, kx) if billed else (),
                diagnosis_pointers=pointers,
                minutes=line.minutes,
                assistant_minutes=line.assistant,
                charge=charge,
                services=tuple(line.entry.services),
                explanation=tuple(why),
                requested_units=line.entry.requested_units,
                reason=line.reason,
            )
        )
    return CodedVisit(
        visit_id=visit.visit_id,
        date_of_service=visit.date_of_service,
        payer=visit.payer,
        unit_method=profile.unit_method,
        total_timed_minutes=timed_minutes,
        timed_units=timed_units,
        lines=tuple(coded),
        notes=tuple(notes),
        therapy_amount=amount,
        therapy_amount_basis=basis,
    )


@dataclass(frozen=True, slots=True)
class UnitResult:
    total_timed_minutes: int
    timed_units: int
    units: dict[str, int]
    explanation: dict[str, tuple[str, ...]]
    rule: str


def units_for(services: Sequence[Service], profile: PayerProfile) -> UnitResult:
    """Units only (the 8-minute-rule calculator): no modifiers, pointers or charges."""
    lines, minutes, timed_units, rule = _unit_lines(profile, _merge(services), {})
    return UnitResult(
        minutes,
        timed_units,
        {line.code: line.units for line in lines},
        {line.code: tuple(line.why) + ((line.reason,) if line.reason else ()) for line in lines},
        rule,
    )
