"""`ptbill claim`: an X12 837P interchange holding a claim for every ready visit."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from ptbill.bulk import batch
from ptbill.cli import visits
from ptbill.cli.clock import as_of_or_today, one_clinic
from ptbill.cli.common import (
    EXIT_FOUND,
    FileReadTwice,
    data_dir,
    err,
    run_config,
    unwritable,
    user_errors,
)
from ptbill.cli.intake_opts import from_option
from ptbill.cli.outfile import refuse_precious, written_whole
from ptbill.cli.output import quiet_option
from ptbill.cli.progress import progress
from ptbill.cli.scrub_cmds import DATE
from ptbill.errors import InputError
from ptbill.x12.claim import claim_from_visit
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.writer_837p import Receiver, write_837p

CONTROL_FILE = "x12-control-numbers.json"


def next_control_number(folder: Path, sender_id: str) -> int:
    """The next interchange control number for this sender, kept in the data folder so that
    numbers stay unique across runs (the ledger keeps its own in the database)."""
    path = folder / CONTROL_FILE
    used = json.loads(path.read_text("utf-8")) if path.exists() else {}
    number = used.get(sender_id, 0) % 999_999_999 + 1
    used[sender_id] = number
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(used, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return number


@click.command()
@click.argument("files", nargs=-1, required=True, type=FileReadTwice())
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the 837P interchange.",
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Scrub date and the interchange's date and time (00:00). Default: today in the "
    "clinic's time zone (`ptbill --today` freezes it).",
)
@click.option(
    "--control-number",
    type=click.IntRange(1, 999_999_999),
    default=None,
    help="ISA13/GS06 to use (default: the next number kept for this submitter).",
)
@from_option
@quiet_option
@click.pass_context
@user_errors
def claim(
    ctx: click.Context,
    files: tuple[str, ...],
    output: str,
    as_of: dt.datetime | None,
    control_number: int | None,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Write an X12 837P (005010X222A1) for every ready visit in FILE(s); blocked visits are
    left out and listed on stderr with their findings. Exit 1 when any visit is blocked."""
    refuse_precious(Path(output), files)  # before its control number is taken
    with batch():
        found = visits.check(files, run_config(ctx), fmt, quiet=quiet)
        clinic = found.config.clinic(one_clinic(found.clinics) or "")
        submitter = clinic.submitter if clinic else None
        receiver = clinic.receiver if clinic else None
        if len(found.clinics) != 1 or clinic is None or submitter is None or receiver is None:
            raise InputError(
                file=", ".join(files),
                visit_id=None,
                field="clinic",
                problem="one 837P interchange needs one clinic with a submitter and a receiver "
                "in the configuration",
                fix="claim one clinic's visits at a time, and give the clinic `submitter` "
                "and `receiver` (see docs/configuration.md)",
            )
        day = as_of_or_today(ctx, as_of, found.config, clinic.key)
        claims, blocked = [], 0
        with progress("claiming", found.count, quiet=quiet) as advance:
            for x in visits.claims(found, day, advance, priced=False):
                if x.scrub.blocked:
                    blocked += 1
                    _tell_blocked(x)
                else:
                    claims.append(claim_from_visit(x.visit, x.coded, x.ctx, ", ".join(files)))
    if not claims:
        err.print("no ready visit: nothing written")
        ctx.exit(EXIT_FOUND)
    number = control_number or next_control_number(data_dir(ctx), submitter.id)
    settings = InterchangeSettings(
        sender_id=submitter.id,
        receiver_id=receiver.id,
        interchange_control_number=number,
        group_control_number=number,
        created=dt.datetime.combine(day, dt.time()),
    )
    text = write_837p(claims, settings, submitter, Receiver(receiver.name, receiver.id))
    out = Path(output)
    try:
        with written_whole(out, files) as tmp:  # never a half-written claim file
            tmp.write_text(text, encoding="ascii")
    except OSError as e:
        raise unwritable(out, e) from None
    err.print(
        f"{len(claims)} claim(s) written to {out} (interchange {number}); "
        f"{blocked} blocked visit(s) left out"
    )
    if blocked:
        ctx.exit(EXIT_FOUND)


def _tell_blocked(x: visits.ClaimItem) -> None:
    err.print(f"blocked: {x.visit.visit_id}", soft_wrap=True, markup=False)
    for f in x.scrub.findings:
        if f.severity == "error":
            err.print(f"  {f.rule}: {f.message} Fix: {f.fix}", soft_wrap=True, markup=False)
