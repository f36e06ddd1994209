"""`ptbill submit`: every ready claim (and every corrected one) into an 837P interchange, one for
each submitter and receiver the claims' clinics send as and to (1000A/ISA06, 1000B/ISA08: a
clinic's clearinghouse account), so that no clinic's claims go out under another's account.

The claims become `submitted`, the interchange is stored with its control numbers (ISA13 and
GS06 come from persistent counters: each number is used once, ever) and each claim's version
is linked to the transaction set (ST02) that carried it, which is what a 999 answers.
The 837P carries exactly the stored (scrubbed) lines with their stored line control numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from pathlib import PurePath
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.bulk import batch
from ptbill.coding import resolve
from ptbill.coding.context import VisitContext
from ptbill.config.profiles import Config, Submitter
from ptbill.domain.records import quick_init
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.cob_data import select_ids
from ptbill.ledger.coverages import at as coverage_at
from ptbill.ledger.scope import EVERYTHING, Scope
from ptbill.ledger.secondary import EarlierPayers, Step, for_payer, hold_changed
from ptbill.ledger.secondary import stored_visit as parsed_visit
from ptbill.ledger.states import AUDIT_COLUMNS, State, audit_row
from ptbill.ledger.stored import by_line_number, coded_from_lines
from ptbill.ledger.work_items import close_open
from ptbill.x12 import (
    Claim,
    InterchangeSettings,
    Receiver,
    claim_from_visit,
)
from ptbill.x12.claim import StoredLines
from ptbill.x12.cob import SEQUENCE_CODES, LineAdjudication, OtherPayer
from ptbill.x12.envelope import CLAIM, InterchangeWriter
from ptbill.x12.writer_837p import MAX_CLAIMS_PER_SET, transaction_body

# Where the 837P goes when the clinic names no `receiver`: one interchange for a clearinghouse,
# which routes each claim to its payer (2010BB). ISA08 is at most 15 characters.
RECEIVER = Receiver(name="CLAIMS CLEARINGHOUSE", id="CLEARINGHOUSE")
MAX_CONTROL_NUMBER = 999_999_999
SUBMITTABLE = (State.READY, State.CORRECTED)
_READ = 500  # claims read and built at a time (a query's IN list, too)

Advance = Callable[[int], object]  # told how many more claims were built
# Given how many claims will be sent: a context whose value is told as each batch is built
# (the command line's progress bar).
Progress = Callable[[int], AbstractContextManager[Advance]]


def _untold(n: int) -> None:
    return None


@dataclass(frozen=True)
class Sent:
    """One interchange written: its control number (ISA13), the file name it was recorded
    under, its text, and whom it is from and to (ISA06, ISA08)."""

    control_number: int
    file_name: str
    text: str
    claims: int
    total_charge: Decimal
    sender: str
    receiver: str

    def as_json(self) -> dict[str, Any]:
        return {
            "interchange_control_number": self.control_number,
            "file": self.file_name,
            "claims": self.claims,
            "total_charge": self.total_charge,
            "sender": self.sender,
            "receiver": self.receiver,
        }


@dataclass
class SubmitResult:
    interchanges: list[Sent] = field(default_factory=list)  # by sender, then receiver
    claims: list[str] = field(default_factory=list)
    total_charge: Decimal = Decimal(0)
    late: list[str] = field(default_factory=list)  # past timely filing: blocked, not sent
    held: list[str] = field(default_factory=list)  # next payers' whose coverage changed: blocked

    @property
    def text(self) -> str:
        """The interchanges' texts one after the other (one interchange: its text)."""
        return "".join(i.text for i in self.interchanges)

    @property
    def interchange_control_number(self) -> int | None:
        """The first interchange's (the only one unless the clinics send as several)."""
        return self.interchanges[0].control_number if self.interchanges else None


def next_number(session: Session, name: str) -> int:
    """The next value of a persistent counter (row-locked until the transaction ends)."""
    row = session.get(m.Counter, name, with_for_update=True)
    if row is None:
        session.add(m.Counter(name=name, value=1))
        session.flush()
        return 1
    if row.value >= MAX_CONTROL_NUMBER:
        raise InputError(
            "ledger",
            "all 9-digit control numbers are used",
            "start a new ledger database for new interchanges",
            field=f"counter {name}",
        )
    row.value += 1
    return row.value


