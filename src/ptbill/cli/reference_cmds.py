"""`ptbill reference`: the reference data releases, and `ptbill reference import KIND FILE...`
to store CMS's quarterly files as dated, versioned releases.

This module owns the `reference` and `reference import` groups; other modules add their
importers to `reference_import` (pricing adds pfs, gpci, zip-locality and fees).
"""

from __future__ import annotations

import click
from rich.table import Table

from ptbill.cli.common import data_dir, out, user_errors
from ptbill.reference import store
from ptbill.reference.importers.ncci import import_mue, import_ptp
from ptbill.reference.importers.pfs import Imported


@click.group()
def reference() -> None:
    """Reference data: CMS releases imported into the data folder (--data, $PTBILL_DATA)."""


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
