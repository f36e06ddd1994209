"""`ptbill demo-data`: a synthetic clinic's visits as JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from ptbill.cli.common import unwritable, user_errors
from ptbill.cli.outfile import written_whole
from ptbill.demo.generator import START, generate, summarize


def summary_line(visits: list[dict[str, Any]], seed: int, start: dt.date, days: int) -> str:
    """One line of counts for stderr: never a name, birth date or member id."""
    s = summarize(visits)
    n = s["visits"] or 1
    payers = ", ".join(f"{k} {v} ({100 * v / n:.1f}%)" for k, v in s["payers"].items())
    kinds = ", ".join(f"{k} {v}" for k, v in s["mistakes"].items()) or "none"
    return (
        f"demo-data: {s['visits']} visits (seed {seed}, {days} working days from "
        f"{start.isoformat()}); payers: {payers}; visits with a mistake: "
        f"{s['mistaken_visits']} ({100 * s['mistaken_visits'] / n:.1f}%): {kinds}"
    )


def write_lines(out: TextIO, visits: list[dict[str, Any]]) -> None:
    for v in visits:
        out.write(json.dumps(v, separators=(",", ":")))
        out.write("\n")


def export(visits: list[dict[str, Any]], fmt: str) -> str:
    """The demo visits in another intake format (of the bundled demo clinic)."""
    from ptbill.config import load_config
    from ptbill.domain.visit import Visit
    from ptbill.intake import csv_charges, fhir_export, hl7v2_export

    writer = {"fhir": fhir_export.write, "hl7": hl7v2_export.write, "csv": csv_charges.write}[fmt]
    return writer([Visit.model_validate(v) for v in visits], load_config(None))


def write_file(path: Path, visits: list[dict[str, Any]], text: str | None = None) -> None:
    """Write the whole file or nothing: a temporary file beside it, renamed into place."""
    try:
        with written_whole(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as f:
            if text is None:
                write_lines(f, visits)
            else:
                f.write(text)
    except OSError as e:
        raise unwritable(path, e) from None


@click.command("demo-data")
@click.option(
    "--visits", "n", type=click.IntRange(min=1), required=True, help="How many visits to generate."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Same seed, same visits.",
)
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=START.isoformat(),
    show_default=True,
    help="First date of service (YYYY-MM-DD).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=2000),
    default=20,
    show_default=True,
    help="Working days (Monday to Friday) the visits spread over.",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.12,
    show_default=True,
    help="Share of visits with one labelled mistake (extensions.synthetic.mistakes).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "fhir", "hl7", "csv"]),
    default="json",
    show_default=True,
    help="JSON Lines, or the same visits as a FHIR R4 Bundle, HL7 v2 DFT^P03 messages or a "
    "CSV charge export (docs/intake.md).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@user_errors
def demo_data(
    n: int,
    seed: int,
    start: dt.datetime,
    days: int,
    error_rate: float,
    fmt: str,
    output: Path | None,
) -> None:
    """Synthetic visits of the demo clinic (elm-street-pt) as JSON Lines, one visit a line
    (or, with --format, as FHIR R4, HL7 v2 or CSV).

    Every person is invented. About --error-rate of the visits carry one mistake a payer
    would deny, named in the visit's extensions; a summary goes to standard error.
    """
    day = start.date()
    visits = generate(n, seed, day, days, error_rate)
    text = None if fmt == "json" else export(visits, fmt)
    if output is None:
        if text is None:
            write_lines(sys.stdout, visits)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_file(output, visits, text)
    click.echo(summary_line(visits, seed, day, days), err=True)


@click.command("demo")
@click.option(
    "-o",
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out/demo"),
    show_default=True,
    help="The folder for the demo's files and its database (ptbill.db, made anew).",
)
@user_errors
def demo(out: Path) -> None:
    """The demo clinic end to end (`make demo`): a day of visits coded, a month of claims
    through the whole loop (import, submit, the simulated payer's 999, 277CA and 835s, posting,
    secondary claims, patient statements), one clearinghouse exchange cycle, and how to open the
    workbench on the demo database. Every person is invented; no date comes from the clock."""
    from ptbill.cli.demo_tour import run_demo  # the whole ledger: loaded when asked for

    run_demo(out)
