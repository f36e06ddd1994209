"""The ledger's commands: import, submit, ack-apply, post, correct, appeal, writeoff and report
(the worklist and the bulk form of the actions: ptbill.cli.work_cmds). Each works on the
database of `ptbill --db URL` (PTBILL_DB; default ptbill.db) in one transaction: it changes
all it means to, or nothing.

Without --as-of a command works as of today in the clinic's time zone (ptbill.cli.clock;
`ptbill --today DATE` or PTBILL_TODAY freezes the clock for a reproducible run).

The command line runs with the database owner's rights; `--clinic KEY` (repeatable) narrows a
command to some clinics: lists and reports show only theirs, actions reach only their claims
(another clinic's claim is not found), and a file that touches another clinic is refused whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ptbill.cli.clock import as_of_or_today, given_day, one_clinic, today
from ptbill.cli.common import (
    EXIT_FOUND,
    EXIT_INPUT,
    FileReadTwice,
    applied_before,
    binary_stdout,
    err,
    from_stdin_option,
    one_claim,
    out,
    print_json,
    profiles,
    run_config,
    unwritable,
    user_errors,
)
from ptbill.cli.intake_opts import from_option, notify
from ptbill.cli.outfile import refuse_precious, special, written_whole
from ptbill.cli.output import format_options, print_table, quiet_option
from ptbill.cli.progress import progress
from ptbill.errors import AlreadyApplied, InputError
from ptbill.intake.detect import notice
from ptbill.intake.load import file_format

# The services (SQLAlchemy, fpdf2...) are imported by the commands that use them, so that
# every other `ptbill` command starts as fast as before.

DATE = click.DateTime(formats=["%Y-%m-%d"])
AS_OF_HELP = "Business date of the action (default: today in the clinic's time zone)."
clinic_option = click.option(
    "--clinic",
    "clinics",
    multiple=True,
    metavar="KEY",
    help="Only this clinic (repeat for several; default: every clinic).",
)

_CLAIM_ID = re.compile(r"^[^\s\x00-\x1f\x7f]{1,38}$")
MAX_STDIN = 4 * 1024 * 1024  # claim ids on standard input, at most


def _scope(session: Any, clinics: tuple[str, ...]) -> Any:
    """The scope of --clinic (of the configuration's clinics, one not imported yet is told
    so rather than unknown), looked up once a session: a command checks each claim it is
    given against it (a clinic's id never changes once found)."""
    from ptbill.ledger.scope import scope_of

    found = session.info.setdefault("ptbill.scopes", {})
    if clinics not in found:
        configured = profiles(click.get_current_context()).clinics if clinics else ()
        found[clinics] = scope_of(session, clinics, configured)
    return found[clinics]


def _held_to(session: Any, clinics: tuple[str, ...], name: str, touched: set[int | None]) -> None:
    """With --clinic: refuse (roll back) a file that touched another clinic."""
    from ptbill.ledger.scope import refuse_outside

    if clinics:
        refuse_outside(name, _scope(session, clinics).allows, touched)


def _claim_in(session: Any, clinics: tuple[str, ...], claim: str) -> None:
    """With --clinic: a claim of another clinic is not found (exit 2, nothing changed)."""
    from ptbill.errors import InputError
    from ptbill.ledger.scope import clinic_of_claim

    if clinics and not _scope(session, clinics).allows(clinic_of_claim(session, claim)):
        raise InputError(
            file="ledger",
            visit_id=claim,
            field=None,
            problem=f"no claim {claim!r} at {', '.join(clinics)}",
            fix="check the claim number and --clinic (`ptbill worklist --clinic KEY` lists them)",
        )


def who() -> str:
    """Who acts, for the audit trail: PTBILL_USER, else the login name."""
    try:
        return os.environ.get("PTBILL_USER") or getpass.getuser()
    except Exception:  # no login name in some containers
        return "ptbill"


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def database_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A database that fails mid-command: a one-line message (no parameters: they may hold
    patient data), exit 2; the transaction was rolled back."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return fn(*args, **kwargs)
        except SQLAlchemyError as e:
            err.print(
                f"[red]error:[/] {database_problem(e)}. Nothing was changed. Fix: check the "
                "database given with --db / PTBILL_DB",
                markup=True,
                soft_wrap=True,
            )
            sys.exit(EXIT_INPUT)

    return wrapper


def database_problem(e: Exception) -> str:
    """What the database said, in one line and without the statement's parameters (they may
    hold patient data)."""
    orig = getattr(e, "orig", None) or e
    return "database: " + (str(orig).strip().splitlines() or [type(orig).__name__])[0]


@contextmanager
def ledger_session(
    ctx: click.Context, *, per_claim: bool = False, read_only: bool = False
) -> Iterator[Any]:
    """One transaction for the command; `per_claim`: a session whose caller commits claim by
    claim (a bulk action); `read_only`: for the commands that only read (the database opened
    so that it cannot be written, and not migrated)."""
    from ptbill.ledger.db import Ledger

    ledger = Ledger(ctx.obj.get("db"), read_only=read_only)
    try:
        with ledger.sessions() if per_claim else ledger.transaction() as session:
            yield session
            session.commit()
    finally:
        ledger.close()


def _config(ctx: click.Context) -> Any:
    return run_config(ctx)


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


# --- import ------------------------------------------------------------------------------------


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=FileReadTwice())
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The scrub date (timely filing...). Default: today in the clinic's time zone.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when a visit is blocked (without it, blocked claims are work: exit 0).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Worker processes that code, scrub and price ahead on inputs over 1,000 visits "
    "(faster with cores to spare, about 80 MB each).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@from_option