def stored_visit(visit: m.Visit) -> Visit:
    """The visit as the claim was made from it (with its derived episode)."""
    return parsed_visit(visit.effective_json, visit.source_json)


def claim_for(
    claim_number: str,
    version: _Version,
    lines: list[_LineRow],
    visit: Visit,
    ctx: VisitContext,
    earlier: Earlier | None = None,
) -> Claim:
    """The x12 Claim of one stored claim version (`earlier`: a next payer's claim, with the
    earlier payers' decisions, loops 2320/2330/2430)."""
    if (
        version.frequency_code != visit.frequency_code
        or version.original_claim_id != visit.original_claim_id
    ):
        visit = visit.model_copy(
            update={
                "frequency_code": version.frequency_code,
                "original_claim_id": version.original_claim_id,
            }
        )
    coded = coded_from_lines(claim_number, visit.payer, lines)
    # Each line made once, with its stored control number and its 2430s (not made, then made
    # again with them: a second ClaimLine a line and a second Claim a primary claim).
    ordered = sorted(lines, key=by_line_number)
    stored = StoredLines(
        [x.control_number for x in ordered], earlier.lines if earlier is not None else {}
    )
    built = claim_from_visit(visit, coded, ctx, f"ledger claim {claim_number}", stored)
    if earlier is None:
        return built
    return _replaced(
        built, claim_id=claim_number, sequence=earlier.sequence, other_payers=earlier.others
    )


_CLAIM_NAMES = tuple(f.name for f in dataclasses.fields(Claim))
_CLAIM_VALUES = attrgetter(*_CLAIM_NAMES)


def _replaced(claim: Claim, **changes: Any) -> Claim:
    """dataclasses.replace of a Claim without its checks of each field (a claim each)."""
    values = dict(zip(_CLAIM_NAMES, _CLAIM_VALUES(claim), strict=True))
    values.update(changes)
    return Claim(**values)


@quick_init
@dataclass(frozen=True, slots=True)
class Earlier:
    """A next payer's claim's earlier payers: its SBR01, loops 2320 and each line's 2430s (by
    the line's position)."""

    sequence: str
    others: tuple[OtherPayer, ...]
    lines: dict[int, tuple[LineAdjudication, ...]]


@dataclass(slots=True)
class _Version:
    id: int
    version: int
    frequency_code: str
    original_claim_id: str | None


@dataclass(slots=True)
class _LineRow:
    """The claim_lines columns an 837P line needs (coded_from_lines reads these names)."""

    version_id: int
    line_number: int
    code: str
    modifiers: str
    units: int
    charge: Decimal | None
    pointers: str
    minutes: int | None
    assistant_minutes: int
    date_of_service: dt.date
    control_number: str
    # Why the line's units and modifiers: an 837P carries no explanation, so it is not read
    # (a text per line, and its JSON parsed, for nothing).
    explanation_json: str = "[]"


# A claim's current version, visit and payer, in claim order (its ids: _READ at most).
_ROWS_SQL = (
    "SELECT claims.id, claims.claim_number, claims.state, claims.date_of_service, "
    "claims.charge, claims.first_submitted_on, claim_versions.id, claim_versions.version, "
    "claim_versions.frequency_code, claim_versions.original_claim_id, visits.effective_json, "
    "visits.source_json, payers.timely_filing_days, claims.sequence, claims.primary_claim_id, "
    "claims.patient_id, claim_versions.basis_payment_id, payers.key FROM claims "
    "JOIN claim_versions ON claim_versions.claim_id = claims.id "
    "AND claim_versions.version = claims.version "
    "JOIN visits ON visits.id = claims.visit_pk JOIN payers ON payers.id = claims.payer_id "
    "WHERE claims.id IN ({}) ORDER BY claims.id"
)
# What `record` writes: a claim sent (the id last), its link to the submission.
_SENT_COLUMNS = ("state", "first_submitted_on", "last_submitted_on")
_LINK_COLUMNS = ("submission_id", "claim_id", "version_id", "transaction_set")
_LINES_SQL = (
    "SELECT version_id, line_number, code, modifiers, units, charge, pointers, minutes, "
    "assistant_minutes, date_of_service, control_number FROM claim_lines "
    "WHERE version_id IN ({})"
)


