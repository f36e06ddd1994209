"""The ledger's data as files: `ptbill export` (claims, payments, adjustments, work items,
patients' money as CSV or JSON Lines), `ptbill backup FILE` (a consistent copy of a SQLite
ledger) and `ptbill migrate` (bring the schema up to this ptbill's, for the read-only
commands)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from ptbill.cli.common import err, out, print_json, unwritable, user_errors
from ptbill.cli.ledger_cmds import DATE, _day, database_errors, ledger_session
from ptbill.cli.outfile import written_whole
from ptbill.reports.export_names import FORMATS, WHATS


@click.command()
@click.option(
    "--what",
    type=click.Choice(WHATS),
    required=True,
    help="claims (by date of service), payments (one row per claim payment, by decision "
    "date), adjustments (CAS and PLB), work-items (by the day opened), patient-transactions "
    "(patients' payments, refunds and write-offs, by the day recorded).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--clinic", default=None, help="Only this clinic (its key in the configuration).")
@click.option("--since", type=DATE, default=None, help="From this date (inclusive).")
@click.option("--until", type=DATE, default=None, help="Up to this date (inclusive).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write (- for standard output).",
)
@click.pass_context
@user_errors
@database_errors
def export(
    ctx: click.Context,
    what: Any,
    fmt: Any,
    clinic: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
    output: str,
) -> None:
    """Export the ledger's rows as CSV or JSON Lines, streamed (the ledger is only read)."""
    from ptbill.reports.export import ExportQuery, check, write

    query = ExportQuery(what, clinic, _day(since), _day(until))
    with ledger_session(ctx, read_only=True) as session:
        check(session, query)
        if output == "-":
            count = write(session, query, fmt, sys.stdout)
            sys.stdout.flush()
        else:
            count = _write_file(session, query, fmt, Path(output))
    where = "standard output" if output == "-" else output
    err.print(f"{count} row(s) of {what} written to {where}", soft_wrap=True)


def _write_file(session: Any, query: Any, fmt: Any, target: Path) -> int:
    """Written beside the target, then renamed: never half an export under its name."""
    from ptbill.reports.export import write

    try:
        with written_whole(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
            return write(session, query, fmt, f)
    except OSError as e:
        raise unwritable(target, e) from None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def backup(ctx: click.Context, file: str, as_json: bool) -> None:
    """Copy a SQLite ledger to FILE, consistent while others write (SQLite's online backup).
    For a PostgreSQL ledger it says how to use pg_dump, and exits 2."""
    from ptbill.ledger.backup import backup as backup_ledger

    done = backup_ledger(ctx.obj.get("db"), file)
    if as_json:
        print_json({"source": done.source, "backup": done.target, "bytes": done.bytes})
        return
    out.print(
        f"backed up {done.source} to {done.target} ({done.bytes:,} bytes, checked); restore "
        f"by copying it over the ledger while nothing runs, or use it as --db {done.target}",
        soft_wrap=True,
    )


@click.command()
@click.pass_context
@user_errors
@database_errors
def migrate(ctx: click.Context) -> None:
    """Bring the ledger's schema up to this ptbill's (the commands that write do it on their
    own; the read-only ones refuse a schema that is behind)."""
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.engine import safe_url

    with Ledger(ctx.obj.get("db")) as ledger:  # opening it migrates it
        out.print(f"{safe_url(ledger.url)}: the schema is this ptbill's")
