"""`ptbill price`: what a payer would allow and pay for each visit, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import click
from rich.table import Table

from ptbill.bulk import batch
from ptbill.cli import visits
from ptbill.cli.common import (
    EXIT_FOUND,
    FileReadTwice,
    out,
    run_config,
    user_errors,
)
from ptbill.cli.intake_opts import from_option
from ptbill.cli.output import CsvRows, format_options, output_of, quiet_option
from ptbill.cli.progress import progress
from ptbill.cli.summary import Totals
from ptbill.pricing import PricedVisit
from ptbill.pricing.money import money

DATE = click.DateTime(formats=["%Y-%m-%d"])


def priced_json(p: PricedVisit) -> dict[str, Any]:
    return {
        "visit_id": p.visit_id,
        "date_of_service": p.date_of_service,
        "payer": p.payer,
        "pricing": p.pricing,
        "locality": p.locality,
        "complete": p.complete,
        "allowed": p.allowed,
        "expected_payment": p.expected_payment,
        "patient_responsibility": p.patient_responsibility,
        "lines": [
            {
                "code": x.code,
                "units": x.units,
                "modifiers": list(x.modifiers),
                "charge": x.charge,
                "status": x.status,
                "allowed": x.allowed,
                "expected_payment": x.expected_payment,
                "patient_responsibility": x.patient_responsibility,
                "unit_fee": x.unit_fee,
                "mppr_reduction": x.mppr_reduction,
                "cq_reduction": x.cq_reduction,
                "deductible": x.deductible,
                "coinsurance": x.coinsurance,
                "sequestration": x.sequestration,
                "source": x.source,
                "basis": list(x.basis),
            }
            for x in p.lines
        ],
        "notes": list(p.notes),
    }


def render_priced(p: PricedVisit) -> None:
    total = "" if p.complete else "  INCOMPLETE: some lines could not be priced"
    table = Table(
        title=f"{p.visit_id}  {p.date_of_service}  {p.payer} ({p.pricing})  "
        f"allowed {money(p.allowed)}, payer {money(p.expected_payment)}, "
        f"patient {money(p.patient_responsibility)}{total}",
        title_justify="left",
        show_lines=True,
    )
    for col in ("Code", "Units", "Modifiers", "Allowed", "Payer", "Patient", "How"):
        table.add_column(col, overflow="fold")
    for x in p.lines:
        table.add_row(
            x.code,
            str(x.units),
            " ".join(x.modifiers),
            money(x.allowed),
            money(x.expected_payment),
            money(x.patient_responsibility),
            "\n".join(x.basis),
        )
    out.print(table)
    for note in p.notes:
        out.print(f"  {note}")


PRICE_COLUMNS = (
    "visit_id",
    "date_of_service",
    "payer",
    "pricing",
    "locality",
    "line",
    "code",
    "units",
    "modifiers",
    "charge",
    "status",
    "allowed",
    "expected_payment",
    "patient_responsibility",
    "unit_fee",
    "mppr_reduction",
    "cq_reduction",
    "deductible",
    "coinsurance",
    "sequestration",
    "source",
)


def priced_rows(p: PricedVisit) -> Iterator[dict[str, Any]]:
    """One CSV row per priced line, with its visit's id, date, payer and pricing."""
    head = {
        "visit_id": p.visit_id,
        "date_of_service": p.date_of_service,
        "payer": p.payer,
        "pricing": p.pricing,
        "locality": p.locality,
    }
    for number, line in enumerate(priced_json(p)["lines"], start=1):
        yield {**head, "line": number, **line}


def priced_line(p: PricedVisit) -> str:
    """A priced visit in one line: its lines' allowed amounts and the three totals."""
    lines = ", ".join(f"{x.code} x{x.units} {money(x.allowed)}" for x in p.lines)
    told = "" if p.complete else "  INCOMPLETE: a line could not be priced"
    return (
        f"{p.visit_id}  {p.date_of_service}  {p.payer}  {lines}  allowed {money(p.allowed)}, "
        f"payer {money(p.expected_payment)}, patient {money(p.patient_responsibility)}{told}"
    )


@click.command()
@click.argument("files", nargs=-1, required=True, type=FileReadTwice())
@format_options("jsonl", "csv")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Leave out PFS releases published and contracts effective after DATE "
    "(reproduce an earlier expectation). Default: every release the data folder holds.",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Every line with how it was priced; the default for one visit.",
)
@from_option
@quiet_option
@click.pass_context
@user_errors
def price(
    ctx: click.Context,
    files: tuple[str, ...],
    output: str | None,
    as_of: dt.datetime | None,
    explain: bool,
    fmt: str | None,
    quiet: bool,
) -> None:
    """Price the visits in FILE(s): per line the allowed amount, the payer's expected payment and
    the patient's share, and how each was computed.

    On a terminal: a line per visit and the totals (--explain: how each line was priced);
    --json and --jsonl: the input read once (the output held until all of it has read);
    --format csv (a row per line): written as each visit is priced. Exit 1 when a line cannot
    be priced."""
    output = output_of(output)
    day = as_of.date() if as_of else None
    totals = Totals()
    with batch():
        if output in ("json", "jsonl"):  # read once, the output held until all has read
            with visits.held_list(lines=output == "jsonl") as held:
                one_read = visits.read_once(files, run_config(ctx), fmt, "pricing", quiet=quiet)
                for x in visits.priced_alone(one_read, day):
                    assert x.priced is not None
                    held.add(priced_json(x.priced))
                    totals.add_claim(x.coded, None, x.priced)
        else:
            _price_shown(ctx, files, fmt, quiet, day, output == "csv", explain, totals)
    if totals.unpriced:
        ctx.exit(EXIT_FOUND)


def _price_shown(
    ctx: click.Context,
    files: tuple[str, ...],
    fmt: str | None,
    quiet: bool,
    day: dt.date | None,
    csv: bool,
    explain: bool,
    totals: Totals,
) -> None:
    """price on a terminal or as CSV: checked whole first, then each visit written as it is
    priced."""
    found = visits.check(files, run_config(ctx), fmt, quiet=quiet)
    explain = explain or found.count == 1
    sink = CsvRows(PRICE_COLUMNS) if csv else None
    with progress("pricing", found.count, quiet=quiet) as advance:
        for x in visits.claims(found, day, advance):
            p = x.priced
            assert p is not None
            if sink is not None:
                for row in priced_rows(p):
                    sink.add(row)
            elif explain:
                render_priced(p)
            else:
                out.print(priced_line(p), markup=False, highlight=False, soft_wrap=True)
            totals.add_claim(x.coded, None, p)
    if sink is not None:
        sink.close()
    elif not quiet:
        totals.show()
