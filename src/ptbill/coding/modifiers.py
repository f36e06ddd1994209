"""Modifier decisions that depend on the whole visit: NCCI distinct-service modifiers
(M-14..M-17) and KX above the therapy threshold (M-3..M-6)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ptbill.domain.records import quick_init
from ptbill.domain.visit import Distinct
from ptbill.reference.constants import KX_THRESHOLD, constant
from ptbill.reference.ncci import PtpTable

DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})
X_BY_KIND = {"session": "XE", "structure": "XS", "practitioner": "XP", "time_block": "XU"}
# Medicare does not pay these PFS statuses, so they add nothing to the therapy amount.
UNPAID_STATUSES = frozenset({"B", "I", "N", "X", "E", "P"})


@quick_init
@dataclass(frozen=True, slots=True)
class DistinctEvidence:
    kind: str | None
    text: str


def distinct_evidence(
    distinct: Distinct | None, region: str | None, other_region: str | None
) -> DistinctEvidence | None:
    """What in the documentation shows this service was distinct from its NCCI partner."""
    if distinct is not None:
        return DistinctEvidence(distinct.kind, f"documented as distinct: {distinct.reason}")
    if region and other_region and region.strip().lower() != other_region.strip().lower():
        return DistinctEvidence("structure", f"separate body region ({region} vs {other_region})")
    return None


def distinct_modifier(style: str, kind: str | None) -> str:
    """59, or with the X style the X{EPSU} modifier that names the reason (M-15); 59 when the
    documentation gives no kind."""
    if style == "X" and kind in X_BY_KIND:
        return X_BY_KIND[kind]
    return "59"


@quick_init
@dataclass(frozen=True, slots=True)
class NcciHit:
    column1: str
    column2: str
    indicator: str
    rationale: str
    release: str


def ncci_pairs(table: PtpTable | None, codes: list[str], on: dt.date) -> list[NcciHit]:
    """Every PTP edit in effect among the billed codes of the day."""
    if table is None:
        return []
    key = (id(table), tuple(codes))
    found = _PAIRS.get(key)
    if found is None or found[0] is not table:
        if len(_PAIRS) >= _PAIRS_MAX:
            _PAIRS.clear()
        found = _PAIRS[key] = (table, _pairs_with_rows(table, codes))
    return [
        NcciHit(edit.column1, edit.column2, edit.modifier_indicator, edit.rationale, table.release)
        for a, b in found[1]
        if (edit := table.edit_for(a, b, on))
    ]


# The pairs of a day's codes that have any row in a table, whatever the date, by table and
# codes: a clinic bills a few hundred code combinations and most pairs have no row at all, so
# only these few are looked up by date. An entry keeps its table alive: its id() stays unique.
_PAIRS: dict[tuple[int, tuple[str, ...]], tuple[PtpTable, tuple[tuple[str, str], ...]]] = {}
_PAIRS_MAX = 8192


def _pairs_with_rows(table: PtpTable, codes: list[str]) -> tuple[tuple[str, str], ...]:
    unique = list(dict.fromkeys(codes))
    edits = table.edits
    return tuple(
        (a, b)
        for i, a in enumerate(unique)
        for b in unique[i + 1 :]
        if (a, b) in edits or (b, a) in edits
    )


@quick_init
@dataclass(frozen=True, slots=True)
class KxDecision:
    apply: bool
    why: str
    # False when KX could not be decided (no threshold for the year, or this visit's amount
    # unknown while the amount before it is within the threshold): left to the biller.
    decided: bool = True


def kx_decision(
    year: int, ytd: Decimal, visit_amount: Decimal | None, amount_basis: str, documented: bool
) -> KxDecision:
    threshold = constant(KX_THRESHOLD, year)
    if threshold is None or threshold.value is None:
        return KxDecision(
            False, f"no {year} KX threshold in the reference data: KX not decided", False
        )
    limit = threshold.value
    if visit_amount is None:
        total, counted = ytd, f"${ytd} before this visit (this visit's amount is unknown)"
        if total <= limit:
            return KxDecision(
                False,
                f"KX left to the biller: this visit's Medicare amount is unknown "
                f"({amount_basis}); ${ytd} before it is within the {year} KX threshold "
                f"${limit}, and this visit may pass it",
                False,
            )
    else:
        total = ytd + visit_amount
        counted = f"${ytd} before this visit + ${visit_amount} ({amount_basis}) = ${total}"
    if total <= limit:
        return KxDecision(
            False, f"therapy amount {counted} is within the {year} KX threshold ${limit}"
        )
    if not documented:
        return KxDecision(
            False,
            f"therapy amount {counted} passes the {year} KX threshold "
            f"${limit}, but medical necessity is not documented: no KX",
        )
    return KxDecision(
        True,
        f"KX: therapy amount {counted} passes the {year} threshold ${limit} "
        "and medical necessity is documented",
    )
