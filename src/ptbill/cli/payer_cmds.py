"""Talking to payers: `ptbill eligibility` (270/271), `ptbill status` (276/277) and
`ptbill exchange` (the clearinghouse mailbox). docs/payers.md tells the whole story."""

from __future__ import annotations

import datetime as dt
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ptbill.cli.clock import as_of_or_today
from ptbill.cli.common import (
    EXIT_FOUND,
    FileReadTwice,
    applied_before,
    err,
    out,
    print_json,
    unwritable,
    user_errors,
)
from ptbill.cli.ledger_cmds import (
    AS_OF_HELP,
    DATE,
    _claim_in,
    _config,
    _held_to,
    _scope,
    clinic_option,
    database_errors,
    database_problem,
    ledger_session,
    who,
)
from ptbill.cli.outfile import written_whole
from ptbill.cli.output import JsonList
from ptbill.errors import AlreadyApplied, InputError, read_bounded

TODAY = click.option(
    "--as-of", "as_of", type=DATE, default=None, help="Business date (default today)."
)
JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def _write(target: str, text: str) -> None:
    """Write the file whole (a temporary name, then renamed): never half a file."""
    path = Path(target)
    try:
        with written_whole(path) as tmp:
            tmp.write_text(text, encoding="ascii")
    except OSError as e:  # inside the ledger's transaction: nothing of it is kept
        raise unwritable(path, e) from None


def _today(ctx: click.Context, as_of: dt.datetime | None) -> dt.date:
    """The business date: --as-of, else today (ptbill.cli.clock)."""
    return as_of_or_today(ctx, as_of)


def _applies_a_file(fn: Callable[..., Any]) -> Callable[..., Any]:
    """FILE, --as-of, --json and the ledger's error handling of a command applying a file."""
    for decorate in (
        database_errors,
        user_errors,
        click.pass_context,
        clinic_option,
        JSON,
        TODAY,
        click.argument("file", type=click.Path(dir_okay=False)),
    ):
        fn = decorate(fn)
    return fn


# The most of a 271 or 277 read (the exchange's default max_file_mb): an answer about ten
# thousand patients is a few MB; a device or a wrong file is not read on without end.
MAX_ANSWER_BYTES = 100 << 20


def _read(path: str) -> str:
    data = read_bounded(
        path,
        MAX_ANSWER_BYTES,
        "more than an eligibility or claim status answer holds",
        "check that it is the payer's 271 or 277 (or ask for the answers in smaller files)",
    )
    return data.decode("utf-8", errors="replace")


def _apply(
    ctx: click.Context,
    file: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
    apply: Callable[..., Any],
    touched: Callable[[Any, int], set[int | None]],
) -> tuple[dt.date, Any]:
    """Apply an answer file (271 or 277) to the ledger, in one transaction. A file applied
    before is said so (common.applied_before) and the command ends there, exit 0. With
    --clinic, a file that answers about another clinic's patients or claims is refused whole."""
    day = _today(ctx, as_of)
    text = _read(file)
    try:
        with ledger_session(ctx) as session:
            summary = apply(session, text, file, as_of=day, who=who())
            _held_to(session, clinics, file, touched(session, summary.inbound_id))
            return day, summary
    except AlreadyApplied as e:
        applied_before(e, as_json)
        ctx.exit(0)


def _money(value: Any) -> str:
    return "-" if value is None else str(value)


# --- eligibility -------------------------------------------------------------------------------


@click.group()
def eligibility() -> None:
    """Eligibility before the visit: 270 inquiries out, 271 answers in."""