@clinic_option
@quiet_option
@click.pass_context
@user_errors
@database_errors
def import_cmd(
    ctx: click.Context,
    files: tuple[str, ...],
    as_of: dt.datetime | None,
    strict: bool,
    workers: int,
    as_json: bool,
    fmt: str | None,
    clinics: tuple[str, ...],
    quiet: bool,
) -> None:
    """Store visits (idempotent by visit id), derive missing episode context from history,
    code, price and scrub them: each becomes a ready or blocked claim.

    Exit 0 when every visit was stored (blocked claims are work, counted in the summary and
    listed by `ptbill worklist`), 1 with --strict when a visit is blocked, 2 for bad input
    (nothing stored)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ptbill.errors import InputError, InputErrors
    from ptbill.ledger.importer import Batched, import_files
    from ptbill.ledger.reading import count_visits
    from ptbill.ledger.scope import import_clinics

    config = _config(ctx)
    for f in files:
        chosen, recognised = file_format(f, fmt)
        if recognised and chosen != "json":
            notify(notice(f, chosen))
    # Today is read once the input is checked, in its one clinic's time zone.
    given, days = given_day(ctx, as_of), []

    def day_of(clinics: set[str | None]) -> dt.date:
        days.append(today(ctx, config, one_clinic(clinics)))
        return days[0]

    total = sum(n for f in files if (n := count_visits(f)) is not None)
    committed = [0]

    def commit(done: int, _summary: Any) -> None:
        # With --clinic, a batch that touched another clinic is refused before it commits.
        _held_to(session, clinics, ", ".join(files), import_clinics(session, files))
        session.commit()
        committed[0] = done

    try:
        with (
            ledger_session(ctx, per_claim=True) as session,
            progress("importing", total, quiet=quiet or as_json) as advance,
        ):
            summary = import_files(
                session,
                files,
                as_of=given or day_of,
                config=config,
                who=who(),
                progress=advance,
                workers=workers,
                fmt=fmt,
                # Batch by batch, so that the ledger's other writers (the workbench) get
                # their turn; the whole input is checked before the first batch commits.
                batched=Batched(commit),
            )
            _held_to(session, clinics, ", ".join(files), import_clinics(session, files))
            session.commit()
    except (SQLAlchemyError, InputError, InputErrors):
        if committed[0]:
            err.print(
                f"note: the first {committed[0]} visit(s) of the input were stored before the "
                "error; run the import again to go on (they are found unchanged)",
                markup=False,
                soft_wrap=True,
            )
        raise
    day = given or days[0]
    if as_json:
        print_json({"as_of": day, **summary.as_json()})
    elif not quiet:
        out.print(
            f"imported as of {day}: {summary.read} visit(s) read, {summary.new} new, "
            f"{summary.updated} updated, {summary.unchanged} unchanged; "
            f"{summary.ready} ready, {len(summary.blocked)} blocked; episode context "
            f"derived for {summary.derived}"
        )
        blocked = [
            f"blocked {escape(vid)}: {', '.join(rules)}" for vid, rules in summary.blocked.items()
        ]
        _print_some(blocked, "see `ptbill worklist`")
        _print_some(
            [
                f"{escape(vid)} was already submitted: the new visit is stored; send a "
                f"replacement with `ptbill correct {escape(vid)}`"
                for vid in summary.held
            ],
            "see `ptbill worklist`",
        )
    if strict and summary.blocked:
        ctx.exit(EXIT_FOUND)


def some_lines(lines: list[str], more: str, limit: int = 20) -> list[str]:
    """The first `limit` lines of a list and, when there are more, how many and where to see
    them: a summary stays a screen long, and never hides that it is cut."""
    cut = [f"  {line}" for line in lines[:limit]]
    if len(lines) > limit:
        cut.append(f"  ... and {len(lines) - limit:,} more ({more})")
    return cut


def _print_some(lines: list[str], more: str, limit: int = 20) -> None:
    for line in some_lines(lines, more, limit):
        out.print(line)


# --- submit, acknowledgements, remittances ------------------------------------------------------


@click.command()
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the 837P interchange.",
)
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@quiet_option
@click.pass_context
@user_errors
@database_errors
def submit(
    ctx: click.Context,
    output: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
    quiet: bool,
) -> None:
    """Every ready (or corrected) claim (of the clinics given) into an 837P; the claims become
    submitted. Clinics that send as different submitters or to different clearinghouses get an
    interchange each: OUTPUT.SUBMITTER-RECEIVER.837."""
    from ptbill.ledger.submit import submit as submit_claims

    config = _config(ctx)
    target = Path(output)
    refuse_precious(target)
    # Each file put in place after the commit: never a file the ledger did not record.
    with ExitStack() as files, ledger_session(ctx) as session:
        day = as_of_or_today(ctx, as_of, config)
        result = submit_claims(
            session,
            config,
            as_of=day,
            who=who(),
            file_name=output,
            scope=_scope(session, clinics),
            progress=lambda total: progress("submitting", total, quiet=quiet or as_json),
        )
        for sent in result.interchanges:  # a device takes them one after the other
            path = target if special(target) else Path(sent.file_name)
            tmp = files.enter_context(written_whole(path))
            try:
                write_text(tmp, sent.text)
            except OSError as e:  # the transaction rolls back: the claims stay ready
                raise unwritable(path, e) from None
    if as_json:
        print_json(
            {
                "as_of": day,
                "file": output if result.interchanges else None,
                "interchange_control_number": result.interchange_control_number,
                "claims": result.claims,
                "total_charge": result.total_charge,
                "late": result.late,
                "held": result.held,
                "interchanges": [sent.as_json() for sent in result.interchanges],
            }
        )
        return
    if not result.claims:
        out.print("no ready claim to submit: nothing written")
    elif len(result.interchanges) == 1:
        out.print(
            f"{len(result.claims)} claim(s), {_money(result.total_charge)} billed, written "
            f"to {output} (interchange {result.interchange_control_number:09d})"
        )
    else:  # the clinics send as different submitters, or to different clearinghouses
        out.print(
            f"{len(result.claims)} claim(s), {_money(result.total_charge)} billed, in "
            f"{len(result.interchanges)} interchanges (one for each submitter and receiver):"
        )
        for sent in result.interchanges:
            out.print(
                f"  {sent.file_name}: {sent.claims} claim(s), {_money(sent.total_charge)}, "
                f"from {sent.sender} to {sent.receiver} (interchange {sent.control_number:09d})"
            )
    for number in result.late:
        out.print(f"  {number}: past the timely filing limit, not sent (see the worklist)")
    for number in result.held:
        out.print(f"  {number}: its payer is not the patient's coverage now, held (the worklist)")


def write_text(path: Path, text: str, piece: int = 1 << 20) -> None:
    """`text` to `path` a megabyte at a time (never a second copy of a large file)."""
    with path.open("w", encoding="ascii", newline="") as f:
        for i in range(0, len(text), piece):
            f.write(text[i : i + piece])


@click.command("ack-apply")
@click.argument("file", type=FileReadTwice())
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def ack_apply(
    ctx: click.Context,
    file: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Apply a 999 or 277CA acknowledgement to the ledger: rejected claims become rejected
    (with a work item), accepted ones accepted. (`ptbill ack FILE` only reads the file.)
    Exit 0 when applied, or applied before (said with its date; nothing changes), 2 for bad
    input."""
    from ptbill.ledger.acks import apply_ack_file
    from ptbill.ledger.scope import claim_clinics

    try:
        with ledger_session(ctx) as session:
            day = as_of_or_today(ctx, as_of)
            summary = apply_ack_file(session, file, as_of=day, who=who())
            numbers = summary.accepted + summary.rejected + summary.unchanged
            _held_to(session, clinics, file, claim_clinics(session, numbers))
    except AlreadyApplied as e:
        applied_before(e, as_json)
        return
    if as_json:
        print_json({"as_of": day, **summary.as_json()})
        return
    out.print(
        f"{summary.kind} applied as of {day}: {len(summary.accepted)} accepted, "
        f"{len(summary.rejected)} rejected, {len(summary.unchanged)} unchanged, "
        f"{len(summary.unknown)} not in the ledger"
    )
    _print_some(
        [
            f"rejected {escape(number)} (see `ptbill worklist --kind rejection`)"
            for number in summary.rejected
        ],
        "see `ptbill worklist --kind rejection`",
    )
    for text in summary.warnings:
        out.print(f"  [yellow]warning:[/] {text}")


