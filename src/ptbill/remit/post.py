"""`ptbill post FILE.835`: post a remittance to the ledger, all of it or nothing, each payment
once.

- Once, whatever the bytes: a payment is known by its payer, trace number (TRN02), amount and
  date, a claim payment by its payer, CLP01, the payer's control number (CLP07) and amounts
  (ptbill.ledger.identity), not by the file's sha256. A payment posted before, in any file (the
  same 835 re-saved with CRLF, sent again under a new ISA13, or beside a new payment), is not
  posted again: the summary lists it as already posted, with the date and remittance it was
  posted in. A file all of whose payments were posted before changes nothing (the same bytes
  again are known by their sha256 without being read). A claim payment that a new payment
  carries again is recorded with the new payment's money but not applied to its claim a second
  time (a `refund` work item when it pays money: the payer paid twice); a reversal (CLP02
  22) is applied once for each posting of the decision it reverses. The database holds it too
  (unique indexes on the identities, migration 0005): of two processes posting the same
  payment at once, the second waits for the first (PostgreSQL: the unique index; SQLite: the
  write lock) and is then refused, or finds it posted.
- Atomic: the caller runs this in one transaction; a file that stops being readable halfway
  (or any other error) rolls everything back.
- Matching: each claim payment (CLP) to its claim by CLP01 (our CLM01, the claim number), else
  by the line control numbers (REF*6R) of its service lines; each service line to its claim
  line by REF*6R, else by code and modifiers. What matches nothing, or a claim that cannot take
  a payment in its state, becomes an `unmatched` work item (the money is still recorded).
- Reversals (CLP02 = 22) post their negative amounts and take the claim back to `accepted`;
  the corrected payment that usually follows is posted like any other. A new decision on a
  claim closes the work items of the decision it replaces.
- Provider-level adjustments (PLB) are recorded against the payment (and the claim, when their
  reference names one).
- Every adjustment is classified (ptbill.denials.classify); denials become `denial` work items
  with their deadline; lines paid short of the expected payment beyond the payer's tolerance
  become `underpayment` work items with their likely cause (ptbill.pricing); after the posting,
  a claim paid twice, above what the payer allowed or above its charge becomes a `refund` work
  item (ptbill.ledger.overpayments).

Memory: the file is parsed as a stream, one payment at a time (ptbill.x12.read_835). Its text,
which the ledger keeps (`remittances.content`), is in memory only while that row is inserted,
before the payments are posted. Of a file (`post_file`), the bytes parsed are hashed as they are
read: what is posted is the file whose sha256 was checked and stored. Matching is in
ptbill.remit.post_match, the rows of a payment in ptbill.remit.post_batch.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from decimal import Decimal
from typing import Any, TextIO

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.bulk import batch
from ptbill.config.profiles import Config
from ptbill.errors import InputError, unreadable
from ptbill.ledger import models as m
from ptbill.ledger.bulk import Bulk
from ptbill.ledger.identity import payer_of, payment_identity
from ptbill.ledger.secondary import after_posting
from ptbill.pricing import Tolerance
from ptbill.remit.cob_route import Router
from ptbill.remit.post_batch import PostingBatch
from ptbill.remit.post_match import Matcher
from ptbill.remit.post_once import ClaimPostings, earlier_payment, earlier_payments
from ptbill.remit.post_summary import PostSummary
from ptbill.x12 import RemittanceAdvice, X12Error
from ptbill.x12.kinds import DAMAGED, input_error
from ptbill.x12.read_835 import read_835
from ptbill.x12.tokenizer import CHUNK_SIZE, LEADING, opening

ZERO = Decimal(0)
FIX_835 = DAMAGED["remit"]
_TELL_EVERY = 512  # claims posted between two words to the progress bar

Told = Callable[[int], object]  # told how many more bytes of the file are posted
# Given the file's size: a context whose value is told as its payments post (the command
# line's progress bar).
Progress = Callable[[int], AbstractContextManager[Told]]


class AlreadyPosted(InputError):
    """Of two postings of the same payment at once, the second (the first committed it); or,
    for callers that take a file posted before as an error (the exchange), that file."""


def already_posted(summary: PostSummary) -> AlreadyPosted:
    """The error for a file all of whose payments were posted before."""
    said = "; ".join(e.text() for e in summary.already_posted[:5])
    more = len(summary.already_posted) - 5
    return AlreadyPosted(
        file=summary.file,
        visit_id=None,
        field=None,
        problem=f"{said}{f'; and {more} more' if more > 0 else ''}; nothing was changed",
        fix="nothing to do: a payment posts once",
    )


def _posted_meanwhile(path: str) -> AlreadyPosted:
    return AlreadyPosted(
        file=path,
        visit_id=None,
        field=None,
        problem="a payment of this 835 was posted by another process just now; nothing was changed",
        fix="post it again to see what was posted and whether anything is left to post",
    )


def _changed(path: str) -> InputError:
    return InputError(
        file=path,
        visit_id=None,
        field=None,
        problem="the file changed while it was being posted; nothing was posted",
        fix="post it again once nothing is writing to it",
    )


def post_file(
    session: Session,
    path: str,
    *,
    who: str,
    config: Config | None = None,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> PostSummary:
    """Post the 835 at `path` in the caller's transaction (which the caller commits)."""
    try:
        with open(path, "rb") as f:
            head = f.read(CHUNK_SIZE)
            f.seek(0)
            sha = hashlib.file_digest(f, "sha256").hexdigest()
            size = f.tell()
        raw = _HashedFile(path)
    except OSError as e:
        raise unreadable(path, e) from None
    # A file that is no X12 is refused before its text is read whole to be kept (a 200 MB
    # file of something else took 685 MB and 5 s to be refused): as the reader refuses it.
    start = head.decode("utf-8", errors="replace")
    if start.strip(LEADING) or len(head) < CHUNK_SIZE:
        try:
            opening(start)
        except X12Error as e:
            raise input_error(path, e, "remit") from None
    # Decoded as the text kept for the ledger is: undecodable bytes become U+FFFD.
    with (
        io.TextIOWrapper(
            io.BufferedReader(raw), encoding="utf-8", errors="replace", newline=""
        ) as stream,
        progress(size) if progress else nullcontext(_untold) as told,
    ):
        bar = _Bar(raw, told)
        content = functools.partial(_content, path, sha)
        summary = _post(session, path, sha, stream, content, who, config, as_of, bar)
        while stream.read(1 << 20):  # whatever follows the last payment is hashed too
            pass
        if raw.sha.hexdigest() != sha:
            raise _changed(path)
        bar.to(size)
    return summary


