"""`ptbill exchange run`: one cycle with the clearinghouse's mailbox.

0. Take the clearinghouse's lease (ptbill.exchange.lease): one run of a clearinghouse at a
   time; a second is refused (`RunGoing`), a dead one's lease is taken over and its run row,
   left `running`, is closed as failed with what its audit trail says it did.
1. Upload every 837P submission, 270 and 276 the ledger holds and has not sent (by sha256 in
   `exchange_uploads`). Its row is written before each step (sending, placed: whole under its
   temporary name, sent: renamed), so that a run killed between the server's rename and the
   record leaves an unfinished row the next run reconciles: the very file (byte for byte) in
   the outbound folder, or a placed file gone from there with its temporary copy (the
   clearinghouse took it), is recorded as sent and not sent again; else it is sent again. A
   file of the same name and other content is not overwritten.
2. Download every inbound file, recognise it from its content (999, TA1, 277CA, 277, 271,
   835) and apply it with the command's own entry point (ack-apply, status, eligibility,
   post), each in its own transaction together with its `inbound_files` row: a file applies
   exactly once, by its sha256, however often it is downloaded.
3. Move what was processed to the archive folder (when the clearinghouse has one).

One failing file never stops the others. A file that is not X12, or that cannot be read or
applied, is set aside: recorded (with its text) and archived, with an `exchange` work item. A
file whose application fails for another reason (the database) is left in the mailbox, to be
tried again by the next run. A lost connection ends the run: nothing half-done is recorded,
and the next run finishes the work. Every outcome is a line of the run's summary and a row of
the exchange's audit trail (`exchange_events`).

A file the server is still writing waits for the next run (`waiting`, not a problem): one
that changes while it is downloaded, or an X12 file that ends before its interchange trailer
(IEA), or an empty one. Found the same on the next run, it is not being written: it is read
as it is (and set aside, being cut short). A file over the clearinghouse's `max_file_mb` is
set aside without being downloaded. What is stored and said names each file as the mailbox
has it, never the run's temporary copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ptbill.config.profiles import Clearinghouse, Config
from ptbill.errors import AlreadyApplied, InputError, a_or_an, named
from ptbill.exchange.lease import Lease, LeaseLost, local_time, stale, utc_now
from ptbill.exchange.mailbox import (
    FileChanged,
    FileGone,
    Mailbox,
    MailboxError,
    RemoteFile,
    open_mailbox,
    part_name,
)
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.acks import apply_acks, read_ack_file
from ptbill.ledger.claim_status import apply_277
from ptbill.ledger.eligibility import apply_271
from ptbill.ledger.outbound import register_inbound
from ptbill.remit.post import AlreadyPosted, already_posted, post_text
from ptbill.x12 import X12Error
from ptbill.x12.recognize import HEAD, recognize
from ptbill.x12.tokenizer import ISA_LENGTH, read_isa


class Transactions(Protocol):
    """Where a run keeps what it does: a ledger.db.Ledger, or the workbench's sessions."""

    def transaction(self) -> AbstractContextManager[Session]: ...


_APPLIED_KINDS = ("999", "TA1", "277CA", "277", "271", "835")


@dataclass
class Outcome:
    action: str  # connect upload download apply archive
    file: str
    kind: str
    outcome: str  # ok, duplicate, set_aside, waiting (for the next run), failed
    detail: str

    def line(self) -> str:
        kind = f" ({self.kind})" if self.kind else ""
        return f"{self.action:8} {self.outcome:9} {self.file}{kind}: {self.detail}"

    def as_json(self) -> dict[str, str]:
        return {
            "action": self.action,
            "file": self.file,
            "kind": self.kind,
            "outcome": self.outcome,
            "detail": self.detail,
        }