@click.command()
@click.argument("file", type=FileReadTwice())
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Posting date (default: the 835's production or payment date).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@quiet_option
@clinic_option
@click.pass_context
@user_errors
@database_errors
def post(
    ctx: click.Context,
    file: str,
    as_of: dt.datetime | None,
    as_json: bool,
    quiet: bool,
    clinics: tuple[str, ...],
) -> None:
    """Post an 835 remittance: all of it or nothing, each payment once (a payment posted before,
    in any file, is reported, not posted again). Denials, underpayments, overpayments and what
    matches no claim go to the worklist. Exit 0 when posted or already posted, 1 when a claim
    matched nothing or work items were opened, 2 for bad input."""
    from ptbill.remit.post import post_file

    config = _config(ctx)
    with ledger_session(ctx) as session:
        summary = post_file(
            session,
            file,
            who=who(),
            config=config,
            as_of=_day(as_of),
            progress=lambda size: progress("posting", size, quiet=quiet or as_json, in_bytes=True),
        )
        _held_to(session, clinics, file, summary.clinics(session))
    if as_json:
        print_json(summary.as_json())
    elif summary.wholly_posted_before:
        for earlier in summary.already_posted:
            out.print(f"{file}: {earlier.text()}", soft_wrap=True)
        out.print("nothing was changed: every payment of the file was posted before")
    else:
        _render_posted(file, summary)
    if summary.needs_a_person:
        ctx.exit(EXIT_FOUND)


def _render_posted(file: str, summary: Any) -> None:
    out.print(
        f"posted {file}: {summary.payments} payment(s), {summary.claims} claim(s), "
        f"{_money(summary.paid_total)} paid; {summary.matched} matched, "
        f"{len(summary.unmatched)} unmatched, {summary.reversals} reversal(s); "
        f"{summary.denial_items} denial, {summary.underpayment_items} underpayment and "
        f"{summary.overpayment_items} overpayment work item(s)"
    )
    if summary.claims and not summary.matched:
        out.print(
            "  [yellow]nothing in this 835 matched a claim of the ledger:[/] is it for another "
            "clinic or another database (--db)? See `ptbill worklist --kind unmatched`"
        )
    if summary.states:
        out.print(
            "  claims now: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.states.items()))
        )
    for earlier in summary.already_posted:
        out.print(f"  not posted again: {earlier.text()}", soft_wrap=True)
    _print_some(
        [f"[yellow]does not balance:[/] {text}" for text in summary.imbalances],
        f"see `ptbill remit {file}`",
        limit=10,
    )
    for text in summary.warnings:
        out.print(f"  [yellow]warning:[/] {text}")


# --- worklist and actions ----------------------------------------------------------------------


def claim_action(
    name: str, *options: Callable[[Any], Any], json_help: str = "Machine-readable output."
) -> Callable[[Callable[..., Any]], click.Command]:
    """A claim action's command: CLAIM or --from-stdin, then `options`, --as-of, --json and
    --clinic. The command's function acts on one CLAIM; --from-stdin runs the bulk action
    `name` (run_bulk_command) on the claim ids of standard input instead
    (with --clinic, a claim of another clinic is refused as not found)."""

    def wrap(fn: Callable[..., Any]) -> click.Command:
        @functools.wraps(fn)
        def one_or_bulk(
            ctx: click.Context,
            claim: str | None,
            from_stdin: bool,
            as_of: dt.datetime | None,
            as_json: bool,
            clinics: tuple[str, ...],
            **extra: Any,
        ) -> None:
            if one_claim(claim, from_stdin) is not None:
                fn(ctx, claim=claim, as_of=as_of, as_json=as_json, clinics=clinics, **extra)
                return
            out_dir = extra.get("output_dir", ".")
            reason = extra.get("reason", "")
            run_bulk_command(ctx, name, as_of, as_json, clinics, reason=reason, out_dir=out_dir)

        command: Callable[..., Any] = one_or_bulk
        for deco in (
            database_errors,
            user_errors,
            click.pass_context,
            clinic_option,
            click.option("--json", "as_json", is_flag=True, help=json_help),
            click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP),
            *reversed(options),
            from_stdin_option,
            click.argument("claim", required=False),
        ):
            command = deco(command)
        return click.command()(command)

    return wrap