def post_text(
    session: Session,
    text: str,
    name: str,
    *,
    who: str,
    config: Config | None,
    as_of: dt.date | None,
) -> PostSummary:
    """Post an 835 given as text (an upload) in the caller's transaction."""
    sha = hashlib.sha256(text.encode()).hexdigest()
    stream = _TextStream(text)  # read as a TextIO is (read(n), readline)
    return _post(session, name, sha, stream, lambda: text, who, config, as_of)  # type: ignore[arg-type]


class _HashedFile(io.FileIO):
    """A file whose bytes are hashed (and counted) as they are read."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "rb")
        self.sha = hashlib.sha256()
        self.read_so_far = 0

    def readinto(self, buffer: Any) -> int | None:
        n = super().readinto(buffer)
        if n:
            self.sha.update(memoryview(buffer)[:n])
            self.read_so_far += n
        return n

    def readall(self) -> bytes:
        data = super().readall()
        self.sha.update(data)
        self.read_so_far += len(data)
        return data


def _untold(n: int) -> None:
    return None


class _Bar:
    """The file's bytes told to a progress bar as its payments post: a payment's share is what
    was read for it (roughly: the reader reads a little ahead), told in step with its claims, so
    that an 835 of one payment of 100,000 claims moves the bar too."""

    def __init__(self, raw: _HashedFile, told: Told) -> None:
        self.raw, self.told = raw, told
        self.done = self.start = self.share = 0

    def payment(self) -> None:
        """A payment was read: its claims post next."""
        self.start, self.share = self.done, max(self.raw.read_so_far - self.done, 0)

    def claims(self, posted: int, of: int) -> None:
        self.to(self.start + self.share * posted // max(of, 1))

    def to(self, at: int) -> None:
        if at > self.done:
            self.told(at - self.done)
            self.done = at


class _TextStream(io.TextIOBase):
    """A str read as a stream, a slice at a time (io.StringIO would hold a copy of it, at four
    bytes a character)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text, self._at = text, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        start = self._at
        end = len(self._text) if size is None or size < 0 else start + size
        self._at = min(end, len(self._text))
        return self._text[start:end]


def _content(path: str, sha: str) -> str:
    """The file's text for the ledger, read again (it is not kept while payments post)."""
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != sha:
        raise _changed(path)
    return data.decode("utf-8", errors="replace")


