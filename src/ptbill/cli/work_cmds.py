"""The work queue's commands: `ptbill worklist` (filtered, grouped, as a table, CSV, claim ids
or JSON), `ptbill rescrub`, and the bulk form of the actions: `ptbill worklist ... --format ids
| ptbill writeoff --from-stdin --reason ...` (and `correct`, `appeal`, `rescrub`).

A bulk action acts on each claim in its own transaction (ptbill.remit.bulk_actions says why)
and prints each claim's outcome as it is decided: `done`, `refused` (why, and the fix) or
`failed` (nothing of that claim changed); exit 0 when every claim was done, 1 otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import click
from rich.table import Table

from ptbill.cli.clock import as_of_or_today
from ptbill.cli.common import (
    EXIT_FOUND,
    out,
    print_json,
    profiles,
    run_config,
    user_errors,
)
from ptbill.cli.ledger_cmds import (
    AS_OF_HELP,
    DATE,
    _claim_in,
    _scope,
    claim_action,
    clinic_option,
    database_errors,
    ledger_session,
    who,
)
from ptbill.cli.output import write_csv
from ptbill.remit.work_kinds import DUE_HELP, DUE_WINDOWS, GROUP_BYS, GROUP_HELP, KINDS

ITEM_COLUMNS = (
    "id",
    "claim_id",
    "visit_id",
    "kind",
    "category",
    "rule",
    "carc",
    "rarc",
    "amount",
    "action",
    "due_date",
    "overdue",
    "payer",
    "clinic",
    "created_on",
    "source",
    "detail",
)
GROUP_COLUMNS = ("count", "claims", "amount", "overdue", "version")


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# A narrow terminal folds the cells, but never money (a figure cut in two reads as two).
_WHOLE = frozenset({"Amount", "amount"})


def _rows(head: Sequence[str], rows: list[list[str]], title: str) -> None:
    """A table: rich on a terminal, plain aligned lines for files and pipes."""
    if not out.is_terminal:
        widths = [max(len(r[i]) for r in [list(head), *rows]) for i in range(len(head))]
        click.echo(title)
        for r in [list(head), *rows]:
            click.echo(
                "  " + "  ".join(c.ljust(n) for c, n in zip(r, widths, strict=True)).rstrip()
            )
        return
    table = Table(title=title, title_justify="left")
    for col in head:
        table.add_column(col, overflow="fold", no_wrap=col in _WHOLE)
    for r in rows:
        table.add_row(*r)
    out.print(table)


def _group_rows(groups: list[Any], by: str) -> tuple[list[str], list[list[str]]]:
    names = list(groups[0]["key"]) if groups else [by]
    head = [*names, "items", "claims", "amount", "overdue"]
    rows = [
        [
            *[_text(g["key"][n]) or "-" for n in names],
            str(g["count"]),
            str(g["claims"]),
            _money(g["amount"]),
            str(g["overdue"]),
        ]
        for g in groups
    ]
    return head, rows


def _heading(whole: Any, day: dt.date | None, filters: Any) -> str:
    given = ", ".join(f"{k}={v}" for k, v in filters.params().items())
    return (
        f"Worklist as of {day or '(no date)'}: {whole['count']} open item(s) on "
        f"{whole['claims']} claim(s), {_money(whole['amount'])} at stake, "
        f"{whole['overdue']} overdue" + (f" ({given})" if given else "")
    )


@click.command()
@click.option("--kind", "kinds", type=click.Choice(KINDS), multiple=True, help="Repeatable.")
@click.option("--category", default=None, help="One category (e.g. timely_filing).")
@click.option("--rule", default=None, help="The scrub rule of blocked items ('-': none).")
@click.option("--carc", default=None, help="The CARC of denials ('-': none).")
@click.option("--payer", "payers", multiple=True, metavar="KEY", help="Repeatable.")
@clinic_option
@click.option("--since", type=DATE, default=None, help="Items created on or after this date.")
@click.option("--until", type=DATE, default=None, help="Items created on or before this date.")
@click.option("--due", type=click.Choice(DUE_WINDOWS), default=None, help=DUE_HELP + ".")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N items.")
@click.option("--group-by", "group_by", type=click.Choice(GROUP_BYS), help=GROUP_HELP + ".")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "csv", "ids", "json"]),
    default="text",
    show_default=True,
    help="ids: the claim ids, one a line (for `ptbill writeoff --from-stdin` and the like).",
)
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option("--details", is_flag=True, help="Show what each item is about and how to fix it.")
@click.pass_context
@user_errors
@database_errors
def worklist(
    ctx: click.Context,
    kinds: tuple[str, ...],
    category: str | None,
    rule: str | None,
    carc: str | None,
    payers: tuple[str, ...],
    clinics: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    due: str | None,
    limit: int | None,
    group_by: str | None,
    fmt: str,
    as_json: bool,
    as_of: dt.datetime | None,
    details: bool,
) -> None:
    """Open work items, earliest deadline first: what to do about each claim and by when,
    with a summary by denial reason (or only the groups, with --group-by)."""
    from ptbill.remit.worklist import (
        WorkFilter,
        check_filter,
        open_groups,
        open_items,
        selected_items,
        selection,
    )

    fmt = "json" if as_json else fmt
    filters = WorkFilter(
        kinds=kinds,
        category=category,
        rule=rule,
        carc=carc,
        payers=payers,
        since=since.date() if since else None,
        until=until.date() if until else None,
        due=due,
    )
    check_filter(filters, profiles(ctx).payers, lambda name: f"--{name}")
    with ledger_session(ctx, read_only=True) as session:
        scope = _scope(session, clinics)
        day = as_of_or_today(ctx, as_of)
        if fmt == "ids":
            found = selected_items(session, scope, filters, day, limit)
            for number in dict.fromkeys(ref for _, ref, claim in found if claim is not None):
                click.echo(number)
            return
        if group_by:
            groups = open_groups(session, scope, group_by, filters=filters, as_of=day)
            items = []
        else:
            groups = open_groups(session, scope, "reason", filters=filters, as_of=day)
            items = open_items(session, scope, filters=filters, as_of=day, limit=limit)
        whole = selection(session, scope, filters, day)
    if fmt == "json":
        print_json(groups if group_by else items)
    elif fmt == "csv" and group_by:
        names = list(groups[0]["key"]) if groups else []
        write_csv([*names, *GROUP_COLUMNS], ({**g["key"], **g} for g in groups))
    elif fmt == "csv":
        write_csv(ITEM_COLUMNS, items)  # type: ignore[arg-type]  # WorkItem: a TypedDict
    else:
        _print_text(whole, day, filters, groups, group_by, items, details)


def _print_text(
    whole: Any,
    day: dt.date | None,
    filters: Any,
    groups: list[Any],
    group_by: str | None,
    items: list[Any],
    details: bool,
) -> None:
    if out.is_terminal:
        out.print(f"[bold]{_heading(whole, day, filters)}[/]")
    else:
        click.echo(_heading(whole, day, filters))
    if not whole["count"]:
        return
    head, rows = _group_rows(groups, group_by or "reason")
    title = f"By {'denial reason' if (group_by or 'reason') == 'reason' else group_by}:"
    click.echo()
    _rows(head, rows, title)
    if group_by or not items:
        return
    rows = []
    for w in items:
        codes = w["rule"] or "/".join(x for x in (w["carc"], w["rarc"]) if x) or "-"
        rows.append(
            [
                str(w["id"]),
                _text(w["due_date"]) + (" overdue" if w["overdue"] else ""),
                w["claim_id"],
                w["payer"] or "-",
                w["kind"],
                w["category"],
                codes,
                _money(w["amount"]),
                w["action"],
                *([w["detail"]] if details else []),
            ]
        )
    shown = f"{len(items)} of {whole['count']}" if len(items) < whole["count"] else "All"
    head = ["Item", "Due", "Claim", "Payer", "Kind", "Category", "Rule/CARC", "Amount", "Action"]
    click.echo()
    _rows(head + (["Detail"] if details else []), rows, f"{shown} items, earliest deadline first:")


@claim_action("rescrub")
def rescrub(
    ctx: click.Context,
    claim: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Code, scrub and price a claim not sent yet (blocked or ready) again from its stored
    visit, with today's configuration and reference data: it becomes ready, or stays blocked
    with new work items. Exit 1 when it is still blocked."""
    from ptbill.remit.actions import rescrub as scrub_again

    config = run_config(ctx)
    with ledger_session(ctx) as session:
        _claim_in(session, clinics, claim)
        day = as_of_or_today(ctx, as_of)
        result = scrub_again(session, config, claim, as_of=day, who=who())
    if as_json:
        print_json(result.as_json())
    else:
        still = f": {', '.join(result.rules)}" if result.rules else ""
        out.print(f"claim {claim} scrubbed again as of {day}: {result.state}{still}")
    if result.rules:
        ctx.exit(EXIT_FOUND)


@click.command()
@click.argument("items", nargs=-1, required=True, type=click.IntRange(min=1), metavar="ITEM...")
@click.option("--note", required=True, help="What was done about it (1 to 500 characters).")
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def resolve(
    ctx: click.Context,
    items: tuple[int, ...],
    note: str,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
) -> None:
    """Close work items by hand (ids from `ptbill worklist`), with a note of what was done
    outside ptbill: an unmatched payment posted by hand or returned, a payer called, a file
    looked at. All or nothing: an item not found, already closed, or one a command settles
    (a blocked claim, money still owed) is refused, exit 2, and none is closed."""
    from ptbill.ledger.work_items import close_by_hand, closed_row

    with ledger_session(ctx) as session:
        day = as_of_or_today(ctx, as_of)
        scope = _scope(session, clinics)
        closed = [close_by_hand(session, i, scope, note=note, on=day, who=who()) for i in items]
        rows = [closed_row(w) for w in closed]
    if as_json:
        print_json({"closed": rows})
        return
    for row in rows:
        click.echo(  # one line each, whatever the terminal's width (a script reads them)
            f"closed work item {row['id']} ({row['kind']}, {row['category']}, "
            f"{row['claim_id']}) on {row['closed_on']}"
        )