@claim_action("correct")
def correct(
    ctx: click.Context,
    claim: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Make a corrected claim from the stored (re-imported) visit: a replacement (frequency 7,
    with the payer's claim number) or, if the payer never processed it, a new original.
    Exit 1 when the corrected claim would still be blocked (nothing changes); a replacement
    with no change (the visit not imported again since it was sent, the same lines) is
    refused (exit 2)."""
    from ptbill.remit.actions import CorrectionBlocked
    from ptbill.remit.actions import correct as correct_claim

    config = _config(ctx)
    try:
        with ledger_session(ctx) as session:
            _claim_in(session, clinics, claim)
            day = as_of_or_today(ctx, as_of, config)
            result = correct_claim(session, config, claim, as_of=day, who=who())
    except CorrectionBlocked as e:
        err.print(f"[red]blocked:[/] {e.render()}", markup=True, soft_wrap=True)
        ctx.exit(EXIT_FOUND)
    if as_json:
        print_json(result.as_json())
        return
    what = (
        f"replacement of payer claim {result.original_claim_id} (frequency 7)"
        if result.frequency_code == "7"
        else "new original claim (frequency 1)"
    )
    out.print(
        f"claim {claim} version {result.version}: {what}, {_money(result.charge)}; "
        "send it with `ptbill submit`"
    )
    for w in result.warnings:
        if w["severity"] == "warning":
            click.echo(f"warning: {w['message']}. Fix: {w['fix']}", err=True)


@claim_action(
    "appeal",
    click.option(
        "-o",
        "--output-dir",
        default=".",
        type=click.Path(file_okay=False),
        show_default=True,
        help="Where to write appeal-CLAIM.html and .pdf.",
    ),
)
def appeal(
    ctx: click.Context,
    claim: str,
    output_dir: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Write an appeal letter (HTML and PDF) for a denied or short-paid claim; the claim
    becomes appealed."""
    from ptbill.remit.appeal import appeal as appeal_claim

    config = _config(ctx)
    with ledger_session(ctx) as session:
        _claim_in(session, clinics, claim)
        day = as_of_or_today(ctx, as_of, config)
        result = appeal_claim(session, config, claim, as_of=day, who=who(), out_dir=output_dir)
    if as_json:
        print_json(result.as_json())
        return
    out.print(
        f"{result.level} for claim {claim}, due {result.due_date}: {result.html_path}, "
        f"{result.pdf_path}"
    )


@claim_action(
    "writeoff",
    click.option("--reason", required=True, help="Why the balance is written off."),
    json_help="Machine-readable output (--from-stdin).",
)
def writeoff(
    ctx: click.Context,
    claim: str,
    reason: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Write off what is outstanding on a claim, and close it."""
    from ptbill.remit.actions import writeoff as write_off

    with ledger_session(ctx) as session:
        _claim_in(session, clinics, claim)
        day = as_of_or_today(ctx, as_of)
        amount = write_off(session, claim, reason, as_of=day, who=who())
    out.print(f"claim {claim}: wrote off {_money(amount)} and closed it")


# --- report --------------------------------------------------------------------------------


@click.command()
@format_options("csv")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Report as of this date (default: today in the clinic's time zone).",
)
@clinic_option
@click.pass_context
@user_errors
@database_errors
def report(
    ctx: click.Context, output: str | None, as_of: dt.datetime | None, clinics: tuple[str, ...]
) -> None:
    """Claims submitted, first-pass acceptance, clean claims, denials by category and CARC,
    paid, expected vs paid, A/R with aging and days in A/R: overall, per payer and per clinic.

    --format csv: one table in long form for a spreadsheet, a row per number (as_of, section,
    name, metric, item, value; money as plain decimals)."""
    from ptbill.reports.report import build_report
    from ptbill.reports.report_csv import report_csv

    with ledger_session(ctx, read_only=True) as session:
        day = as_of_or_today(ctx, as_of)
        data = build_report(session, day, _scope(session, clinics))
    if output == "json":
        print_json(data)
    elif output == "csv":
        stream = binary_stdout()
        stream.write(report_csv(data).encode("utf-8"))
        stream.flush()
    else:
        render_report(data)


def render_report(data: dict[str, Any]) -> None:
    """Two tables, outcomes then A/R with its aging, split by columns where the terminal is
    too narrow for them: money is never cut."""
    from ptbill.reports.report import BUCKETS

    rows = [("overall", data)] + list(data["payers"].items())
    print_table(
        f"Claims as of {data['as_of']}",
        ("", "Submitted", "1st pass", "Clean", "Denials", "Paid", "Expected"),
        [
            (
                name,
                str(r["claims_submitted"]),
                _percent(r["first_pass_acceptance_rate"]),
                _percent(r["clean_claim_rate"]),
                _percent(r["denial_rate"]),
                _money(r["paid_total"]),
                # No claim with a known expected payment: unknown, not $0.00.
                _money(r["expected_vs_paid"]["expected"])
                if r["expected_vs_paid"]["claims"]
                else "-",
            )
            for name, r in rows
        ],
    )
    print_table(
        "A/R by days since first submission",
        ("", "A/R", "0-30", "31-60", "61-90", "91-120", ">120", "Days"),
        [
            (
                name,
                _money(r["ar_total"]),
                *[_money(r["ar_aging"][b]) for b, _ in BUCKETS],
                "-" if r["days_in_ar"] is None else str(r["days_in_ar"]),
            )
            for name, r in rows
        ],
    )
    if data["denials_by_category"]:
        out.print(
            "denials by category: "
            + ", ".join(
                f"{k} {v['claims']} ({_money(v['amount'])})"
                for k, v in data["denials_by_category"].items()
            )
        )
        out.print(
            "denials by CARC: "
            + ", ".join(f"{k} {v['claims']}" for k, v in data["denials_by_carc"].items())
        )
    ev = data["expected_vs_paid"]
    out.print(
        f"expected vs paid on {ev['claims']} decided claim(s) with a known expected "
        f"payment: expected {_money(ev['expected'])}, paid {_money(ev['paid'])} "
        f"({_money(ev['difference'])}); {ev['claims_without_expected']} without one"
    )
    if "patient_ar_total" in data:
        render_patient_money(data)


def render_patient_money(data: dict[str, Any]) -> None:
    """Patient A/R beside the insurance A/R, collections and the net collection rate."""
    from ptbill.reports.report import BUCKETS

    print_table(
        "Patient A/R by days since the payer decided",
        ("", "A/R", "0-30", "31-60", "61-90", "91-120", ">120", "Credits"),
        [
            (
                "patients",
                _money(data["patient_ar_total"]),
                *[_money(data["patient_ar_aging"][b]) for b, _ in BUCKETS],
                _money(data["patient_credits"]),
            ),
            (
                "insurance",
                _money(data["ar_total"]),
                *[_money(data["ar_aging"][b]) for b, _ in BUCKETS],
                "",
            ),
        ],
    )
    payers = ", ".join(f"{k} {_money(v)}" for k, v in data["collections_by_payer"].items())
    patients = sum(data["collections_by_patient"].values(), Decimal(0))
    plb = data.get("provider_adjustments") or Decimal(0)
    outside = (
        f" (less {_money(plb)} of provider adjustments, PLB: taken back, or paid extra below 0)"
        if plb
        else ""
    )
    refunded = data.get("payer_refunds") or Decimal(0)
    if refunded:
        outside += f" (less {_money(refunded)} refunded to payers for over-payments)"
    out.print(
        f"collections: {_money(data['collections_total'])} (payers: {payers or '-'}{outside}; "
        f"patients {_money(patients)}); net collection rate "
        f"{_percent(data['net_collection_rate'])}"
    )
    render_clinic_money(data)


def render_clinic_money(data: dict[str, Any]) -> None:
    """Each clinic's collections and net collection rate (a billing company's comparison):
    they add up to the whole's, less a PLB of no clinic."""
    clinics = {k: v for k, v in data.get("clinics", {}).items() if "collections_total" in v}
    if not clinics:
        return
    print_table(
        "Collections by clinic (payers net of PLB and refunds)",
        ("", "Payers", "PLB", "Refunds", "Patients", "Collected", "Net rate"),
        [
            (
                name,
                _money(r["collections_total"] - r["collections_from_patients"]),
                _money(r["provider_adjustments"]),
                _money(r["payer_refunds"]),
                _money(r["collections_from_patients"]),
                _money(r["collections_total"]),
                _percent(r["net_collection_rate"]),
            )
            for name, r in clinics.items()
        ],
    )
    if data.get("provider_adjustments_of_no_clinic"):
        out.print(
            f"{_money(data['provider_adjustments_of_no_clinic'])} of PLB in payments to an NPI "
            "of no clinic: in the collections above, in no clinic's"
        )


# --- bulk actions ------------------------------------------------------------------------------


def read_claim_ids(stream: Any) -> list[str]:
    """The claim ids of standard input, one a line (blank lines skipped); a line that is not
    a claim id stops everything before anything is done."""
    text = stream.read(MAX_STDIN + 1)
    if len(text) > MAX_STDIN:
        raise InputError(
            file="standard input",
            visit_id=None,
            field=None,
            problem=f"more than {MAX_STDIN:,} characters of claim ids",
            fix="act on fewer claims at a time (filter the worklist)",
        )
    ids = []
    text = text.removeprefix("\ufeff")  # a list saved by Notepad or a spreadsheet
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        if not _CLAIM_ID.match(line):
            raise InputError(
                file="standard input",
                visit_id=None,
                field=f"line {n}",
                problem="not a claim id (1 to 38 characters, no spaces): nothing was done",
                fix="send the claim ids one a line, as `ptbill worklist --format ids` prints",
            )
        ids.append(line)
    return ids


def run_bulk_command(
    ctx: click.Context,
    name: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...] = (),
    *,
    reason: str = "",
    out_dir: str = ".",
) -> None:
    """`name` on every claim id of standard input; prints each outcome as it is decided (or
    the whole answer as JSON) and exits 1 unless every claim was done. With `clinics`, a
    claim of another clinic is refused (as not found)."""
    from ptbill.remit.bulk_actions import BulkAction, ClaimOutcome, claim_targets, run_bulk

    action = BulkAction(name, reason, out_dir)
    targets = claim_targets(read_claim_ids(sys.stdin))
    config = run_config(ctx)

    def tell(c: ClaimOutcome) -> None:
        if as_json:
            return
        line = f"{c.outcome:<8} {c.claim_id}: {c.detail}" + (f". Fix: {c.fix}" if c.fix else "")
        (click.echo if c.outcome == "done" else lambda t: click.echo(t, err=True))(line)

    with ledger_session(ctx, per_claim=True) as session:
        day = as_of_or_today(ctx, as_of)
        session.commit()  # the date's read: each claim then has a transaction of its own
        result = run_bulk(
            session,
            config,
            action,
            targets,
            as_of=day,
            who=who(),
            check=lambda number: _claim_in(session, clinics, number),
            progress=tell,
        )
    if as_json:
        print_json({"as_of": day, **result.as_json()})
    else:
        err.print(
            f"{name}: {result.count('done')} done, {result.count('refused')} refused, "
            f"{result.count('failed')} failed",
            highlight=False,
        )
    if result.count("done") != len(result.claims):
        ctx.exit(EXIT_FOUND)
