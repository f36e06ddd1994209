"""After a payer decides: the claim to the next payer (secondary, then tertiary).

When an 835 decides a claim and leaves the patient a share that the patient's next coverage
in force on the date of service may pay (ptbill.ledger.coverages), the claim goes on:

- **crossover**: the payer says it forwarded the claim (MA18 or N89, or a crossover carrier in
  NM1*TT). No 837P is sent: the next payer's claim is recorded as submitted by crossover, and
  a `crossover` work item waits for its 835, due after the next payer's `status_after_days`;
- **otherwise** a claim of its own to the next payer (`CLAIM-S`, tertiary `CLAIM-T`), linked
  to the primary, with the same lines (their own line control numbers), scrubbed under the
  next payer's profile and against the COB balancing rules (ptbill.x12.cob), ready for
  `ptbill submit`, whose 837P carries the earlier payers' decisions (loops 2320/2330/2430)
  read from the posted 835s (ptbill.ledger.cob_data).

Each version of a next-payer claim names the decision it was built from
(`claim_versions.basis_payment_id`). When that decision changes -- a reversal (CLP02 22) and
its correction after the secondary was sent -- the next claim is corrected: rebuilt in place
when not yet sent, else a replacement (frequency 7) when a balance is left for it or a void
(frequency 8) when none is, sent by the next `submit`. What cannot be corrected by itself (not
yet decided by the next payer, a crossover) becomes a `cob` work item.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.bulk import batch
from ptbill.coding import resolve
from ptbill.coding.context import VisitContext
from ptbill.config.profiles import Config
from ptbill.domain.records import quick_init
from ptbill.domain.visit import Subscriber, Visit
from ptbill.errors import InputError
from ptbill.ledger import coverages as cov
from ptbill.ledger import models as m
from ptbill.ledger import overpayments, versions
from ptbill.ledger.bulk import Bulk, among, columns
from ptbill.ledger.cob_data import Decided, add_details, in_force, read, select_ids
from ptbill.ledger.jsontext import to_json
from ptbill.ledger.patient_pay import apply_credits
from ptbill.ledger.states import AUDIT_COLUMNS, DECIDED, State, move
from ptbill.ledger.stored import coded_from_lines
from ptbill.ledger.texts import Texts
from ptbill.ledger.versions import control_number
from ptbill.ledger.work_items import close_open
from ptbill.remit.post_match import select_in
from ptbill.scrub.registry import Step as RuleStep
from ptbill.scrub.registry import rule_steps
from ptbill.scrub.review import Review
from ptbill.x12.claim import RELATIONSHIP_CODES
from ptbill.x12.cob import (
    SEQUENCE_CODES,
    LineAdjudication,
    OtherPayer,
    imbalances,
    patient_liability,
)

ZERO = Decimal(0)
MAX_NUMBER = 38  # CLM01
CHUNK = 2000  # claims read and made at a time
_DECIDED = frozenset(str(s) for s in DECIDED)
# The scrub findings that concern the next payer: who is billed, by whom and when. The lines
# are the ones the primary decided (a COB claim repeats them as billed); the visit's
# authorization is the primary payer's.
NEXT_PAYER_CATEGORIES = frozenset({"patient", "provider", "timely_filing", "coverage"})
# By profile (its identity, checked: profiles are frozen) and what the visit has.
_STEPS: dict[tuple[int, int | None], tuple[Any, tuple[RuleStep, ...]]] = {}


def next_payer_steps(profile: Any, has: int | None = None) -> tuple[RuleStep, ...]:
    """The payer's active scrub rules of the categories that concern a next payer's claim
    (`has`: what the visit has, ptbill.scrub.review.Needs: without the rules that need
    something else, as the scrub engine runs them)."""
    key = (id(profile), has)
    found = _STEPS.get(key)
    if found is None or found[0] is not profile:
        if len(_STEPS) > 1024:
            _STEPS.clear()
        steps = rule_steps(profile, has)
        found = _STEPS[key] = (
            profile,
            tuple(x for x in steps if x[2].rule.category in NEXT_PAYER_CATEGORIES),
        )
    return found[1]


_tuple_new = tuple.__new__  # a NamedTuple made from its values without a Python-level call
_NOT_SENT = frozenset({str(State.READY), str(State.BLOCKED), str(State.DRAFT)})


@dataclass
class CobSummary:
    """What one run did: claim numbers by outcome."""

    secondary: list[str] = field(default_factory=list)  # next-payer claims made (837P)
    crossover: list[str] = field(default_factory=list)  # forwarded by the payer
    blocked: list[str] = field(default_factory=list)  # made, but the scrub blocked them
    corrected: list[str] = field(default_factory=list)  # a replacement or void to send
    review: list[str] = field(default_factory=list)  # a person decides (work items)

    def as_json(self) -> dict[str, list[str]]:
        return dataclasses.asdict(self)


@dataclass(slots=True)
class _Claim:
    id: int
    number: str
    state: str
    version: int
    payer_id: int
    patient_id: int
    visit_pk: int
    date_of_service: dt.date
    sequence: int
    primary_claim_id: int | None
    crossover: bool
    payer_control_number: str | None

    @property
    def head(self) -> int:
        return self.primary_claim_id or self.id


_VISITS_SQL = "SELECT id, effective_json, source_json FROM visits WHERE id IN ({})"
_BASES_SQL = "SELECT claim_id, version, basis_payment_id FROM claim_versions WHERE claim_id IN ({})"
# _Claim's columns, of the claims whose id (or primary_claim_id) is among some ids.
_CLAIM_SQL = (
    "SELECT id, claim_number, state, version, payer_id, patient_id, visit_pk, date_of_service, "
    "sequence, primary_claim_id, crossover, payer_control_number FROM claims WHERE {} IN ({{}})"
)
_CLAIMS_SQL = _CLAIM_SQL.format("id")
_NEXT_CLAIMS_SQL = _CLAIM_SQL.format("primary_claim_id")


def next_number(primary_number: str, sequence: int) -> str:
    """The claim number of the claim to the payer at `sequence` (2: CLAIM-S, 3: CLAIM-T)."""
    return f"{primary_number}-{SEQUENCE_CODES[sequence]}"


# Visit.model_validate_json without its wrapper (a Python call and five keywords): each
# stored visit is parsed again by make and by submit.
_VISIT_JSON = Visit.__pydantic_validator__.validate_json


def stored_visit(effective: str | None, source: str) -> Visit:
    """A stored visit as its claims are made from it: its effective JSON (with the episode
    derived at import), else the JSON it came as."""
    return _VISIT_JSON(effective or source)


def for_payer(visit: Visit, payer_key: str, subscriber: Subscriber) -> Visit:
    """The visit as a claim to another of its coverages sees it."""
    return visit.model_copy(update={"payer": payer_key, "subscriber": subscriber})


class Advance:
    """One run over claims an 835 decided (or a biller asked about)."""

    def __init__(
        self, session: Session, config: Config, as_of: dt.date, who: str, source: str
    ) -> None:
        self.s, self.config, self.as_of, self.who, self.source = (
            session,
            config,
            as_of,
            who,
            source,
        )
        self.bulk = Bulk(session)
        self.texts = Texts(session, self.bulk)
        self.summary = CobSummary()
        self.contexts: dict[tuple[str, str | None, str | None], VisitContext] = {}
        self.payer_keys = {p.id: p.key for p in session.scalars(select(m.Payer))}
        self.earlier = EarlierPayers(session, self.bulk, config)
        self.line_money = self.bulk.from_driver(m.ClaimLine, "charge")
        self.line_day = self.bulk.from_driver(m.ClaimLine, "date_of_service")
        self.claim_day = self.bulk.from_driver(m.Claim, "date_of_service")
        # Python values -> the driver's (Money, Date and Boolean alike in every table).
        self.money = self.bulk.to_driver(m.Claim, "charge")
        self.day = self.bulk.to_driver(m.Claim, "date_of_service")
        self.flag = self.bulk.to_driver(m.Claim, "crossover")

    # -- reading ------------------------------------------------------------------------------

    def claims(self, ids: Iterable[int]) -> list[_Claim]:
        """The claims in the order asked for: their next-payer claims are numbered in that
        order, the same on every database (PostgreSQL returns an IN list's rows in any order)."""
        wanted = list(dict.fromkeys(ids))
        found = {c.id: c for c in self._claims(_CLAIMS_SQL, wanted)}
        return [found[i] for i in wanted if i in found]

    def _claims(self, sql: str, ids: list[int]) -> Iterator[_Claim]:
        """_Claims in plain SQL, each distinct date converted once (a run reads every decided
        claim of a posting)."""
        day = self.claim_day
        for row in self.select(sql, ids):
            c = _Claim(*row)  # the columns of _CLAIMS_SQL
            c.date_of_service, c.crossover = day(c.date_of_service), bool(c.crossover)
            yield c

    def bases(self, claims: list[_Claim]) -> dict[int, int | None]:
        """The decision each claim's current version was built from, by claim id."""
        out: dict[int, int | None] = {}
        current = {c.id: c.version for c in claims}
        for claim_id, version, basis in self.select(_BASES_SQL, list(current)):
            if current[claim_id] == version:
                out[claim_id] = basis
        return out

    def select(self, sql: str, ids: list[Any]) -> Iterator[Any]:
        """The rows of plain `sql` whose "IN ({})" takes the ids (cob_data.select_ids), the
        session's pending changes flushed first (as `columns` does)."""
        self.s.flush()
        return select_ids(self.bulk.conn, sql, ids)

    def among(self, column: Any, values: list[Any]) -> Any:
        return among(self.bulk.dialect, column, values)

    def context(self, visit: Visit, origin: str) -> VisitContext:
        bp = visit.billing_provider.model_dump_json() if visit.billing_provider else None
        key = (visit.payer, visit.clinic, bp)
        if key not in self.contexts:
            self.contexts[key] = resolve(visit, self.config, origin)
        return self.contexts[key]

    # -- the run ------------------------------------------------------------------------------

    def run(self, claim_ids: Iterable[int]) -> CobSummary:
        """A chunk of claims at a time, so that memory holds one chunk's decisions and
        visits, not the whole posting's."""
        ids = list(dict.fromkeys(claim_ids))
        for i in range(0, len(ids), CHUNK):
            self.earlier = EarlierPayers(self.s, self.bulk, self.config)
            self.run_chunk(ids[i : i + CHUNK])
        return self.summary

    def run_chunk(self, claim_ids: list[int]) -> None:
        decided = [c for c in self.claims(claim_ids) if c.state in _DECIDED]
        if not decided:
            return
        # The claims a next coverage may concern first: a posting's claims of patients with
        # one payer read no more than their coverages.
        coverage = cov.of_patients(self.s, [c.patient_id for c in decided])
        going: list[tuple[_Claim, cov.InForce]] = []
        for c in decided:
            after = cov.at(coverage[c.patient_id], c.sequence + 1, c.date_of_service)
            if after is None or after.payer_pk == c.payer_id:
                continue
            mine = cov.at(coverage[c.patient_id], c.sequence, c.date_of_service)
            if mine is not None and mine.payer_pk != c.payer_id:
                continue  # the claim's payer is not the patient's coverage at that rank
            going.append((c, after))
        if not going:
            return
        basis = in_force(self.bulk.conn, [c.id for c, _ in going])
        nexts = list(self._claims(_NEXT_CLAIMS_SQL, list({c.head for c, _ in going})))
        existing = {(c.head, c.sequence): c for c in nexts}  # by (primary id, sequence)
        bases = self.bases(list(existing.values()))
        # The claim payments alone: their lines and adjustments are read (by self.earlier)
        # only for the claims that go on.
        decisions = read(self.bulk, [p for p in basis.values() if p is not None], details=False)
        new: list[tuple[_Claim, cov.InForce, Decided]] = []
        for c, after in going:
            payment = basis.get(c.id)
            if payment is None:
                continue
            d = decisions[payment]
            nxt = existing.get((c.head, c.sequence + 1))
            if nxt is None:
                if d.patient > 0:
                    new.append((c, after, d))
            elif bases.get(nxt.id) not in (None, d.payment_id):
                self.follow(c, nxt, d)
        if new:
            steps = [
                Step(c.head, c.sequence + 1, c.patient_id, c.date_of_service, d.payment_id)
                for c, _, d in new
            ]
            self.earlier.load(
                steps,
                coverage,
                basis,
                {d.payment_id: d for _, _, d in new},
                self.chains({c.head for c, _, _ in new}, decided, nexts),
            )
            self.make(new, steps)

    def chains(
        self, heads: set[int], decided: list[_Claim], nexts: list[_Claim]
    ) -> dict[int, list[tuple[int, int, str]]]:
        """The chains (EarlierPayers.chains) of the heads whose primary claim is among the
        claims read: it and the next claims of it."""
        by_id = {c.id: c for c in decided}
        out = {
            head: [(c.sequence, c.id, self.payer_keys[c.payer_id])]
            for head in heads
            if (c := by_id.get(head)) is not None
        }
        for c in nexts:
            if c.head in out:
                out[c.head].append((c.sequence, c.id, self.payer_keys[c.payer_id]))
        return out

    # -- new claims to the next payer ---------------------------------------------------------

    def make(self, items: list[tuple[_Claim, cov.InForce, Decided]], steps: list[Step]) -> None:
        """The claims to the next payers of `items` (each claim, its next coverage and the
        decision in force), `steps` as EarlierPayers.load read them."""
        # The claims' numbers are read already; a tertiary's head (the primary) is not.
        numbers = {c.id: c.number for c, _, _ in items}
        heads = {c.head for c, _, _ in items} - numbers.keys()
        if heads:
            q = select(m.Claim.id, m.Claim.claim_number).where(self.among(m.Claim.id, list(heads)))
            numbers.update(columns(self.s, q).all())
        wanted = {next_number(numbers[c.head], c.sequence + 1) for c, _, _ in items}
        taken = set(
            columns(
                self.s,
                select(m.Claim.claim_number).where(self.among(m.Claim.claim_number, list(wanted))),
            ).scalars()
        )
        visits = {
            pk: stored_visit(e, s)
            for pk, e, s in self.select(_VISITS_SQL, list({c.visit_pk for c, _, _ in items}))
        }
        lines = self.lines([c.id for c, _, _ in items])
        claim_ids = iter(self.bulk.ids(m.Claim, len(items)))
        claims, versions, audit, work, texts = [], [], [], [], []
        # The rows in the driver's values (Bulk.insert_values), each distinct one made once.
        money, day, flag = self.money, self.day, self.flag
        today, zeros = day(self.as_of), (money(ZERO),) * 5
        made: list[tuple[int, str, list[Any]]] = []
        for (c, after, d), step in zip(items, steps, strict=True):
            number = next_number(numbers[c.head], c.sequence + 1)
            if len(number) > MAX_NUMBER or number in taken:
                work.append(
                    self.item(
                        c.id,
                        numbers[c.id],
                        "cob",
                        "review",
                        d.patient,
                        f"the claim to the next payer ({after.payer_key}) cannot be numbered "
                        f"{number} (taken, or longer than 38 characters); bill it by hand",
                    )
                )
                self.summary.review.append(numbers[c.id])
                continue
            visit = for_payer(visits[c.visit_pk], after.payer_key, after.subscriber)
            own = lines[c.id]
            crossed = d.crossed_over
            findings = [] if crossed else self.scrub(visit, number, own, step, visits[c.visit_pk])
            blocked = any(f["severity"] == "error" for f in findings)
            state = State.SUBMITTED if crossed else (State.BLOCKED if blocked else State.READY)
            cid = next(claim_ids)
            charge = sum((x.charge or ZERO for x in own), ZERO)
            # expected_allowed, expected_payment: NULL (not priced)
            sent = today if crossed else None
            claims.append(
                (cid, number, c.visit_pk, c.patient_id, after.payer_pk, str(state), 1)
                + (day(c.date_of_service), money(charge), *zeros, sent, sent, today)
                + (c.sequence + 1, c.head, flag(crossed))
            )
            findings_json = to_json(findings)
            texts.append(findings_json)
            reason = (
                f"the balance {numbers[c.id]}'s payer left (decision of "
                f"{d.determined_on}, payer claim {d.payer_control_number or '-'})"
            )
            versions.append((cid, "blocked" if blocked else "ready", money(charge), reason, d))
            made.append((cid, number, own))
            if crossed:
                why = (
                    f"forwarded by the payer of {numbers[c.id]} to "
                    f"{d.crossover_to or self.payer_keys[after.payer_pk]} (crossover)"
                )
                audit.append((cid, self.who, today, None, str(State.SUBMITTED), why))
                wait = self.config.payers[after.payer_key].status_after_days
                work.append(
                    self.item(
                        cid,
                        number,
                        "crossover",
                        "await_payment",
                        d.patient,
                        f"{numbers[c.id]} was crossed over to {self.payer_keys[after.payer_pk]} "
                        f"({', '.join(sorted(d.remarks)) or 'NM1*TT'}): wait for its 835; if "
                        "none has come by the due date, ask that payer (`ptbill status request "
                        f"--claim {number}`); if it has no such claim, send it the claim "
                        f"yourself (`ptbill correct {number}`, then `ptbill submit`)",
                        due=d.determined_on + dt.timedelta(days=wait),
                    )
                )
                self.summary.crossover.append(number)
            else:
                why = f"claim to the next payer after {numbers[c.id]}'s decision"
                audit.append((cid, self.who, today, None, str(state), why))
                (self.summary.blocked if blocked else self.summary.secondary).append(number)
                for f in findings:
                    if f["severity"] == "error":
                        work.append(
                            self.item(
                                cid,
                                number,
                                "blocked",
                                "correct_and_resubmit",
                                charge,
                                f"{f['rule']}: {f['message']}",
                                category=f["category"],
                            )
                        )
        self.texts.store(texts)  # the findings, all at once
        version_ids = self.bulk.ids(m.ClaimVersion, len(versions))
        self.bulk.insert_values(m.Claim, _CLAIM_ROW, claims)
        self.bulk.insert_values(
            m.ClaimVersion,
            _VERSION_ROW,
            [
                # frequency 1 (an original); original_claim_id: NULL, as the price columns
                (vid, cid, 1, "1", status, self.texts.id(findings), charge, today, reason)
                + (d.payment_id,)
                for vid, (cid, status, charge, reason, d), findings in zip(
                    version_ids, versions, texts, strict=True
                )
            ],
        )
        self.insert_lines(
            (x, vid, number, 1)
            for vid, (_, number, own) in zip(version_ids, made, strict=True)
            for x in own
        )
        self.bulk.insert_values(m.AuditEntry, AUDIT_COLUMNS, audit)
        self.bulk.insert(m.WorkItem, work)

    def insert_lines(self, lines: Iterable[tuple[_Line, int, str, int]]) -> None:
        """Claim lines as copies of `_Line`s: (line, its version's id, claim number, version)."""
        money, day = self.money, self.day
        self.bulk.insert_values(
            m.ClaimLine,
            _LINE_COLUMNS,
            [
                (x.line_number, x.code, x.modifiers, x.units, money(x.charge), x.pointers)
                + (x.minutes, x.assistant_minutes, day(x.date_of_service), x.explanation_text_id)
                + (vid, control_number(number, version, x.line_number), "unpriced")
                for x, vid, number, version in lines
            ],
        )

    def lines(self, claim_ids: list[int]) -> dict[int, list[_Line]]:
        """The billed lines of each claim's current version, as claim_lines values (without
        ids, version and control number)."""
        out: dict[int, list[_Line]] = {c: [] for c in claim_ids}
        money, day = self.line_money, self.line_day
        # Plain SQL, each distinct charge and date converted once: through SQLAlchemy each
        # row's Money and Date went through their result processors (make reads some 2.7
        # lines a claim).
        for row in self.select(_LINES_SQL, claim_ids):
            claim_id, number, code, mods, units, charge, ptrs, mins, assist, on, text = row
            values = (number, code, mods, units, money(charge), ptrs, mins, assist, day(on), text)
            out[claim_id].append(_tuple_new(_Line, values))  # _Line without its Python __new__
        return out

    def scrub(
        self, visit: Visit, number: str, own: list[_Line], step: Step, primary: Visit
    ) -> list[dict[str, Any]]:
        """The next payer's scrub rules on the claim's lines, and the COB balancing rules."""
        ctx = self.context(visit, f"ledger claim {number}")
        coded = coded_from_lines(number, visit.payer, own)
        review = Review(visit, coded, ctx, self.as_of, None, None)
        findings = [
            active.finding(hit).to_json()
            for check, params, active in next_payer_steps(ctx.profile, review.has)
            for hit in check(review, params)
        ]
        others, lines = self.earlier.of(step, primary)
        return findings + cob_findings(
            others, lines, [(x.line_number, x.charge or ZERO) for x in own]
        )

    def item(
        self,
        claim_id: int,
        number: str,
        kind: str,
        action: str,
        amount: Decimal | None,
        detail: str,
        due: dt.date | None = None,
        category: str = "cob",
    ) -> dict[str, Any]:
        return {
            "claim_id": claim_id,
            "reference": number[:50],
            "visit_id": number[:38],
            "kind": kind,
            "category": category,  # carc, rarc, closed_on, resolution: NULL
            "amount": amount,
            "action": action,
            "detail": detail,
            "due_date": due or self.as_of + dt.timedelta(days=30),
            "status": "open",
            "created_on": self.as_of,
            "source": self.source[:40],
        }

    # -- a changed decision -------------------------------------------------------------------

    def follow(self, earlier: _Claim, nxt: _Claim, d: Decided) -> None:
        """The earlier payer decided again (a reversal and its correction): correct the next
        payer's claim, built from another decision (ptbill.ledger.secondary.Advance.bases)."""
        version = self.s.scalar(
            select(m.ClaimVersion).where(
                m.ClaimVersion.claim_id == nxt.id, m.ClaimVersion.version == nxt.version
            )
        )
        assert version is not None
        claim = self.s.get(m.Claim, nxt.id)
        assert claim is not None
        why = (
            f"{earlier.number}'s payer decided again ({d.determined_on}, payer claim "
            f"{d.payer_control_number or '-'}): the balance left is {d.patient}"
        )
        if claim.state in _NOT_SENT:
            version.basis_payment_id = d.payment_id
            if d.patient <= 0:
                self._move(claim, State.WRITTEN_OFF, why + "; nothing is left for this payer")
            self.summary.corrected.append(claim.claim_number)
            return
        if claim.crossover or claim.state not in _DECIDED or not claim.payer_control_number:
            self.s.add(
                m.WorkItem(
                    **self.item(
                        claim.id,
                        claim.claim_number,
                        "cob",
                        "review",
                        d.patient,
                        why + f"; {claim.claim_number} ({claim.state}) was built from the "
                        "earlier decision: ask the next payer to adjust it, or correct it "
                        "once it is decided",
                    )
                )
            )
            self.summary.review.append(claim.claim_number)
            return
        frequency = "7" if d.patient > 0 else "8"
        self.s.add(
            m.ClaimVersion(
                claim_id=claim.id,
                version=claim.version + 1,
                frequency_code=frequency,
                original_claim_id=claim.payer_control_number,
                scrub_status="ready",
                findings_text_id=version.findings_text_id,
                pricing_notes_text_id=None,
                charge=claim.charge,
                expected_payment=None,
                created_on=self.as_of,
                reason=why + ("; replacement" if frequency == "7" else "; void"),
                basis_payment_id=d.payment_id,
            )
        )
        self.s.flush()
        new = self.s.scalar(
            select(m.ClaimVersion).where(
                m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == claim.version + 1
            )
        )
        assert new is not None
        self.insert_lines(
            (x, new.id, claim.claim_number, new.version) for x in self.lines([claim.id])[claim.id]
        )
        claim.version = new.version
        self._move(
            claim, State.CORRECTED, why + ("; replacement" if frequency == "7" else "; void")
        )
        self.summary.corrected.append(claim.claim_number)

    def _move(self, claim: m.Claim, to: State, why: str) -> None:
        move(self.s, claim, to, self.who, self.as_of, why, "correct the next payer's claim")


class _Line(NamedTuple):
    """A billed line of a claim's current version, as claim_lines keeps it (without its ids,
    version and control number) and as coded_from_lines reads it (ptbill.ledger.stored
    .LineValues)."""

    line_number: int
    code: str
    modifiers: str
    units: int
    charge: Decimal | None
    pointers: str
    minutes: int | None
    assistant_minutes: int
    date_of_service: dt.date
    explanation_text_id: int | None

    @property
    def explanation_json(self) -> str:
        return "[]"  # the next payer's rules read no explanation: none is read


_LINES_SQL = (
    "SELECT claim_versions.claim_id, claim_lines.line_number, claim_lines.code, "
    "claim_lines.modifiers, claim_lines.units, claim_lines.charge, claim_lines.pointers, "
    "claim_lines.minutes, claim_lines.assistant_minutes, claim_lines.date_of_service, "
    "claim_lines.explanation_text_id FROM claim_lines "
    "JOIN claim_versions ON claim_versions.id = claim_lines.version_id "
    "JOIN claims ON claims.id = claim_versions.claim_id "
    "AND claims.version = claim_versions.version "
    "WHERE claims.id IN ({}) ORDER BY claim_lines.line_number"
)
# make's rows, as insert_values takes them (a version's id first).
_CLAIM_ROW = (
    *("id", "claim_number", "visit_pk", "patient_id", "payer_id", "state", "version"),
    *("date_of_service", "charge", "paid", "patient_responsibility", "contractual"),
    *("denied", "written_off", "first_submitted_on", "last_submitted_on", "created_on"),
    *("sequence", "primary_claim_id", "crossover"),
)
_VERSION_ROW = (
    *("id", "claim_id", "version", "frequency_code", "scrub_status", "findings_text_id"),
    *("charge", "created_on", "reason", "basis_payment_id"),
)
# A copied line's columns: _Line's, its version, control number and price status (unpriced;
# the other price columns stay NULL).
_LINE_COLUMNS = (*_Line._fields, "version_id", "control_number", "price_status")


# A chain's claims in plain SQL: the primaries by id, the next claims by their primary.
_CHAIN_SQLS = tuple(
    "SELECT claims.id, claims.primary_claim_id, claims.sequence, payers.key FROM claims "
    f"JOIN payers ON payers.id = claims.payer_id WHERE claims.{column} IN ({{}})"
    for column in ("id", "primary_claim_id")
)


@quick_init
@dataclass(frozen=True, slots=True)
class Step:
    """A claim to the payer at `sequence` of a visit's chain, before it is made or sent."""

    head: int  # the primary claim's id
    sequence: int  # of the claim to be sent (2 secondary, 3 tertiary)
    patient_id: int
    date_of_service: dt.date
    basis_payment_id: int  # the decision of the payer just before


class EarlierPayers:
    """The earlier payers' decisions of many next-payer claims, read in bulk: per claim its
    loops 2320/2330A/2330B (one per earlier payer) and each line's 2430s."""

    def __init__(self, session: Session, bulk: Bulk, config: Config) -> None:
        self.s, self.bulk, self.config = session, bulk, config
        self.chains: dict[int, list[tuple[int, int, str]]] = {}  # head -> (seq, id, payer key)
        self.basis: dict[int, int | None] = {}  # claim id -> decision in force
        self.decisions: dict[int, Decided] = {}
        self.coverage: dict[int, list[cov.InForce]] = {}

    def load(
        self,
        steps: list[Step],
        coverage: dict[int, list[cov.InForce]] | None = None,
        basis: dict[int, int | None] | None = None,
        decisions: dict[int, Decided] | None = None,
        chains: dict[int, list[tuple[int, int, str]]] | None = None,
    ) -> None:
        """Read what the steps need. What the caller read already is not read again:
        `coverage` the patients' coverages, `basis` claims' decisions in force (by claim id),
        `decisions` claim payments read without their lines and adjustments (by payment id),
        `chains` some heads' chains (as self.chains)."""
        self.chains.update(chains or {})
        heads = list({x.head for x in steps} - (chains or {}).keys())
        self.s.flush()  # as a query through the session would
        for sql in _CHAIN_SQLS:  # the heads, then their next claims (a head has no primary)
            for cid, primary, sequence, key in select_ids(self.bulk.conn, sql, heads):
                self.chains.setdefault(primary or cid, []).append((sequence, cid, key))
        known = basis or {}
        ids = [cid for chain in self.chains.values() for _, cid, _ in chain]
        self.basis.update({i: known[i] for i in ids if i in known})
        self.basis.update(in_force(self.bulk.conn, [i for i in ids if i not in known]))
        wanted = {p for p in self.basis.values() if p is not None}
        wanted |= {x.basis_payment_id for x in steps}
        wanted -= set(self.decisions)
        given = {p: d for p, d in (decisions or {}).items() if p in wanted}
        add_details(self.bulk, given)
        self.decisions.update(given)
        self.decisions.update(read(self.bulk, wanted - set(given)))
        patients = {x.patient_id for x in steps}
        if coverage is not None and patients <= coverage.keys():
            self.coverage.update(coverage)
        else:
            self.coverage.update(cov.of_patients(self.s, patients))

    def of(
        self, step: Step, visit: Visit
    ) -> tuple[list[OtherPayer], dict[int, tuple[LineAdjudication, ...]]]:
        """(2320 loops in payer order, each line's 2430s by line number)."""
        others: list[OtherPayer] = []
        lines: dict[int, tuple[LineAdjudication, ...]] = {}
        for sequence, cid, key in sorted(self.chains.get(step.head, [])):
            if sequence >= step.sequence:
                continue
            payment = (
                step.basis_payment_id if sequence == step.sequence - 1 else self.basis.get(cid)
            )
            if payment is None:
                continue
            d = self.decisions[payment]
            profile = self.config.payers[key]
            sub = visit.subscriber
            if sequence > 1:
                found = cov.at(
                    self.coverage.get(step.patient_id, []), sequence, step.date_of_service
                )
                sub = found.subscriber if found is not None else sub
            others.append(earlier_payer(d, SEQUENCE_CODES[sequence], visit, sub, profile))
            payer_id, on = profile.payer_id, d.determined_on
            for number, decided in d.lines.items():
                made = tuple(
                    [
                        LineAdjudication(
                            payer_id, x.paid, x.code, x.modifiers, x.units, tuple(x.adjustments), on
                        )
                        for x in decided
                    ]
                )
                before = lines.get(number)
                lines[number] = made if before is None else before + made
        return others, lines


def earlier_payer(
    d: Decided, sequence: str, visit: Visit, sub: Subscriber, profile: Any
) -> OtherPayer:
    """Loops 2320/2330A/2330B of an earlier payer's decision (`sub`: the subscriber of the
    coverage it paid under)."""
    patient = visit.patient
    self_insured = sub.relationship == "self"
    every = list(d.adjustments)  # the claim's and each line's
    for decided in d.lines.values():
        for x in decided:
            every += x.adjustments
    return OtherPayer(
        sequence=sequence,
        relationship="18" if self_insured else RELATIONSHIP_CODES.get(sub.relationship, "G8"),
        group_number=sub.group_number,
        filing_indicator=profile.claim_filing_indicator,
        subscriber_last=patient.last_name if self_insured else (sub.last_name or ""),
        subscriber_first=patient.first_name if self_insured else (sub.first_name or ""),
        member_id=sub.member_id,
        subscriber_address=patient.address if self_insured else sub.address,
        payer_name=profile.payer_name,
        payer_id=profile.payer_id,
        paid=d.paid,
        patient_liability=patient_liability(every),
        adjustments=tuple(d.adjustments),
        claim_control_number=d.payer_control_number or None,
    )


def cob_findings(
    others: list[OtherPayer],
    lines: dict[int, tuple[LineAdjudication, ...]],
    own: list[tuple[int, Decimal]],
) -> list[dict[str, Any]]:
    """The COB balancing rules as scrub findings (`own`: each line's number and charge)."""
    charges = [charge for _, charge in own]
    problems = imbalances(sum(charges, ZERO), charges, others, [lines.get(n, ()) for n, _ in own])
    return [
        {
            "rule": "COB-UNBALANCED",
            "category": "coverage",
            "severity": "error",
            "line": None,
            "message": f"the earlier payer's decision does not balance: {problem}",
            "fix": "post the earlier payer's complete 835 (every line answered), or send "
            "this claim on paper with its EOB",
            "citation": ["005010X222A1 loops 2320 and 2430 (COB balancing)"],
        }
        for problem in problems
    ]


def advance(
    session: Session,
    config: Config,
    claim_ids: Iterable[int],
    *,
    as_of: dt.date,
    who: str,
    source: str = "cob",
) -> CobSummary:
    """Send on to the next payer what these claims' decisions left (see the module)."""
    # Thousands of visits, decisions and rows, none in a reference cycle: the cyclic
    # collector would only rescan them again and again.
    with batch():
        return Advance(session, config, as_of, who, source).run(claim_ids)


COVERAGE_CHANGED = "COB-COVERAGE-CHANGED"
_UNSENT = (str(State.READY), str(State.BLOCKED))


def hold_changed(session: Session, patient_pk: int, *, as_of: dt.date, who: str) -> list[str]:
    """The patient's next-payer claims not sent yet whose payer is no longer the patient's
    coverage at their rank on their date of service (a coverage recorded since they were
    made): blocked, each with a work item, rather than sent to a plan the patient no longer
    has (nor stopping the other claims' submission); `ptbill rescrub` addresses one to the
    coverage in force now (rescrub_next). Returns their claim numbers."""
    found = cov.of_patients(session, [patient_pk])[patient_pk]
    held = []
    for c in session.scalars(
        select(m.Claim).where(
            m.Claim.patient_id == patient_pk,
            m.Claim.primary_claim_id.is_not(None),
            m.Claim.state.in_(_UNSENT),
        )
    ):
        now = cov.at(found, c.sequence, c.date_of_service)
        if now is not None and now.payer_pk == c.payer_id:
            continue
        fix = (
            f"scrub it again (`ptbill rescrub {c.claim_number}`) to bill {now.payer_key}"
            if now is not None
            else "record the coverage (`ptbill coverage add`), or write the claim off"
        )
        was = session.get(m.Payer, c.payer_id)  # only a held claim's payer is read
        assert was is not None
        detail = (
            f"{COVERAGE_CHANGED}: the patient's coverage at rank {c.sequence} on "
            f"{c.date_of_service} is {now.payer_key if now else 'none'} now, not "
            f"{was.key}, which this claim was made for. Fix: {fix}"
        )
        close_open(
            session,
            as_of,
            "the coverage changed again",
            ("blocked",),
            claims=[c.id],
            rule=COVERAGE_CHANGED,
        )
        session.add(
            m.WorkItem(
                claim_id=c.id,
                reference=c.claim_number[:50],
                visit_id=c.claim_number[:38],
                kind="blocked",
                category="coverage",
                rule=COVERAGE_CHANGED,
                amount=c.charge,
                action="review",  # the coverage, then scrub again: nothing to re-import
                detail=detail,
                due_date=as_of + dt.timedelta(days=30),
                status="open",
                created_on=as_of,
                source="coverage",
            )
        )
        if c.state == State.READY:
            move(session, c, State.BLOCKED, who, as_of, detail, "a coverage change")
        held.append(c.claim_number)
    return held


def rescrub_next(
    session: Session, config: Config, claim: m.Claim, *, as_of: dt.date, who: str
) -> list[dict[str, Any]]:
    """A next payer's claim not sent yet, scrubbed again as it was made (Advance.make): under
    the patient's coverage at its rank on its date of service now -- which may be another
    payer than before (hold_changed) -- with that payer's rules for a next payer's claim and
    the COB balancing rules against the decision it was built from. Its version's findings
    are replaced; returns the work items of its errors."""
    coverage, now = _coverage_now(session, claim, " for this claim to go to")
    version = session.scalar(
        select(m.ClaimVersion).where(
            m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == claim.version
        )
    )
    assert version is not None and version.basis_payment_id is not None  # made by Advance
    run = Advance(session, config, as_of, who, "rescrub")
    step = Step(
        claim.primary_claim_id or claim.id,
        claim.sequence,
        claim.patient_id,
        claim.date_of_service,
        version.basis_payment_id,
    )
    _, findings = _scrub_next(run, claim, now, step, coverage)
    errors = [f for f in findings if f["severity"] == "error"]
    text = to_json(findings)
    run.texts.store([text])
    version.findings_text_id = run.texts.id(text)
    version.scrub_status = "blocked" if errors else "ready"
    claim.payer_id = now.payer_pk
    return [
        run.item(
            claim.id,
            claim.claim_number,
            "blocked",
            "correct_and_resubmit",
            claim.charge,
            f"{f['rule']}: {f['message']}",
            category=f["category"],
        )
        | {"rule": f["rule"]}
        for f in errors
    ]


def _coverage_now(
    session: Session, claim: m.Claim, purpose: str = ""
) -> tuple[dict[int, list[cov.InForce]], cov.InForce]:
    """The patient's coverages, and the one at the claim's rank on its date of service now;
    refused when there is none."""
    coverage = cov.of_patients(session, [claim.patient_id])
    now = cov.at(coverage[claim.patient_id], claim.sequence, claim.date_of_service)
    if now is None:
        raise InputError(
            file=f"claim {claim.claim_number}",
            visit_id=None,
            field="coverage",
            problem=f"the patient has no coverage at rank {claim.sequence} on "
            f"{claim.date_of_service}{purpose}",
            fix="record the coverage (`ptbill coverage add`), or write the claim off",
        )
    return coverage, now


def _scrub_next(
    run: Advance,
    claim: m.Claim,
    now: cov.InForce,
    step: Step,
    coverage: dict[int, list[cov.InForce]],
) -> tuple[list[_Line], list[dict[str, Any]]]:
    """A next payer's claim's lines, and their scrub (Advance.scrub) as a claim to the
    coverage `now`, against the earlier payers' decisions of `step`."""
    run.earlier.load([step], coverage)
    row = run.s.get(m.Visit, claim.visit_pk)
    assert row is not None
    primary = stored_visit(row.effective_json, row.source_json)
    visit = for_payer(primary, now.payer_key, now.subscriber)
    own = run.lines([claim.id])[claim.id]
    return own, run.scrub(visit, claim.claim_number, own, step, primary)


class NextCorrection(NamedTuple):
    version: int
    frequency_code: str
    original_claim_id: str | None
    findings: list[dict[str, Any]]


def correct_next(
    session: Session, config: Config, claim: m.Claim, *, as_of: dt.date, who: str
) -> NextCorrection:
    """A corrected next payer's claim (`ptbill correct`): its lines again, built from the
    earlier payer's decision in force, to the patient's coverage at its rank now -- a
    replacement (frequency 7, its payer's claim number) to the payer that processed it, a new
    original (frequency 1) to another payer (the coverage was changed since). Scrubbed as a
    next payer's claim; the version is not written when an error blocks it (the findings
    say why). A claim already corrected and not sent yet is made again in place."""
    coverage, now = _coverage_now(session, claim)
    head = claim.primary_claim_id or claim.id
    earlier = session.scalar(
        select(m.Claim.id).where(
            ((m.Claim.id == head) | (m.Claim.primary_claim_id == head))
            & (m.Claim.sequence == claim.sequence - 1)
        )
    )
    basis = in_force(session.connection(), [earlier]).get(earlier) if earlier else None
    if basis is None:
        raise InputError(
            file=f"claim {claim.claim_number}",
            visit_id=None,
            field="earlier payer",
            problem="the earlier payer's decision was reversed and not made again",
            fix="wait for the earlier payer's new decision (its 835), then correct",
        )
    same = now.payer_pk == claim.payer_id and claim.payer_control_number
    frequency, original = ("7", claim.payer_control_number) if same else ("1", None)
    run = Advance(session, config, as_of, who, "correct")
    step = Step(head, claim.sequence, claim.patient_id, claim.date_of_service, basis)
    own, findings = _scrub_next(run, claim, now, step, coverage)
    pending = claim.state == State.CORRECTED  # not sent yet: made again in place
    number = claim.version if pending else claim.version + 1
    if any(f["severity"] == "error" for f in findings):
        return NextCorrection(number, frequency, original, findings)
    text = to_json(findings)
    run.texts.store([text])
    version = session.scalar(
        select(m.ClaimVersion).where(
            m.ClaimVersion.claim_id == claim.id, m.ClaimVersion.version == number
        )
    )
    if version is None:
        version = m.ClaimVersion(claim_id=claim.id, version=number, created_on=as_of)
        session.add(version)
    else:
        versions.delete_lines(session, [version.id])
    version.frequency_code, version.original_claim_id = frequency, original
    version.scrub_status, version.findings_text_id = "ready", run.texts.id(text)
    version.pricing_notes_text_id, version.expected_payment = None, None
    version.charge, version.basis_payment_id = claim.charge, basis
    version.reason = f"correction by {who}"
    session.flush()
    run.insert_lines((x, version.id, claim.claim_number, number) for x in own)
    claim.version, claim.payer_id = number, now.payer_pk
    return NextCorrection(number, frequency, original, findings)


_WITH_NEXT_SQL = (
    "SELECT DISTINCT claims.id FROM claims JOIN patient_coverages ON "
    "patient_coverages.patient_id = claims.patient_id AND patient_coverages.rank > claims.sequence "
    "WHERE claims.id IN ({})"
)
_PAYING_PATIENTS_SQL = (
    "SELECT DISTINCT claims.patient_id FROM claims JOIN patient_transactions ON "
    "patient_transactions.patient_id = claims.patient_id WHERE claims.id IN ({})"
)


def after_posting(
    session: Session,
    config: Config,
    claim_ids: list[int],
    *,
    as_of: dt.date,
    who: str,
    source: str,
    recouped: Sequence[int] = (),
) -> CobSummary:
    """What follows a posting: claims to the next payers, insurance over-payments to refund,
    and the patients' credits applied to their new balances. Each step first narrows the
    claims to those it can concern (a patient with a next coverage, a claim paid more than
    once...), so that a posting of claims with one payer and no patient money stays as fast.
    `recouped`: the claims a PLB of the posting names, whose over-payment it may offset."""
    conn = session.connection()
    with_next = [cid for (cid,) in select_in(conn, _WITH_NEXT_SQL, claim_ids)]
    summary = advance(session, config, with_next, as_of=as_of, who=who, source=source)
    owing = set(overpayments.candidates(conn, claim_ids)) | set(recouped)  # PLB: an offset
    overpayments.find(session, sorted(owing), on=as_of, source=source)
    paying = [pid for (pid,) in select_in(conn, _PAYING_PATIENTS_SQL, claim_ids)]
    apply_credits(session, paying, on=as_of, who=who)
    return summary