def _post(
    session: Session,
    name: str,
    sha: str,
    stream: TextIO,
    content: Callable[[], str],
    who: str,
    config: Config | None,
    as_of: dt.date | None,
    bar: _Bar | None = None,
) -> PostSummary:
    r = m.Remittance
    before = session.scalar(select(r.id).where(r.sha256 == sha))
    if before is not None:  # the same bytes: every payment was posted with them
        summary = PostSummary(name)
        summary.already_posted = earlier_payments(session.connection(), before)
        return summary
    poster = RemittancePoster(session, name, who, config, as_of, bar)
    poster.open(sha, content())
    try:
        # Millions of objects that live for one payment, hardly any in a reference cycle: the
        # cyclic collector would only rescan them again and again (some 15% of the time).
        with batch():
            for payment in read_835(stream, poster.summary.warnings):
                poster.post(payment)
    except X12Error as e:
        raise input_error(name, e, "remit") from None
    if not poster.summary.payments and not poster.summary.already_posted:
        raise InputError(
            file=name,
            visit_id=None,
            field=None,
            problem="the file holds no payment (835 transaction set)",
            fix=FIX_835,
        )
    poster.close()
    if config is not None and poster.summary.remittance_id:
        # The next payers, refunds and patient credits of what it decided.
        source = f"remittance:{poster.remittance_id}"
        summary = poster.summary
        summary.cob = after_posting(
            session,
            config,
            list(poster.decided),
            recouped=sorted(poster.recouped),
            as_of=as_of or poster.received_on,
            who=who,
            source=source,
        )
        refunds = session.scalar(
            select(func.count()).where(
                m.WorkItem.kind == "refund",
                m.WorkItem.source == source,
                m.WorkItem.status == "open",
            )
        )
        summary.work_items += (refunds or 0) - summary.overpayment_items  # opened after
        summary.overpayment_items = refunds or 0
    return poster.summary


_TEXT_FUNCTION = "ptbill_remittance_text"


def _text_value(conn: Connection, text: str) -> Any:
    """The file's text as a value of the remittance's INSERT. SQLite's driver keeps the values
    last bound to each of its cached statements: bound, the text (tens of MB) would stay in
    memory while the whole file posts, and after. From a function it is copied once into the
    row and let go."""
    if conn.dialect.name != "sqlite":
        return text
    sqlite: Any = conn.connection.dbapi_connection
    sqlite.create_function(_TEXT_FUNCTION, 0, lambda: text)
    return getattr(func, _TEXT_FUNCTION)()


