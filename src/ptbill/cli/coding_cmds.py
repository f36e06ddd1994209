"""`ptbill units` (the 8-minute-rule calculator) and `ptbill code` (the visits of files coded)."""

from __future__ import annotations

import re
from typing import Any

import click
from rich.table import Table

from ptbill.bulk import batch
from ptbill.claim_pipeline import code_claim
from ptbill.cli import visits
from ptbill.cli.common import FileReadTwice, out, print_json, run_config, user_errors
from ptbill.cli.intake_opts import from_option
from ptbill.cli.output import format_options, output_of, quiet_option
from ptbill.cli.progress import progress
from ptbill.cli.summary import Totals, dollars
from ptbill.coding import units_for
from ptbill.config import Config, PayerProfile
from ptbill.domain import CodedVisit, Service
from ptbill.errors import InputError
from ptbill.reference.catalog import lookup

ARG = re.compile(r"^([A-Za-z0-9]{5})=(\d{1,4})$")


def calculator_profile(method: str) -> PayerProfile:
    return PayerProfile(
        key=f"{method}-calculator",
        name="calculator",
        unit_method=method,
        discipline_modifier="",
        payer_id="-",
        payer_name="-",
        ncci_table="none",
    )


@click.command()
@click.option(
    "--method",
    type=click.Choice(["cms", "ama"]),
    default="cms",
    show_default=True,
    help="cms: Medicare total-time 8-minute rule; ama: CPT per-code midpoint rule.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.argument("pairs", nargs=-1, required=True, metavar="CODE=MINUTES...")
@user_errors
def units(method: str, as_json: bool, pairs: tuple[str, ...]) -> None:
    """The 8-minute-rule calculator: units per code for the minutes given."""
    services = []
    for pair in pairs:
        m = ARG.match(pair)
        if not m:
            raise InputError(
                "command line",
                "not CODE=MINUTES",
                "write each service as e.g. 97110=24",
                field=pair,
            )
        code = m.group(1).upper()
        if lookup(code) is None:
            raise InputError(
                "command line",
                f"{code} is not in the PT code catalog",
                "check the code (`ptbill units 97110=24 97140=13`)",
                field=pair,
            )
        services.append(Service(code=code, minutes=int(m.group(2))))
    result = units_for(services, calculator_profile(method))
    if as_json:
        print_json(
            {
                "method": method,
                "total_timed_minutes": result.total_timed_minutes,
                "units": result.units,
            }
        )
        return
    table = Table(
        title=f"{method.upper()} method: {result.total_timed_minutes} timed minutes",
        title_justify="left",
        caption=result.rule,
        caption_justify="left",
    )
    for col in ("Code", "Units", "Why"):
        table.add_column(col, overflow="fold")
    for code, n in result.units.items():
        table.add_row(code, str(n), "\n".join(result.explanation[code]))
    out.print(table)


def coded_json(c: CodedVisit) -> dict[str, Any]:
    return {
        "visit_id": c.visit_id,
        "date_of_service": c.date_of_service,
        "payer": c.payer,
        "lines": [
            {
                "code": x.code,
                "units": x.units,
                "modifiers": list(x.modifiers),
                "diagnosis_pointers": list(x.diagnosis_pointers),
                "minutes": x.minutes,
                "assistant_minutes": x.assistant_minutes,
                "charge": x.charge,
                "explanation": list(x.explanation),
                "reason": x.reason,
            }
            for x in c.lines
        ],
        "total_timed_minutes": c.total_timed_minutes,
        "timed_units": c.timed_units,
        "unit_method": c.unit_method,
        "total_charge": c.total_charge,
        "notes": list(c.notes),
    }


def code_files(files: tuple[str, ...], config: Config, fmt: str | None = None) -> list[CodedVisit]:
    """Every visit of the files coded, held in a list (the demo's one clinic day)."""
    return [code_claim(x.visit, x.ctx) for x in visits.read(visits.check(files, config, fmt))]


def render_coded(c: CodedVisit) -> None:
    table = Table(
        title=f"{c.visit_id}  {c.date_of_service}  {c.payer}  "
        f"{c.unit_method.upper()}: {c.total_timed_minutes} timed min, "
        f"{c.timed_units} timed unit(s), charge ${c.total_charge}",
        title_justify="left",
        show_lines=True,
    )
    for col in ("Code", "Units", "Modifiers", "Dx", "Min", "Charge", "Why"):
        table.add_column(col, overflow="fold")
    for x in c.lines:
        why = list(x.explanation) + ([f"NOT BILLED: {x.reason}"] if x.reason else [])
        table.add_row(
            x.code,
            str(x.units),
            " ".join(x.modifiers),
            ",".join(map(str, x.diagnosis_pointers)),
            "" if x.minutes is None else str(x.minutes),
            "" if x.charge is None else f"{x.charge}",
            "\n".join(why),
        )
    out.print(table)
    for note in c.notes:
        out.print(f"  {note}")


def coded_line(c: CodedVisit) -> str:
    """A coded visit in one line: its billed lines as CODE xUNITS MODIFIERS, and the charge."""
    billed = ", ".join(
        f"{x.code} x{x.units}" + (f" {'-'.join(x.modifiers)}" if x.modifiers else "")
        for x in c.billed_lines
    )
    unbilled = len(c.lines) - len(c.billed_lines)
    rest = f" (+{unbilled} not billed)" if unbilled else ""
    return (
        f"{c.visit_id}  {c.date_of_service}  {c.payer}  {billed or 'nothing billed'}{rest}  "
        f"{dollars(c.total_charge)}"
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=FileReadTwice())
@format_options("jsonl")
@click.option(
    "--explain",
    is_flag=True,
    help="Every line with why (its units, modifiers and pointers); the default for one visit.",
)
@from_option
@quiet_option
@click.pass_context
@user_errors
def code(
    ctx: click.Context,
    files: tuple[str, ...],
    output: str | None,
    explain: bool,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Code the visits in FILE(s): lines, units, modifiers, pointers, charges and why.

    On a terminal: a line per visit and the totals (--explain: every decision); --json and
    --jsonl: every visit in full, the input read once (the output held until all of it has
    read)."""
    output = output_of(output)
    with batch():
        if output != "text":  # read once, the output held until the whole input has read
            with visits.held_list(lines=output == "jsonl") as sink:
                for x in visits.read_once(files, run_config(ctx), fmt, "coding", quiet=quiet):
                    sink.add(coded_json(code_claim(x.visit, x.ctx)))
            return
        found = visits.check(files, run_config(ctx), fmt, quiet=quiet)
        explain = explain or found.count == 1
        totals = Totals()
        with progress("coding", found.count, quiet=quiet) as advance:
            for x in visits.read(found):
                c = code_claim(x.visit, x.ctx)
                if explain:
                    render_coded(c)
                else:
                    out.print(coded_line(c), markup=False, highlight=False, soft_wrap=True)
                totals.add_coded(c)
                advance(1)
        if not quiet:
            totals.show()