@dataclass
class RunSummary:
    run_id: int
    clearinghouse: str
    run_on: dt.date
    outcomes: list[Outcome] = field(default_factory=list)
    status: str = "ok"

    def count(self, action: str, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action and o.outcome == outcome)

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "clearinghouse": self.clearinghouse,
            "run_on": self.run_on,
            "status": self.status,
            "uploaded": self.count("upload", "ok"),
            "downloaded": self.count("download", "ok"),
            "applied": self.count("apply", "ok"),
            "duplicates": self.count("apply", "duplicate"),
            "set_aside": self.count("apply", "set_aside"),
            "waiting": sum(1 for o in self.outcomes if o.outcome == "waiting"),
            "failed": sum(1 for o in self.outcomes if o.outcome == "failed"),
            "outcomes": [o.as_json() for o in self.outcomes],
        }


class Interrupted(KeyboardInterrupt):
    """A run ended by Ctrl-C or SIGTERM, recorded as failed: `summary` says what it did (each
    file's apply is whole or not at all, so the next run does the rest, once)."""

    def __init__(self, summary: RunSummary) -> None:
        super().__init__(f"exchange run #{summary.run_id} interrupted")
        self.summary = summary


def clearinghouse_for(config: Config, key: str | None) -> tuple[str, Clearinghouse]:
    """The clearinghouse named, else the only one configured."""
    houses = config.clearinghouses
    if key is None and len(houses) == 1:
        key = next(iter(houses))
    if key is None or key not in houses:
        raise InputError(
            config.source,
            f"no clearinghouse {key!r}"
            if key
            else "no clearinghouse is configured"
            if not houses
            else "several clearinghouses are configured",
            "add [clearinghouses.KEY] to the configuration (docs/payers.md)"
            if not houses
            else f"name one with --clearinghouse: {', '.join(sorted(houses))}",
            field="clearinghouses",
        )
    return key, houses[key]


