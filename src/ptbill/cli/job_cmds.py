"""`ptbill jobs list|show|cancel` (the job queue, as the API's /jobs and the Jobs page show it)
and `ptbill worker` (a standalone worker that runs the queued jobs).

At the command line the database's owner sees every job; `--clinic KEY` (repeatable) shows
those that work for these clinics only, as a biller of them sees them on the Jobs page.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
import threading
import time
from typing import Any

import click

from ptbill.cli.common import EXIT_FOUND, err, out, print_json, run_config, user_errors
from ptbill.cli.ledger_cmds import _scope, clinic_option, database_errors, ledger_session
from ptbill.errors import InputError

STATES = ("queued", "running", "done", "failed", "cancelled")


@click.group()
def jobs() -> None:
    """The job queue: imports and postings the workbench queued, their progress and results."""


def _jobs_of(session: Any, clinics: tuple[str, ...]) -> Any:
    """The jobs --clinic reaches (ptbill.ledger.jobs.JobScope): every job without it."""
    from ptbill.ledger.jobs import JobScope

    return JobScope(_scope(session, clinics).clinics)


def _line(job: dict[str, Any]) -> str:
    progress = job["progress"]
    done = f"{progress['done']}/{progress['total']}" if progress["total"] else "-"
    seconds = "-" if job["seconds"] is None else f"{job['seconds']}s"
    return (
        f"{job['id']:>6}  {job['kind']:<7} {job['state']:<9} {done:>13} {seconds:>8}  "
        f"{job['created_at'].replace('T', ' ')}  {job['who']}  {job['name']}"
    )


@jobs.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--kind", default=None, help="import or post.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def list_cmd(
    ctx: click.Context,
    state: str | None,
    kind: str | None,
    limit: int,
    offset: int,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """The jobs, the newest first."""
    from ptbill.ledger.jobs import list_jobs

    with ledger_session(ctx) as session:
        rows, total = list_jobs(
            session, _jobs_of(session, clinics), limit=limit, offset=offset, state=state, kind=kind
        )
    if as_json:
        more = offset + limit < total
        print_json(
            {
                "jobs": rows,
                "total": total,
                "limit": limit,
                "offset": offset,
                "next_offset": offset + limit if more else None,
            }
        )
        return
    if not rows:
        out.print("no job")
        return
    click.echo(f"{len(rows)} of {total} job(s)")
    click.echo(f"{'id':>6}  {'kind':<7} {'state':<9} {'progress':>13} {'took':>8}  queued (UTC)")
    for job in rows:
        click.echo(_line(job))


def _no_job(job_id: int) -> InputError:
    return InputError(
        file="jobs",
        visit_id=None,
        field="ID",
        problem=f"no job {job_id}",
        fix="see `ptbill jobs list`",
    )


def _detail(ctx: click.Context, job_id: int, clinics: tuple[str, ...]) -> dict[str, Any]:
    from ptbill.ledger.jobs import job_detail

    with ledger_session(ctx) as session:
        try:
            return job_detail(session, job_id, _jobs_of(session, clinics))
        except LookupError:
            raise _no_job(job_id) from None


@jobs.command("show")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
@click.option(
    "--wait",
    type=click.FloatRange(0, 3600),
    default=0,
    help="Seconds to wait for the job to finish first.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def show(
    ctx: click.Context, job_id: int, wait: float, as_json: bool, clinics: tuple[str, ...]
) -> None:
    """One job: its state, progress, result or problems. Exit 1 when it failed or was
    cancelled."""
    from ptbill.ledger.jobs import FINISHED

    deadline = time.monotonic() + wait
    job = _detail(ctx, job_id, clinics)
    while job["state"] not in FINISHED and time.monotonic() < deadline:
        time.sleep(0.5)
        job = _detail(ctx, job_id, clinics)
    if as_json:
        print_json(job)
    else:
        click.echo(_line(job))
        if job["attempts"] > 1:
            click.echo(f"  {job['attempts']} attempts (a worker stopped; its work rolled back)")
        for e in job["errors"] or []:
            where = " ".join(x for x in (e.get("file"), e.get("visit_id"), e.get("field")) if x)
            click.echo(f"  error: {where}: {e['problem']}. Fix: {e['fix']}")
        if job["result"] is not None:
            shown = {k: v for k, v in job["result"].items() if not isinstance(v, list | dict)}
            click.echo("  " + ", ".join(f"{k} {v}" for k, v in shown.items()))
    if job["state"] in ("failed", "cancelled"):
        ctx.exit(EXIT_FOUND)


@jobs.command("cancel")
@click.argument("job_id", type=click.IntRange(1, 2**31 - 1))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def cancel(ctx: click.Context, job_id: int, as_json: bool, clinics: tuple[str, ...]) -> None:
    """Cancel a queued job, or ask a running one to stop (an import stops after the batch it
    is writing: the batches before stay imported; a posting rolls back)."""
    from ptbill.ledger.jobs import cancel as cancel_job

    with ledger_session(ctx) as session:
        try:
            state = cancel_job(session, job_id, _jobs_of(session, clinics))
        except LookupError:
            raise _no_job(job_id) from None
    job = _detail(ctx, job_id, clinics)
    if as_json:
        print_json(job)
        return
    if state == "cancelled":
        out.print(f"job {job_id} cancelled")
    else:
        out.print(f"job {job_id} asked to stop; `ptbill jobs show {job_id} --wait 60` follows it")


@click.command()
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit.")
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 60),
    default=1.0,
    show_default=True,
    help="Seconds between looks at the queue when it is empty.",
)
@click.option(
    "--lease",
    type=click.FloatRange(1, 3600),
    default=None,
    help="Seconds without a heartbeat after which a running job is a dead worker's and runs "
    "again (default: PTBILL_JOB_LEASE_SECONDS, else 60).",
)
@click.pass_context
@user_errors
@database_errors
def worker(ctx: click.Context, once: bool, poll: float, lease: float | None) -> None:
    """Run the workbench's jobs (imports, postings) from the ledger's queue, until stopped
    (SIGTERM or Ctrl-C end it after the job it is running). Run as many as you like, on any
    machine that reaches the database; start the workbench with PTBILL_JOB_WORKER=0 to leave
    every job to them."""
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.job_runner import Worker
    from ptbill.web import models as _web_models  # noqa: F401  (the users a job runs as)
    from ptbill.web.jobs import JobContext, handlers
    from ptbill.web.settings import WebSettings

    root = ctx.find_root().obj or {}
    settings = WebSettings.from_env()
    settings = dataclasses.replace(
        settings,
        db=root.get("db") or settings.db,
        config=root.get("config") or settings.config,
        data=root.get("data") or settings.data,
        job_lease_seconds=lease or settings.job_lease_seconds,
    )
    # What each job did, by id and kind (never patient data), on stderr.
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    logging.getLogger("ptbill").setLevel(logging.INFO)
    ledger = Ledger(settings.db)
    try:
        runner = Worker(
            ledger.sessions,
            handlers(JobContext(run_config(ctx), settings)),
            lease=settings.job_lease_seconds,
            poll=poll,
        )
        if once:
            done = runner.run_until_idle()
            err.print(f"ran {len(done)} job(s)")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        err.print(f"ptbill worker {runner.name}: waiting for jobs (SIGTERM or Ctrl-C stops it)")
        runner.run(stop)
    finally:
        ledger.close()
