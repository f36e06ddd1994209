"""The worklist: what a biller must do about each claim and by when (`ptbill worklist`).

One shape, `WorkItem`, and one query for the command line, the REST API and the pages: every
read of the open work items is built by `_query` (the joins to the claim, its payer and its
clinic) and filtered by `_where` from a `WorkFilter` (kind, category, rule, CARC, payer,
clinic, created since/until, the due window), so that whatever narrows what a caller may see
is added there once: the caller's `Scope` (ptbill.ledger.scope: the items of its clinics'
claims, and of the payments to their NPIs that matched no claim) and the filter. On it:

- `open_items`: a page of items (`limit`, `offset`), the earliest deadline first;
- `count_open`: how many;
- `open_groups`: the items grouped (by rule, denial reason, kind, category, payer or
  clinic), each group's count, claims, amount at stake, overdue count and `version`, all
  computed in the database;
- `selection`: the same figures for everything the filter selects (one group);
- `selected_items`: the ids and claims of what a bulk action acts on.

A group's `version` changes whenever an item joins or leaves it (item ids only grow, and an
item closes but never reopens: the count and the sum of the ids tell any change), so a bulk
action on a group sent with the version the biller saw acts on that group or on nothing.

The amount of a group counts money once: an item of a CHARGE_KINDS kind carries its claim's
whole charge (a blocked claim has one item per finding), which counts once per claim; the
other items' amounts are their own.

A claim's page lists its items of any status with `claim_items`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, TypeVar

from sqlalchemy import ColumnElement, Select, case, distinct, func, literal, select
from sqlalchemy.orm import Session

from ptbill.errors import InputError, clip
from ptbill.ledger import models as m
from ptbill.ledger.scope import Scope
from ptbill.ledger.work_items import closed_by_command
from ptbill.remit.work_kinds import CHARGE_KINDS, DUE_WINDOWS, GROUP_BYS, NONE

SelectT = TypeVar("SelectT", bound=Select[Any])
ZERO = Decimal(0)
CENT = Decimal("0.01")


class WorkItem(TypedDict):
    id: int
    claim_id: str  # the claim number; for a payment that matched no claim, its CLP01
    visit_id: str | None
    kind: str  # one of KINDS (ptbill.remit.work_kinds)
    category: str
    rule: str | None  # the scrub rule of a blocked item
    carc: str | None
    rarc: str | None
    amount: Decimal | None
    action: str
    detail: str
    due_date: dt.date
    overdue: bool  # open and due before the business date
    payer: str | None  # the claim's payer key
    clinic: str | None  # the claim's clinic key
    status: str  # open or done
    created_on: dt.date
    closed_on: dt.date | None
    resolution: str | None
    source: str
    closes_by_hand: bool  # a person may close it with a note (`ptbill resolve`)


def work_item(
    w: m.WorkItem, payer: str | None, clinic: str | None, as_of: dt.date | None
) -> WorkItem:
    return {
        "id": w.id,
        "claim_id": w.reference,
        "visit_id": w.visit_id,
        "kind": w.kind,
        "category": w.category,
        "rule": w.rule,
        "carc": w.carc,
        "rarc": w.rarc,
        "amount": w.amount,
        "action": w.action,
        "detail": w.detail,
        "due_date": w.due_date,
        "overdue": bool(as_of and w.status == "open" and w.due_date < as_of),
        "payer": payer,
        "clinic": clinic,
        "status": w.status,
        "created_on": w.created_on,
        "closed_on": w.closed_on,
        "resolution": w.resolution,
        "source": w.source,
        "closes_by_hand": w.status == "open" and closed_by_command(w) is None,
    }


@dataclass(frozen=True, slots=True)
class WorkFilter:
    """Which open items: each field given narrows the list (None or empty: any). `rule` and
    `carc` of NONE ("-") select the items that have none."""

    kinds: tuple[str, ...] = ()
    category: str | None = None
    rule: str | None = None
    carc: str | None = None
    payers: tuple[str, ...] = ()
    clinics: tuple[str, ...] = ()
    since: dt.date | None = None  # created on or after
    until: dt.date | None = None  # created on or before
    due: str | None = None  # one of DUE_WINDOWS, from the business date
    claims: tuple[int, ...] | None = None  # the claims' keys (claims.id)
    ids: tuple[int, ...] | None = None  # the items' ids

    def but(self, **changes: Any) -> WorkFilter:
        return dataclasses.replace(self, **changes)

    def params(self) -> dict[str, str]:
        """The filter as query parameters (the API's, the pages'; one value each)."""
        given = {
            "kind": ",".join(self.kinds),
            "category": self.category,
            "rule": self.rule,
            "carc": self.carc,
            "payer": ",".join(self.payers),
            "clinic": ",".join(self.clinics),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "due": self.due,
        }
        return {k: v for k, v in given.items() if v}


EVERY_ITEM = WorkFilter()


def check_filter(f: WorkFilter, payers: Collection[str], named: Callable[[str], str] = str) -> None:
    """Refuse a filter that can only select nothing by a slip of the user: a payer no profile
    knows (`payers`: the configuration's keys), a `since` after the `until`. `named`: the
    option's name where the user gave it (the command line's --payer, the API's payer)."""
    for key in f.payers:
        if key != NONE and key not in payers:
            raise InputError(
                named("payer"),
                f"no payer profile {clip(key, quote=True)}",
                f"use one of: {', '.join(sorted(payers))} ('{NONE}': the items of no payer)",
            )
    if f.since and f.until and f.since > f.until:
        since, until = named("since"), named("until")
        raise InputError(
            since,
            f"{f.since} is after {until} {f.until}: no item can be in between",
            f"give a {since} on or before the {until}",
        )


def _bad(field: str, problem: str, fix: str) -> InputError:
    return InputError("worklist", problem, fix, field=field)


def _equal_or_none(column: Any, value: str) -> ColumnElement[bool]:
    return column.is_(None) if value == NONE else column == value


def _in_or_none(column: Any, values: tuple[str, ...]) -> ColumnElement[bool]:
    given = [v for v in values if v != NONE]
    found = column.in_(given)
    return found | column.is_(None) if NONE in values else found


def _due(window: str, as_of: dt.date | None) -> ColumnElement[bool]:
    if window not in DUE_WINDOWS:
        raise _bad("due", f"no due window {window[:20]!r}", f"use one of: {', '.join(DUE_WINDOWS)}")
    if as_of is None:
        raise _bad(
            "due",
            "a due window needs a business date and the ledger has none",
            "give the business date (--as-of, as_of=YYYY-MM-DD)",
        )
    due = m.WorkItem.due_date
    week, month = as_of + dt.timedelta(days=7), as_of + dt.timedelta(days=30)
    return {
        "overdue": due < as_of,
        "7d": (due >= as_of) & (due <= week),
        "30d": (due >= as_of) & (due <= month),
        "later": due > month,
    }[window]


def _where(q: SelectT, f: WorkFilter, scope: Scope, as_of: dt.date | None) -> SelectT:
    """The open items of `scope` that `f` selects (the one place every read of the open items
    is narrowed)."""
    w = m.WorkItem
    q = q.where(w.status == "open", scope.work_items())
    if f.kinds:
        q = q.where(w.kind.in_(f.kinds))
    if f.category:
        q = q.where(w.category == f.category)
    if f.rule:
        q = q.where(_equal_or_none(w.rule, f.rule))
    if f.carc:
        q = q.where(_equal_or_none(w.carc, f.carc))
    if f.payers:
        q = q.where(_in_or_none(m.Payer.key, f.payers))
    if f.clinics:
        q = q.where(_in_or_none(m.Clinic.key, f.clinics))
    if f.since:
        q = q.where(w.created_on >= f.since)
    if f.until:
        q = q.where(w.created_on <= f.until)
    if f.due:
        q = q.where(_due(f.due, as_of))
    if f.claims is not None:
        q = q.where(w.claim_id.in_(f.claims))
    if f.ids is not None:
        q = q.where(w.id.in_(f.ids))
    return q


def _query(
    f: WorkFilter,
    scope: Scope,
    as_of: dt.date | None,
    *columns: Any,
    payer: bool = False,
    clinic: bool = False,
) -> Select[Any]:
    """`columns` of the open items `f` selects; each item joined to its claim's payer
    (`payer`: for a column of m.Payer) and clinic (`clinic`: m.Clinic) when the columns or
    the filter need them (outer joins: an unmatched payment's item has no claim). A join
    left out is time saved: SQLite does not drop an unused outer join."""
    q = select(*columns).select_from(m.WorkItem)
    payer, clinic = payer or bool(f.payers), clinic or bool(f.clinics)
    if payer or clinic:
        q = q.outerjoin(m.Claim, m.Claim.id == m.WorkItem.claim_id)
    if payer:
        q = q.outerjoin(m.Payer, m.Payer.id == m.Claim.payer_id)
    if clinic:  # the claim's patient, or the patient of an item of no claim (a refund)
        patient = func.coalesce(m.Claim.patient_id, m.WorkItem.patient_id)
        q = q.outerjoin(m.Patient, m.Patient.id == patient)
        q = q.outerjoin(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
    return _where(q, f, scope, as_of)


def _filter(
    filters: WorkFilter | None,
    kind: str | None,
    kinds: Collection[str] | None,
    category: str | None,
    claims: Collection[int] | None,
) -> WorkFilter:
    """The keyword arguments of the older callers folded into a WorkFilter."""
    f = filters or EVERY_ITEM
    if kind or kinds:
        f = f.but(kinds=(kind,) if kind else tuple(kinds or ()))
    if category:
        f = f.but(category=category)
    if claims is not None:
        f = f.but(claims=tuple(claims))
    return f


def open_items(
    session: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    kinds: Collection[str] | None = None,
    category: str | None = None,
    claims: Collection[int] | None = None,
    filters: WorkFilter | None = None,
    as_of: dt.date | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[WorkItem]:
    """The open items `filters` selects (and of `kind`, or of any of `kinds`; of `category`;
    of the claims whose keys are `claims`), the earliest deadline first; all of them unless
    `limit`."""
    f = _filter(filters, kind, kinds, category, claims)
    q = _query(f, scope, as_of, m.WorkItem, m.Payer.key, m.Clinic.key, payer=True, clinic=True)
    q = q.order_by(m.WorkItem.due_date, m.WorkItem.id)
    if limit is not None:
        q = q.limit(limit).offset(offset)
    return [work_item(w, payer, clinic, as_of) for w, payer, clinic in session.execute(q)]


def count_open(
    session: Session,
    scope: Scope,
    *,
    kind: str | None = None,
    kinds: Collection[str] | None = None,
    category: str | None = None,
    filters: WorkFilter | None = None,
    as_of: dt.date | None = None,
) -> int:
    f = _filter(filters, kind, kinds, category, None)
    return session.scalar(_query(f, scope, as_of, func.count())) or 0


# --- groups ----------------------------------------------------------------------------------

# The filter fields that make each grouping's key (a group opens as the filter of its key).
_KEYS: dict[str, tuple[tuple[str, Any], ...]] = {
    "rule": (("kind", m.WorkItem.kind), ("rule", m.WorkItem.rule)),
    "reason": (
        ("kind", m.WorkItem.kind),
        ("category", m.WorkItem.category),
        ("carc", m.WorkItem.carc),
    ),
    "kind": (("kind", m.WorkItem.kind),),
    "category": (("category", m.WorkItem.category),),
    "payer": (("payer", m.Payer.key),),
    "clinic": (("clinic", m.Clinic.key),),
}
assert set(_KEYS) == set(GROUP_BYS)


class WorkGroup(TypedDict):
    key: dict[str, str | None]  # the filter fields of the group (None: the item has none)
    count: int  # items
    claims: int  # distinct claims
    amount: Decimal  # at stake, counted once (see the module's note)
    overdue: int  # items due before the business date
    version: str  # changes when an item joins or leaves the group


def _version(count: int, id_sum: int) -> str:
    return hashlib.sha256(f"{count}:{id_sum}".encode()).hexdigest()[:16]


def version_of(ids: Collection[int]) -> str:
    """The version of a group whose open items have these ids (as `open_groups` gives it)."""
    return _version(len(ids), sum(ids))


def _aggregate(
    session: Session,
    scope: Scope,
    keys: Sequence[tuple[str, Any]],
    f: WorkFilter,
    as_of: dt.date | None,
) -> list[WorkGroup]:
    """Count, claims, amount (once), overdue and version of the open items `f` selects, by
    the `keys` columns; two levels of GROUP BY in the database, no item loaded."""
    w = m.WorkItem
    money_key = case((w.kind.in_(CHARGE_KINDS) & w.claim_id.is_not(None), -w.claim_id), else_=w.id)
    late = case((w.due_date < as_of, 1), else_=0) if as_of else literal(0)
    columns = [c.label(f"k_{name}") for name, c in keys]
    names = {name for name, _ in keys}
    inner = (
        _query(
            f,
            scope,
            as_of,
            *columns,
            func.count().label("n"),
            func.max(w.claim_id).label("claim"),
            func.max(w.amount).label("amount"),
            func.sum(late).label("late"),
            func.sum(w.id).label("ids"),
            payer="payer" in names,
            clinic="clinic" in names,
        )
        .group_by(*[c for _, c in keys], money_key)
        .subquery()
    )
    outer_keys = [inner.c[f"k_{name}"] for name, _ in keys]
    rows = session.execute(
        select(
            *outer_keys,
            func.coalesce(func.sum(inner.c.n), 0),
            func.count(distinct(inner.c.claim)),
            func.coalesce(func.sum(inner.c.amount), 0),
            func.coalesce(func.sum(inner.c.late), 0),
            func.coalesce(func.sum(inner.c.ids), 0),
        ).group_by(*outer_keys)
    ).all()
    groups: list[WorkGroup] = []
    for row in rows:
        values = row[: len(keys)]
        count, claims, amount, late_n, ids = row[len(keys) :]
        groups.append(
            {
                "key": {name: v for (name, _), v in zip(keys, values, strict=True)},
                "count": int(count),
                "claims": int(claims),
                "amount": Decimal(amount or ZERO).quantize(CENT),  # "0.00" when none
                "overdue": int(late_n or 0),
                "version": _version(int(count), int(ids)),
            }
        )
    return groups


def open_groups(
    session: Session,
    scope: Scope,
    by: str,
    *,
    filters: WorkFilter | None = None,
    as_of: dt.date | None = None,
) -> list[WorkGroup]:
    """The open items `filters` selects, grouped `by` one of GROUP_BYS: the largest amount
    first, then the most items."""
    if by not in _KEYS:
        raise _bad(
            "group_by", f"cannot group by {by[:20]!r}", f"group by one of: {', '.join(GROUP_BYS)}"
        )
    groups = _aggregate(session, scope, _KEYS[by], filters or EVERY_ITEM, as_of)
    return sorted(
        groups,
        key=lambda g: (-g["amount"], -g["count"], [str(v or "") for v in g["key"].values()]),
    )


def group_filter(filters: WorkFilter, key: dict[str, str | None]) -> WorkFilter:
    """`filters` narrowed to one group of `open_groups` (its items, and only them)."""
    changes: dict[str, Any] = {}
    for name, value in key.items():
        if name == "kind":
            changes["kinds"] = (value,)
        elif name in ("payer", "clinic"):
            changes[f"{name}s"] = (value if value is not None else NONE,)
        else:
            changes[name] = value if value is not None else NONE
    return filters.but(**changes)


class Selection(TypedDict):
    count: int
    claims: int
    amount: Decimal
    overdue: int
    version: str


def selection(
    session: Session, scope: Scope, filters: WorkFilter, as_of: dt.date | None = None
) -> Selection:
    """Everything `filters` selects, as one group (its figures and version). A clinic of the
    filter that is none of `scope`'s is refused (InputError): it could only select nothing."""
    _check_clinics(session, scope, filters)
    (whole,) = _aggregate(session, scope, (), filters, as_of)  # no GROUP BY: always one row
    return {
        "count": whole["count"],
        "claims": whole["claims"],
        "amount": whole["amount"],
        "overdue": whole["overdue"],
        "version": whole["version"],
    }


def _check_clinics(session: Session, scope: Scope, f: WorkFilter) -> None:
    if not f.clinics:
        return
    keys = set(session.scalars(select(m.Clinic.key).where(scope.clinic_rows())))
    for key in f.clinics:
        if key != NONE and key not in keys:
            raise InputError(
                "clinic",
                f"no clinic {clip(key, quote=True)}",
                f"use one of: {', '.join(sorted(keys))} ('{NONE}': the items of no clinic)",
            )


def selected_items(
    session: Session,
    scope: Scope,
    filters: WorkFilter,
    as_of: dt.date | None = None,
    limit: int | None = None,
) -> list[tuple[int, str, int | None]]:
    """(item id, claim number or reference, claim key) of the open items `filters` selects,
    the earliest deadline first: what a bulk action acts on."""
    q = _query(filters, scope, as_of, m.WorkItem.id, m.WorkItem.reference, m.WorkItem.claim_id)
    q = q.order_by(m.WorkItem.due_date, m.WorkItem.id).limit(limit)
    return [(i, ref, claim) for i, ref, claim in session.execute(q)]


def claim_items(session: Session, claim_pk: int, as_of: dt.date | None) -> list[WorkItem]:
    """Every work item of one claim, open or done, in the order they were made."""
    q = (
        select(m.WorkItem, m.Payer.key, m.Clinic.key)
        .join(m.Claim, m.Claim.id == m.WorkItem.claim_id)
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Patient, m.Patient.id == m.Claim.patient_id)
        .join(m.Clinic, m.Clinic.id == m.Patient.clinic_id)
        .where(m.WorkItem.claim_id == claim_pk)
        .order_by(m.WorkItem.id)
    )
    return [work_item(w, payer, clinic, as_of) for w, payer, clinic in session.execute(q)]
