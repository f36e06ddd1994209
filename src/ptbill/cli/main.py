"""The `ptbill` command line."""

from __future__ import annotations

import datetime as dt
import json

import click

from ptbill import __version__
from ptbill.cli.claim_cmds import claim
from ptbill.cli.coding_cmds import code, units
from ptbill.cli.data_cmds import backup, export, migrate
from ptbill.cli.demo_cmds import demo, demo_data
from ptbill.cli.exit_codes import help_text
from ptbill.cli.job_cmds import jobs, worker
from ptbill.cli.ledger_cmds import (
    ack_apply,
    appeal,
    correct,
    import_cmd,
    post,
    report,
    submit,
    writeoff,
)
from ptbill.cli.listen_cmds import listen
from ptbill.cli.patient_cmds import (
    balance,
    coverage,
    patient_writeoff,
    pay,
    refund,
    statements,
)
from ptbill.cli.payer_cmds import eligibility, exchange, status
from ptbill.cli.pricing_cmds import price
from ptbill.cli.reference_cmds import reference
from ptbill.cli.scrub_cmds import rules, scrub
from ptbill.cli.show_cmds import show
from ptbill.cli.web_cmds import access_log, serve, token, user
from ptbill.cli.work_cmds import rescrub, worklist
from ptbill.cli.x12_cmds import ack, remit
from ptbill.domain.visit import Visit


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=help_text())
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


@cli.command()
@click.argument("what", type=click.Choice(["visit"]))
def schema(what: str) -> None:
    """Print the JSON Schema of the visit format."""
    click.echo(json.dumps(Visit.model_json_schema(), indent=2))


cli.add_command(units)
cli.add_command(code)
cli.add_command(claim)
cli.add_command(demo_data)
cli.add_command(demo)
cli.add_command(scrub)
cli.add_command(rules)
cli.add_command(reference)
cli.add_command(remit)
cli.add_command(ack)
cli.add_command(price)
cli.add_command(import_cmd)
cli.add_command(listen)
cli.add_command(submit)
cli.add_command(ack_apply)
cli.add_command(post)
cli.add_command(worklist)
cli.add_command(correct)
cli.add_command(rescrub)
cli.add_command(appeal)
cli.add_command(writeoff)
cli.add_command(report)
cli.add_command(show)
cli.add_command(export)
cli.add_command(backup)
cli.add_command(migrate)
cli.add_command(serve)
cli.add_command(user)
cli.add_command(token)
cli.add_command(access_log)
cli.add_command(eligibility)
cli.add_command(status)
cli.add_command(exchange)
cli.add_command(coverage)
cli.add_command(balance)
cli.add_command(pay)
cli.add_command(refund)
cli.add_command(patient_writeoff)
cli.add_command(statements)
cli.add_command(jobs)
cli.add_command(worker)


def main() -> None:
    cli(obj={})
