"""`ptbill show CLAIM`: one claim's whole story from the ledger, for a person or (--json) a
program: the claim, its chain of payers, its lines, versions, findings, submissions,
acknowledgements, payments, work items, appeals and audit trail. The same record the web's
claim page and `GET /api/v1/claims/{claim}` show (ptbill.web.queries.claims.claim_detail)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import click
from rich.markup import escape

from ptbill.cli.common import out, print_json, user_errors
from ptbill.cli.ledger_cmds import _scope, clinic_option, database_errors, ledger_session
from ptbill.errors import InputError


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"${value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _say(line: str = "") -> None:
    out.print(escape(line), highlight=False, soft_wrap=True)


def _section(title: str, rows: list[str]) -> None:
    _say()
    out.print(f"[bold]{escape(title)}[/] ({len(rows)})", highlight=False)
    for row in rows or ["(none)"]:
        _say(f"  {row}")


def render(d: dict[str, Any]) -> None:
    """The story in reading order: what the claim is now, then what happened to it."""
    out.print(
        f"[bold]claim {escape(d['claim_number'])}[/]  {escape(d['state'])}  version {d['version']}",
        highlight=False,
    )
    _say(
        f"{_text(d['date_of_service'])}  {d['payer']} ({d['payer_name']})  patient "
        f"{d['patient_external_id']} {d['patient']}"
    )
    _say(
        f"charge {_text(d['charge'])}, expected {_text(d['expected_payment'])}, paid "
        f"{_text(d['paid'])}, patient {_text(d['patient_responsibility'])}, balance "
        f"{_text(d['balance'])}"
    )
    if d.get("payer_control_number"):
        _say(f"payer claim number {d['payer_control_number']}")
    _section(
        "payers",
        [
            f"{p['role']} {p['payer']} {p['claim_id']} {p['state']}"
            + (" (crossover)" if p["crossover"] else "")
            + f", paid {_text(p['paid'])} of {_text(p['charge'])}"
            + ("  <- this claim" if p["this"] else "")
            for p in d["payers"]
        ],
    )
    _section(
        "lines",
        [
            f"{x['line_number']}. {x['code']}"
            + (f"-{'-'.join(x['modifiers'])}" if x["modifiers"] else "")
            + f" x{x['units']}  {_text(x['charge'])}"
            for x in d["lines"]
        ],
    )
    _section(
        "findings (current version)",
        [f"{f['severity']} {f['rule']}: {f['message']}" for f in d["findings"]],
    )
    _section(
        "versions",
        [
            f"v{v['version']} {_text(v['created_on'])} frequency {v['frequency_code']}, "
            f"{v['scrub_status']}, {_text(v['charge'])}"
            + (f": {v['reason']}" if v["reason"] else "")
            for v in d["versions"]
        ],
    )
    _section(
        "submissions",
        [
            f"{_text(s['created_on'])} interchange {s['interchange_control_number']} "
            f"({s['file_name']}), version {s['version']}"
            for s in d["submissions"]
        ],
    )
    _section(
        "acknowledgements",
        [
            f"{_text(a['received_on'])} {a['kind']} {a['status']}"
            + (f": {a['detail']}" if a["detail"] else "")
            for a in d["acknowledgements"]
        ],
    )
    _section(
        "payments",
        [
            f"{_text(p['payment_date'])} trace {p['trace_number']}: {p['status_text']}, paid "
            f"{_text(p['paid'])} of {_text(p['charge'])}, patient "
            f"{_text(p['patient_responsibility'])}"
            + ("; reversal" if p["reversal"] else "")
            + "".join(f"; {a['group']}-{a['carc']} {_text(a['amount'])}" for a in p["adjustments"])
            for p in d["payments"]
        ],
    )
    _section(
        "work items",
        [
            f"{w['status']} {w['kind']} due {_text(w['due_date'])}: {w['action']}"
            + (f" ({w['resolution']})" if w["resolution"] else "")
            for w in d["work_items"]
        ],
    )
    _section(
        "appeals",
        [
            f"level {a['level']} on {_text(a['created_on'])}, due {_text(a['due_date'])}"
            for a in d["appeals"]
        ],
    )
    _section(
        "audit trail",
        [audit_line(a) for a in d["audit"]],
    )


def audit_line(a: dict[str, Any]) -> str:
    """One audit entry; one that kept the state (a work item closed by hand, a refund to the
    payer) says so rather than "paid -> paid"."""
    if a["from_state"] == a["to_state"]:
        move = f"{a['to_state']} (unchanged)"
    else:
        move = f"{a['from_state'] or '-'} -> {a['to_state']}"
    return f"{_text(a['on_date'])} {a['who']}: {move}" + (f" ({a['why']})" if a["why"] else "")


@click.command()
@click.argument("claim")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@clinic_option
@click.pass_context
@user_errors
@database_errors
def show(ctx: click.Context, claim: str, as_json: bool, clinics: tuple[str, ...]) -> None:
    """One claim's whole story: its lines, versions, findings, submissions, acknowledgements,
    payments, work items, appeals and audit trail. With --clinic, another clinic's claim is
    not found."""
    from ptbill.web.problems import NotFound
    from ptbill.web.queries.claims import claim_detail

    with ledger_session(ctx) as session:
        try:
            detail = claim_detail(session, _scope(session, clinics), claim)
        except NotFound:
            raise InputError(
                "claim", "no such claim", "give a claim number (the visit id)", field=claim
            ) from None
    if as_json:
        print_json(detail)
    else:
        render(detail)
