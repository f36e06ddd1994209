"""The visits of the batch commands (`code`, `scrub`, `price`, `claim`): checked whole first,
then read again and made claims one at a time; or, where the output can be held, read once.

Two promises are kept at once. An input error anywhere in the input prints nothing on stdout
(the command exits 2 with every error), and memory does not grow with the input (results are
written as they are made). So the files are read twice:

1. `check` parses and validates every visit and resolves its payer and clinic, and keeps only
   what the run needs of the whole input: how many visits, their clinics, the latest date of
   service, and two hashes a visit (16 bytes) for the duplicate checks. A visit costs about a
   third of its claim here (pydantic's JSON parser; ptbill.intake.stream).
2. `claims` reads them again and makes each a claim (ptbill.claim_pipeline.prepare_claim),
   which the command prints and forgets.

A FHIR, HL7 or CSV file is read (and mapped) by the first pass only: the later passes read
the JSON of its visits that the first pass kept (`Input.once`, ptbill.intake.stream.Once),
as they read a JSON Lines file.

The scrubber's duplicate check (DUP-IN-BATCH) looks across the run. The visits whose id, or
whose patient and date of service, hash like another's are read once more between the two
passes and kept, as the run's Batch (duplicates are few); every other visit is alone, and the
Batch answers so for a visit it does not hold. A file that changes between the passes is
refused (its size and modification time are compared) before anything is printed.

A command whose output may wait in a temporary file until the input has read (`held_list`,
ptbill.cli.output.held) reads the input once instead: `scrub --json` and `--jsonl` through
`claims_in_one_read`, which validates each visit and makes it a claim at once, and starts
again the two-pass way only when the input turns out to hold duplicates (or clinics whose
"today" differs); `code` and `price` --json and --jsonl through `read_once`, for a visit's
coding and price do not depend on the others. A big JSON Lines input of `scrub --json` is
made claims the same way in worker processes (ptbill.cli.parallel), which fall back to
`claims_in_one_read` in one process when the input shows anything else.
"""

from __future__ import annotations

import datetime as dt
import os
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from ptbill.claim_pipeline import prepare_claim, scrub_claim
from ptbill.cli.intake_opts import notify
from ptbill.cli.output import JsonList, held, release
from ptbill.cli.progress import Advance, progress
from ptbill.coding import VisitContext
from ptbill.config import Config
from ptbill.domain import CodedVisit, Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake.detect import notice
from ptbill.intake.load import file_format
from ptbill.intake.stream import Once, item_errors, parse_visit, raw_items
from ptbill.ledger.prepare import Contexts
from ptbill.pricing import PricedVisit
from ptbill.pricing.memo import PriceMemo
from ptbill.scrub import Batch, ScrubResult

# Errors past this many are not looked for: the first ones are enough to fix the files.
MAX_ERRORS = 1_000
# Kinds of visit the run's price memo keeps (each a PricedVisit: a few KB at most).
MEMO_KINDS = 16_384


class Item(NamedTuple):  # a tuple: one is made per visit
    """One visit of the input, where it came from, and its context: its payer and clinic
    resolved, and the run's reference snapshot."""

    origin: str
    visit: Visit
    ctx: VisitContext


class ClaimItem(NamedTuple):
    """A visit of the input made a claim: coded, scrubbed and (unless the command needs no
    price) priced."""

    origin: str
    visit: Visit
    ctx: VisitContext
    coded: CodedVisit
    scrub: ScrubResult
    priced: PricedVisit | None


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None  # raw_items says why it cannot be read
    return st.st_size, st.st_mtime_ns


@dataclass
class Input:
    """What the first pass learned of the whole input."""

    files: tuple[str, ...]
    config: Config
    fmt: str | None = None  # --from: the files' format (None: recognised from each)
    count: int = 0
    clinics: set[str | None] = field(default_factory=set)
    latest: dt.date | None = None
    stamps: list[tuple[int, int] | None] = field(default_factory=list)
    # Per visit, in order: hash of its visit_id and of (patient id, date of service).
    ids: array[int] = field(default_factory=lambda: array("q"))
    days: array[int] = field(default_factory=lambda: array("q"))
    # The visits that may have a duplicate in the run (by position), and their Batch.
    grouped: dict[int, Visit] = field(default_factory=dict)
    batch: Batch = field(default_factory=lambda: Batch(()))
    # A FHIR, HL7 or CSV file's visits as the first pass read them, for the later passes.
    once: Once = field(default_factory=Once)

    @property
    def size(self) -> int:
        return sum(s[0] for s in self.stamps if s is not None)


def _raw(found: Input) -> Iterator[tuple[str, str, object]]:
    for origin in found.files:
        for label, raw in raw_items(origin, found.fmt, found.config, found.once):
            yield origin, label, raw