class _Submission:
    """One run of `submit`: claims read, built, written and recorded a transaction set at a
    time, so that memory holds one set's claims, not the whole interchange's. The interchange
    goes to a temporary file as each set is made; its text is read back once at the end, to
    be stored (submissions.content) and returned."""

    def __init__(
        self,
        session: Session,
        config: Config,
        as_of: dt.date,
        who: str,
        file_name: str,
        spool: IO[str],
        addressee: Addressee | None = None,
    ) -> None:
        self.s, self.config, self.as_of, self.who = session, config, as_of, who
        self.file_name, self.spool = file_name, spool
        self.digest = hashlib.sha256()  # of the text as it is written
        self.conn = session.connection()
        self.bulk = Bulk(session)
        self.contexts: dict[tuple[str, str | None, str | None], VisitContext] = {}
        # The clinics' account, or (claims of no configured clinic) the first clinic's met.
        self.submitter: Submitter | None = addressee[0] if addressee else None
        self.receiver = addressee[1] if addressee else RECEIVER
        self.settings: InterchangeSettings | None = None
        self.writer: InterchangeWriter | None = None
        self.submission: m.Submission | None = None
        self.advance: Advance = _untold  # until `submit` is given a progress
        self.sent = 0
        self.total = Decimal(0)
        self.held: list[int] = []  # patients of next payers' claims whose coverage changed
        self.earlier: EarlierPayers | None = None
        self.line_money = self.bulk.from_driver(m.ClaimLine, "charge")
        self.line_day = self.bulk.from_driver(m.ClaimLine, "date_of_service")
        self.claim_day = self.bulk.from_driver(m.Claim, "date_of_service")

    def rows(self, ids: list[int]) -> Sequence[Any]:
        """The claims' _ROWS_SQL rows, their date of service a date (first_submitted_on stays
        the driver's value, as `record` writes it back)."""
        day = self.claim_day
        return [(*r[:3], day(r[3]), *r[4:]) for r in select_ids(self.conn, _ROWS_SQL, ids)]

    def lines(self, version_ids: list[int]) -> dict[int, list[_LineRow]]:
        out: dict[int, list[_LineRow]] = {}
        money, day = self.line_money, self.line_day
        # Plain SQL, each distinct charge and date converted once (SQLAlchemy ran each row's
        # Money and Date result processors).
        for vid, number, code, mods, units, charge, ptrs, mins, assist, on, control in select_ids(
            self.conn, _LINES_SQL, version_ids
        ):
            row = (vid, number, code, mods, units, money(charge), ptrs, mins, assist, day(on))
            out.setdefault(vid, []).append(_LineRow(*row, control))
        return out

    def context(self, visit: Visit, number: str) -> VisitContext:
        bp = visit.billing_provider.model_dump_json() if visit.billing_provider else None
        key = (visit.payer, visit.clinic, bp)
        if key not in self.contexts:
            ctx = self.contexts[key] = resolve(visit, self.config, f"ledger claim {number}")
            if self.submitter is None and ctx.clinic is not None:
                self.submitter = ctx.clinic.submitter
                if ctx.clinic.receiver is not None:
                    self.receiver = Receiver(ctx.clinic.receiver.name, ctx.clinic.receiver.id)
        return self.contexts[key]

    def chunk(self, ids: list[int], result: SubmitResult) -> None:
        """One transaction set: its claims built from their rows, read _READ claims at a time
        (the rows and visits of a whole set of 5,000 would cost tens of MB), then written."""
        claims: list[Claim] = []
        sent: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), _READ):
            self.build(ids[i : i + _READ], claims, sent, result)
            self.advance(len(ids[i : i + _READ]))
        if claims:
            self.write(claims)
            self.record(sent)

    def build(
        self,
        ids: list[int],
        claims: list[Claim],
        sent: list[tuple[Any, ...]],
        result: SubmitResult,
    ) -> None:
        rows = self.rows(ids)
        self.load_earlier(rows)
        lines = self.lines([r[6] for r in rows])
        for (
            cid,
            number,
            state,
            dos,
            _charge,
            first,
            vid,
            version,
            freq,
            original,
            effective,
            source,
            _tf_days,
            sequence,
            primary,
            patient,
            basis,
            payer_key,
        ) in rows:
            visit = given = parsed_visit(effective, source)
            step = None
            if sequence > 1 and primary is not None and basis is not None:
                step = Step(primary, sequence, patient, dos, basis)
                found = self.next_payer_visit(step, visit, payer_key)
                if found is None:  # not to a plan the patient no longer has: held, below
                    self.held.append(patient)
                    continue
                visit = found
            claim = claim_for(
                number,
                _Version(vid, version, freq, original),
                lines.get(vid, []),
                visit,
                self.context(visit, number),
                None if step is None else self.earlier_payers(step, given),
            )
            claims.append(claim)
            sent.append((cid, state, first, vid, version, freq))
            result.claims.append(number)

    def next_payer_visit(self, step: Step, visit: Visit, payer_key: str) -> Visit | None:
        """The visit as the claim to its next payer names it: that coverage's subscriber
        (None: the patient's coverage at its rank is another now)."""
        assert self.earlier is not None
        found = coverage_at(
            self.earlier.coverage.get(step.patient_id, []), step.sequence, step.date_of_service
        )
        if found is None or found.payer_key != payer_key:
            return None
        return for_payer(visit, payer_key, found.subscriber)

    def earlier_payers(self, step: Step, primary: Visit) -> Earlier:
        """The earlier payers' decisions of a next payer's claim (`primary`: the visit as its
        primary claim named it)."""
        assert self.earlier is not None
        others, decided = self.earlier.of(step, primary)
        return Earlier(SEQUENCE_CODES[step.sequence], tuple(others), decided)

    def load_earlier(self, rows: Sequence[Any]) -> None:
        """The earlier payers' decisions of the chunk's next-payer claims, read in bulk."""
        steps = [
            Step(r[14], r[13], r[15], r[3], r[16])
            for r in rows
            if r[13] > 1 and r[14] is not None and r[16] is not None
        ]
        if not steps:
            return
        self.earlier = EarlierPayers(self.s, Bulk(self.s), self.config)
        self.earlier.load(steps)

    def write(self, claims: list[Claim]) -> None:
        if self.settings is None:
            if self.submitter is None:
                raise InputError(
                    self.config.source,
                    "no clinic has a submitter (the 837P's 1000A: name, id, contact, phone)",
                    "add `submitter = {...}` to the clinic in the configuration",
                    field="clinics.*.submitter",
                )
            self.settings = InterchangeSettings(
                sender_id=self.submitter.id[:15],
                receiver_id=self.receiver.id[:15],
                interchange_control_number=next_number(self.s, "interchange_control_number"),
                group_control_number=next_number(self.s, "group_control_number"),
                created=dt.datetime.combine(self.as_of, dt.time(0, 0)),
            )
            self.writer = InterchangeWriter(self.settings, CLAIM, self._put)
            # Its row first, so that each set's claims are linked to it as the set is written;
            # the content, its digest and the totals are filled in by `finish`.
            self.submission = m.Submission(
                interchange_control_number=self.settings.interchange_control_number,
                group_control_number=self.settings.group_control_number,
                file_name=self.file_name[-300:],
                sha256="",
                content="",
                created_on=self.as_of,
                claim_count=0,
                total_charge=Decimal(0),
            )
            self.s.add(self.submission)
            self.s.flush()
        assert self.submitter is not None and self.writer is not None
        # The set numbered (BHT03) as one write_837p call of every claim would number it.
        number = self.writer.sets + 1
        self.writer.add(
            transaction_body(claims, number, self.settings, self.submitter, self.receiver)
        )
        self.total += sum((c.total_charge for c in claims), Decimal(0))

    def _put(self, text: str) -> None:
        self.spool.write(text)
        self.digest.update(text.encode("ascii"))

    def record(self, sent: list[tuple[Any, ...]]) -> None:
        """The claims of the set just written: submitted, linked to it, audited."""
        assert self.settings is not None and self.submission is not None
        assert self.writer is not None
        as_of, icn, st02 = self.as_of, self.settings.interchange_control_number, self.writer.sets
        links, audit, updates = [], [], []
        # The rows in the driver's values (Bulk.insert_values, update_values).
        today = self.bulk.to_driver(m.Claim, "last_submitted_on")(as_of)
        submitted = str(State.SUBMITTED)
        for cid, state, first, vid, version, freq in sent:
            links.append((self.submission.id, cid, vid, f"{st02:04d}"))
            why = (
                f"sent in interchange {icn:09d} ({self.file_name}), "
                f"version {version}, frequency {freq}"
            )
            audit.append((cid, self.who, today, state, submitted, why))
            updates.append((submitted, first or today, today, cid))
        self.bulk.update_values(m.Claim, _SENT_COLUMNS, updates)
        self.bulk.insert_values(m.SubmissionClaim, _LINK_COLUMNS, links)
        self.bulk.insert_values(m.AuditEntry, AUDIT_COLUMNS, audit)
        self.sent += len(sent)
        by_hand = [row[0] for row in sent if row[1] == State.CORRECTED]
        if by_hand:  # a crossover the next payer never had, sent to it by hand: no more waiting
            close_open(
                self.s,
                as_of,
                f"sent by hand in interchange {icn:09d} ({self.file_name}): its 835 is awaited "
                "as any sent claim's",
                ("crossover",),
                claims=by_hand,
            )

    def finish(self, result: SubmitResult) -> None:
        if self.writer is None or self.submission is None:
            return
        self.writer.close()
        self.spool.seek(0)
        text = self.spool.read()  # held once: the row stores it whole
        self.submission.content = text
        self.submission.sha256 = self.digest.hexdigest()
        self.submission.claim_count = self.sent
        self.submission.total_charge = self.total
        self.s.flush()
        assert self.settings is not None
        result.interchanges.append(
            Sent(
                self.submission.interchange_control_number,
                self.file_name,
                text,
                self.sent,
                self.total,
                self.settings.sender_id,
                self.settings.receiver_id,
            )
        )
        result.total_charge += self.total


