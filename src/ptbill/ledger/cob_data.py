"""An earlier payer's decision on a claim, read back from the posted 835 (claim_payments,
line_payments, adjustments) as the claim to the next payer carries it (ptbill.x12.cob), and
which of a claim's posted decisions is in force.

Plain SQL a chunk of ids at a time: a run of secondary claims reads thousands of decisions.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk, from_driver, plain
from ptbill.remit.post_match import CHUNK, select_in
from ptbill.x12.cob import CobAdjustment

ZERO = Decimal(0)
# The primary payer forwarded the claim to the next payer itself (CARC/RARC meanings: MA18
# "the claim information is also being forwarded to the patient's supplemental insurer",
# N89 "payment information for this claim has been forwarded to more than one other payer").
CROSSOVER_REMARKS = frozenset({"MA18", "N89"})


@dataclass(slots=True)
class DecidedLine:
    """One service line of the decision, by the line number of the claim it answered."""

    line_number: int
    code: str
    modifiers: tuple[str, ...]
    units: Decimal
    charge: Decimal
    paid: Decimal
    adjustments: list[CobAdjustment] = field(default_factory=list)


@dataclass(slots=True)
class Decided:
    """One posted claim payment (CLP) and what it decided."""

    payment_id: int
    claim_id: int
    charge: Decimal
    paid: Decimal
    patient: Decimal  # the patient's share the payer left (CLP05, else its PR adjustments)
    payer_control_number: str
    determined_on: dt.date
    remarks: frozenset[str]
    crossover_to: str | None
    adjustments: list[CobAdjustment] = field(default_factory=list)  # claim level
    lines: dict[int, list[DecidedLine]] = field(default_factory=dict)

    @property
    def crossed_over(self) -> bool:
        """The payer says it forwarded the claim to the next payer (MA18/N89, or NM1*TT)."""
        return bool(self.remarks & CROSSOVER_REMARKS) or self.crossover_to is not None


_IN_FORCE_SQL = (
    "SELECT claim_id, id, reversal, determined_on FROM claim_payments WHERE claim_id IN ({}) "
    "ORDER BY id"
)
_PAYMENT_SQL = (
    "SELECT id, claim_id, charge, paid, patient_responsibility, payer_control_number, "
    "determined_on, remarks, crossover_to FROM claim_payments WHERE id IN ({})"
)
_LINE_SQL = (
    "SELECT line_payments.id, line_payments.claim_payment_id, claim_lines.line_number, "
    "line_payments.code, line_payments.modifiers, line_payments.units, line_payments.charge, "
    "line_payments.paid FROM line_payments "
    "LEFT JOIN claim_lines ON claim_lines.id = line_payments.claim_line_id "
    "WHERE line_payments.claim_payment_id IN ({}) ORDER BY line_payments.id"
)
_ADJUSTMENT_SQL = (
    "SELECT claim_payment_id, line_payment_id, group_code, carc, amount FROM adjustments "
    "WHERE claim_payment_id IN ({}) ORDER BY id"
)


def select_ids(conn: Connection, sql: str, ids: list[Any]) -> Iterator[Any]:
    """select_in (the rows of `sql` whose "IN ({})" takes the ids) with the ids as one
    parameter: on PostgreSQL one array (= ANY: psycopg parses a query's placeholders at each
    run, some 1.6 us a value, more than the query itself costs this process), on SQLite one
    JSON array (json_each: a statement of 500 placeholders is prepared again at each new
    count, and each value bound)."""
    name = conn.dialect.name
    if name == "postgresql":
        query = sql.replace("IN ({})", "= ANY(%s)")
    elif name == "sqlite" and plain(ids):
        query = sql.replace("IN ({})", "IN (SELECT value FROM json_each(?))")
    else:
        yield from select_in(conn, sql, ids)
        return
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        arg = part if name == "postgresql" else json.dumps(part)
        yield from conn.exec_driver_sql(query, (arg,)).fetchall()


def in_force(
    conn: Connection, claim_ids: Iterable[int], as_of: dt.date | None = None
) -> dict[int, int | None]:
    """Each claim's decision in force (as of a date: among those the payer made by then): its
    latest claim payment, or None when that was a reversal (CLP02 22) not yet followed by the
    corrected decision, or when it has none."""
    out: dict[int, int | None] = {}
    day = from_driver(conn.dialect, m.ClaimPayment, "determined_on")
    rows = select_ids(conn, _IN_FORCE_SQL, list(claim_ids))
    for claim_id, payment_id, reversal, on in rows:
        if as_of is not None and day(on) > as_of:
            continue
        out[claim_id] = None if reversal else payment_id
    return out


def read(bulk: Bulk, payment_ids: Iterable[int], details: bool = True) -> dict[int, Decided]:
    """The decisions of these claim payments, with their lines and adjustments (`details`;
    without: the claim payments alone, what a run needs to learn which claims go on)."""
    conn = bulk.conn
    money = bulk.from_driver(m.ClaimPayment, "paid")
    date = bulk.from_driver(m.ClaimPayment, "determined_on")
    ids = list(dict.fromkeys(payment_ids))
    out: dict[int, Decided] = {}
    for pid, cid, charge, paid, patient, icn, on, remarks, crossover in select_ids(
        conn, _PAYMENT_SQL, ids
    ):
        out[pid] = Decided(
            pid,
            cid,
            money(charge),
            money(paid),
            money(patient),
            icn,
            date(on),
            frozenset((remarks or "").split()),
            crossover,
        )
    if details:
        add_details(bulk, out)
    return out


def add_details(bulk: Bulk, decisions: dict[int, Decided]) -> None:
    """Read the lines and adjustments of decisions read without them (by payment id)."""
    conn, out = bulk.conn, decisions
    money = bulk.from_driver(m.ClaimPayment, "paid")
    ids = list(decisions)
    lines: dict[int, DecidedLine] = {}
    # Modifiers, units and adjustments repeat across thousands of lines (a run's 24,540
    # adjustments are some 400 distinct ones): each is made once, and shared (immutable).
    modifier_sets: dict[str, tuple[str, ...]] = {}
    unit_counts: dict[object, Decimal] = {}
    for lid, pid, number, code, modifiers, units, charge, paid in select_ids(conn, _LINE_SQL, ids):
        mods = modifier_sets.get(modifiers)
        if mods is None:
            mods = modifier_sets[modifiers] = tuple(modifiers.split())
        count = unit_counts.get(units)
        if count is None:
            count = unit_counts[units] = Decimal(units)
        line = DecidedLine(number or 0, code, mods, count, money(charge), money(paid))
        lines[lid] = line
        out[pid].lines.setdefault(line.line_number, []).append(line)
    made: dict[tuple[str, str, object], CobAdjustment] = {}
    for pid, lid, group, carc, amount in select_ids(conn, _ADJUSTMENT_SQL, ids):
        a = made.get((group, carc, amount))
        if a is None:
            a = made[(group, carc, amount)] = CobAdjustment(group, carc, money(amount))
        if lid is None:
            out[pid].adjustments.append(a)
        else:
            lines[lid].adjustments.append(a)


@dataclass(slots=True)
class Share:
    """What a decision left the patient (ptbill.ledger.balances): its payment and date, and its
    PR adjustments as (CARC, amount, the line's modifiers)."""

    paid: Decimal
    determined_on: dt.date
    denied: bool  # the decision denied the claim (its state after it), whatever came later
    patient: list[tuple[str, Decimal, tuple[str, ...]]] = field(default_factory=list)


_SHARE_SQL = "SELECT id, paid, determined_on, state_after FROM claim_payments WHERE id IN ({})"
_PR_SQL = (
    "SELECT adjustments.claim_payment_id, adjustments.carc, adjustments.amount, "
    "line_payments.modifiers FROM adjustments "
    "LEFT JOIN line_payments ON line_payments.id = adjustments.line_payment_id "
    "WHERE adjustments.group_code = 'PR' AND adjustments.claim_payment_id IN ({})"
)


def shares(bulk: Bulk, payment_ids: Iterable[int]) -> dict[int, Share]:
    """The patient's side of these decisions, read lighter than `read`."""
    conn = bulk.conn
    money = bulk.from_driver(m.ClaimPayment, "paid")
    date = bulk.from_driver(m.ClaimPayment, "determined_on")
    ids = list(dict.fromkeys(payment_ids))
    out = {
        pid: Share(money(paid), date(on), state == "denied")
        for pid, paid, on, state in select_ids(conn, _SHARE_SQL, ids)
    }
    for pid, carc, amount, modifiers in select_ids(conn, _PR_SQL, ids):
        out[pid].patient.append((carc, money(amount), tuple((modifiers or "").split())))
    return out
