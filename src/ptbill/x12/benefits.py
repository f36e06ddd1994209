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
from decimal import Decimal
from typing import Any

from ptbill.bulk import batch
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
FIX_271 = (
    "check that this is the whole 271 as the payer or clearinghouse sent it (005010X279A1); "
    "if it was cut or altered, ask for it again"
)


def _service_rank(b: Benefit, wanted: tuple[str, ...]) -> int:
    for i, code in enumerate(wanted):
        if code in b.service_types:
            return i
    if "30" in b.service_types or not b.service_types:
        return len(wanted)
    return len(wanted) + 1


def _rank(b: Benefit, wanted: tuple[str, ...]) -> int:
    """How well a benefit fits a PT visit, lower first: its service type (as `wanted` lists
    them, then the plan's), then its coverage level, then its network (see the module doc),
    as one number (the level and network ranks are below 4)."""
    return (
        _service_rank(b, wanted) * 16
        + _LEVEL_RANK.get(b.coverage_level, 1) * 4
        + _NETWORK_RANK.get(b.in_network, 1)
    )


def _question(b: Benefit) -> str | None:
    """The one question of the summary an EB of these codes (_ASKED) can answer, if any."""
    code = b.code
    if code == "F":
        if b.quantity is None:
            return None
        if b.quantity_qualifier in VISITS:
            if b.period in REMAINING:
                return "visits_remaining"
            return "visits_to_date" if b.period == YEAR_TO_DATE else "visit_limit"
        return "visits_used" if b.quantity_qualifier == USED else None
    if code == "A":
        return "coinsurance" if b.percent is not None else None
    if b.amount is None:
        return None
    if code == "B":
        return "copay"
    if b.period in REMAINING:
        return "deductible_remaining" if code == "C" else "out_of_pocket_remaining"
    return "deductible" if code == "C" and b.period in YEARLY else None


_ASKED = frozenset({"A", "B", "C", "F", "G"})
_NOT_THERAPY = frozenset({"A", "B", "C", "G"})


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


def _int(b: Benefit | None) -> int | None:
    return int(b.quantity) if b is not None and b.quantity is not None else None


# What an EB text says for the summary: the question it answers (or None), its rank when it
# answers one or flags prior authorization and is relevant to PT (else None), and whether it
# is a therapy amount applied this year.
_Said = tuple[str | None, int | None, bool]


class _Answers:
    """What one person's EB segments answer, read in one pass over them: of the EBs
    answering a question the first best-ranked relevant one is kept (see the module doc)."""

    def __init__(self, e: Eligibility, summary: Summary) -> None:
        self.active: bool | None = None
        self.medicare = False
        begin, end = _range(e.dates)
        therapy_amount: Decimal | None = None
        self.other: list[Benefit] = []
        self.best = best = dict[str, tuple[int, Benefit]]()
        authorization: set[str] = set()
        known, said = summary.known.get, summary.said
        for b in e.benefits:
            code = b.code
            if code in _COVERAGE:
                if code in ACTIVE:
                    self.active = True
                    self.medicare = self.medicare or b.insurance_type in MEDICARE
                elif self.active is None:
                    self.active = False
                if b.dates and (begin is None or end is None):
                    b_begin, b_end = _range(b.dates)
                    begin, end = begin or b_begin, end or b_end
            elif code == "R":
                self.other.append(b)
            question, rank, therapy = known(b.text) or said(b)
            if therapy and (therapy_amount is None or b.amount > therapy_amount):  # type: ignore[operator]
                therapy_amount = b.amount  # (`therapy` says it is an amount)
            if rank is None:
                continue
            if b.authorization:
                authorization.add(b.authorization)
            if question is not None:
                held = best.get(question)
                if held is None or rank < held[0]:
                    best[question] = (rank, b)
        self.begin, self.end, self.therapy = begin, end, therapy_amount
        self.authorization = (
            True if "Y" in authorization else False if "N" in authorization else None
        )

    def __getitem__(self, question: str) -> Benefit | None:
        held = self.best.get(question)
        return held[1] if held is not None else None

    def amount(self, question: str) -> Decimal | None:
        b = self[question]
        return b.amount if b is not None else None

    def visits(self) -> tuple[int | None, int | None, int | None]:
        """(limit, used, remaining) visits for PT in the benefit period."""
        limit, remaining = _int(self["visit_limit"]), _int(self["visits_remaining"])
        used = _int(self["visits_used"])
        if used is None:
            used = _int(self["visits_to_date"])
        if remaining is None and limit is not None and used is not None:
            remaining = max(limit - used, 0)
        return limit, used, remaining


