"""Matching an 835's claim payments to the ledger's claims, and their service lines to the
claim lines (`ptbill post`, ptbill.remit.post).

A claim payment (CLP) matches its claim by CLP01 (our CLM01, the claim number), else by the
line control numbers (REF*6R) of its service lines; each service line matches its claim line by
REF*6R, else by code and modifiers among the lines of the version the payment answers.

Claims and lines are read a payment at a time with plain SQL (no ORM objects, no SQLAlchemy
result processing): only their amounts and dates are converted, each distinct value once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.x12 import RemittanceClaim, ServicePayment

CHUNK = 500  # values in one IN (...)


@dataclass(slots=True, eq=False)
class PostedClaim:
    """The columns of a claim that posting reads and changes (plain values: fast in bulk)."""

    id: int
    claim_number: str
    state: str
    version: int
    payer_id: int
    date_of_service: dt.date
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    contractual: Decimal
    denied: Decimal
    payer_control_number: str | None
    first_response: str | None
    first_determined_on: dt.date | None
    determined_on: dt.date | None

    def changes(self, money: Any, date: Any) -> tuple[Any, ...]:
        """The claim's UPDATE row: CLAIM_CHANGES, then its id, in driver values (Bulk.to_driver:
        `money`, `date`)."""
        return (
            self.state,
            money(self.paid),
            money(self.patient_responsibility),
            money(self.contractual),
            money(self.denied),
            self.payer_control_number,
            self.first_response,
            date(self.first_determined_on),
            date(self.determined_on),
            self.id,
        )


# The columns posting writes back, in the order of PostedClaim.changes().
CLAIM_CHANGES = (
    "state",
    "paid",
    "patient_responsibility",
    "contractual",
    "denied",
    "payer_control_number",
    "first_response",
    "first_determined_on",
    "determined_on",
)
_CLAIM_SQL = (
    "SELECT claims.id, claims.claim_number, claims.state, claims.version, claims.payer_id, "
    "claims.date_of_service, claims.charge, claims.paid, claims.patient_responsibility, "
    "claims.contractual, claims.denied, claims.payer_control_number, claims.first_response, "
    "claims.first_determined_on, claims.determined_on FROM claims "
    "WHERE claims.claim_number IN ({})"
)
_LINE_SQL = (
    "SELECT claim_versions.claim_id, claim_lines.id, claim_versions.version, claim_lines.code, "
    "claim_lines.modifiers, claim_lines.expected_payment, claim_lines.control_number "
    "FROM claim_lines JOIN claim_versions ON claim_versions.id = claim_lines.version_id "
    "WHERE claim_versions.claim_id IN ({})"
)
_CONTROL_SQL = (
    "SELECT claim_lines.control_number, claims.claim_number FROM claim_lines "
    "JOIN claim_versions ON claim_versions.id = claim_lines.version_id "
    "JOIN claims ON claims.id = claim_versions.claim_id "
    "WHERE claim_lines.control_number IN ({})"
)


@dataclass(slots=True, eq=False)
class PostedLine:
    id: int
    version: int
    code: str
    modifiers: str
    expected_payment: Decimal | None
    control_number: str


class Matcher:
    """Finds the claims and claim lines of one payment's claim payments."""

    def __init__(self, bulk: Bulk) -> None:
        self.bulk = bulk
        self.conn: Connection = bulk.conn
        self.money = bulk.from_driver(m.Claim, "paid")
        self.date = bulk.from_driver(m.Claim, "date_of_service")
        self.claims: dict[str, PostedClaim] = {}  # by claim number
        self.lines: dict[int, list[PostedLine]] = {}  # by claim id

    def clear(self) -> None:
        """Forget the payment's claims: a later payment reads them again (with what this one
        wrote), so memory does not grow with the file."""
        self.claims.clear()
        self.lines.clear()

    def _select(self, sql: str, values: list[Any]) -> Iterator[Any]:
        return select_in(self.conn, sql, values)

    def match(self, payments: list[RemittanceClaim]) -> list[PostedClaim | None]:
        """Each claim payment's claim (None: no claim has its number or line control
        numbers)."""
        claims = self.claims
        self._load([n for n in dict.fromkeys(cp.claim_id for cp in payments) if n not in claims])
        unmatched = [cp for cp in payments if cp.claim_id not in claims]
        by_control: dict[str, str] = {}
        if unmatched:
            controls = [x.control_number for cp in unmatched for x in cp.lines if x.control_number]
            by_control.update(self._select(_CONTROL_SQL, controls))
            self._load([n for n in set(by_control.values()) if n not in claims])
        out: list[PostedClaim | None] = []
        for cp in payments:
            claim = claims.get(cp.claim_id)
            if claim is None and by_control:
                number = next(
                    (
                        by_control[x.control_number]
                        for x in cp.lines
                        if x.control_number in by_control
                    ),
                    None,
                )
                claim = claims.get(number) if number else None
            out.append(claim)
        self._load_lines([c.id for c in out if c is not None and c.id not in self.lines])
        return out

    def _load(self, numbers: list[str]) -> None:
        money, date = self.money, self.date
        for (
            id_,
            number,
            state,
            version,
            payer,
            dos,
            charge,
            paid,
            patient,
            contractual,
            denied,
            icn,
            first_response,
            first_determined,
            determined,
        ) in self._select(_CLAIM_SQL, numbers):
            self.claims[number] = PostedClaim(
                id_,
                number,
                state,
                version,
                payer,
                date(dos),
                money(charge),
                money(paid),
                money(patient),
                money(contractual),
                money(denied),
                icn,
                first_response,
                date(first_determined),
                date(determined),
            )

    def _load_lines(self, claim_ids: list[int]) -> None:
        ids = list(dict.fromkeys(claim_ids))
        lines = self.lines
        for claim_id in ids:
            lines[claim_id] = []
        money = self.money
        for claim_id, line_id, version, code, modifiers, expected, control in self._select(
            _LINE_SQL, ids
        ):
            lines[claim_id].append(
                PostedLine(line_id, version, code, modifiers, money(expected), control)
            )


def select_in(conn: Connection, sql: str, values: list[Any]) -> Iterator[Any]:
    """The rows of `sql` whose "IN ({})" takes the values, CHUNK at a time (plain values)."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for i in range(0, len(values), CHUNK):
        part = values[i : i + CHUNK]
        yield from conn.exec_driver_sql(
            sql.format(", ".join([mark] * len(part))), tuple(part)
        ).fetchall()


def match_lines(
    claim: PostedClaim | None, lines: list[PostedLine], services: list[ServicePayment]
) -> tuple[int | None, list[PostedLine | None]]:
    """The version the payment answers and the claim line of each service line."""
    if claim is None:
        return None, [None] * len(services)
    by_control = {x.control_number: x for x in lines}
    found = [by_control.get(svc.control_number or "") for svc in services]
    versions = {x.version for x in found if x is not None}
    version = max(versions) if versions else claim.version
    if None not in found:
        return version, found
    taken = {id(x) for x in found if x is not None}
    pool = [x for x in lines if x.version == version and id(x) not in taken]
    for i, svc in enumerate(services):
        if found[i] is not None:
            continue
        wanted = " ".join(svc.modifiers)
        pick = next(
            (x for x in pool if x.code == svc.code and x.modifiers == wanted), None
        ) or next((x for x in pool if x.code == svc.code), None)
        if pick is not None:
            pool.remove(pick)
            found[i] = pick
    return version, found
