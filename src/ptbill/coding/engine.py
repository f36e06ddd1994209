"""The coding engine: a visit's documented services -> claim lines with units, modifiers,
diagnosis pointers and charges, each decision explained.

A pure function of the visit, its payer profile, the clinic's chargemaster and the reference
snapshot; the date that matters (NCCI edit dates, the KX year) is the visit's date of service.

It codes every visit of a bulk import, so it keeps to one working object per claim line: the
line that `_merge` makes for a code carries what the visit documented and collects the
decisions; only a time family and a CQ split add lines, copies of that documentation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

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
from ptbill.coding.units import (
    FAMILIES,
    FAMILY_OF,
    UNIT_MINUTES,
    TimeFamily,
    allocate_per_code,
    allocate_total_time,
)
from ptbill.config.profiles import PayerProfile
from ptbill.domain.coded import CodedLine, CodedVisit
from ptbill.domain.visit import Distinct, Service, Visit
from ptbill.pricing.pfs import cached_unit_amount
from ptbill.reference.catalog import catalog
from ptbill.reference.ncci import ptp_table
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot


@dataclass(slots=True)
class _Line:
    """A claim line in the making."""

    code: str
    # What the visit documented for the code, after merging repeated entries of it (U-21);
    # the lines split from it share these.
    services: tuple[int, ...]
    pointers: tuple[int, ...] | None
    body_region: str | None
    distinct: Distinct | None
    requested_modifiers: tuple[str, ...]
    requested_units: int | None
    # This line's minutes (the code's documented minutes until a split) and decisions.
    minutes: int | None
    assistant: int
    why: list[str]  # this line's own list: every step appends to it
    units: int = 0
    reason: str | None = None
    modifiers: tuple[str, ...] = ()  # the coder's: CQ, distinct-service

    def split(
        self, code: str, units: int, minutes: int | None, assistant: int, why: list[str]
    ) -> _Line:
        """A line for part of this one (a family add-on, a CQ share): same documentation."""
        return _Line(
            code,
            self.services,
            self.pointers,
            self.body_region,
            self.distinct,
            self.requested_modifiers,
            self.requested_units,
            minutes,
            assistant,
            why,
            units,
        )


def _merge(services: Sequence[Service]) -> list[_Line]:
    """One line per code of the day: repeated entries of a code, or of a family's codes, are
    merged (U-21)."""
    lines: dict[str, _Line] = {}
    for index, s in enumerate(services):
        code = s.code
        family = FAMILY_OF.get(code)
        key = family.base if family else code
        line = lines.get(key)
        if line is None:
            pointers = s.diagnosis_pointers
            lines[key] = line = _Line(
                key,
                (index,),
                tuple(pointers) if pointers is not None else None,
                s.body_region,
                s.distinct,
                tuple(s.modifiers),
                s.units,
                s.minutes,
                s.assistant_minutes,
                [],
            )
            if key != code:
                line.why.append(f"{code} entered: its minutes count toward {key} and its add-on")
            continue
        line.services += (index,)
        if s.minutes is not None:
            line.minutes = (line.minutes or 0) + s.minutes
        line.assistant += s.assistant_minutes
        if s.diagnosis_pointers is not None:
            line.pointers = tuple(dict.fromkeys((*(line.pointers or ()), *s.diagnosis_pointers)))
        line.body_region = line.body_region or s.body_region
        line.distinct = line.distinct or s.distinct
        line.requested_modifiers = tuple(dict.fromkeys((*line.requested_modifiers, *s.modifiers)))
        if s.units is not None:
            line.requested_units = (line.requested_units or 0) + s.units
        line.why.append(
            f"{code} entered {len(line.services)} times: merged into one line with "
            f"{line.minutes} minutes (one line per code per day, U-21)"
        )
    for line in lines.values():
        if line.minutes is not None and line.assistant > line.minutes:
            line.why.append(
                f"assistant minutes {line.assistant} exceed the service's {line.minutes}; "
                f"counted as {line.minutes}"
            )
            line.assistant = line.minutes
    return list(lines.values())


def _priorities(pooled: list[_Line], prices: dict[str, Decimal]) -> list[int]:
    """Tie-break ranks for the higher-paying policy: the higher charge per unit first."""
    ranked = sorted(range(len(pooled)), key=lambda i: (-prices.get(pooled[i].code, Decimal(0)), i))
    ranks = [0] * len(pooled)
    for rank, i in enumerate(ranked):
        ranks[i] = rank
    return ranks


def _unit_lines(
    profile: PayerProfile, merged: list[_Line], prices: dict[str, Decimal]
) -> tuple[list[_Line], int, int, str]:
    """Units for every code: the lines, the timed minutes, the pooled timed units and how the
    day's units were decided."""
    codes = catalog()
    lines: list[_Line] = []
    pooled: list[_Line] = []  # timed codes with minutes: their units come from the day's pool
    minutes: list[int] = []  # the pooled lines' minutes
    family_minutes = 0
    for line in merged:
        family = FAMILIES.get(line.code)
        if family is not None:
            family_minutes += line.minutes or 0
            lines.extend(_family_lines(line, family))
            continue
        lines.append(line)
        info = codes.get(line.code)
        if info is not None and info.timed:
            if line.minutes is None:
                _without_minutes(line)
            else:
                pooled.append(line)
                minutes.append(line.minutes)
            continue
        units = line.requested_units if line.requested_units is not None else 1
        if info is None:
            line.why.append(
                f"{line.code} is not in the code catalog: billed as documented, {units} unit(s)"
            )
        elif info.timed is None:
            line.why.append(
                f"the catalog does not say whether {line.code} is timed: billed as a "
                f"service, {units} unit(s)"
            )
        elif line.requested_units is not None:
            line.why.append(f"untimed: {units} unit(s) as documented")
        else:
            line.why.append("untimed (service-based) code: 1 unit whatever the minutes (U-2)")
        line.units = units
        if not units:
            line.reason = "documented with 0 units"
    timed_minutes = sum(minutes) + family_minutes
    cms = profile.unit_method == "cms"
    if cms:
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
        line.why.append(_pooled_why(cms, m, units, extra))
        if units == 0:
            line.reason = f"{m} minutes earn no unit" + (
                " once the day's units went to larger leftovers (U-14)"
                if cms and alloc.total_units
                else " (under 8 minutes)"
            )
        requested = line.requested_units
        if requested is not None and requested != units:
            line.why.append(f"the visit asked for {requested} unit(s); the minutes support {units}")
    return lines, timed_minutes, alloc.total_units, head


