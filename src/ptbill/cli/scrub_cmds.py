"""`ptbill scrub` (every payer rule over coded visits) and `ptbill rules` (the catalog)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import click

from ptbill.bulk import batch
from ptbill.cli import parallel, visits
from ptbill.cli.clock import as_of_or_today, one_clinic
from ptbill.cli.common import (
    EXIT_FOUND,
    EXIT_INPUT,
    FileReadTwice,
    err,
    escape,
    json_bytes,
    out,
    run_config,
    user_errors,
)
from ptbill.cli.intake_opts import from_option
from ptbill.cli.output import (
    JsonList,
    format_options,
    held,
    output_of,
    quiet_option,
    release,
    workers_option,
)
from ptbill.cli.progress import progress
from ptbill.cli.summary import Totals
from ptbill.config import Config, load_config
from ptbill.domain import CodedVisit, Visit
from ptbill.scrub import RULES, Finding, ScrubResult, active_rules
from ptbill.scrub.rulebook import rules_markdown

DATE = click.DateTime(formats=["%Y-%m-%d"])
_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def result_json(v: Visit, r: ScrubResult) -> dict[str, Any]:
    return {
        "visit_id": r.visit_id,
        "date_of_service": v.date_of_service,
        "payer": v.payer,
        "status": r.status,
        "findings": [f.to_json() for f in r.findings],
    }


class ResultText:
    """result_json's record as JsonList writes it (`add_text`), made from parts: the visit's
    four fields by orjson, and each finding's text made once per Finding object (a run's
    visits share their equal findings: ptbill.scrub.registry.ActiveRule.finding). The same
    bytes as `JsonList.add(result_json(...))` (tests/scrub/test_scrub_equivalence.py), at a
    fraction of the cost."""

    # A finding as an element of the findings list, in --json's indentation.
    _PRETTY_HEAD = b'[\n  {\n    "findings": [\n      '
    _PRETTY_TAIL = b"\n    ]\n  }\n]"
    _KEEP = 1024  # findings' texts kept (a run has a few hundred distinct findings)

    def __init__(self, lines: bool) -> None:
        self.lines = lines
        # id(finding) -> (the finding, kept so that its id is not reused; its text)
        self.texts: dict[int, tuple[Finding, bytes]] = {}
        # The few values of a date of service, a payer and a status -> their JSON (keyed by
        # value: a date, a string or None, never a number, whose 1 would be True's).
        self.values: dict[object, bytes] = {}

    def _value(self, x: dt.date | str | None) -> bytes:
        known = self.values.get(x)
        if known is None:
            if len(self.values) >= self._KEEP:
                self.values.clear()
            known = self.values[x] = json_bytes(x, pretty=False)
        return known

    def _finding(self, f: Finding) -> bytes:
        known = self.texts.get(id(f))
        if known is not None:
            return known[1]
        if self.lines:
            text = json_bytes(f.to_json(), pretty=False)
        else:
            whole = json_bytes([{"findings": [f.to_json()]}])
            text = whole[len(self._PRETTY_HEAD) : -len(self._PRETTY_TAIL)]
        if len(self.texts) >= self._KEEP:
            self.texts.clear()
        self.texts[id(f)] = (f, text)
        return text

    def __call__(self, v: Visit, r: ScrubResult) -> bytes:
        visit_id = json_bytes(r.visit_id, pretty=False)
        dos, payer, status = (
            self._value(v.date_of_service),
            self._value(v.payer),
            self._value(r.status),
        )
        found = [self._finding(f) for f in r.findings]
        if self.lines:
            return (
                b'{"visit_id":%b,"date_of_service":%b,"payer":%b,"status":%b,"findings":[%b]}'
                % (visit_id, dos, payer, status, b",".join(found))
            )
        listed = b"[\n      %b\n    ]" % b",\n      ".join(found) if found else b"[]"
        return (
            b'{\n    "visit_id": %b,\n    "date_of_service": %b,\n    "payer": %b,\n'
            b'    "status": %b,\n    "findings": %b\n  }' % (visit_id, dos, payer, status, listed)
        )


def render_result(v: Visit, c: CodedVisit, r: ScrubResult, show_info: bool) -> None:
    from rich.table import Table  # here: --json and --jsonl print no table

    counts = Counter(f.severity for f in r.findings)
    shown = [f for f in r.findings if show_info or f.severity != "info"]
    state = "[red]BLOCKED[/]" if r.blocked else "[green]ready[/]"
    tally = ", ".join(
        f"{n} {s}{'s' if n > 1 else ''}" for s in ("error", "warning", "info") if (n := counts[s])
    )
    out.print(
        f"\n[bold]{escape(r.visit_id)}[/]  {v.date_of_service}  {v.payer}  {state}"
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
        message = escape(f.message) + (
            f" [dim]\\[{escape(f.data_release or '')}][/]" if release else ""
        )
        table.add_row(
            f"[{_STYLE[f.severity]}]{f.severity}[/]", f.rule, line, message, escape(f.fix)
        )
    out.print(table)


AS_OF_HELP = (
    "The day the claims would be sent (timely filing, signatures). Default: today in the "
    "clinic's time zone (`ptbill --today` freezes it)."
)


def as_of_told(
    ctx: click.Context, as_of: dt.datetime | None, config: Config, clinics: set[str | None]
) -> tuple[dt.date, str]:
    """The run's as-of date for an input of these clinics, and how the summary tells where it
    came from."""
    clinic = one_clinic(clinics)
    day = as_of_or_today(ctx, as_of, config, clinic)
    if as_of is not None:
        return day, ""
    zone = config.zone(clinic)
    return day, f" (today{f' in {zone.key}' if zone else ''})"


@click.command()
@click.argument("files", nargs=-1, required=True, type=FileReadTwice())
@format_options("jsonl")
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option(
    "--all", "show_all", is_flag=True, help="Also list visits without findings, and info findings."
)
@from_option
@quiet_option
@workers_option
@click.pass_context
@user_errors
def scrub(
    ctx: click.Context,
    files: tuple[str, ...],
    output: str | None,
    as_of: dt.datetime | None,
    show_all: bool,
    fmt: str | None,
    quiet: bool,
    workers: int | None,
) -> None:
    """Scrub the visits in FILE(s): every payer rule that would deny or claw back a line.

    On a terminal: the visits with findings, and the totals (ready and blocked by category,
    lines, charges, expected payment); --json and --jsonl: every visit's findings, the input
    read once (the output held in a temporary file until all of it has read; a big JSON Lines
    input scrubbed by --workers processes, the same output). Exit 0 when
    every visit is ready, 1 when any is blocked, 2 for unreadable input (nothing printed)."""
    output = output_of(output)
    with batch():
        if output != "text":
            how_many = parallel.workers_for(files, fmt, workers)
            blocked = _scrub_json(ctx, files, as_of, output == "jsonl", fmt, quiet, how_many)
        else:  # checked whole first, then each visit's findings printed as it is scrubbed
            found = visits.check(files, run_config(ctx), fmt, quiet=quiet)
            day, how = as_of_told(ctx, as_of, found.config, found.clinics)
            totals = Totals()
            with progress("scrubbing", found.count, quiet=quiet) as advance:
                # Prices only for the summary's expected payment.
                for x in visits.claims(found, day, advance, priced=not quiet):
                    r = x.scrub
                    if show_all or any(f.severity != "info" for f in r.findings):
                        render_result(x.visit, x.coded, r, show_all)
                    totals.add_claim(x.coded, r, x.priced)
            if not quiet:
                totals.show(day, how)
            blocked = totals.blocked
    if blocked:
        ctx.exit(EXIT_FOUND)


def _scrub_json(
    ctx: click.Context,
    files: tuple[str, ...],
    as_of: dt.datetime | None,
    lines: bool,
    fmt: str | None,
    quiet: bool,
    workers: int,
) -> int:
    """--json and --jsonl: the input read once, each visit's findings written as it is
    scrubbed (in `workers` processes: ptbill.cli.parallel), held until the whole input has
    read (an input error prints nothing). How many visits are blocked."""
    config = run_config(ctx)
    text = ResultText(lines)
    with held() as spool:
        sink = JsonList(lines, stream=spool)
        blocked = 0

        def restart() -> None:
            nonlocal sink, blocked
            spool.seek(0)
            spool.truncate()
            sink, blocked = JsonList(lines, stream=spool), 0

        for made, tally in parallel.texts_in_one_read(
            files,
            config,
            fmt,
            lambda clinics: as_of_told(ctx, as_of, config, clinics)[0],
            restart,
            lambda x: (text(x.visit, x.scrub), x.scrub.blocked),
            workers=workers,
            sep=sink.between,
            priced=False,
            quiet=quiet,
        ):
            sink.add_text(made)
            blocked += tally
        sink.close()
        release(spool)
    return blocked


@click.command("rules")
@click.option("--markdown", is_flag=True, help="The rules reference (docs/rules.md).")
@click.option("--payer", help="Show the rules as this payer profile sets them.")
@click.pass_context
@user_errors
def rules(ctx: click.Context, markdown: bool, payer: str | None) -> None:
    """List the scrub rules: id, category, severity and what each finds."""
    from rich.table import Column, Table  # here: `ptbill scrub --json` prints no table

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
        # Folded, never cut: the id is what a configuration names.
        *(Column(h, overflow="fold") for h in ("Rule", "Category", "Severity", "On")),
        Column("What it finds", overflow="fold"),
        title=f"Scrub rules{f' for {payer}' if payer else ''} (details: docs/rules.md)",
        title_justify="left",
    )
    for r in RULES.values():
        a = active.get(r.id) if active is not None else None
        on = (a is not None) if active is not None else r.enabled
        severity = a.severity if a is not None else r.severity
        table.add_row(r.id, r.category, severity, "yes" if on else "no", r.title)
    out.print(table)