# Whom an interchange is from and to: the clinic's submitter (None: the first configured
# clinic's met, for claims of a billing provider no clinic is) and its receiver.
Addressee = tuple[Submitter | None, Receiver]


def addressee_of(config: Config, clinic_key: str | None) -> Addressee | None:
    """A configured clinic's submitter and receiver; None for a clinic not configured."""
    clinic = config.clinic(clinic_key) if clinic_key else None
    if clinic is None:
        return None
    receiver = clinic.receiver
    return clinic.submitter, Receiver(receiver.name, receiver.id) if receiver else RECEIVER


def _sender_order(addressee: Addressee | None) -> tuple[str, str]:
    if addressee is None:
        return "", ""
    submitter, receiver = addressee
    return submitter.id if submitter else "", receiver.id


def file_name_of(file_name: str, addressee: Addressee | None) -> str:
    """The name an interchange is recorded (and written) under when a submission makes several:
    `file_name` with its sender and receiver before the suffix (batch.ELMST001-DEMOCH01.837)."""
    sender, receiver = _sender_order(addressee)
    path = PurePath(file_name)
    return str(path.with_name(f"{path.stem}.{sender or 'NOSUBMITTER'}-{receiver}{path.suffix}"))


def submit(
    session: Session,
    config: Config,
    *,
    as_of: dt.date,
    who: str,
    file_name: str,
    scope: Scope = EVERYTHING,
    progress: Progress | None = None,
) -> SubmitResult:
    """Every ready (or corrected) claim of the clinics of `scope` into 837Ps, one interchange
    for each submitter and receiver their clinics send as and to, recorded as `file_name`
    (several: file_name_of) (`progress`: told how many claims will be sent, then as they are
    built)."""
    result = SubmitResult()
    # By addressee (a clinic's account), then by payer as the sets are.
    by_addressee: dict[Addressee | None, dict[int, list[int]]] = {}
    # Ready claims past their timely filing limit, by payer as the sets are.
    late_by_payer: dict[int, list[tuple[Any, ...]]] = {}
    addressees: dict[str | None, Addressee | None] = {}  # by clinic key
    accounts: dict[tuple[str, str], Addressee | None] = {}  # by sender and receiver id
    for cid, payer, number, state, dos, charge, tf_days, clinic in session.connection().execute(
        select(
            m.Claim.id,
            m.Claim.payer_id,
            m.Claim.claim_number,
            m.Claim.state,
            m.Claim.date_of_service,
            m.Claim.charge,
            m.Payer.timely_filing_days,
            m.Clinic.key,
        )
        .join(m.Payer, m.Payer.id == m.Claim.payer_id)
        .join(m.Visit, m.Visit.id == m.Claim.visit_pk)
        .join(m.Clinic, m.Clinic.id == m.Visit.clinic_id)
        .where(m.Claim.state.in_([str(s) for s in SUBMITTABLE]), scope.claims())
        .order_by(m.Claim.id)
    ):
        deadline = dos + dt.timedelta(days=tf_days)
        if state == State.READY and as_of > deadline:
            late_by_payer.setdefault(payer, []).append((cid, number, state, charge, deadline))
            continue
        if clinic not in addressees:
            # One interchange an account (its ids): clinics of one may spell its name apart.
            found = addressee_of(config, clinic)
            addressees[clinic] = accounts.setdefault(_sender_order(found), found)
        by_payer = by_addressee.setdefault(addressees[clinic], {})
        by_payer.setdefault(payer, []).append(cid)
    if not by_addressee and not late_by_payer:
        return result
    late = [c for payer in sorted(late_by_payer) for c in late_by_payer[payer]]
    _block_late(session, as_of, who, late)
    held: list[int] = []
    total = sum(len(ids) for by_payer in by_addressee.values() for ids in by_payer.values())
    shown = progress(total) if progress else nullcontext(_untold)
    # visits, claims and segments, none in a reference cycle: no GC rescans
    with batch(), shown as advance:
        for addressee in sorted(by_addressee, key=_sender_order):
            name = file_name if len(by_addressee) == 1 else file_name_of(file_name, addressee)
            with tempfile.TemporaryFile("w+", encoding="ascii", newline="") as spool:
                run = _Submission(session, config, as_of, who, name, spool, addressee)
                run.advance = advance
                by_payer = by_addressee[addressee]
                for payer in sorted(by_payer):  # one transaction set (or more) per payer
                    ids = by_payer[payer]
                    for i in range(0, len(ids), MAX_CLAIMS_PER_SET):
                        run.chunk(ids[i : i + MAX_CLAIMS_PER_SET], result)
                run.finish(result)
                held += run.held
    result.late = [c[1] for c in late]
    for patient in dict.fromkeys(held):  # blocked, each with a work item
        result.held += hold_changed(session, patient, as_of=as_of, who=who)
    return result