@eligibility.command("request")
@click.argument("visits_file", required=False, type=FileReadTwice())
@click.option("--date", "on", type=DATE, default=None, help="The ledger's visits on this date.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The 270.")
@TODAY
@JSON
@clinic_option
@click.pass_context
@user_errors
@database_errors
def eligibility_request(
    ctx: click.Context,
    visits_file: str | None,
    on: dt.datetime | None,
    output: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Write a 270 (005010X279A1) for the patients of VISITS_FILE, or of the ledger's visits on
    --date (of the clinics given with --clinic): one inquiry per patient and payer, for the
    service types the payer profile names. The ledger keeps each inquiry's trace number, so
    that `eligibility apply` finds the patient of each answer."""
    from ptbill.intake.load import load_visits
    from ptbill.ledger.eligibility import ledger_visits, request

    if (visits_file is None) == (on is None):
        raise InputError(
            "eligibility request",
            "give a visits file or --date (one of them)",
            "ptbill eligibility request visits.jsonl -o out.270, or --date 2026-03-02",
        )
    if visits_file is not None and clinics:
        raise InputError(
            "--clinic",
            "--clinic chooses among the ledger's visits of a date; a visits file is asked "
            "about whole",
            "give --date instead of the file, or leave out --clinic",
        )
    config = _config(ctx)
    day = _today(ctx, as_of)
    visits = load_visits(visits_file) if visits_file else None
    with ledger_session(ctx) as session:
        if visits is None:
            assert on is not None
            visits = ledger_visits(session, on.date(), _scope(session, clinics))
        written = request(
            session, config, visits, as_of=day, file_name=output, origin=visits_file or "ledger"
        )
        if written.text:
            _write(output, written.text)
    if as_json:
        print_json({"as_of": day, "file": output if written.text else None, **written.as_json()})
        return
    if not written.text:
        out.print("no visit to ask about: nothing written")
        return
    out.print(
        f"{len(written.items)} inquiry(ies) written to {output} "
        f"(interchange {written.interchange_control_number:09d})"
    )


@eligibility.command("read")
@click.argument("file", type=click.Path(dir_okay=False))
@JSON
@user_errors
def eligibility_read(file: str, as_json: bool) -> None:
    """Read a 271: per subscriber, coverage active or not, plan dates, deductible and
    out-of-pocket remaining, coinsurance and copay for PT, visits left, prior authorization,
    other payers, the payer's errors and, for Medicare, the therapy amount applied this year.
    Exit 1 when anyone's coverage is inactive or the payer returned errors."""
    from ptbill.bulk import batch as gc_paused
    from ptbill.x12.benefits import Summary, read_eligibility

    with gc_paused():  # a 271 becomes a few objects a segment, none of them garbage
        people = read_eligibility(_read(file), file)  # read whole: no half-written output
        summary = Summary()
        # Each person summarised, then printed: only one person's summary at a time in memory.
        summaries = (summary(e) for e in people)
        sink = JsonList(lines=False) if as_json else None
        found = False
        for p in summaries:
            if sink is not None:
                sink.add(p)
            else:
                _render_person(p)
            found = _needs_attention(p) or found
        if sink is not None:
            sink.close()
        del people, summaries  # freed while the collector is still paused
    if found:
        raise SystemExit(EXIT_FOUND)


def _needs_attention(p: dict[str, Any]) -> bool:
    return p["active"] is False or bool(p["errors"])


def _render_person(p: dict[str, Any]) -> None:
    state = {True: "[green]active[/]", False: "[red]inactive[/]", None: "unknown"}[p["active"]]
    out.print(
        f"[bold]{p['member_id'] or '(no member id)'}[/] ({p['level']}, trace {p['trace'] or '-'}) "
        f"{p['payer'] or ''}: {state}, plan {p['plan_begin'] or '?'} to {p['plan_end'] or '?'}"
    )
    out.print(
        f"  deductible remaining {_money(p['deductible_remaining'])}, out of pocket remaining "
        f"{_money(p['out_of_pocket_remaining'])}, coinsurance {_money(p['coinsurance_percent'])}%, "
        f"copay {_money(p['copay'])}, visits {_money(p['visits_remaining'])} left of "
        f"{_money(p['visit_limit'])}"
    )
    if p["prior_authorization_required"]:
        out.print("  prior authorization required")
    if p["therapy_amount_applied"] is not None:
        out.print(f"  Medicare therapy amount applied this year: {p['therapy_amount_applied']}")
    for other in p["other_payers"]:
        kind = other["meaning"] or other["insurance_type"] or ""
        out.print(f"  other payer: {kind} {other['plan'] or ''}")
    for e in p["errors"]:
        out.print(f"  [red]error:[/] {e['message']}")


@eligibility.command("apply")
@_applies_a_file
def eligibility_apply(
    ctx: click.Context,
    file: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Apply a 271 to the ledger, once: each answer is kept with its patient; inactive
    coverage, no visits left and the payer's errors become work items (ready claims the
    coverage does not reach are blocked); Medicare's therapy amount feeds the KX tracker.
    Exit 0 when applied, or applied before (said with its date; nothing changes), 2 for bad
    input."""
    from ptbill.ledger.eligibility import apply_271
    from ptbill.ledger.scope import eligibility_clinics

    day, summary = _apply(ctx, file, as_of, as_json, clinics, apply_271, eligibility_clinics)
    if as_json:
        print_json({"as_of": day, **summary.as_json()})
        return
    out.print(
        f"271 applied as of {day}: {len(summary.people)} answer(s), {summary.work_items} work "
        f"item(s), {len(summary.blocked_claims)} claim(s) blocked, "
        f"{len(summary.released_claims)} ready again, "
        f"{len(summary.unmatched)} not matched to an inquiry"
    )


@eligibility.command("list")
@click.option("--patient", "patient", default=None, help="A patient id (as in the visits).")
@JSON
@clinic_option
@click.pass_context
@user_errors
@database_errors
def eligibility_list(
    ctx: click.Context, patient: str | None, as_json: bool, clinics: tuple[str, ...]
) -> None:
    """The latest eligibility answers in the ledger (of one patient with --patient; of the
    patients of the clinics given with --clinic)."""
    from ptbill.ledger.eligibility import recent_checks

    with ledger_session(ctx, read_only=True) as session:
        checks = recent_checks(session, patient, scope=_scope(session, clinics))
    if as_json:
        print_json(checks)
        return
    if not checks:
        out.print("no eligibility answer in the ledger")
    for c in checks:
        state = {True: "active", False: "inactive", None: "unknown"}[c["active"]]
        out.print(
            f"{c['checked_on']} {c['patient'] or '-'} {c['payer'] or '-'}: {state}, visits left "
            f"{_money(c['visits_remaining'])}"
            + (f", {len(c['errors'])} error(s)" if c["errors"] else "")
        )


# --- claim status ------------------------------------------------------------------------------


@click.group()
def status() -> None:
    """Claim status: 276 requests out, 277 answers in."""


@status.command("request")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The 276.")
@click.option("--claim", "claims", multiple=True, help="Ask about this claim (repeatable).")
@TODAY
@JSON
@clinic_option
@click.pass_context
@user_errors
@database_errors
def status_request(
    ctx: click.Context,
    output: str,
    claims: tuple[str, ...],
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Write a 276 (005010X212) for the claims the payer has not answered within its window
    (`status_after_days` of the payer profile, after submission or acceptance), or for the
    claims named with --claim (with --clinic: of those clinics only)."""
    from ptbill.ledger.claim_status import request

    config = _config(ctx)
    day = _today(ctx, as_of)
    with ledger_session(ctx) as session:
        for number in claims:
            _claim_in(session, clinics, number)
        written = request(
            session,
            config,
            as_of=day,
            file_name=output,
            claims=list(claims) or None,
            scope=_scope(session, clinics),
        )
        if written.text:
            _write(output, written.text)
    if as_json:
        print_json({"as_of": day, "file": output if written.text else None, **written.as_json()})
    elif not written.text:
        out.print("no claim is waiting past its payer's window: nothing written")
    else:
        out.print(f"{len(written.items)} claim status request(s) written to {output}")


@status.command("read")
@_applies_a_file
def status_read(
    ctx: click.Context,
    file: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Apply a 277 claim status response to the claims, once: pending claims become accepted,
    finalized or denied ones get a work item to post their remittance, claims the payer has
    not on file become rejected with a resubmission work item. Exit 0 when applied, or
    applied before (said with its date; nothing changes), 2 for bad input."""
    from ptbill.ledger.claim_status import apply_277
    from ptbill.ledger.scope import status_clinics

    day, summary = _apply(ctx, file, as_of, as_json, clinics, apply_277, status_clinics)
    if as_json:
        print_json({"as_of": day, **summary.as_json()})
        return
    for c in summary.claims:
        out.print(f"{c['claim_id'] or c['trace']}: {c['status']} ({c['detail']})")
    out.print(
        f"277 applied as of {day}: {len(summary.claims)} claim(s), {len(summary.accepted)} now "
        f"accepted, {len(summary.rejected)} not on file (to resubmit), {summary.work_items} "
        f"work item(s), {len(summary.unmatched)} matching no claim in this ledger"
    )


# --- exchange ----------------------------------------------------------------------------------

_INTERVAL = re.compile(r"^(\d+)([smhd]?)$")
_SECONDS = {"": 60, "s": 1, "m": 60, "h": 3600, "d": 86400}


def interval(value: str) -> int:
    """Seconds of an interval written 90s, 15m, 2h or 1d (a bare number is minutes)."""
    match = _INTERVAL.match(value.strip())
    if not match or int(match[1]) == 0:
        raise InputError("--watch", f"{value!r} is not an interval", "write 15m, 1h or 90s")
    return int(match[1]) * _SECONDS[match[2]]


@click.group()
def exchange() -> None:
    """The clearinghouse mailbox: send what is waiting, apply what came back."""


@exchange.command("run")
@click.option("--clearinghouse", "house", default=None, help="Its key (default: the only one).")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help=AS_OF_HELP,
)
@click.option("--watch", "watch", default=None, help="Run again every interval (15m, 1h).")
@JSON
@click.pass_context
@user_errors
@database_errors
def exchange_run(
    ctx: click.Context,
    house: str | None,
    as_of: dt.datetime | None,
    watch: str | None,
    as_json: bool,
) -> None:
    """Upload every submission, 270 and 276 not yet sent; download every new file, recognise
    it (999, TA1, 277CA, 277, 271, 835) and apply it, each file exactly once; archive what was
    processed. One run of a clearinghouse at a time: while another is going this one is
    refused, doing nothing. Exit 1 when a file was set aside or failed, 2 when the mailbox
    cannot be used, the run was interrupted (Ctrl-C, SIGTERM: the next run does the rest) or
    refused."""
    from ptbill.exchange.lease import RunGoing
    from ptbill.exchange.run import Interrupted

    config = _config(ctx)
    every = interval(watch) if watch else None
    base = Path(config.source).parent if Path(config.source).exists() else Path.cwd()
    # SIGTERM (a service manager, a cron timeout) ends a run as Ctrl-C does: recorded and
    # said, never killed between a file's apply and its record.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        summary = _exchange_runs(ctx, config, house, as_of, every, watch, base, as_json)
        if summary is None:  # a watch stopped between runs, as asked
            return
    except Interrupted as stopped:
        summary = stopped.summary
        if as_json:
            print_json(summary.as_json())
        else:
            _render_run(summary)
    except RunGoing as going:
        _render_refused(going, as_json)
        ctx.exit(2)
    except KeyboardInterrupt:  # as the run was starting (its lease, its row): nothing done
        err.print(
            "[red]error:[/] interrupted as the run was starting: nothing was sent or taken in",
            markup=True,
        )
        ctx.exit(2)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if summary.status == "failed":
        ctx.exit(2)
    if summary.status == "problems":
        ctx.exit(EXIT_FOUND)


class _Stop:
    """SIGTERM as Ctrl-C, held (not raised) while a run's output is written and its ledger
    closed: raised there, the interrupt lands inside the database driver's close, where the
    connection pool swallows it with a traceback, and the watch ends saying nothing was done."""

    held = False
    asked = False


def _interrupt(*_: object) -> None:
    if _Stop.held:
        _Stop.asked = True
        return
    raise KeyboardInterrupt


@contextmanager
def _held() -> Iterator[None]:
    _Stop.held = True
    try:
        yield
    finally:
        _Stop.held = False


def _stop_if_asked() -> None:
    """The SIGTERM held by `_held`, raised now that the run is over."""
    if _Stop.asked:
        _Stop.asked = False
        raise KeyboardInterrupt


def _exchange_runs(
    ctx: click.Context,
    config: Any,
    house: str | None,
    as_of: dt.datetime | None,
    every: int | None,
    watch: str | None,
    base: Path,
    as_json: bool,
) -> Any:
    """The run, or the runs every `every` seconds until stopped: the last one's summary, or None
    for a watch stopped between runs."""
    from sqlalchemy.exc import SQLAlchemyError

    from ptbill.exchange.lease import RunGoing
    from ptbill.exchange.run import run_exchange
    from ptbill.ledger.db import Ledger

    summary = None
    while True:
        ledger = None
        try:
            ledger = Ledger(ctx.obj.get("db"))
            summary = run_exchange(
                ledger, config, house, as_of=_today(ctx, as_of), who=who(), base=base
            )
        except RunGoing as going:
            if every is None:
                raise
            _render_refused(going, as_json)  # watching: that run does the work; wait for it
        except (SQLAlchemyError, InputError) as e:
            # Watching, a database that fails after a first good run (a restart, a network
            # blip) is waited out, not the end of the watch; the first run's failure is told
            # at once (a wrong --db never heals), as is any fault of the input.
            database = isinstance(e, SQLAlchemyError) or ledger is None  # (None: not opened)
            if every is None or summary is None or not database:
                raise
            problem = f"database: {e.problem}" if isinstance(e, InputError) else database_problem(e)
            err.print(
                f"[yellow]warning:[/] {dt.datetime.now():%Y-%m-%d %H:%M:%S} the run did not "
                f"happen: {problem}. It is tried again in {watch}",
                markup=True,
                soft_wrap=True,
            )
        else:
            with _held():
                if as_json:
                    print_json(summary.as_json())
                else:
                    _render_run(summary)
        finally:
            if ledger is not None:
                with _held():
                    ledger.close()
        if every is None:
            _Stop.asked = False  # the run is done and said: nothing is left to stop
            break
        try:
            _stop_if_asked()
            time.sleep(every)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (`systemctl stop`) between runs: done
            err.print(
                f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} the watch stopped while waiting for the "
                "next run (no run was going)",
                soft_wrap=True,
            )
            return None
    return summary


def _render_refused(going: Any, as_json: bool) -> None:
    if as_json:
        print_json(going.as_json())
    else:
        err.print(f"[yellow]refused:[/] {going}", markup=True, soft_wrap=True)


def _render_run(summary: Any) -> None:
    data = summary.as_json()
    colour = {"ok": "green", "problems": "yellow", "failed": "red"}[summary.status]
    out.print(
        f"exchange run #{data['run_id']} with {data['clearinghouse']} on {data['run_on']}: "
        f"[{colour}]{summary.status}[/]; {data['uploaded']} uploaded, {data['downloaded']} "
        f"downloaded, {data['applied']} applied, {data['duplicates']} already applied, "
        f"{data['set_aside']} set aside, {data['waiting']} waiting for the next run, "
        f"{data['failed']} failed"
    )
    for o in summary.outcomes:
        out.print("  " + o.line(), markup=False)
    if summary.status == "failed":
        err.print("[red]error:[/] the exchange did not finish; see the lines above", markup=True)


@exchange.command("runs")
@click.option("--run", "run_id", type=click.IntRange(1), default=None, help="One run, in full.")
@JSON
@click.pass_context
@user_errors
@database_errors
def exchange_runs(ctx: click.Context, run_id: int | None, as_json: bool) -> None:
    """The latest exchange runs, newest first; with --run, one run and what it did, file by
    file (a run `running` says since when, or that it stopped without finishing)."""
    from ptbill.exchange.run import Outcome, run_json, runs
    from ptbill.ledger import payer_models as pm

    with ledger_session(ctx, read_only=True) as session:
        if run_id is None:
            items = runs(session)
        else:
            row = session.get(pm.ExchangeRun, run_id)
            if row is None:
                raise InputError("--run", f"no exchange run #{run_id}", "see ptbill exchange runs")
            items = [run_json(row, with_outcomes=True)]
    if as_json:
        print_json(items[0] if run_id is not None else items)
        return
    if not items:
        out.print("no exchange run yet")
    for r in items:
        going = f" ({r['going']['detail']})" if r.get("going") else ""
        out.print(
            f"#{r['id']} {r['run_on']} {r['clearinghouse']} by {r['who']}: {r['status']}{going}; "
            f"{r['uploaded']} uploaded, {r['applied']} applied, {r['set_aside']} set aside, "
            f"{r['failed']} failed",
            markup=False,
            soft_wrap=True,
        )
        for o in r.get("outcomes", []):
            out.print("  " + Outcome(**o).line(), markup=False, soft_wrap=True)
