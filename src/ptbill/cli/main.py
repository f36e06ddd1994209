"""The `ptbill` command line."""

from __future__ import annotations

import datetime as dt
import errno
import gc
import importlib
import json
import os
import sys

import click

from ptbill import __version__
from ptbill.bulk import batch
from ptbill.cli.code_cache import keep_compiled_code
from ptbill.cli.exit_codes import help_text

# Each command by name, and where it is: a command's module is imported when the command runs
# (or --help lists them), so that `ptbill remit` does not load the ledger, the web server and
# every other command first (about a sixth of a second of every run).
COMMANDS = {
    "units": "coding_cmds:units",
    "code": "coding_cmds:code",
    "claim": "claim_cmds:claim",
    "demo-data": "demo_cmds:demo_data",
    "demo": "demo_cmds:demo",
    "scrub": "scrub_cmds:scrub",
    "rules": "scrub_cmds:rules",
    "reference": "reference_cmds:reference",
    "remit": "x12_cmds:remit",
    "ack": "x12_cmds:ack",
    "price": "pricing_cmds:price",
    "import": "ledger_cmds:import_cmd",
    "listen": "listen_cmds:listen",
    "submit": "ledger_cmds:submit",
    "ack-apply": "ledger_cmds:ack_apply",
    "post": "ledger_cmds:post",
    "worklist": "work_cmds:worklist",
    "correct": "ledger_cmds:correct",
    "rescrub": "work_cmds:rescrub",
    "resolve": "work_cmds:resolve",
    "appeal": "ledger_cmds:appeal",
    "writeoff": "ledger_cmds:writeoff",
    "report": "ledger_cmds:report",
    "show": "show_cmds:show",
    "clinics": "clinic_cmds:clinics",
    "export": "data_cmds:export",
    "backup": "data_cmds:backup",
    "migrate": "data_cmds:migrate",
    "serve": "web_cmds:serve",
    "user": "web_cmds:user",
    "token": "web_cmds:token",
    "access-log": "web_cmds:access_log",
    "eligibility": "payer_cmds:eligibility",
    "status": "payer_cmds:status",
    "exchange": "payer_cmds:exchange",
    "coverage": "patient_cmds:coverage",
    "balance": "patient_cmds:balance",
    "pay": "patient_cmds:pay",
    "refund": "patient_cmds:refund",
    "payer-refund": "patient_cmds:payer_refund",
    "patient-writeoff": "patient_cmds:patient_writeoff",
    "statements": "patient_cmds:statements",
    "jobs": "job_cmds:jobs",
    "worker": "job_cmds:worker",
}


class Commands(click.Group):
    """The group whose commands (COMMANDS) are imported when first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, name = COMMANDS[cmd_name].split(":")
            # The collector paused: importing creates long-lived objects only (modules,
            # classes, schemas), which its passes would scan again and again (3% of the
            # instructions of `scrub --json` of one visit).
            with batch():
                command = getattr(importlib.import_module(f"ptbill.cli.{module}"), name)
            assert command.name == cmd_name, f"{COMMANDS[cmd_name]} is {command.name}"
            self.add_command(command)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=Commands, context_settings={"help_option_names": ["-h", "--help"]}, epilog=help_text()
)
@click.version_option(__version__, prog_name="ptbill")
@click.option(
    "--config",
    "config_path",
    envvar="PTBILL_CONFIG",
    type=click.Path(dir_okay=False),
    help="Clinic configuration (TOML). Default: the bundled demo clinic.",
)
@click.option(
    "--db",
    "db",
    envvar="PTBILL_DB",
    default="ptbill.db",
    show_default=True,
    help="The ledger database: a SQLite file or postgresql://USER:PASSWORD@HOST/DB.",
)
@click.option(
    "--data",
    "data",
    envvar="PTBILL_DATA",
    type=click.Path(file_okay=False),
    help="The reference data folder (imported CMS releases, fee schedules). "
    "Default: ~/.local/share/ptbill.",
)
@click.option(
    "--today",
    "today",
    envvar="PTBILL_TODAY",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Freeze the clock: the date commands work as of when given no --as-of "
    "(default: today in the clinic's time zone).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    db: str,
    data: str | None,
    today: dt.datetime | None,
) -> None:
    """ptbill: billing for outpatient physical therapy, from visit notes to paid claims."""
    # Every setting from the command line or the environment is resolved here, once; the
    # commands pass them down (the configuration with its reference snapshot: run_config).
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path
    ctx.obj["db"] = db
    ctx.obj["data"] = data
    ctx.obj["today"] = today.date() if today else None
    # Where derived indexes are kept between commands (ptbill.cli.common.run_config).
    ctx.obj["cache"] = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")


@cli.command()
@click.argument("what", type=click.Choice(["visit"]))
def schema(what: str) -> None:
    """Print the JSON Schema of the visit format."""
    from ptbill.domain.visit import Visit

    click.echo(json.dumps(Visit.model_json_schema(), indent=2))


# A device that cannot take the output: not a bug of ptbill's, so not a traceback.
_OUTPUT_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def main() -> None:
    """The process's command: what it runs, then its end left to the exit (`_leave`)."""
    # Before the command's modules make their dataclasses and models (imported when it runs).
    keep_compiled_code()
    try:
        _main()
    finally:
        _leave()


def _leave() -> None:
    """The objects alive at the command's end kept out of the interpreter's last collections:
    at its exit, CPython collects every cycle of the heap (each module, class and function is
    one) and frees what they hold, the reference data included, where the process's end frees
    the memory at once. Measured with `scrub --json`: 60-220 ms of a run's end down to 9-30
    on a loaded host. Only cycles are left: what a module holds is still released (a file
    flushed and closed) as the interpreter clears the modules; the tests, which run commands
    by `cli`, are untouched."""
    gc.freeze()


def _main() -> None:
    try:
        cli(obj={})
    except OSError as e:
        if e.errno not in _OUTPUT_ERRORS:
            raise
        # What is still buffered for stdout cannot be written either: dropped, so that the
        # interpreter's exit does not fail again writing it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        where = f" to {e.filename}" if e.filename else ""
        click.echo(
            f"error: the output could not be written{where} ({e.strerror}): what was stored "
            "before stays stored. Fix: free some space, or write it elsewhere",
            err=True,
        )
        sys.exit(2)