def _other_payer(b: Benefit) -> dict[str, Any]:
    return {
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


def _eb_json(b: Benefit) -> dict[str, Any]:
    """An EB segment in plain words (without what qualifies it: its dates and messages)."""
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
    }


class Summary:
    """Summaries of the people of one 271 file, each in the shape of `ptbill eligibility read
    --json` (`detail` adds every EB segment in plain words, `benefits`).

    What an EB text says (its question, rank and words) is worked out once in the file: a
    271 repeats the same EB texts person after person. The benefits' words of one text are
    one dict's copies, sharing its list of service types: the summaries are to be read (or
    printed), not changed. One Summary serves one file (the same text may say another thing
    under other delimiters)."""

    def __init__(self, service_types: tuple[str, ...] = PT_SERVICE_TYPES, detail: bool = True):
        self.wanted = service_types
        self.detail = detail
        self.known: dict[str, _Said] = {}  # what each EB text says (`said`)
        self._words: dict[str, dict[str, Any]] = {}

    def said(self, b: Benefit) -> _Said:
        """What the text of this EB says for the summary (worked out once per text)."""
        said = self.known.get(b.text)
        if said is None:
            code = b.code
            question = _question(b) if code in _ASKED else None
            rank = _rank(b, self.wanted) if question is not None or b.authorization else None
            if rank is not None and rank >= (len(self.wanted) + 1) * 16:
                rank = None  # another service type's: not relevant to PT
            therapy = (
                b.period == YEAR_TO_DATE
                and b.amount is not None
                and code not in _NOT_THERAPY
                and not _THERAPY_TYPES.isdisjoint(b.service_types)
            )
            said = self.known[b.text] = (question, rank, therapy)
        return said

    def words(self, benefits: list[Benefit]) -> list[dict[str, Any]]:
        """Every element of each benefit in plain words, with its dates and messages."""
        known, out = self._words, []
        for b in benefits:
            words = known.get(b.text)
            if words is None:
                words = known[b.text] = _eb_json(b)
            dates = _dates_json(b.dates) if b.dates else {}
            out.append({**words, "dates": dates, "messages": b.messages})
        return out

    def __call__(self, e: Eligibility) -> dict[str, Any]:
        a = _Answers(e, self)
        limit, used, remaining = a.visits()
        coinsurance = a["coinsurance"]
        other = [_other_payer(b) for b in a.other]
        summary = {
            "trace": e.trace,
            "level": e.level,
            "member_id": e.member_id,
            "payer": e.payer_name or None,
            "payer_id": e.payer_id or None,
            "active": a.active,
            "plan_begin": a.begin,
            "plan_end": a.end,
            "deductible": a.amount("deductible"),
            "deductible_remaining": a.amount("deductible_remaining"),
            "out_of_pocket_remaining": a.amount("out_of_pocket_remaining"),
            "coinsurance_percent": _percent(coinsurance.percent) if coinsurance else None,
            "copay": a.amount("copay"),
            "visit_limit": limit,
            "visits_used": used,
            "visits_remaining": remaining,
            "prior_authorization_required": a.authorization,
            "medicare": a.medicare,
            "therapy_amount_applied": a.therapy,
            "other_payers": other,
            "medicare_secondary_payer": [
                p["meaning"] for p in other if p["medicare_secondary_payer"]
            ],
            "errors": [r.as_json() for r in e.errors],
        }
        if self.detail:
            summary["benefits"] = self.words(e.benefits)
        return summary


def summarize(
    e: Eligibility, service_types: tuple[str, ...] = PT_SERVICE_TYPES, detail: bool = True
) -> dict[str, Any]:
    """One person's answer in the shape of `ptbill eligibility read --json` (see Summary)."""
    return Summary(service_types, detail)(e)


def read_eligibility(text: str, name: str) -> list[Eligibility]:
    """The people a 271 (its text) answers; InputError naming the file, the segment and the
    fix when it cannot be read (a file of another kind: what reads it)."""
    try:
        return read_271(io.StringIO(text))
    except WrongKind as e:
        raise WrongKindError(name, e.where() or None, e.problem, e.found) from None
    except X12Error as e:
        raise InputError(name, e.problem, FIX_271, field=e.where() or None) from None


def read_people(text: str, name: str, detail: bool = True) -> list[dict[str, Any]]:
    """The people a 271 (its text) answers, each as `Summary` reads it (see read_eligibility
    for its errors)."""
    with batch():  # a 271 and its summaries are many small objects, none of them garbage
        summary = Summary(PT_SERVICE_TYPES, detail)
        return [summary(e) for e in read_eligibility(text, name)]