def _without_minutes(line: _Line) -> None:
    """A timed code sent without minutes: the units sent are billed (the 8-minute rule cannot
    be checked, which the scrubber says); with no units either, it earns none."""
    line.assistant = 0
    if line.requested_units:
        line.units = line.requested_units
        line.why.append(
            f"{line.units} unit(s) as sent: no minutes, so the 8-minute rule could not be checked"
        )
        return
    line.reason = "timed code without minutes: document the minutes"


@lru_cache(maxsize=4096)
def _pooled_why(cms: bool, m: int, units: int, extra: bool) -> str:
    """How a pooled timed code's minutes made its units. Memoised: the same few minute counts
    come back visit after visit."""
    if not cms:
        return f"{m} min -> {units} unit(s): a unit once 8 minutes of it pass"
    full, left = divmod(m, UNIT_MINUTES)
    if extra:
        return (
            f"{m} min = {full} full unit(s) + {left} leftover min; the leftover "
            "won one of the day's remaining units (largest leftover first)"
        )
    if left:
        return (
            f"{m} min = {full} full unit(s) + {left} leftover min; "
            "the leftover did not win a remaining unit"
        )
    return f"{m} min = {full} full unit(s) + 0 leftover min"


def _family_lines(line: _Line, fam: TimeFamily) -> list[_Line]:
    """A time family (U-30): the base code's line and, past its first unit, an add-on line."""
    minutes, assistant = line.minutes, line.assistant
    if minutes is None:
        _without_minutes(line)
        return [line]
    base, addon = fam.units(minutes)
    rule = (
        f"{fam.base} is the first {fam.first_minutes} min and {fam.addon} each further "
        f"{fam.addon_minutes} min; a unit once its midpoint passes"
    )
    first = min(minutes, fam.first_minutes)
    line.units, line.minutes, line.assistant = base, first, min(assistant, first)
    line.why.append(f"{minutes} min: {rule}")
    if not base:
        line.reason = (
            f"{minutes} minutes do not reach the midpoint of "
            f"{fam.base}'s first {fam.first_minutes} minutes"
        )
    if not addon:
        return [line]
    rest = minutes - first
    why = f"{rest} min past the first {fam.first_minutes}: {addon} add-on unit(s) of {fam.addon}"
    return [line, line.split(fam.addon, addon, rest, max(0, assistant - first), [why])]