def _text_value_done(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        sqlite: Any = conn.connection.dbapi_connection
        sqlite.create_function(_TEXT_FUNCTION, 0, None)


class RemittancePoster:
    """Posts the payments of one remittance, one after the other (the `Poster` each of its
    PostingBatches reads: ptbill.remit.post_batch)."""

    def __init__(
        self,
        session: Session,
        name: str,
        who: str,
        config: Config | None,
        as_of: dt.date | None,
        bar: _Bar | None = None,
    ) -> None:
        self.name, self.who, self.config, self.as_of = name, who, config, as_of
        self.bar = bar  # the command line's progress bar, told as claims post
        self.summary = PostSummary(name)
        self.remittance_id = 0
        self.received_on = dt.date.min
        self.payers: dict[int, m.Payer] = {p.id: p for p in session.scalars(select(m.Payer))}
        self.decided: dict[int, str] = {}  # claims the file moved: id -> state
        self.recouped: set[int] = set()  # claims a PLB of the file names (an offset)
        self.bulk = Bulk(session)
        self.conn = self.bulk.conn
        self.matcher = Matcher(self.bulk)
        self.router = Router(self.matcher, self.payers)
        # Python values -> the driver's, each distinct value converted once.
        self.money = self.bulk.to_driver(m.ClaimPayment, "paid")
        self.date = self.bulk.to_driver(m.ClaimPayment, "determined_on")
        self.flag = self.bulk.to_driver(m.ClaimPayment, "reversal")
        self._tolerances: dict[int, Tolerance] = {}
        self.posted: dict[str, tuple[str, int]] = {}  # this file's payments: identity -> ST02..

    def open(self, sha: str, content: str) -> None:
        """The remittance's row, with the file's text, which is not kept after: inserted
        before anything else, while memory holds little else (the date and totals follow in
        close())."""
        values = {
            "sha256": sha,
            "file_name": self.name[-300:],
            "received_on": self.as_of or dt.date.min,
            "payment_count": 0,
            "claim_count": 0,
            "total_paid": ZERO,
        }
        try:
            self.remittance_id = self.conn.execute(
                insert(m.Remittance).values(**values, content=_text_value(self.conn, content))
            ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT of one row: its key
        except IntegrityError:
            raise _posted_meanwhile(self.name) from None
        finally:
            _text_value_done(self.conn)
        self.summary.remittance_id = self.remittance_id

    def close(self) -> None:
        s = self.summary
        if s.wholly_posted_before:  # nothing new: the file leaves no trace
            self.conn.execute(delete(m.Remittance).where(m.Remittance.id == self.remittance_id))
            s.remittance_id = 0
            return
        self.conn.execute(
            update(m.Remittance)
            .where(m.Remittance.id == self.remittance_id)
            .values(
                received_on=self.received_on,
                payment_count=s.payments,
                claim_count=s.claims,
                total_paid=s.paid_total,
            )
        )
        s.states = Counter(self.decided.values())

    def _posted_before(self, p: RemittanceAdvice, identity: str | None) -> bool:
        """Whether the payment was posted before, earlier in this file or in another (noted
        in the summary); money is counted once."""
        if identity is None:
            return False
        if identity in self.posted:
            st02, claims = self.posted[identity]
            same = (st02, claims) == (p.control_number, len(p.claims))
            self.summary.warnings.append(
                f"payment {p.trace_number} (ST02 {p.control_number}) repeats one earlier in "
                "the file (same payer, trace number, amount and date"
                + (
                    " and claims): posted once"
                    if same
                    else f") with other claims than ST02 {st02}: not posted; ask the payer "
                    "which is right"
                )
            )
            return True
        earlier = earlier_payment(self.conn, identity)
        if earlier is not None:
            self.summary.already_posted.append(earlier)
            return True
        self.posted[identity] = (p.control_number, len(p.claims))
        return False

    def post(self, p: RemittanceAdvice) -> None:
        """One payment (an 835 transaction set), unless it was posted before."""
        payer = payer_of(p.payer_id, p.payer)
        identity = payment_identity(payer, p.trace_number, p.amount, p.payment_date)
        if self._posted_before(p, identity):
            return
        if not self.summary.payments:  # the first: its date is the remittance's
            received = self.as_of or p.production_date or p.payment_date
            if received is None:
                raise InputError(
                    self.name,
                    "the payment has no date",
                    "give the posting date with --as-of",
                    field="BPR16",
                )
            self.received_on = received
        determined = p.production_date or p.payment_date or self.received_on
        on = self.as_of or determined
        try:
            payment_id = self._insert_payment(p, identity, determined)
        except IntegrityError:  # PostgreSQL: another posting of it committed meanwhile
            raise _posted_meanwhile(self.name) from None
        self.summary.payments += 1
        self.summary.paid_total += p.amount
        self.summary.imbalances += [f"payment {p.trace_number}: {i.message}" for i in p.imbalances]
        routed = self.router.route(p, self.matcher.match(p.claims))
        postings = ClaimPostings(self.conn, payer, p.claims)
        batch = PostingBatch(self, p, payment_id, determined, on, postings)
        bar, count = self.bar, len(p.claims)
        if bar:
            bar.payment()
        for seq, (cp, (claim, wrong)) in enumerate(zip(p.claims, routed, strict=True), start=1):
            batch.claim_payment(seq, cp, claim, wrong)
            if bar and not seq % _TELL_EVERY:
                bar.claims(seq, count + 1)  # the last share when its rows are written
        batch.provider_adjustments(p)
        try:
            batch.write()
        except IntegrityError:  # a decision of it posted by another process meanwhile
            raise _posted_meanwhile(self.name) from None
        if bar:
            bar.claims(count + 1, count + 1)  # its rows written: the payment's whole share
        self.matcher.clear()

    def _insert_payment(
        self, p: RemittanceAdvice, identity: str | None, determined: dt.date
    ) -> int:
        return self.conn.execute(
            insert(m.Payment).values(
                remittance_id=self.remittance_id,
                control_number=p.control_number[:9],
                trace_number=p.trace_number[:50],
                payment_date=p.payment_date,
                determined_on=determined,
                amount=p.amount,
                method=p.method[:3],
                payer_name=p.payer[:60],
                payer_identifier=p.payer_id[:80],
                payee_npi=p.payee_npi,
                identity=identity,
            )
        ).inserted_primary_key[0]  # type: ignore[index]  # an INSERT of one row: its key

    def tolerance(self, payer: m.Payer) -> Tolerance:
        if payer.id not in self._tolerances:
            profile = self.config.payer(payer.key) if self.config is not None else None
            self._tolerances[payer.id] = (
                Tolerance.from_profile(profile) if profile is not None else Tolerance()
            )
        return self._tolerances[payer.id]
