"""What a PT biller needs from a 271, read out of its EB segments.

- coverage: active when an EB01 says so (1 to 5), inactive when one says 6 to 8 and none active;
- plan dates: DTP 346/347 (plan begin/end), else 291 as a range, else 356/357 (eligibility
  begin/end), at the person's level or on the coverage EB;
- deductible, out-of-pocket and their remaining amounts (EB01 C and G; EB06 29 is "remaining"),
  coinsurance (EB01 A, EB08 a fraction) and copay (EB01 B) for PT: of the EB segments that
  carry the amount, the one for physical therapy (PT), else physical medicine (AE), else the
  health benefit plan (30); for the individual before the family; in network before out;
- visit limits: EB01 F with EB09 VS (visits) or P6: EB06 29 remaining, a yearly period the
  limit, EB09 99 the visits used;
- prior authorization required: EB11 Y on a PT benefit;
- other payers (EB01 R with its 2120 entities) and, in a Medicare answer, the Medicare
  secondary payer types (EB04 12 ... 47) that tell another payer is primary;
- Medicare: the therapy amount already applied this year toward the KX threshold, an EB for
  PT or physical medicine (AE) with a year-to-date amount (EB06 24), as Medicare's eligibility
  answers report it (billing-rules M-6: claims from other providers count).

Pure: a function of the parsed 271 (ptbill.x12.read_271).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

from ptbill.errors import InputError
from ptbill.x12.eligibility_codes import (
    ACTIVE,
    BENEFIT_INFORMATION,
    INACTIVE,
    INSURANCE_TYPES,
    MEDICARE,
    MEDICARE_SECONDARY,
    PT_SERVICE_TYPES,
    QUANTITIES,
    RELATED_ENTITIES,
    REMAINING,
    SERVICE_TYPES,
    TIME_PERIODS,
    USED,
    VISITS,
    YEAR_TO_DATE,
    YEARLY,
)
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import WrongKind, WrongKindError
from ptbill.x12.read_271 import Benefit, DateRange, Eligibility, read_271

HUNDRED = Decimal(100)
_NETWORK_RANK = {"Y": 0, "": 1, "W": 1, "U": 2, "N": 3}
_LEVEL_RANK = {"IND": 0, "": 1, "EMP": 1, "FAM": 2}
_THERAPY_TYPES = frozenset({"PT", "AE"})
_COVERAGE = ACTIVE | INACTIVE
_LIMIT_PERIODS_NOT = REMAINING | {YEAR_TO_DATE}
FIX_271 = (
    "check that this is the whole 271 as the payer or clearinghouse sent it (005010X279A1); "
    "if it was cut or altered, ask for it again"
)


Rank = tuple[int, int, int]


def _service_rank(b: Benefit, wanted: tuple[str, ...]) -> int:
    for i, code in enumerate(wanted):
        if code in b.service_types:
            return i
    if "30" in b.service_types or not b.service_types:
        return len(wanted)
    return len(wanted) + 1


class _Ranked:
    """A person's benefits by EB01, each with its rank for a PT visit (see the module doc),
    worked out once."""

    def __init__(self, benefits: Iterable[Benefit], wanted: tuple[str, ...]) -> None:
        self.limit = len(wanted)
        self.by_code: dict[str, list[tuple[Rank, Benefit]]] = {}
        for b in benefits:
            rank = (
                _service_rank(b, wanted),
                _LEVEL_RANK.get(b.coverage_level, 1),
                _NETWORK_RANK.get(b.in_network, 1),
            )
            self.by_code.setdefault(b.code, []).append((rank, b))

    def best(self, code: str, keep: Callable[[Benefit], bool]) -> Benefit | None:
        """The relevant benefit of this EB01 that `keep` accepts and ranks first."""
        chosen: Benefit | None = None
        chosen_rank: Rank | None = None
        for rank, b in self.by_code.get(code, ()):
            if rank[0] <= self.limit and (chosen_rank is None or rank < chosen_rank) and keep(b):
                chosen, chosen_rank = b, rank
        return chosen

    def relevant(self) -> Iterator[Benefit]:
        for items in self.by_code.values():
            for rank, b in items:
                if rank[0] <= self.limit:
                    yield b


def coverage_active(e: Eligibility) -> bool | None:
    codes = {b.code for b in e.benefits}
    if codes & ACTIVE:
        return True
    if codes & INACTIVE:
        return False
    return None


def _range(dates: dict[str, DateRange]) -> tuple[dt.date | None, dt.date | None]:
    begin = dates.get("346", (None, None))[0]
    end = dates.get("347", (None, None))[0]
    for qualifier in ("291", "307"):
        start, stop = dates.get(qualifier, (None, None))
        if stop is not None:
            begin, end = begin or start, end or stop
    begin = begin or dates.get("356", (None, None))[0]
    end = end or dates.get("357", (None, None))[0]
    return begin, end


def plan_dates(e: Eligibility) -> tuple[dt.date | None, dt.date | None]:
    begin, end = _range(e.dates)
    for b in e.benefits:
        if b.code in _COVERAGE and (begin is None or end is None):
            b_begin, b_end = _range(b.dates)
            begin, end = begin or b_begin, end or b_end
    return begin, end


def _amount(r: _Ranked, code: str, periods: frozenset[str]) -> Decimal | None:
    best = r.best(code, lambda b: b.amount is not None and b.period in periods)
    return best.amount if best else None


def _visits(r: _Ranked) -> tuple[int | None, int | None, int | None]:
    """(limit, used, remaining) visits for PT in the benefit period."""
    if "F" not in r.by_code:
        return None, None, None

    def quantity(keep: Callable[[Benefit], bool]) -> int | None:
        best = r.best("F", lambda b: b.quantity is not None and keep(b))
        return int(best.quantity) if best and best.quantity is not None else None

    remaining = quantity(lambda b: b.quantity_qualifier in VISITS and b.period in REMAINING)
    limit = quantity(
        lambda b: b.quantity_qualifier in VISITS and b.period not in _LIMIT_PERIODS_NOT
    )
    used = quantity(lambda b: b.quantity_qualifier == USED)
    if used is None:
        used = quantity(lambda b: b.quantity_qualifier in VISITS and b.period == YEAR_TO_DATE)
    if remaining is None and limit is not None and used is not None:
        remaining = max(limit - used, 0)
    return limit, used, remaining


def _prior_authorization(r: _Ranked) -> bool | None:
    flags = {b.authorization for b in r.relevant() if b.authorization}
    if "Y" in flags:
        return True
    if "N" in flags:
        return False
    return None


def medicare(e: Eligibility) -> bool:
    return any(b.insurance_type in MEDICARE and b.code in ACTIVE for b in e.benefits)


def therapy_amount_applied(e: Eligibility) -> Decimal | None:
    """This year's PT/SLP amount Medicare has applied toward the KX threshold, when the 271
    reports it (a year-to-date amount on a PT or physical medicine benefit)."""
    found = [
        b.amount
        for b in e.benefits
        if b.amount is not None
        and b.period == YEAR_TO_DATE
        and b.code not in ("A", "B", "C", "G")
        and _THERAPY_TYPES & set(b.service_types)
    ]
    return max(found) if found else None


def _other_payers(e: Eligibility) -> list[dict[str, Any]]:
    out = []
    for b in e.benefits:
        if b.code != "R":
            continue
        out.append(
            {
                "insurance_type": b.insurance_type or None,
                "meaning": INSURANCE_TYPES.get(b.insurance_type),
                "plan": b.plan or None,
                "medicare_secondary_payer": b.insurance_type in MEDICARE_SECONDARY,
                "dates": _dates_json(b.dates),
                "entities": [
                    {
                        "entity": x.entity,
                        "role": RELATED_ENTITIES.get(x.entity, x.entity),
                        "name": x.name or None,
                        "id": x.identifier or None,
                    }
                    for x in b.entities
                ],
                "messages": b.messages,
            }
        )
    return out


def _dates_json(dates: dict[str, DateRange]) -> dict[str, Any]:
    if not dates:
        return {}
    return {
        q: start.isoformat() if end is None else f"{start.isoformat()}/{end.isoformat()}"
        for q, (start, end) in dates.items()
    }


def _percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    percent = value * HUNDRED if value <= 1 else value
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent


def _benefit_json(b: Benefit) -> dict[str, Any]:
    return {
        "code": b.code,
        "meaning": BENEFIT_INFORMATION.get(b.code, f"EB01 {b.code}"),
        "coverage_level": b.coverage_level or None,
        "service_types": [{"code": s, "meaning": SERVICE_TYPES.get(s)} for s in b.service_types],
        "insurance_type": b.insurance_type or None,
        "plan": b.plan or None,
        "period": TIME_PERIODS.get(b.period, b.period) if b.period else None,
        "amount": b.amount,
        "percent": _percent(b.percent),
        "quantity": b.quantity,
        "quantity_of": QUANTITIES.get(b.quantity_qualifier, b.quantity_qualifier) or None,
        "authorization_required": {"Y": True, "N": False}.get(b.authorization),
        "in_network": {"Y": True, "N": False}.get(b.in_network),
        "procedure": b.procedure or None,
        "dates": _dates_json(b.dates),
        "messages": b.messages,
    }


def summarize(
    e: Eligibility, service_types: tuple[str, ...] = PT_SERVICE_TYPES, detail: bool = True
) -> dict[str, Any]:
    """One person's answer in the shape of `ptbill eligibility read --json`; `detail` adds
    every EB segment in plain words (`benefits`)."""
    begin, end = plan_dates(e)
    ranked = _Ranked(e.benefits, service_types)
    limit, used, remaining = _visits(ranked)
    is_medicare = medicare(e)
    copay = ranked.best("B", lambda b: b.amount is not None)
    coinsurance = ranked.best("A", lambda b: b.percent is not None)
    other = _other_payers(e)
    return {
        "trace": e.trace,
        "level": e.level,
        "member_id": e.member_id,
        "payer": e.payer_name or None,
        "payer_id": e.payer_id or None,
        "active": coverage_active(e),
        "plan_begin": begin,
        "plan_end": end,
        "deductible": _amount(ranked, "C", YEARLY),
        "deductible_remaining": _amount(ranked, "C", REMAINING),
        "out_of_pocket_remaining": _amount(ranked, "G", REMAINING),
        "coinsurance_percent": _percent(coinsurance.percent) if coinsurance else None,
        "copay": copay.amount if copay else None,
        "visit_limit": limit,
        "visits_used": used,
        "visits_remaining": remaining,
        "prior_authorization_required": _prior_authorization(ranked),
        "medicare": is_medicare,
        "therapy_amount_applied": therapy_amount_applied(e),
        "other_payers": other,
        "medicare_secondary_payer": [p["meaning"] for p in other if p["medicare_secondary_payer"]],
        "errors": [r.as_json() for r in e.errors],
        **({"benefits": [_benefit_json(b) for b in e.benefits]} if detail else {}),
    }


def read_people(text: str, name: str, detail: bool = True) -> list[dict[str, Any]]:
    """The people a 271 (its text) answers, each as `summarize` reads it; InputError naming
    the file, the segment and the fix when it cannot be read (a file of another kind: what
    reads it)."""
    try:
        return [summarize(e, PT_SERVICE_TYPES, detail) for e in read_271(io.StringIO(text))]
    except WrongKind as e:
        raise WrongKindError(name, e.where() or None, e.problem, e.found) from None
    except X12Error as e:
        raise InputError(name, e.problem, FIX_271, field=e.where() or None) from None
