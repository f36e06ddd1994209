"""`ptbill clinics`: the configuration as ptbill reads it, clinic by clinic (the workbench's
Clinics page and `GET /api/v1/clinics` show the same, secrets masked). A configuration with a
fault exits 2 naming the setting, so this is also the check to run after editing it."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape

from ptbill.cli.common import out, print_json, run_config, user_errors
from ptbill.errors import InputError


@click.command()
@click.option(
    "--clinic", "keys", multiple=True, metavar="KEY", help="Only this clinic (repeat for several)."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def clinics(ctx: click.Context, keys: tuple[str, ...], as_json: bool) -> None:
    """The configured clinics: NPI, tax id, time zone, address, submitter and receiver,
    clearinghouse account (passwords and key paths masked), chargemaster and the payer
    profiles they bill under. Exit 2 when the configuration has a fault (named)."""
    from ptbill.web.queries.clinics import configured_clinic

    config = run_config(ctx)
    unknown = [k for k in keys if k not in config.clinics]
    if unknown:
        raise InputError(
            "--clinic",
            f"no clinic {unknown[0]!r} in the configuration",
            f"name one of: {', '.join(sorted(config.clinics)) or '(none)'}",
        )
    shown = [
        configured_clinic(config, c)
        for k, c in sorted(config.clinics.items())
        if not keys or k in keys
    ]
    if as_json:
        print_json({"source": config.source, "clinics": shown})
        return
    out.print(
        f"{escape(config.source)}: {len(config.clinics)} clinic(s), {len(config.payers)} payer "
        f"profile(s), {len(config.clearinghouses)} clearinghouse(s)",
        soft_wrap=True,
    )
    for c in shown:
        _render(c)
    if shown:
        out.print("\npayers: " + ", ".join(_payer(p) for p in shown[0]["payers"]), soft_wrap=True)


def _render(c: dict[str, Any]) -> None:
    a = c["address"]
    lines = [
        f"\n[bold]{escape(c['key'])}[/]: {escape(c['name'])}",
        f"  NPI {c['npi']}, tax id {c['tax_id']}, taxonomy {c['taxonomy']}, Medicare locality "
        f"{c['medicare_locality'] or '-'}",
        f"  time zone {c['timezone_in_force']}" + ("" if c["timezone"] else " (the company's)"),
        f"  {escape(a['line1'])}, {escape(a['city'])}, {a['state']} {a['zip']}",
    ]
    for role in ("submitter", "receiver"):
        if c[role]:
            lines.append(f"  {role} {escape(c[role]['name'])} ({c[role]['id']})")
    account = c["clearinghouse_account"]
    if account:
        where = account["host"] or f"folder {account['local']}"
        lines.append(f"  clearinghouse {c['clearinghouse']}: {escape(str(where))}")
    elif c["clearinghouse"] is None:
        lines.append("  no clearinghouse: claims are written to files (`ptbill submit -o`)")
    lines.append(f"  chargemaster: {len(c['chargemaster'])} code(s)")
    out.print("\n".join(lines), soft_wrap=True)


def _payer(p: dict[str, Any]) -> str:
    days = p["timely_filing_days"]
    return f"{p['key']} ({p['payer_id'] or 'no payer id'}, timely filing {days} days)"
