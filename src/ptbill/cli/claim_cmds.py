"""`ptbill claim`: an X12 837P interchange holding a claim for every ready visit."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from ptbill.cli.common import data_dir, err, run_config, user_errors
from ptbill.cli.intake_opts import from_option
from ptbill.cli.scrub_cmds import DATE, scrub_files
from ptbill.errors import InputError
from ptbill.x12.claim import claims_from_visits
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
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
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
    help="Scrub date and the interchange's date and time (00:00). Default: the "
    "latest date of service in the input.",
)
@click.option(
    "--control-number",
    type=click.IntRange(1, 999_999_999),
    default=None,
    help="ISA13/GS06 to use (default: the next number kept for this submitter).",
)
@from_option
@click.pass_context
@user_errors
def claim(
    ctx: click.Context,
    files: tuple[str, ...],
    output: str,
    as_of: dt.datetime | None,
    control_number: int | None,
    fmt: str | None,
) -> None:
    """Write an X12 837P (005010X222A1) for every ready visit in FILE(s); blocked visits are
    left out and listed on stderr with their findings."""
    scrubbed, day = scrub_files(files, run_config(ctx), as_of.date() if as_of else None, fmt)
    ready = [x for x in scrubbed if not x.claim.scrub.blocked]
    blocked = [x for x in scrubbed if x.claim.scrub.blocked]
    for item in blocked:
        err.print(f"blocked: {item.visit.visit_id}", soft_wrap=True)
        for f in item.claim.scrub.findings:
            if f.severity == "error":
                err.print(f"  {f.rule}: {f.message} Fix: {f.fix}", soft_wrap=True)
    if not ready:
        err.print("no ready visit: nothing written")
        ctx.exit(1)
    items = [(x.visit, x.coded, x.ctx) for x in ready]
    clinics = {ictx.clinic.key if ictx.clinic else None for _, _, ictx in items}
    first = items[0][2].clinic
    if len(clinics) != 1 or first is None or first.submitter is None or first.receiver is None:
        raise InputError(
            ", ".join(files),
            None,
            "clinic",
            "one 837P interchange needs one clinic with a submitter and a receiver "
            "in the configuration",
            "claim one clinic's visits at a time, and give the clinic `submitter` "
            "and `receiver` (see docs/configuration.md)",
        )
    claims = claims_from_visits(items, ", ".join(files))
    number = control_number or next_control_number(data_dir(ctx), first.submitter.id)
    settings = InterchangeSettings(
        sender_id=first.submitter.id,
        receiver_id=first.receiver.id,
        interchange_control_number=number,
        group_control_number=number,
        created=dt.datetime.combine(day, dt.time()),
    )
    text = write_837p(
        claims, settings, first.submitter, Receiver(first.receiver.name, first.receiver.id)
    )
    out = Path(output)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="ascii")
    os.replace(tmp, out)  # never a half-written claim file
    err.print(
        f"{len(claims)} claim(s) written to {out} (interchange {number}); "
        f"{len(blocked)} blocked visit(s) left out"
    )
    if blocked:
        ctx.exit(1)