def _block_late(session: Session, as_of: dt.date, who: str, late: list[tuple[Any, ...]]) -> None:
    """Ready claims past their timely filing limit: blocked with a work item, not sent."""
    bulk = Bulk(session)
    bulk.update(m.Claim, [{"id": c[0], "state": str(State.BLOCKED)} for c in late])
    bulk.insert(m.WorkItem, [late_item(c[0], c[1], c[3], c[4], as_of) for c in late])
    bulk.insert(
        m.AuditEntry,
        [
            audit_row(
                cid,
                state,
                State.BLOCKED,
                who,
                as_of,
                f"not submitted: the timely filing limit ({deadline}) has passed",
            )
            for cid, _, state, _, deadline in late
        ],
    )


def late_item(
    claim_id: int, number: str, charge: Decimal, deadline: dt.date, as_of: dt.date
) -> dict[str, object]:
    return {
        "claim_id": claim_id,
        "reference": number,
        "visit_id": number,
        "kind": "blocked",
        "category": "timely_filing",
        "rule": "TIMELY-FILING",
        "carc": None,
        "rarc": None,
        "amount": charge,
        "action": "write_off",
        "detail": f"the timely filing limit passed on {deadline}: the payer would deny "
        "the claim (CARC 29); write it off unless an exception applies (C-8)",
        "due_date": as_of + dt.timedelta(days=30),
        "status": "open",
        "created_on": as_of,
        "closed_on": None,
        "resolution": None,
        "source": "submit",
    }