def _apply_cq(lines: list[_Line], profile: PayerProfile) -> list[_Line]:
    """The assistant's units on their own line with the payer's CQ modifier (M-7..M-12)."""
    if not profile.assistant_modifier or not any(line.assistant for line in lines):
        return lines
    mod, pct = profile.assistant_modifier, profile.cq_de_minimis_percent
    codes = catalog()
    out: list[_Line] = []
    for line in lines:
        if line.units == 0 or line.assistant == 0:
            out.append(line)
            continue
        info = codes.get(line.code)
        timed = info is not None and info.timed and line.code not in FAMILY_OF
        split: CqSplit = (
            split_timed(line.units, line.minutes or 0, line.assistant, pct)
            if timed
            else split_untimed(line.units, line.minutes, line.assistant, pct)
        )
        if split.plain_units:
            out.append(
                line.split(
                    line.code,
                    split.plain_units,
                    split.plain_minutes,
                    max(0, line.assistant - split.cq_minutes) if split.cq_units else line.assistant,
                    [*line.why, f"{mod}: {split.why}"],
                )
            )
        if split.cq_units:
            cq = line.split(
                line.code,
                split.cq_units,
                split.cq_minutes,
                min(line.assistant, split.cq_minutes),
                [*line.why, f"{mod}: {split.why}"]
                if not split.plain_units
                else [f"{mod} line for the assistant's units of {line.code}: {split.why}"],
            )
            cq.modifiers = (mod,)
            out.append(cq)
    return out


def _apply_ncci(
    visit: Visit, profile: PayerProfile, lines: list[_Line], reference: ReferenceSnapshot
) -> None:
    if profile.ncci_table == "none":
        return
    table = ptp_table(profile.ncci_table, reference)
    codes = [line.code for line in lines if line.units > 0]
    hits = ncci_pairs(table, codes, visit.date_of_service)
    if not hits:  # the usual visit
        return
    billed = [line for line in lines if line.units > 0]
    for hit in hits:
        col1 = next(line for line in billed if line.code == hit.column1)
        edit = (
            f"NCCI PTP edit {hit.column1}/{hit.column2} (modifier indicator "
            f"{hit.indicator}; table: {hit.release})"
        )
        for line in (x for x in billed if x.code == hit.column2):
            requested = [m for m in line.requested_modifiers if m in DISTINCT_MODIFIERS]
            if hit.indicator == "0":
                line.why.append(
                    f"{edit}: no modifier can bypass it; {hit.column2} will be "
                    "denied with " + hit.column1
                )
            elif requested:
                line.why.append(f"{edit}: {', '.join(requested)} as requested by the clinician")
            else:
                ev = distinct_evidence(line.distinct, line.body_region, col1.body_region)
                if ev is None:
                    line.why.append(
                        f"{edit}: no distinct service documented (separate time "
                        "block, body region or session), so no modifier"
                    )
                else:
                    mod = distinct_modifier(profile.distinct_modifier, ev.kind)
                    if mod not in line.modifiers:  # one code may meet several partners
                        line.modifiers += (mod,)
                    line.why.append(f"{mod} on the column-2 code: {edit}; {ev.text}")


def _estimate_amount(
    visit: Visit,
    lines: list[_Line],
    locality: str | None,
    estimate: bool,
    reference: ReferenceSnapshot,
) -> tuple[Decimal | None, str]:
    """This visit's Medicare amount for the KX test: the PFS amount per unit before MPPR (an
    upper bound of the allowed amount), estimated when the year's RVUs are missing and the
    profile allows it (pricing.pfs.kx_unit_amount); None, with the reason, when unknown.
    Never the charges: the threshold counts allowed amounts (M-3)."""
    year = visit.date_of_service.year
    total, estimated = Decimal(0), False
    codes = catalog()
    for line in lines:
        if line.units <= 0:
            continue
        info = codes.get(line.code)
        if info is not None and info.mpfs_status in UNPAID_STATUSES:
            continue
        price = cached_unit_amount(line.code, year, locality, estimate, reference)
        if price.amount is None:
            return None, price.basis
        total += price.amount * line.units
        estimated = estimated or price.estimated
    if estimated:
        return total, (
            f"estimated: {year} PFS before reductions from the latest bundled RVUs with the "
            f"{year} conversion factor and GPCIs, as no {year} RVUs are in the reference data"
        )
    return total, f"{year} PFS before reductions"


@lru_cache(maxsize=1024)
def _order(
    discipline: str, coder: tuple[str, ...], kx: bool, requested: tuple[str, ...]
) -> tuple[str, ...]:
    """A billed line's modifiers: discipline, the coder's (CQ, distinct), KX, then any others
    the clinician asked for. Memoised: a handful of combinations make every claim."""
    mods = [discipline, *coder] if discipline else list(coder)
    if kx:
        mods.append("KX")
    mods.extend(m for m in requested if m not in mods)
    return tuple(mods)


_KX_WHY = "KX: past the therapy threshold with medical necessity documented"
_UNKNOWN_WHY = (
    "{code} is not in the code catalog, so it may not be a therapy service: no {mods} added "
    "(add it by hand if the service is therapy under the plan of care)"
)


