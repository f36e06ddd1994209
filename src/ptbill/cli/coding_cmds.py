"""`ptbill units` and `ptbill code`, and loading the visits of the input files, which `ptbill
scrub`, `price` and `claim` also make claims of (prepare_items)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import click
from rich.table import Table

from ptbill.bulk import batch
from ptbill.claim_pipeline import PreparedClaim, code_claim, prepare_claim
from ptbill.cli.common import EXIT_INPUT, err, out, print_json, run_config, user_errors
from ptbill.cli.intake_opts import from_option, notify
from ptbill.coding import VisitContext, resolve, units_for
from ptbill.config import Config, PayerProfile
from ptbill.domain import CodedVisit, Service, Visit
from ptbill.errors import InputError
from ptbill.intake import load_visits
from ptbill.reference.catalog import lookup
from ptbill.scrub import Batch

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
                None,
                pair,
                "not CODE=MINUTES",
                "write each service as e.g. 97110=24",
            )
        code = m.group(1).upper()
        if lookup(code) is None:
            raise InputError(
                "command line",
                None,
                pair,
                f"{code} is not in the PT code catalog",
                "check the code (`ptbill units 97110=24 97140=13`)",
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
        table.add_column(col)
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


@dataclass(frozen=True, slots=True)
class Item:
    """One visit of the input, where it came from, and its context: its payer and clinic
    resolved, and the run's reference snapshot."""

    origin: str
    visit: Visit
    ctx: VisitContext


def load_items(files: tuple[str, ...], config: Config, fmt: str | None = None) -> list[Item]:
    """Load every file (in format `fmt`, or recognised from its content) and resolve every
    visit: any input error stops all before any output."""
    with batch():
        loaded = [(f, v) for f in files for v in load_visits(f, fmt, config, notify)]
        return [Item(origin, v, resolve(v, config, origin)) for origin, v in loaded]


@dataclass(frozen=True, slots=True)
class ClaimItem:
    """A visit of the input made a claim (coded, scrubbed and priced)."""

    origin: str
    visit: Visit
    ctx: VisitContext
    claim: PreparedClaim

    @property
    def coded(self) -> CodedVisit:
        return self.claim.coded


def prepare_items(items: list[Item], as_of: dt.date | None) -> list[ClaimItem]:
    """Every visit made a claim as of `as_of` (see prepare_claim), the input one batch: the
    duplicate checks look across its visits."""
    with batch():
        run = Batch((x.visit for x in items), (x.ctx for x in items))
        return [
            ClaimItem(x.origin, x.visit, x.ctx, prepare_claim(x.visit, x.ctx, as_of, batch=run))
            for x in items
        ]


def code_files(files: tuple[str, ...], config: Config, fmt: str | None = None) -> list[CodedVisit]:
    return [code_claim(x.visit, x.ctx) for x in load_items(files, config, fmt)]


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


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@from_option
@click.pass_context
@user_errors
def code(ctx: click.Context, files: tuple[str, ...], as_json: bool, fmt: str | None) -> None:
    """Code the visits in FILE(s): lines, units, modifiers, pointers, charges and why."""
    coded = code_files(files, run_config(ctx), fmt)
    if as_json:
        print_json([coded_json(c) for c in coded])
        return
    for c in coded:
        render_coded(c)
    if not coded:
        err.print("no visits in the input")
        ctx.exit(EXIT_INPUT)