def check(
    files: tuple[str, ...], config: Config, fmt: str | None = None, *, quiet: bool = False
) -> Input:
    """The first pass: every visit validated and resolved (InputErrors: all that is wrong, up
    to MAX_ERRORS), nothing kept but what the run needs to know of the whole input. `fmt`:
    the files' format (--from; None: recognised from each file, with a notice on stderr when
    it is not ptbill's JSON)."""
    found = Input(files, config, fmt, stamps=[_stamp(f) for f in files])
    for _ in _validated(found, "checking", quiet):
        pass
    _group(found)
    return found


def _validated(found: Input, what: str, quiet: bool) -> Iterator[Item]:
    """Every visit of the input validated and resolved, and noted in `found`; each is yielded
    until the first error, and the errors are raised at the end (see check)."""
    for f in found.files:
        try:
            chosen, recognised = file_format(f, found.fmt)
        except InputError:
            continue  # the file is unreadable: raw_items says why
        if recognised and chosen != "json":
            notify(notice(f, chosen))
    contexts = Contexts(found.config)
    errors: list[InputError] = []
    with progress(what, found.size, quiet=quiet, in_bytes=True) as advance:
        for origin, label, raw in _raw(found):
            advance(len(raw) if isinstance(raw, bytes) else 0)
            try:
                visit = parse_visit(raw)
                ctx = contexts.of(visit, origin)
            except InputError as e:
                errors.append(e)
            except ValueError:
                errors.extend(item_errors(origin, label, raw))
            else:
                if not errors:
                    _note(found, visit, ctx)
                    yield Item(origin, visit, ctx)
                continue
            if len(errors) >= MAX_ERRORS:
                errors.append(
                    InputError(
                        file=origin,
                        visit_id=None,
                        field=None,
                        problem=f"checking stopped after {MAX_ERRORS:,} errors",
                        fix="fix these and run the command again",
                    )
                )
                break
    if errors:
        raise InputErrors(errors)
    if not found.count:
        raise InputError(
            file=", ".join(found.files),
            visit_id=None,
            field=None,
            problem="no visits in the input",
            fix="give files that hold at least one visit",
        )


def clinic_of(ctx: VisitContext) -> str | None:
    """The clinic a visit is billed as (named, or found by its billing provider's NPI)."""
    return ctx.clinic.key if ctx.clinic else None


def hashes_of(visit: Visit) -> tuple[int, int]:
    """What the duplicate checks compare: the hash of the visit's id and of its patient's id
    and date of service."""
    return hash(visit.visit_id), hash((visit.patient.id, visit.date_of_service))


def _note(found: Input, visit: Visit, ctx: VisitContext) -> None:
    found.count += 1
    found.clinics.add(clinic_of(ctx))
    dos = visit.date_of_service
    if found.latest is None or dos > found.latest:
        found.latest = dos
    same_id, same_day = hashes_of(visit)
    found.ids.append(same_id)
    found.days.append(same_day)


def _repeated(hashes: array[int]) -> set[int]:
    seen: set[int] = set()
    again: set[int] = set()
    for h in hashes:
        if h in seen:
            again.add(h)
        else:
            seen.add(h)
    return again


def _group(found: Input) -> None:
    """Read the visits that may be duplicates into the run's Batch (none in the usual run)."""
    ids, days = _repeated(found.ids), _repeated(found.days)
    if not ids and not days:
        return
    contexts, resolved = Contexts(found.config), []
    for index, (origin, _, raw) in enumerate(_raw(found)):
        if found.ids[index] in ids or found.days[index] in days:
            visit = found.grouped[index] = parse_visit(raw)
            resolved.append(contexts.of(visit, origin))
    # With their contexts: a clinic named by its key and by its NPI is one clinic.
    found.batch = Batch(found.grouped.values(), resolved)


def read(found: Input) -> Iterator[Item]:
    """The second pass: the visits again, in order, each with its context."""
    if [_stamp(f) for f in found.files] != found.stamps:
        changed = [f for f, s in zip(found.files, found.stamps, strict=True) if _stamp(f) != s]
        raise InputError(
            file=", ".join(changed),
            visit_id=None,
            field=None,
            problem="the file changed while it was read",
            fix="run the command again once the file is written",
        )
    # One context per payer and clinic: the price memo knows a billing provider by identity.
    contexts = Contexts(found.config)
    for index, (origin, _, raw) in enumerate(_raw(found)):
        visit = found.grouped.get(index) or parse_visit(raw)
        yield Item(origin, visit, contexts.of(visit, origin))


