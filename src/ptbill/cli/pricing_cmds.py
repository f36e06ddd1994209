"""`ptbill price` and the pricing importers `ptbill reference import pfs | gpci | zip-locality |
fees`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ptbill.cli.coding_cmds import load_items, prepare_items
from ptbill.cli.common import (
    EXIT_FOUND,
    EXIT_INPUT,
    data_dir,
    err,
    out,
    print_json,
    run_config,
    settings_of,
    user_errors,
)
from ptbill.cli.intake_opts import from_option
from ptbill.cli.reference_cmds import reference_import, report_import
from ptbill.config import Config, load_config
from ptbill.errors import InputError
from ptbill.pricing import PricedVisit
from ptbill.pricing.money import money
from ptbill.reference.importers.fees import import_fee_schedule
from ptbill.reference.importers.gpci import import_gpci, import_zip_localities
from ptbill.reference.importers.pfs import Imported, import_pfs

DATE = click.DateTime(formats=["%Y-%m-%d"])


def price_files(
    files: tuple[str, ...], config: Config, as_of: dt.date | None, fmt: str | None = None
) -> list[PricedVisit]:
    """Load every visit (all input errors first), then make each a claim: its prices."""
    return [x.claim.priced for x in prepare_items(load_items(files, config, fmt), as_of)]


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


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Leave out PFS releases published and contracts effective after DATE "
    "(reproduce an earlier expectation).",
)
@from_option
@click.pass_context
@user_errors
def price(
    ctx: click.Context,
    files: tuple[str, ...],
    as_json: bool,
    as_of: dt.datetime | None,
    fmt: str | None,
) -> None:
    """Price the visits in FILE(s): per line the allowed amount, the payer's expected payment and
    the patient's share, and how each was computed. Exit 1 when a line cannot be priced."""
    priced = price_files(files, run_config(ctx), as_of.date() if as_of else None, fmt)
    if not priced:
        err.print("no visits in the input")
        ctx.exit(EXIT_INPUT)
    if as_json:
        print_json([priced_json(p) for p in priced])
    else:
        for p in priced:
            render_priced(p)
    if not all(p.complete for p in priced):
        ctx.exit(EXIT_FOUND)


def _report(imported: Imported) -> None:
    report_import(imported)
    m = imported.manifest
    facts = ", ".join(
        f"{k.replace('_', ' ')} {m[k]}"
        for k in ("year", "year_quarter", "payer", "released", "effective", "conversion_factor")
        if m.get(k)
    )
    if facts:
        click.echo(f"  {facts}")


@click.command("pfs")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--release", help="Release name (default: the file name without extension).")
@click.option("--year", type=int, help="The PFS year, when the file's title row lacks it.")
@click.pass_context
@user_errors
def import_pfs_cmd(ctx: click.Context, file: str, release: str | None, year: int | None) -> None:
    """Import CMS's PFS Relative Value File (PPRRVU*.csv); the DESCRIPTION column is dropped."""
    _report(import_pfs(data_dir(ctx), Path(file), release, year))


@click.command("gpci")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--release", help="Release name (default: the file name without extension).")
@click.option("--year", type=int, help="The year, when the file's title row lacks it.")
@click.pass_context
@user_errors
def import_gpci_cmd(ctx: click.Context, file: str, release: str | None, year: int | None) -> None:
    """Import CMS's GPCI addendum (Addendum E / GPCIyyyy.csv)."""
    _report(import_gpci(data_dir(ctx), Path(file), release, year))


@click.command("zip-locality")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--release", help="Release name (default: the file name without extension).")
@click.pass_context
@user_errors
def import_zip_cmd(ctx: click.Context, file: str, release: str | None) -> None:
    """Import CMS's ZIP code to carrier locality file (ZIP5, fixed width)."""
    _report(import_zip_localities(data_dir(ctx), Path(file), release))


@click.command("fees")
@click.argument("payer")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--release", help="Release name (default: the file name without extension).")
@click.option(
    "--effective",
    type=DATE,
    default=None,
    help="First date of service the contract amounts apply to.",
)
@click.pass_context
@user_errors
def import_fees_cmd(
    ctx: click.Context, payer: str, file: str, release: str | None, effective: dt.datetime | None
) -> None:
    """Import PAYER's contracted fee schedule (CSV: code, modifier, allowed)."""
    config = load_config(settings_of(ctx).get("config"))
    if config.payer(payer) is None:
        raise InputError(
            "command line",
            None,
            "PAYER",
            f"no payer profile {payer!r}",
            f"use one of {', '.join(sorted(config.payers))} or add the profile "
            f"to the configuration ({config.source})",
        )
    _report(
        import_fee_schedule(
            data_dir(ctx), payer, Path(file), release, effective.date() if effective else None
        )
    )


for _command in (import_pfs_cmd, import_gpci_cmd, import_zip_cmd, import_fees_cmd):
    reference_import.add_command(_command)
