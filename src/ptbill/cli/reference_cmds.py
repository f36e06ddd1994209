"""`ptbill reference`: the reference data releases, and `ptbill reference import KIND FILE...`
to store CMS's quarterly files as dated, versioned releases.

Every subcommand of these groups is defined here: `ptbill` imports a command's module only when
the command is asked for, so a subcommand another module added would be missing from a real run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import click
from rich.table import Table

from ptbill.cli.common import data_dir, out, profiles, user_errors
from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.importers.fees import import_fee_schedule
from ptbill.reference.importers.gpci import import_gpci, import_zip_localities
from ptbill.reference.importers.ncci import import_mue, import_ptp
from ptbill.reference.importers.pfs import Imported, import_pfs


@click.group()
def reference() -> None:
    """Reference data: CMS releases imported into the data folder (--data, $PTBILL_DATA)."""


DATE = click.DateTime(formats=["%Y-%m-%d"])


@reference.group("import")
def reference_import() -> None:
    """Import a CMS (or contract) file as a versioned release."""


def report_import(imported: Imported) -> None:
    m = imported.manifest
    sources = m.get("sources") or [{"file": m.get("source_file"), "sha256": m.get("sha256")}]
    click.echo(
        f"imported {imported.kind} release {imported.release}: {m.get('rows')} rows"
        + (f" ({m['filter']}, of {m['rows_read']} read)" if m.get("filter") else "")
    )
    for s in sources:
        click.echo(f"  from {s['file']} sha256 {s['sha256']}")
    click.echo(f"stored in {imported.path}")


@reference_import.command("ncci-ptp")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--release",
    help="Release name (default from the file names: ccipra-v322r0-f1.txt is ptp-2026q3).",
)
@click.option(
    "--all-codes",
    is_flag=True,
    help="Keep every edit, not only those between two codes of the PT code catalog.",
)
@click.pass_context
@user_errors
def import_ncci_ptp(
    ctx: click.Context, files: tuple[str, ...], release: str | None, all_codes: bool
) -> None:
    """Import CMS's Medicare NCCI practitioner PTP edits (all parts of one quarter, unzipped).

    Name the release in a payer profile's `ncci_table` to use it."""
    report_import(import_ptp(data_dir(ctx), files, release, all_codes))


@reference_import.command("ncci-mue")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--release",
    help="Release name (default from the file name: ..._Eff_07-01-2026.csv is mue-2026q3).",
)
@click.pass_context
@user_errors
def import_ncci_mue(ctx: click.Context, files: tuple[str, ...], release: str | None) -> None:
    """Import CMS's Medicare NCCI practitioner services MUE table (CSV, unzipped).

    Name the release in a payer profile's `[rules.MUE-UNITS] table` to use it."""
    report_import(import_mue(data_dir(ctx), files, release))


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


def file_and_release(command: Callable[..., None]) -> Callable[..., None]:
    """The FILE argument and --release option every single-file import takes."""
    command = click.option(
        "--release", help="Release name (default: the file name without extension)."
    )(command)
    return click.argument("file", type=click.Path(dir_okay=False))(command)


@reference_import.command("pfs")
@file_and_release
@click.option("--year", type=int, help="The PFS year, when the file's title row lacks it.")
@click.pass_context
@user_errors
def import_pfs_cmd(ctx: click.Context, file: str, release: str | None, year: int | None) -> None:
    """Import CMS's PFS Relative Value File (PPRRVU*.csv); the DESCRIPTION column is dropped."""
    _report(import_pfs(data_dir(ctx), Path(file), release, year))


@reference_import.command("gpci")
@file_and_release
@click.option("--year", type=int, help="The year, when the file's title row lacks it.")
@click.pass_context
@user_errors
def import_gpci_cmd(ctx: click.Context, file: str, release: str | None, year: int | None) -> None:
    """Import CMS's GPCI addendum (Addendum E / GPCIyyyy.csv)."""
    _report(import_gpci(data_dir(ctx), Path(file), release, year))


@reference_import.command("zip-locality")
@file_and_release
@click.pass_context
@user_errors
def import_zip_cmd(ctx: click.Context, file: str, release: str | None) -> None:
    """Import CMS's ZIP code to carrier locality file (ZIP5, fixed width)."""
    _report(import_zip_localities(data_dir(ctx), Path(file), release))


@reference_import.command("fees")
@click.argument("payer")
@file_and_release
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
    config = profiles(ctx)
    if config.payer(payer) is None:
        raise InputError(
            "command line",
            f"no payer profile {payer!r}",
            f"use one of {', '.join(sorted(config.payers))} or add the profile "
            f"to the configuration ({config.source})",
            field="PAYER",
        )
    _report(
        import_fee_schedule(
            data_dir(ctx), payer, Path(file), release, effective.date() if effective else None
        )
    )


@reference.command("list")
@click.pass_context
def list_releases(ctx: click.Context) -> None:
    """The imported releases, by kind."""
    folder = data_dir(ctx)
    kinds = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    table = Table(
        "Kind", "Release", "Rows", "Sources", title=f"Releases in {folder}", title_justify="left"
    )
    for kind in kinds:
        for name in store.releases(folder, kind):
            m = store.manifest(folder, kind, name) or {}
            files = [s["file"] for s in m.get("sources", [])] or [m.get("source_file", "?")]
            table.add_row(kind, name, str(m.get("rows", "?")), ", ".join(map(str, files)))
    out.print(table)