def code_visit(
    visit: Visit,
    profile: PayerProfile,
    chargemaster: dict[str, Decimal] | None = None,
    locality: str | None = None,
    reference: ReferenceSnapshot = BUNDLED_ONLY,
) -> CodedVisit:
    """Code one visit. `chargemaster` is the clinic's charge per unit by code; `locality` its
    Medicare locality ("MAC-locality"), used to find the visit's amount for the KX threshold;
    `reference` the run's reference snapshot (NCCI edits, the PFS for that amount)."""
    prices = chargemaster or {}
    lines, timed_minutes, timed_units, method = _unit_lines(profile, _merge(visit.services), prices)
    lines = _apply_cq(lines, profile)
    _apply_ncci(visit, profile, lines, reference)

    notes: tuple[str, ...] = (method,)
    kx = False
    amount, basis = None, ""
    if profile.kx_threshold and any(line.units for line in lines):
        episode = visit.episode
        ytd = episode.therapy_amount_ytd if episode else Decimal(0)
        estimate = profile.kx_when_rvus_missing == "estimate"
        amount, basis = _estimate_amount(visit, lines, locality, estimate, reference)
        decision = kx_decision(
            visit.date_of_service.year,
            ytd,
            amount,
            basis,
            bool(episode and episode.kx_medical_necessity_documented),
        )
        kx = decision.apply
        notes = (method, decision.why)

    discipline = profile.discipline_modifier
    codes = catalog()
    coded = []
    sent = _sent_charges(visit.services, lines) if _has_charges(visit.services) else {}
    for n, line in enumerate(lines):
        why = line.why  # the decisions below are the line's last
        pointers = line.pointers
        if pointers is None:
            pointers, pointer_why = assign_pointers(tuple(visit.diagnoses))
            why.append(pointer_why)
        per_unit = prices.get(line.code)
        if n in sent:
            charge = sent[n]
            why.append(f"charge {charge} as the EMR sent it")
        elif per_unit is None:
            charge = None
            why.append(f"no charge for {line.code} in the clinic's chargemaster")
        else:
            charge = per_unit * line.units
        mods: tuple[str, ...] = ()
        if line.units <= 0:
            pass
        elif line.code in codes:
            mods = _order(discipline, line.modifiers, kx, line.requested_modifiers)
            if kx:
                why.append(_KX_WHY)
        else:
            # A code the catalog does not know may not be a therapy service: the coder adds no
            # discipline modifier (nor KX) to it; the clinician's own modifiers stay.
            mods = _order("", line.modifiers, False, line.requested_modifiers)
            if discipline or kx:
                added = " or ".join(m for m in (discipline, "KX" if kx else "") if m)
                why.append(_UNKNOWN_WHY.format(code=line.code, mods=added))
        # Positional, in CodedLine's field order: keyword arguments cost more here.
        coded.append(
            CodedLine(
                line.code,
                line.units,
                mods,
                pointers,
                line.minutes,
                line.assistant,
                charge,
                line.services,
                tuple(why),  # explanation
                line.requested_units,
                line.reason,
            )
        )
    return CodedVisit(
        visit.visit_id,
        visit.date_of_service,
        visit.payer,
        profile.unit_method,
        timed_minutes,
        timed_units,
        tuple(coded),
        notes,
        amount,  # therapy_amount
        basis,  # therapy_amount_basis
    )


def _has_charges(services: Sequence[Service]) -> bool:
    return any(s.charge is not None for s in services)


def _sent_charges(services: Sequence[Service], lines: list[_Line]) -> dict[int, Decimal]:
    """The EMR's charges by line index, for lines whose services all carry one. A service the
    coder split over several lines (a CQ share, a family add-on) has its charge shared by
    units, the last billed line taking the rounding, so that the lines add up to it."""
    groups: dict[tuple[int, ...], list[int]] = {}
    for n, line in enumerate(lines):
        groups.setdefault(line.services, []).append(n)
    out: dict[int, Decimal] = {}
    cent = Decimal("0.01")
    for indexes, numbers in groups.items():
        charges = [c for i in indexes if (c := services[i].charge) is not None]
        if len(charges) < len(indexes):
            continue
        total = sum(charges, Decimal(0))
        billed = [n for n in numbers if lines[n].units > 0] or numbers[:1]
        units = sum(lines[n].units for n in billed)
        left = total
        for n in billed[:-1]:
            share = (total * lines[n].units / units).quantize(cent) if units else Decimal(0)
            out[n], left = share, left - share
        out[billed[-1]] = left
    return out


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