class _Run:
    def __init__(
        self,
        ledger: Transactions,
        config: Config,
        key: str,
        house: Clearinghouse,
        as_of: dt.date,
        who: str,
        work: Path,
        lease: Lease,
    ) -> None:
        self.ledger, self.config, self.key, self.house = ledger, config, key, house
        self.as_of, self.who, self.work, self.lease = as_of, who, work, lease
        with ledger.transaction() as s:
            run = pm.ExchangeRun(clearinghouse=key, run_on=as_of, who=who, status="running")
            s.add(run)
            s.flush()
            self.run_id = run.id
        self.summary = RunSummary(self.run_id, key, as_of)
        lease.started(self.run_id)
        self.close_dead_runs()

    def close_dead_runs(self) -> None:
        """Runs of this clearinghouse left `running` (their process died: this run holds the
        lease): failed, with the counts and outcomes their audit trail holds."""
        with self.ledger.transaction() as s:
            dead = s.scalars(
                select(pm.ExchangeRun).where(
                    pm.ExchangeRun.clearinghouse == self.key,
                    pm.ExchangeRun.status == "running",
                    pm.ExchangeRun.id != self.run_id,
                )
            ).all()
            why = self.lease.taken_over or "its process ended without saying so"
            for run in dead:
                events = s.scalars(
                    select(pm.ExchangeEvent)
                    .where(pm.ExchangeEvent.run_id == run.id)
                    .order_by(pm.ExchangeEvent.id)
                )
                summary = RunSummary(run.id, run.clearinghouse, run.run_on)
                summary.outcomes = [
                    Outcome(e.action, e.file, e.kind, e.outcome, e.detail) for e in events
                ]
                stopped = Outcome(
                    "run",
                    self.key,
                    "",
                    "failed",
                    f"stopped without finishing (killed, or its machine stopped): {why}. Run "
                    f"#{self.run_id} found it so; what is listed above is done and kept, and "
                    "the runs after it do the rest, each file once",
                )
                self.note(stopped, s, run.id)
                summary.outcomes.append(stopped)
                _store(run, summary, "failed")
                self.summary.outcomes.append(
                    Outcome(
                        "run",
                        self.key,
                        "",
                        "ok",
                        f"run #{run.id} by {run.who} had stopped without finishing ({why}): "
                        "closed as failed; this run does the rest",
                    )
                )

    def note(self, o: Outcome, session: Session | None = None, run_id: int | None = None) -> None:
        """An outcome: a summary line and an audit row (in `session`, with the work it
        records, or on its own); of another run (`run_id`: a dead run closed): its row only."""
        if run_id is None:
            self.summary.outcomes.append(o)
        row = pm.ExchangeEvent(
            run_id=run_id or self.run_id,
            action=o.action,
            file=o.file[-300:],
            kind=o.kind,
            outcome=o.outcome,
            detail=o.detail,
        )
        if session is not None:
            session.add(row)
            return
        with self.ledger.transaction() as s:
            s.add(row)

    # --- uploads ---------------------------------------------------------------------------

    def pending(self) -> Iterator[tuple[str, int, int, str, str]]:
        """(kind, source id, control number, sha256, text) of every file not yet sent."""
        with self.ledger.transaction() as s:
            sent = set(s.scalars(select(pm.Upload.sha256).where(pm.Upload.state == "sent")))
            rows: list[tuple[str, int, int, str]] = [
                ("837", i, icn, sha)
                for i, icn, sha in s.execute(
                    select(
                        m.Submission.id,
                        m.Submission.interchange_control_number,
                        m.Submission.sha256,
                    ).order_by(m.Submission.id)
                )
            ]
            rows += [
                (kind, i, icn, sha)
                for i, kind, icn, sha in s.execute(
                    select(
                        pm.OutboundFile.id,
                        pm.OutboundFile.kind,
                        pm.OutboundFile.interchange_control_number,
                        pm.OutboundFile.sha256,
                    ).order_by(pm.OutboundFile.id)
                )
            ]
        for kind, source, icn, sha in rows:
            if sha in sent:
                continue
            with self.ledger.transaction() as s:
                table = m.Submission if kind == "837" else pm.OutboundFile
                text = s.scalar(select(table.content).where(table.id == source)) or ""
            if self._for_this_house(text):
                yield kind, source, icn, sha, text
            elif not any(_takes(h, text) for h in self.config.clearinghouses.values()):
                self.note(
                    Outcome(
                        "upload",
                        f"{kind} interchange {icn}",
                        kind,
                        "set_aside",
                        f"addressed to receiver {_receiver(text)} (ISA08), which is no "
                        "clearinghouse's receiver_id: it is sent nowhere. Fix: set that "
                        "clearinghouse's receiver_id to it, or the clinic's receiver id to "
                        "the clearinghouse's (docs/payers.md)",
                    )
                )

    def _for_this_house(self, text: str) -> bool:
        return _takes(self.house, text)

    def upload_all(self, box: Mailbox) -> None:
        for kind, source, icn, sha, text in self.pending():
            self.lease.renew()
            self.upload(
                box,
                kind,
                source,
                sha,
                text,
                name=self.house.upload_name.format(kind=kind, control=icn, sha=sha[:12]),
            )

    def upload(self, box: Mailbox, kind: str, source: int, sha: str, text: str, name: str) -> None:
        """Send one file, or record it as sent when an earlier run sent it and died before
        recording it (see the module doc)."""
        data = text.encode("utf-8")
        with self.ledger.transaction() as s:
            row = s.scalar(select(pm.Upload).where(pm.Upload.sha256 == sha))
            earlier = (row.state, row.run_id) if row is not None else None
        by = f"run #{earlier[1]}" if earlier and earlier[1] else "an earlier run"
        there = box.outbound_file(name)
        size, content = there if there is not None else (0, None)
        if there is not None and (size != len(data) or content not in (None, data)):
            self.note(
                Outcome(
                    "upload",
                    name,
                    kind,
                    "failed",
                    f"another file named {name} is in {self.house.outbound} ({size:,} bytes"
                    f"{'' if size != len(data) else ', other bytes'} than this {kind}'s "
                    f"{len(data):,}): not overwritten, tried again by the next run. If it stays "
                    "there, make upload_name unique with {control} or {sha} (docs/payers.md)",
                )
            )
            return
        if there is not None:
            found = (
                "found whole in the mailbox"
                if content is not None
                else "found in the mailbox at its size (the server does not let it be read back)"
            )
            detail = (
                f"{found}: {by} put it there and stopped before recording it; recorded as sent, "
                "not sent again"
                if earlier
                else f"{found} (sent by an earlier run): recorded as sent"
            )
        elif earlier and earlier[0] == "placed" and not box.exists(part_name(name)):
            detail = (
                f"{by} put it in the mailbox and stopped before recording it; the "
                "clearinghouse has taken it since (neither it nor its temporary copy is "
                "there): recorded as sent, not sent again"
            )
        else:
            self._intent(sha, kind, source, name, "sending")
            box.upload(name, data, lambda: self._intent(sha, kind, source, name, "placed"))
            again = f" again: {by} stopped before it was whole in the mailbox" if earlier else ""
            detail = f"sent as {name} ({len(data):,} bytes){again}"
        with self.ledger.transaction() as s:
            self._intent(sha, kind, source, name, "sent", s)
            self.note(Outcome("upload", name, kind, "ok", detail), s)

    def _intent(
        self, sha: str, kind: str, source: int, name: str, state: str, s: Session | None = None
    ) -> None:
        """The upload's row in `state` (in `s`, or committed at once: before the step)."""
        if s is None:
            with self.ledger.transaction() as own:
                return self._intent(sha, kind, source, name, state, own)
        row = s.scalar(select(pm.Upload).where(pm.Upload.sha256 == sha))
        if row is None:
            row = pm.Upload(sha256=sha, kind=kind, source_id=source)
            s.add(row)
        row.remote_name, row.uploaded_on, row.run_id = name, self.as_of, self.run_id
        row.state, row.clearinghouse = state, self.key
        return None

    # --- downloads -------------------------------------------------------------------------

    def download_all(self, box: Mailbox) -> None:
        limit = int(self.house.max_file_mb * 1024 * 1024)
        for f in box.inbound():
            self.lease.renew()
            if f.size > limit:
                done = self.too_large(f, limit)
            else:
                local = self.work / f"{len(self.summary.outcomes):05d}-{f.name}"
                try:
                    box.download(f, local)
                except FileChanged as e:
                    then = "" if isinstance(e, FileGone) else f"; {_NEXT_RUN}"
                    self.note(Outcome("download", f.path, "", "waiting", f"{e}{then}"))
                    continue
                self.note(Outcome("download", f.path, "", "ok", f"{f.size:,} bytes"))
                done = self.apply(local, f)
            if done:
                try:
                    where = box.archive(f)
                    moved = f"moved to {where}"
                except FileGone:  # another run at the same time took it: it is done with
                    where = moved = "already moved away (by another run at the same time)"
                if where is not None:
                    self.note(Outcome("archive", f.path, "", "ok", moved))

    def apply(self, local: Path, f: RemoteFile) -> bool:
        """Apply one downloaded file; True when it is done with (applied, a duplicate, or set
        aside), False when it should stay in the mailbox for the next run."""
        data = local.read_bytes()
        # What is not text (a zip's NULs, which PostgreSQL's text refuses) is kept as U+FFFD:
        # no X12 file holds either, and the file is set aside whatever its bytes.
        text = data.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        sha = hashlib.sha256(text.encode()).hexdigest()
        with self.ledger.transaction() as s:
            before = s.scalar(select(pm.InboundFile).where(pm.InboundFile.sha256 == sha))
        if before is not None:
            self.note(
                Outcome(
                    "apply",
                    f.path,
                    before.kind,
                    "duplicate",
                    f"already {before.status.replace('_', ' ')} on {before.received_on} "
                    f"(inbound file #{before.id}): not applied again",
                )
            )
            return True
        if unfinished(text) and not self._waited(f, sha):
            self.note(
                Outcome(
                    "apply",
                    f.path,
                    "",
                    "waiting",
                    f"{'empty' if not text.strip() else 'it ends before its IEA trailer'}: the "
                    f"server may still be writing it (sha256 {sha[:16]}); {_NEXT_RUN}",
                )
            )
            return False
        try:
            kind = recognize(text[:HEAD])
        except X12Error as e:
            return self.set_aside(f, text, "other", f"not an X12 file ptbill takes in: {e}")
        if kind not in _APPLIED_KINDS:
            return self.set_aside(f, text, kind, f"{a_or_an(kind)} is sent to payers, not received")
        try:
            with self.ledger.transaction() as s, named(str(local), f.path):
                detail = self._apply(s, kind, local, text, f.path)
                if kind in ("271", "277"):  # their entry points keep the file themselves
                    row = s.scalar(select(pm.InboundFile).where(pm.InboundFile.sha256 == sha))
                    assert row is not None
                    row.detail = detail
                else:
                    register_inbound(
                        s, text, f.path, kind, as_of=self.as_of, detail=detail, run_id=self.run_id
                    )
                self.note(Outcome("apply", f.path, kind, "ok", detail), s)
            return True
        except (AlreadyApplied, AlreadyPosted) as e:
            return self._known(f, text, kind, e.render())
        except InputError as e:
            return self.set_aside(f, text, kind, e.render())
        except Exception as e:  # the database or the disk: keep the file for the next run
            self.note(
                Outcome(
                    "apply",
                    f.path,
                    kind,
                    "failed",
                    f"{type(e).__name__}: {_first_line(e)}; left in the mailbox for the next run",
                )
            )
            return False

    def _apply(self, s: Session, kind: str, local: Path, text: str, name: str) -> str:
        if kind in ("999", "TA1", "277CA"):
            parsed = read_ack_file(str(local))
            ack = apply_acks(
                s, parsed, as_of=self.as_of, who=self.who, file_name=name, content=text
            )
            return (
                f"{len(ack.accepted)} accepted, {len(ack.rejected)} rejected, "
                f"{len(ack.unknown)} not in the ledger"
            )
        if kind == "835":
            posted = post_text(s, text, name, who=self.who, config=self.config, as_of=None)
            if posted.wholly_posted_before:
                raise already_posted(posted)
            return (
                f"{posted.payments} payment(s), {posted.claims} claim(s), {posted.paid_total} "
                f"paid; {len(posted.unmatched)} unmatched"
            )
        if kind == "271":
            e = apply_271(s, text, name, as_of=self.as_of, who=self.who, run_id=self.run_id)
            return (
                f"{len(e.people)} answer(s), {e.work_items} work item(s), "
                f"{len(e.blocked_claims)} claim(s) blocked, {len(e.released_claims)} ready again"
            )
        st = apply_277(s, text, name, as_of=self.as_of, who=self.who, run_id=self.run_id)
        return (
            f"{len(st.claims)} claim(s): {len(st.accepted)} accepted, {len(st.rejected)} not "
            f"on file, {st.work_items} work item(s), {len(st.unmatched)} matching no claim"
        )

    def _known(self, f: RemoteFile, text: str, kind: str, why: str) -> bool:
        """A file applied before by a command (`ptbill post` ...): remembered, not applied."""
        with self.ledger.transaction() as s:
            self._keep(s, f, text, kind, "duplicate", why)
        return True

    def _keep(
        self, s: Session, f: RemoteFile, text: str, kind: str, status: str, why: str
    ) -> pm.InboundFile:
        """The file's row (not applied: a duplicate or set aside) and its outcome."""
        row = register_inbound(
            s, text, f.path, kind, as_of=self.as_of, status=status, detail=why, run_id=self.run_id
        )
        self.note(Outcome("apply", f.path, kind, status, why), s)
        return row

    def _waited(self, f: RemoteFile, sha: str) -> bool:
        """Whether an earlier run left this very content of the file waiting (so it is not
        being written: it stays as it is)."""
        e = pm.ExchangeEvent
        with self.ledger.transaction() as s:
            q = select(e.id).where(
                e.action == "apply",
                e.outcome == "waiting",
                e.file == f.path[-300:],
                e.detail.contains(sha[:16]),
            )
            return s.scalar(q.limit(1)) is not None

    def set_aside(self, f: RemoteFile, text: str, kind: str, why: str) -> bool:
        with self.ledger.transaction() as s:
            row = self._keep(s, f, text, kind, "set_aside", why)
            self._review(
                s,
                f,
                "unreadable_file",
                f"{f.path} from {self.key} was set aside: {why}. Its text is kept "
                f"(inbound file #{row.id}); ask the clearinghouse what it is",
            )
        return True

    def too_large(self, f: RemoteFile, limit: int) -> bool:
        """A file over max_file_mb: set aside unread (archived when there is an archive; an
        open work item about it is not made again)."""
        why = (
            f"{f.size:,} bytes, over the clearinghouse's limit of {limit:,} (max_file_mb): "
            "not downloaded"
        )
        with self.ledger.transaction() as s:
            self.note(Outcome("apply", f.path, "", "set_aside", why), s)
            self._review(
                s,
                f,
                "file_too_large",
                f"{f.path} from {self.key} was set aside: {why}. Ask the clearinghouse what it "
                "is; if ptbill should take it, raise max_file_mb for this clearinghouse",
            )
        return True

    def _review(self, s: Session, f: RemoteFile, category: str, detail: str) -> None:
        """An `exchange` work item about the file, unless one is open already (the same path:
        a file of the same name in another folder is another file)."""
        w = m.WorkItem
        open_before = select(w.id).where(
            w.kind == "exchange",
            w.category == category,
            w.reference == f.name[-50:],
            w.detail.startswith(f"{f.path} from {self.key} ", autoescape=True),
            w.status == "open",
        )
        if s.scalar(open_before.limit(1)) is not None:
            return
        item = w(kind="exchange", category=category, action="review_file", detail=detail)
        item.reference, item.status, item.source = f.name[-50:], "open", f"exchange:{self.run_id}"
        item.created_on, item.due_date = self.as_of, self.as_of + dt.timedelta(days=7)
        s.add(item)

    def finish(self, status: str) -> RunSummary:
        with self.ledger.transaction() as s:
            run = s.get(pm.ExchangeRun, self.run_id)
            assert run is not None
            _store(run, self.summary, status)
        return self.summary