def claim_of(
    x: Item, as_of: dt.date | None, batch: Batch, memo: PriceMemo[None] | None
) -> ClaimItem:
    if memo is not None:
        c = prepare_claim(x.visit, x.ctx, as_of, batch=batch, memo=memo)
        return ClaimItem(x.origin, x.visit, x.ctx, c.coded, c.scrub, c.priced)
    coded, scrub = scrub_claim(x.visit, x.ctx, as_of, batch=batch)
    return ClaimItem(x.origin, x.visit, x.ctx, coded, scrub, None)


def price_memo(as_of: dt.date | None, priced: bool) -> PriceMemo[None] | None:
    return PriceMemo(as_of, size=MEMO_KINDS) if priced else None  # type: ignore[arg-type]


def claims(
    found: Input, as_of: dt.date | None, advance: Advance, *, priced: bool = True
) -> Iterator[ClaimItem]:
    """Each visit made a claim as of `as_of` (see prepare_claim; without `priced`, coded and
    scrubbed only: scrub_claim), in input order: the input one run (its duplicates found
    across the files, alike visits priced once)."""
    memo = price_memo(as_of, priced)
    for x in read(found):
        yield claim_of(x, as_of, found.batch, memo)
        advance(1)


def read_once(
    files: tuple[str, ...], config: Config, fmt: str | None, what: str, *, quiet: bool = False
) -> Iterator[Item]:
    """Each visit of the input validated and resolved as it is read: one read, for a command
    whose output for a visit does not depend on the others (`code`; `price`, whose pricing
    does not look across visits) and is held until the whole input has read (`held_list`):
    an input error is raised (InputErrors) after the visits before it."""
    once = Once(keep=False)  # no later pass
    return _validated(
        Input(files, config, fmt, stamps=[_stamp(f) for f in files], once=once), what, quiet
    )


def priced_alone(items: Iterator[Item], as_of: dt.date | None) -> Iterator[ClaimItem]:
    """Each item made a claim as `claims` makes it, priced, with no other visit of the input
    looked at (its scrub does not see duplicates: for output that shows the price only)."""
    memo = price_memo(as_of, True)
    alone = Batch(())
    for x in items:
        yield claim_of(x, as_of, alone, memo)


@contextmanager
def held_list(lines: bool) -> Iterator[JsonList]:
    """A JSON list (or JSON Lines) held until the block ends, then written to stdout; nothing
    is written when the block raises (an input error met late)."""
    with held() as spool:
        sink = JsonList(lines, stream=spool)
        yield sink
        sink.close()
        release(spool)


def claims_in_one_read(
    files: tuple[str, ...],
    config: Config,
    fmt: str | None,
    as_of_for: Callable[[set[str | None]], dt.date | None],
    restart: Callable[[], None],
    *,
    priced: bool = True,
    quiet: bool = False,
) -> Iterator[ClaimItem]:
    """`claims` of the input, each visit made a claim as it is read and validated: one read
    (and one validation) of a visit, not check's and then claims'. For output held until the
    whole input has read (ptbill.cli.output.held): an input error is raised (InputErrors) after
    the claims of the visits before it.

    A claim depends on the whole input in two ways: the visits it duplicates (DUP-IN-BATCH),
    and the as-of date when it is today in the input's only clinic's time zone (`as_of_for`
    gives the date for a set of clinics). The claims are made for an input without
    duplicates and of the first visit's clinic; once the input shows otherwise, no more are
    made, the rest is only checked, and at the end `restart()` is called (the caller forgets
    what it was given) and every claim is made again as `claims` makes them.
    """
    # One pass unless it starts again: nothing kept of a FHIR, HL7 or CSV file until then.
    found = Input(files, config, fmt, stamps=[_stamp(f) for f in files], once=Once(keep=False))
    ids: set[int] = set()
    days: set[int] = set()
    as_of: dt.date | None = None
    memo: PriceMemo[None] | None = None
    alone = True  # no duplicate so far, and the as-of date as the first visit's clinic's
    clinics = 0
    for x in _validated(found, "scrubbing", quiet):
        if not alone:
            continue
        same_id, same_day = found.ids[-1], found.days[-1]
        if same_id in ids or same_day in days:
            alone = False
            continue
        ids.add(same_id)
        days.add(same_day)
        if len(found.clinics) != clinics:
            clinics = len(found.clinics)
            if clinics == 1:
                as_of = as_of_for(found.clinics)
                memo = price_memo(as_of, priced)
            elif as_of_for(found.clinics) != as_of:
                alone = False
                continue
        yield claim_of(x, as_of, found.batch, memo)
    if alone:
        return
    restart()
    found.once = Once()  # read again by _group (and kept), not a third time by claims
    _group(found)
    with progress("scrubbing", found.count, quiet=quiet) as advance:
        yield from claims(found, as_of_for(found.clinics), advance, priced=priced)
