"""`ptbill import`: store visits, derive their episode context, code, scrub and price them, and
make each a claim (ready or blocked) -- idempotent by visit id.

- A visit seen before with the same content changes nothing.
- A visit seen before with new content updates the stored visit; its claim, if not yet
  submitted, is coded, scrubbed and priced again in place. A claim already submitted keeps what
  was sent: the new documentation is stored and `ptbill correct CLAIM` sends a replacement.
- A blocked claim gets one `blocked` work item per error finding, due by the timely-filing
  limit.

Bad input means nothing is written: an unreadable visit anywhere in the input, and every bad
visit is reported. Visits are processed in batches (bulk inserts) so the memory used does not
grow with the file. By default the import is one transaction. Given `batched`, it commits after
each batch instead, so that it never holds the database's write lock (SQLite has one) for its
whole length: it then reads and checks the whole input first (parsed and its payer and clinic
resolved: every error the import could find in it) before the first batch commits, so that bad
input still stores nothing. An import stopped between batches (killed, the database gone) has
stored the visits of its committed batches: run again, it finds them unchanged, and a job's
retry goes on after them (`Batched.done`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from ptbill.bulk import batch as no_gc_pauses
from ptbill.claim_pipeline import code_claim
from ptbill.coding.context import VisitContext
from ptbill.config.profiles import Config
from ptbill.domain.coded import CodedVisit
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake.load import file_format
from ptbill.intake.stream import Once
from ptbill.ledger import coverages
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.episode import (
    PatientHistory,
    auth_key,
    derive,
    load_histories,
    remember,
)
from ptbill.ledger.precompute import Precompute
from ptbill.ledger.prepare import Contexts, Prepared, Prices, compute, needs_history
from ptbill.ledger.reading import raw_batches, validate_items
from ptbill.ledger.refs import Refs
from ptbill.ledger.states import State, audit_row
from ptbill.ledger.stored import Stored, coded_from_lines
from ptbill.ledger.texts import Texts
from ptbill.ledger.versions import (
    LINE_COLUMNS,
    blocked_items,
    claim_money,
    delete_lines,
    line_rows,
    texts_of,
    version_row,
)
from ptbill.pricing import PricedVisit, bucket_of
from ptbill.pricing.kx import TherapyEntry
from ptbill.scrub import Batch

BATCH = 1000
# How the audit trail starts the row of a visit imported again after its claim was sent (held
# for a replacement): remit.actions.correct looks for it.
HELD_AFTER_SUBMISSION = "visit re-imported from "
EDITABLE = frozenset({State.DRAFT, State.BLOCKED, State.READY})
Progress = Callable[[int], None]
AsOfFor = Callable[[set[str | None]], dt.date]  # the as-of date of an input of these clinics


@dataclass
class ImportSummary:
    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    held: list[str] = field(default_factory=list)  # changed after submission: use `correct`
    ready: int = 0
    blocked: dict[str, list[str]] = field(default_factory=dict)  # visit id -> rule ids
    derived: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportSummary:
        """The summary as_json() wrote (a job's checkpoint)."""
        return cls(
            read=data["read"],
            new=data["new"],
            updated=data["updated"],
            unchanged=data["unchanged"],
            held=list(data["held"]),
            ready=data["ready"],
            blocked={b["visit_id"]: list(b["rules"]) for b in data["blocked_visits"]},
            derived=data["derived"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "held": self.held,
            "ready": self.ready,
            "blocked": len(self.blocked),
            "derived": self.derived,
            "blocked_visits": [{"visit_id": k, "rules": v} for k, v in self.blocked.items()],
        }


class Existing(NamedTuple):
    """A visit the ledger holds already: its row, its claim's, and the claim's current version."""

    visit_pk: int
    claim_pk: int
    state: str
    version_id: int
    sha: str  # the sha256 of the visit's JSON as last imported


@dataclass
class Batched:
    """An import that commits batch by batch: `commit(done, summary)` is called once a batch
    is written, with the input's items done so far (valid or not, in file order) and the
    summary so far, and commits. `done` and `summary`: what an earlier run of the same input
    already committed (its items are read again, not imported again)."""

    commit: Callable[[int, ImportSummary], None]
    done: int = 0
    summary: ImportSummary | None = None


@dataclass(slots=True)
class _Item:
    visit: Visit  # as given
    ctx: VisitContext
    source_json: str
    sha: str
    existing: Existing | None = None  # when imported before
    clinic_id: int = 0
    payer_id: int = 0
    patient_id: int = 0
    coverage_id: int = 0
    effective: Visit | None = None
    derived: tuple[str, ...] = ()
    plan_id: int | None = None
    auth_id: int | None = None
    coded: CodedVisit | None = None
    priced: PricedVisit | None = None
    stored: Stored | None = None  # what the rows are made of

    @property
    def before(self) -> Existing:
        """`existing`, of an item known to have been imported before."""
        assert self.existing is not None
        return self.existing


def import_files(
    session: Session,
    paths: Sequence[str],
    *,
    as_of: dt.date | AsOfFor,
    config: Config,
    who: str,
    progress: Progress | None = None,
    batch_size: int = BATCH,
    workers: int = 0,
    fmt: str | None = None,
    batched: Batched | None = None,
) -> ImportSummary:
    """Import every visit of `paths`; raise InputErrors (the caller rolls back) when any visit
    cannot be read or resolved. `workers` processes code, scrub and price ahead when the input
    holds more than one batch (ptbill.ledger.precompute). `fmt` is the files' format (json,
    fhir, hl7, csv), recognised from each file's content when None. `batched`: commit batch by
    batch (the whole input is checked first). `as_of`: the date, or what gives it for the
    input's clinics (today in its one clinic's time zone), asked once the input is checked
    and before anything is made of it."""
    # A FHIR, HL7 or CSV file is read once, by the check, and its visits' JSON read again by
    # the import (as a JSON Lines file's lines are).
    once = Once() if batched is not None and not batched.done else None
    if once is not None or callable(as_of):
        clinics = check_input(paths, config, batch_size, fmt, once, whole=callable(as_of))
        if callable(as_of):
            as_of = as_of(clinics)
    assert not callable(as_of)
    run = _Run(session, config, as_of, who)
    skip = batched.done if batched is not None else 0
    if batched is not None and batched.summary is not None:
        run.summary = batched.summary
    errors: list[InputError] = []
    done = 0
    pool = Precompute(config, as_of, workers)
    with no_gc_pauses(), pool as pre:
        for path in paths:
            for prepared, bad in pre.batches(path, batch_size, fmt, once):
                size = len(prepared) + len(bad)
                done += size
                if done <= skip:  # committed by an earlier run
                    continue
                errors.extend(bad)
                if not errors:
                    try:
                        run.batch(path, prepared)
                    except InputErrors as e:
                        errors.extend(e.errors)
                if batched is not None and not errors:
                    batched.commit(done, run.summary)
                if progress is not None:
                    progress(size)
    if errors:
        raise InputErrors(errors)
    return run.summary


def check_input(
    paths: Sequence[str],
    config: Config,
    batch_size: int = BATCH,
    fmt: str | None = None,
    once: Once | None = None,
    *,
    whole: bool = False,
) -> set[str | None]:
    """Every error an import of `paths` could find in its input, raised together
    (InputErrors): each visit parsed and its payer profile and billing provider resolved.
    Nothing is kept but, in `once`, the visits of a FHIR, HL7 or CSV file (the import reads
    the input again). A JSON input of one batch is left to the import, which checks it before
    it writes anything (another format is read here, once), unless `whole`. Returns the
    clinics of the visits checked (their keys; None: no clinic of the configuration)."""
    clinics: set[str | None] = set()
    if not whole and len(paths) == 1 and _one_json_batch(paths[0], batch_size, fmt, config):
        return clinics
    contexts = Contexts(config)
    errors: list[InputError] = []
    for path in paths:
        for items in raw_batches(path, batch_size, fmt, config, once):
            visits, bad = validate_items(path, items)
            errors.extend(bad)
            for visit in visits:
                if visit is None:
                    continue
                try:
                    ctx = contexts.of(visit, path)
                except InputError as e:
                    errors.append(e)
                else:
                    clinics.add(ctx.clinic.key if ctx.clinic else None)
    if errors:
        raise InputErrors(errors)
    return clinics


def _one_json_batch(path: str, size: int, fmt: str | None, config: Config) -> bool:
    if file_format(path, fmt)[0] != "json":
        return False
    batches = raw_batches(path, size, fmt, config)
    next(batches, None)
    return next(batches, None) is None


class _Run:
    def __init__(self, session: Session, config: Config, as_of: dt.date, who: str) -> None:
        self.s = session
        self.config = config
        self.as_of = as_of
        self.who = who
        self.bulk = Bulk(session)
        self.refs = Refs(session, self.bulk)
        self.texts = Texts(session, self.bulk)
        self.summary = ImportSummary()
        self.contexts = Contexts(config)
        self.prices = Prices(as_of)
        self.histories: dict[str, PatientHistory] = {}
        self.written = 0  # batches written
        self.postgres = session.get_bind().dialect.name == "postgresql"

    # -- one batch ----------------------------------------------------------------------------

    def batch(self, path: str, prepared: list[Prepared]) -> None:
        self.summary.read += len(prepared)
        unique = {p.visit.visit_id: p for p in prepared}  # the last copy of a visit id wins
        items = self._items(path, list(unique.values()))
        self._existing(path, items)
        todo = []
        for item in items:
            if item.existing is not None and item.existing.sha == item.sha:
                self.summary.unchanged += 1
            else:
                todo.append(item)
        if not todo:
            return
        todo.sort(key=lambda i: (i.visit.date_of_service, i.visit.visit_id))
        self._refs(todo)
        coverages.record_imported(self.s, self.config, ((i.patient_id, i.visit) for i in todo))
        self._process(todo)
        self._episode_refs(todo)
        self._write(path, todo)
        self.written += 1
        if self.postgres and self.written >= 2 and self.written & (self.written - 1) == 0:
            self._analyze()

    def _analyze(self) -> None:
        """PostgreSQL plans the import's lookups from table statistics, which autovacuum cannot
        gather while the import's transaction is open: a plan made for the empty tables then
        scans whole tables every batch (100,000 visits took 396 s). ANALYZE at 2, 4, 8...
        batches keeps the statistics within twice the truth (40,000 visits: 81 s -> 56 s)."""
        tables = (m.Visit, m.Claim, m.ClaimVersion, m.ClaimLine, m.Patient, m.Coverage)
        self.s.execute(text(f"ANALYZE {', '.join(t.__tablename__ for t in tables)}"))

    def _items(self, path: str, prepared: list[Prepared]) -> list[_Item]:
        items, errors = [], []
        for p in prepared:
            try:
                ctx = self.contexts.of(p.visit, path)
            except InputError as e:
                errors.append(e)
                continue
            items.append(
                _Item(
                    p.visit,
                    ctx,
                    p.source_json,
                    p.sha,
                    stored=p.stored,
                )
            )
        if errors:
            raise InputErrors(errors)
        return items

    def _existing(self, path: str, items: list[_Item]) -> None:
        """Mark the visits imported before. A visit id stored at another clinic is refused:
        updated, the visit would move to this clinic and its patient under the other
        clinic's claim (and a biller of one clinic would rewrite another's). The refusal says
        the id is taken, not whose it is."""
        by_id = {i.visit.visit_id: i for i in items}
        q = (
            select(
                m.Visit.visit_id,
                m.Visit.id,
                m.Claim.id,
                m.Claim.state,
                m.ClaimVersion.id,
                m.Visit.source_sha256,
                m.Clinic.key,
            )
            .join(m.Claim, m.Claim.visit_pk == m.Visit.id)
            .join(
                m.ClaimVersion,
                (m.ClaimVersion.claim_id == m.Claim.id)
                & (m.ClaimVersion.version == m.Claim.version),
            )
            .outerjoin(m.Clinic, m.Clinic.id == m.Visit.clinic_id)
            .where(m.Visit.visit_id.in_(list(by_id)))
        )
        taken = []
        for vid, visit_pk, claim_pk, state, version_id, sha, clinic in self.s.execute(q):
            if clinic != by_id[vid].ctx.clinic_key:
                taken.append(
                    InputError(
                        path,
                        "this visit id is another clinic's visit in the ledger (a visit id "
                        "names one visit of one clinic)",
                        "give the visit its own id (the EHR's visit or encounter number)",
                        visit_id=vid,
                        field="visit_id",
                    )
                )
            by_id[vid].existing = Existing(visit_pk, claim_pk, state, version_id, sha)
        if taken:
            raise InputErrors(taken)

    def _refs(self, items: list[_Item]) -> None:
        """The ids of each visit's clinic, payer, providers, patient and coverage (rows made
        only for those the run has not met)."""
        ctxs = [i.ctx for i in items]
        clinic_ids = self.refs.ids(
            m.Clinic,
            ("key",),
            [(c.clinic_key,) for c in ctxs],
            lambda n: _clinic_row(ctxs[n]),
            refresh=("name", "npi", "tax_id"),
        )
        payer_ids = self.refs.ids(
            m.Payer,
            ("key",),
            [(c.profile.key,) for c in ctxs],
            lambda n: coverages.payer_row(ctxs[n].profile),
            refresh=(
                "name",
                "payer_id",
                "medicare",
                "kx_threshold",
                "timely_filing_days",
                "appeal_days",
            ),
        )
        providers = [
            p
            for i in items
            for p in (i.visit.rendering_provider, i.visit.referring_provider)
            + (i.visit.supervising_provider,)
            if p is not None
        ]
        self.refs.ids(
            m.Provider,
            ("npi",),
            [(p.npi,) for p in providers],
            lambda n: _row(providers[n], "npi", "first_name", "last_name", "credential"),
        )
        people = [i.visit.patient for i in items]
        patient_ids = self.refs.ids(
            m.Patient,
            ("clinic_id", "external_id"),
            [(cid, p.id) for cid, p in zip(clinic_ids, people, strict=True)],
            lambda n: _row(
                people[n],
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                clinic_id=clinic_ids[n],
                external_id=people[n].id,
            ),
        )
        subscribers = [i.visit.subscriber for i in items]
        coverage_ids = self.refs.ids(
            m.Coverage,
            ("patient_id", "payer_id", "member_id"),
            [
                (pid, payer, s.member_id)
                for pid, payer, s in zip(patient_ids, payer_ids, subscribers, strict=True)
            ],
            lambda n: _row(
                subscribers[n],
                "member_id",
                "relationship",
                "group_number",
                patient_id=patient_ids[n],
                payer_id=payer_ids[n],
            ),
        )
        for i, cid, pay, pid, cov in zip(
            items, clinic_ids, payer_ids, patient_ids, coverage_ids, strict=True
        ):
            i.clinic_id, i.payer_id, i.patient_id, i.coverage_id = cid, pay, pid, cov

    def _load_histories(self, items: list[_Item]) -> None:
        """Load once the stored history of the patients whose visits need derivation."""
        load = {
            i.patient_id: str(i.patient_id)
            for i in items
            if needs_history(i.visit, i.ctx.profile) and str(i.patient_id) not in self.histories
        }
        self.histories.update(load_histories(self.s, load))

    def _episode_refs(self, items: list[_Item]) -> None:
        """The ids of each visit's plan of care and authorization (rows made only for those
        the run has not met)."""
        episodes = [i.effective.episode if i.effective else None for i in items]
        planned = [n for n, e in enumerate(episodes) if e and e.plan_of_care]
        plans = [p for e in episodes if e and (p := e.plan_of_care)]  # in the order of planned
        plan_ids = self.refs.ids(
            m.PlanOfCare,
            ("patient_id", "start_date"),
            [(items[n].patient_id, p.start_date) for n, p in zip(planned, plans, strict=True)],
            lambda k: _row(
                plans[k],
                "start_date",
                "end_date",
                "certified_date",
                "certifying_npi",
                patient_id=items[planned[k]].patient_id,
            ),
        )
        for n, pid in zip(planned, plan_ids, strict=True):
            items[n].plan_id = pid
        authorized = [n for n, e in enumerate(episodes) if e and e.authorization]
        auths = [a for e in episodes if e and (a := e.authorization)]  # as authorized
        keys = [
            (items[n].patient_id, items[n].payer_id, auth_key(a.number, a.start_date))
            for n, a in zip(authorized, auths, strict=True)
        ]
        auth_ids = self.refs.ids(
            m.Authorization,
            ("patient_id", "payer_id", "auth_key"),
            keys,
            lambda k: _row(
                auths[k],
                "number",
                "start_date",
                "end_date",
                "visits_authorized",
                "units_authorized",
                patient_id=keys[k][0],
                payer_id=keys[k][1],
                auth_key=keys[k][2],
            ),
        )
        for n, aid in zip(authorized, auth_ids, strict=True):
            items[n].auth_id = aid

    def _process(self, items: list[_Item]) -> None:
        """Derive and code each visit in date order, so that a visit's derived context sees
        the visits of the same run before it; then scrub and price what is not done yet
        (worker processes did the visits that need no history), and scrub again any visit
        that shares its patient and day with another visit, of this batch or stored (the
        duplicate checks look across visits; the workers saw neither)."""
        self._load_histories(items)
        for i in items:
            history = self.histories.get(str(i.patient_id))
            i.effective = i.visit
            if history is not None and needs_history(i.visit, i.ctx.profile):
                i.effective, i.derived = derive(i.visit, i.ctx.profile, history, str(i.patient_id))
                self.summary.derived += bool(i.derived)
                i.stored = None
            if history is not None:
                # The patient's history learns this visit's units and therapy amount.
                i.coded = code_claim(i.effective, i.ctx)
                i.priced, _ = self.prices.of(i.coded, i.ctx)
                remember(
                    history,
                    i.effective,
                    sum(x.units for x in i.coded.billed_lines),
                    _therapy_entries(str(i.patient_id), i),
                )
        batch = Batch(
            (i.effective for i in items if i.effective is not None),
            (i.ctx for i in items if i.effective is not None),
        )
        same_day = same_day_history(
            self.s,
            {(i.patient_id, i.visit.date_of_service) for i in items},
            {i.visit.visit_id for i in items},
        )
        for i in items:
            assert i.effective is not None
            same_day_visits = same_day.get((i.patient_id, i.visit.date_of_service))
            if i.stored is None or same_day_visits or batch.others(i.effective) != ([], []):
                p = Prepared(i.effective, i.source_json, i.sha, i.coded)
                compute(p, i.ctx, self.prices, batch, same_day_visits)
                i.stored = p.stored

    # -- writing --------------------------------------------------------------------------------

    def _write(self, path: str, items: list[_Item]) -> None:
        s, as_of = self.s, self.as_of
        new = [i for i in items if i.existing is None]
        editable = [i for i in items if i.existing is not None and i.existing.state in EDITABLE]
        held = [i for i in items if i.existing is not None and i.existing.state not in EDITABLE]
        self.summary.new += len(new)
        self.summary.updated += len(editable) + len(held)
        self.summary.held += [i.visit.visit_id for i in held]
        if editable:
            delete_lines(s, [i.before.version_id for i in editable])
            s.execute(
                update(m.WorkItem)
                .where(
                    m.WorkItem.claim_id.in_([i.before.claim_pk for i in editable]),
                    m.WorkItem.kind == "blocked",
                    m.WorkItem.status == "open",
                )
                .values(
                    status="done",
                    closed_on=as_of,
                    resolution="visit re-imported and scrubbed again",
                )
            )
        self.texts.store(text for i in new + editable for text in texts_of(i.stored))
        # visits
        visit_rows = [self._visit_row(path, i) for i in new]
        bulk = self.bulk
        visit_ids = bulk.insert(m.Visit, visit_rows, with_ids=True)
        changed = [{"id": i.before.visit_pk, **self._visit_row(path, i)} for i in editable + held]
        if changed:
            bulk.update(m.Visit, changed)
        # claims
        claim_rows = [self._claim_row(i, vid) for i, vid in zip(new, visit_ids, strict=True)]
        claim_ids = bulk.insert(m.Claim, claim_rows, with_ids=True)
        audit: list[dict[str, Any]] = []
        why_new = f"imported from {path}"
        for i, cid in zip(new, claim_ids, strict=True):
            audit.append(audit_row(cid, None, State.DRAFT, self.who, as_of, why_new))
            audit.append(
                audit_row(cid, State.DRAFT, self._state(i), self.who, as_of, self._scrub_why(i))
            )
        claim_updates = []
        for i in editable:
            cid, state = i.before.claim_pk, i.before.state
            to = self._state(i)
            if to != state:
                audit.append(
                    audit_row(
                        cid,
                        state,
                        to,
                        self.who,
                        as_of,
                        f"re-imported from {path}; {self._scrub_why(i)}",
                    )
                )
            claim_updates.append({"id": cid, "state": str(to), **claim_money(i.stored)})
        if claim_updates:
            bulk.update(m.Claim, claim_updates)
        for i in held:
            cid, state = i.before.claim_pk, i.before.state
            audit.append(
                audit_row(
                    cid,
                    state,
                    state,
                    self.who,
                    as_of,
                    f"{HELD_AFTER_SUBMISSION}{path} after submission: stored; "
                    "send a replacement with `ptbill correct`",
                )
            )
        # versions and lines
        version_rows = [
            self._version_row(i, cid, path) for i, cid in zip(new, claim_ids, strict=True)
        ]
        version_ids = bulk.insert(m.ClaimVersion, version_rows, with_ids=True)
        if editable:
            bulk.update(
                m.ClaimVersion,
                [
                    {"id": i.before.version_id, **self._version_row(i, i.before.claim_pk, path)}
                    for i in editable
                ],
            )
        lines = []
        for i, version_id in zip(
            new + editable, version_ids + [i.before.version_id for i in editable], strict=True
        ):
            lines += self._line_rows(i, version_id)
        bulk.insert_tuples(m.ClaimLine, LINE_COLUMNS, lines)
        # blocked work items
        work = []
        for i, cid in zip(
            new + editable, list(claim_ids) + [i.before.claim_pk for i in editable], strict=True
        ):
            if self._state(i) == State.BLOCKED:
                work += self._blocked_items(i, cid)
        if work:
            bulk.insert(m.WorkItem, work)
        if audit:
            bulk.insert(m.AuditEntry, audit)
        for i in new + editable:
            assert i.stored is not None
            if i.stored.blocked:
                self.summary.blocked[i.visit.visit_id] = sorted({b.rule for b in i.stored.blockers})
            else:
                self.summary.ready += 1

    @staticmethod
    def _state(i: _Item) -> State:
        assert i.stored is not None
        return State.BLOCKED if i.stored.blocked else State.READY

    def _scrub_why(self, i: _Item) -> str:
        assert i.stored is not None
        errors = [b.rule for b in i.stored.blockers]
        if errors:
            return (
                f"scrubbed as of {self.as_of}: {len(errors)} error(s): "
                f"{', '.join(sorted(set(errors)))}"
            )
        return f"scrubbed as of {self.as_of}: no errors"

    def _visit_row(self, path: str, i: _Item) -> dict[str, Any]:
        v = i.effective or i.visit
        e = v.episode
        assert i.stored is not None
        return {
            "visit_id": v.visit_id,
            "clinic_id": i.clinic_id,
            "patient_id": i.patient_id,
            "payer_id": i.payer_id,
            "coverage_id": i.coverage_id,
            "plan_of_care_id": i.plan_id,
            "authorization_id": i.auth_id,
            "rendering_npi": v.rendering_provider.npi,
            "date_of_service": v.date_of_service,
            "visit_number": e.visit_number if e else None,
            "progress_report": bool(e and e.progress_report_this_visit),
            "units_billed": i.stored.units_billed,
            "auth_visits_used": e.authorization.visits_used if e and e.authorization else None,
            "auth_units_used": e.authorization.units_used if e and e.authorization else None,
            "therapy_amount_ytd": e.therapy_amount_ytd if e else None,
            "source_json": i.source_json,
            "source_sha256": i.sha,
            "effective_json": v.model_dump_json(exclude_unset=True) if i.derived else None,
            "derived": ",".join(i.derived) or None,
            "source_file": path[-300:],
            "imported_on": self.as_of,
        }

    def _claim_row(self, i: _Item, visit_pk: int) -> dict[str, Any]:
        return {
            "claim_number": i.visit.visit_id,
            "visit_pk": visit_pk,
            "patient_id": i.patient_id,
            "payer_id": i.payer_id,
            "state": str(self._state(i)),
            "version": 1,
            "date_of_service": i.visit.date_of_service,
            "created_on": self.as_of,
            **claim_money(i.stored),
        }

    def _version_row(self, i: _Item, claim_pk: int, path: str) -> dict[str, Any]:
        v = i.effective or i.visit
        return version_row(
            claim_pk, 1, v, i.stored, self.texts, self.as_of, f"imported from {path}"
        )

    def _line_rows(self, i: _Item, version_id: int) -> list[tuple[Any, ...]]:
        return line_rows(
            i.visit.visit_id, 1, i.stored, version_id, i.visit.date_of_service, self.texts
        )

    def _blocked_items(self, i: _Item, claim_pk: int) -> list[dict[str, Any]]:
        due = i.visit.date_of_service + dt.timedelta(days=i.ctx.profile.timely_filing_days)
        return blocked_items(i.stored, claim_pk, i.visit.visit_id, due, self.as_of, "import")


def _row(source: object, *names: str, **values: Any) -> dict[str, Any]:
    """A reference row: `values`, then the attributes `names` of `source` (a visit part)."""
    return {**values, **{name: getattr(source, name) for name in names}}


def _clinic_row(ctx: VisitContext) -> dict[str, Any]:
    bp = ctx.billing_provider
    return {"key": ctx.clinic_key, "name": bp.name, "npi": bp.npi, "tax_id": bp.tax_id}


def same_day_history(
    session: Session, pairs: set[tuple[int, dt.date]], exclude: set[str]
) -> dict[tuple[int, dt.date], list[CodedVisit]]:
    """Stored visits of these (patient, date of service) pairs, other than `exclude` (the
    scrubber's history for its duplicate checks), as coded visits of their current lines."""
    if not pairs:
        return {}
    patients = {p for p, _ in pairs}
    dates = {d for _, d in pairs}
    q = (
        select(
            m.Visit.patient_id, m.Visit.date_of_service, m.Visit.visit_id, m.Payer.key, m.ClaimLine
        )
        .join(m.Payer, m.Payer.id == m.Visit.payer_id)
        .join(m.Claim, m.Claim.visit_pk == m.Visit.id)
        .join(
            m.ClaimVersion,
            (m.ClaimVersion.claim_id == m.Claim.id) & (m.ClaimVersion.version == m.Claim.version),
        )
        .join(m.ClaimLine, m.ClaimLine.version_id == m.ClaimVersion.id)
        .where(m.Visit.patient_id.in_(patients), m.Visit.date_of_service.in_(dates))
    )
    lines: dict[tuple[int, dt.date, str, str], list[m.ClaimLine]] = {}
    for pid, dos, vid, payer, line in session.execute(q):
        if vid not in exclude and (pid, dos) in pairs:
            lines.setdefault((pid, dos, vid, payer), []).append(line)
    out: dict[tuple[int, dt.date], list[CodedVisit]] = {}
    for (pid, dos, vid, payer), found in lines.items():
        out.setdefault((pid, dos), []).append(coded_from_lines(vid, payer, found))
    return out


def _therapy_entries(patient_key: str, i: _Item) -> list[TherapyEntry]:
    if not i.ctx.profile.kx_threshold or i.priced is None:
        return []
    out = []
    for line in i.priced.lines:
        bucket = bucket_of(line.modifiers)
        if bucket is not None:
            out.append(
                TherapyEntry(
                    patient_key,
                    i.visit.visit_id,
                    i.visit.date_of_service,
                    bucket,
                    line.allowed,
                    "priced",
                )
            )
    return out