def _store(run: pm.ExchangeRun, summary: RunSummary, status: str) -> None:
    """A run's row as its summary says, ended with `status`."""
    summary.status = status
    counts = summary.as_json()
    run.status = status
    for name in ("uploaded", "downloaded", "applied", "duplicates", "set_aside", "failed"):
        setattr(run, name, counts[name])
    run.detail = json.dumps([o.as_json() for o in summary.outcomes])


_NEXT_RUN = "left in the mailbox for the next run"


def unfinished(text: str) -> bool:
    """An empty file, or an X12 interchange that ends before its IEA trailer: what a server
    still writing a file shows."""
    body = text.strip()
    if not body:
        return True
    if not body.startswith("ISA"):
        return False  # not X12: recognising it says what it is
    try:
        d = read_isa(body[:HEAD])
    except X12Error:
        return len(body) < ISA_LENGTH  # not even its ISA yet; else reading it says what is wrong
    last = body.rstrip(d.segment + "\r\n").rsplit(d.segment, 1)[-1].strip()
    return not last.startswith("IEA" + d.element)


def _first_line(e: Exception) -> str:
    return (str(e).strip().splitlines() or [""])[0][:200]


def _receiver(text: str) -> str:
    return text[:106][54:69].strip()  # ISA08


def _takes(house: Clearinghouse, text: str) -> bool:
    """Whether `house` takes this interchange (a receiver_id, when it has one, is its ISA08)."""
    return house.receiver_id is None or _receiver(text) == house.receiver_id


