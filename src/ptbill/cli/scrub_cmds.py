"""`ptbill scrub` (every payer rule over coded visits) and `ptbill rules` (the catalog)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ptbill.cli.coding_cmds import ClaimItem, load_items, prepare_items
from ptbill.cli.common import (
    EXIT_FOUND,
    EXIT_INPUT,
    err,
    out,
    print_json,
    run_config,
    user_errors,
)
from ptbill.cli.intake_opts import from_option
from ptbill.config import Config, load_config
from ptbill.domain import CodedVisit, Visit
from ptbill.errors import InputError
from ptbill.scrub import RULES, ScrubResult, active_rules
from ptbill.scrub.rulebook import rules_markdown

DATE = click.DateTime(formats=["%Y-%m-%d"])
_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def scrub_files(
    files: tuple[str, ...], config: Config, as_of: dt.date | None, fmt: str | None = None
) -> tuple[list[ClaimItem], dt.date]:
    """Load every visit (all input errors first), then make each a claim as of `as_of`
    (default: the latest date of service), the input one batch."""
    items = load_items(files, config, fmt)
    if not items:
        raise InputError(
            ", ".join(files),
            None,
            None,
            "no visits in the input",
            "give files that hold at least one visit",
        )
    day = as_of or max(x.visit.date_of_service for x in items)
    return prepare_items(items, day), day


def result_json(v: Visit, r: ScrubResult) -> dict[str, Any]:
    return {
        "visit_id": r.visit_id,
        "date_of_service": v.date_of_service,
        "payer": v.payer,
        "status": r.status,
        "findings": [f.to_json() for f in r.findings],
    }


def render_result(v: Visit, c: CodedVisit, r: ScrubResult, show_info: bool) -> None:
    counts = Counter(f.severity for f in r.findings)
    shown = [f for f in r.findings if show_info or f.severity != "info"]
    state = "[red]BLOCKED[/]" if r.blocked else "[green]ready[/]"
    tally = ", ".join(
        f"{n} {s}{'s' if n > 1 else ''}" for s in ("error", "warning", "info") if (n := counts[s])
    )
    out.print(
        f"\n[bold]{r.visit_id}[/]  {v.date_of_service}  {v.payer}  {state}"
        + (f"  ({tally})" if tally else "")
    )
    if not shown:
        return
    table = Table(show_header=True, show_lines=False, box=None, pad_edge=False)
    for col in ("", "Rule", "Line", "Finding", "Fix"):
        table.add_column(col, overflow="fold")
    for f in shown:
        line = "" if f.line is None else f"{f.line} {c.lines[f.line - 1].code}"
        release = f.data_release and f.data_release not in f.message  # name it once
        message = escape(f.message) + (f" [dim]\\[{escape(f.data_release)}][/]" if release else "")
        table.add_row(
            f"[{_STYLE[f.severity]}]{f.severity}[/]", f.rule, line, message, escape(f.fix)
        )
    out.print(table)


def render_summary(results: list[ScrubResult], as_of: dt.date, defaulted: bool) -> None:
    blocked = sum(r.blocked for r in results)
    out.print(
        f"\n[bold]{len(results)} visit(s): {len(results) - blocked} ready, {blocked} "
        f"blocked[/] (as of {as_of}{', the latest date of service' if defaulted else ''})"
    )
    by_rule = Counter(f.rule for r in results for f in r.findings if f.severity == "error")
    if by_rule:
        out.print("errors by rule: " + ", ".join(f"{k} {n}" for k, n in by_rule.most_common()))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="The day the claims would be sent (timely filing, signatures). Default: the "
    "latest date of service in the input (there is no clock).",
)
@click.option(
    "--all", "show_all", is_flag=True, help="Also list visits without findings, and info findings."
)
@from_option
@click.pass_context
@user_errors
def scrub(
    ctx: click.Context,
    files: tuple[str, ...],
    as_json: bool,
    as_of: dt.datetime | None,
    show_all: bool,
    fmt: str | None,
) -> None:
    """Scrub the visits in FILE(s): every payer rule that would deny or claw back a line.

    Exit 0 when every visit is ready, 1 when any is blocked, 2 for unreadable input."""
    items, day = scrub_files(files, run_config(ctx), as_of.date() if as_of else None, fmt)
    results = [x.claim.scrub for x in items]
    if as_json:
        print_json([result_json(x.visit, x.claim.scrub) for x in items])
    else:
        for x in items:
            r = x.claim.scrub
            if show_all or any(f.severity != "info" for f in r.findings):
                render_result(x.visit, x.coded, r, show_all)
        render_summary(results, day, as_of is None)
    if any(r.blocked for r in results):
        ctx.exit(EXIT_FOUND)


@click.command("rules")
@click.option("--markdown", is_flag=True, help="The rules reference (docs/rules.md).")
@click.option("--payer", help="Show the rules as this payer profile sets them.")
@click.pass_context
@user_errors
def rules(ctx: click.Context, markdown: bool, payer: str | None) -> None:
    """List the scrub rules: id, category, severity and what each finds."""
    if markdown:
        click.echo(rules_markdown(), nl=False)
        return
    active = None
    if payer is not None:
        root = ctx.find_root().obj or {}
        config = load_config(root.get("config"))
        profile = config.payer(payer)
        if profile is None:
            err.print(
                f"[red]error:[/] no payer profile {payer!r}; use one of "
                f"{', '.join(sorted(config.payers))}"
            )
            ctx.exit(EXIT_INPUT)
        active = {a.rule.id: a for a in active_rules(profile)}
    table = Table(
        "Rule",
        "Category",
        "Severity",
        "On",
        "What it finds",
        title=f"Scrub rules{f' for {payer}' if payer else ''} (details: docs/rules.md)",
        title_justify="left",
    )
    for r in RULES.values():
        a = active.get(r.id) if active is not None else None
        on = (a is not None) if active is not None else r.enabled
        severity = a.severity if a is not None else r.severity
        table.add_row(r.id, r.category, severity, "yes" if on else "no", r.title)
    out.print(table)