def run_exchange(
    ledger: Transactions,
    config: Config,
    clearinghouse: str | None = None,
    *,
    as_of: dt.date,
    who: str,
    base: Path | None = None,
    hook: Callable[[str, int], None] | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> RunSummary:
    """One exchange cycle (see the module doc). Raises RunGoing, doing nothing, while another
    run of the clearinghouse is going; nothing for a mailbox that fails: the run's status says
    `failed` and its summary why. `clock`: UTC now, for the lease."""
    key, house = clearinghouse_for(config, clearinghouse)
    lease = Lease(ledger, key, who, clock)
    try:
        with tempfile.TemporaryDirectory(prefix="ptbill-exchange-") as work:
            run = _Run(ledger, config, key, house, as_of, who, Path(work), lease)
            return _cycle(run, base, _renewing(lease, hook))
    finally:
        lease.release()


def _renewing(lease: Lease, hook: Callable[[str, int], None] | None) -> Callable[[str, int], None]:
    """The transfer hook, renewing the lease as bytes move (a long download is a live run)."""

    def moved(event: str, nbytes: int) -> None:
        if hook is not None:
            hook(event, nbytes)
        lease.renew()

    return moved


def _cycle(run: _Run, base: Path | None, hook: Callable[[str, int], None]) -> RunSummary:
    key = run.key
    try:
        box = open_mailbox(run.house, base, hook)
    except MailboxError as e:
        run.note(Outcome("connect", key, "", "failed", str(e)))
        return run.finish("failed")
    try:
        run.upload_all(box)
        run.download_all(box)
    except MailboxError as e:
        run.note(Outcome("transfer", key, "", "failed", f"{e}; the next run finishes the work"))
        return run.finish("failed")
    except LeaseLost as e:
        run.note(Outcome("run", key, "", "failed", str(e)))
        return run.finish("failed")
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (the CLI makes it one)
        why = "interrupted: what is listed above is done and kept; the next run does the rest"
        run.note(Outcome("run", key, "", "failed", why))
        raise Interrupted(run.finish("failed")) from None
    finally:
        box.close()
    problems = any(o.outcome in ("failed", "set_aside") for o in run.summary.outcomes)
    return run.finish("problems" if problems else "ok")


def runs(session: Session, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """The latest exchange runs, newest first (for the CLI, the web and the API)."""
    q = select(pm.ExchangeRun).order_by(pm.ExchangeRun.id.desc()).limit(limit).offset(offset)
    return [run_json(r) for r in session.scalars(q)]


def run_json(r: pm.ExchangeRun, with_outcomes: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "clearinghouse": r.clearinghouse,
        "run_on": r.run_on,
        "who": r.who,
        "status": r.status,
        "uploaded": r.uploaded,
        "downloaded": r.downloaded,
        "applied": r.applied,
        "duplicates": r.duplicates,
        "set_aside": r.set_aside,
        "failed": r.failed,
    }
    if r.status == "running":
        out["going"] = _going(r)
    if with_outcomes:
        out["outcomes"] = json.loads(r.detail or "[]")
    return out


def _going(r: pm.ExchangeRun) -> dict[str, Any]:
    """A run `running`: going since when, where; or stopped without finishing (no lease holds
    it: its process died, and no run has closed it yet)."""
    session = object_session(r)
    assert session is not None
    held = session.scalar(select(pm.ExchangeLease).where(pm.ExchangeLease.run_id == r.id))
    if held is None or stale(held, utc_now()):
        return {
            "since": None,
            "detail": "stopped without finishing (its process ended): the next run of "
            f"{r.clearinghouse} closes it as failed and does the rest",
        }
    return {
        "since": held.started_at.replace(tzinfo=dt.UTC).isoformat(),
        "detail": f"going since {local_time(held.started_at)} by {held.who} ({held.host}, "
        f"process {held.pid})",
    }
