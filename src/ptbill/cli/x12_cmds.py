"""`ptbill remit` (835 remittances) and `ptbill ack` (999 / TA1 and 277CA acknowledgments)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import click
from rich.table import Table

from ptbill.cli.common import EXIT_FOUND, _default, err, out, print_json, user_errors
from ptbill.errors import unreadable
from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import input_error
from ptbill.x12.read_277ca import ClaimAcknowledgment, Level, StatusReport, verdict
from ptbill.x12.read_835 import read_835
from ptbill.x12.read_999 import Acknowledgments
from ptbill.x12.read_ack import read_ack
from ptbill.x12.remittance import (
    RemittanceAdjustment,
    RemittanceAdvice,
    RemittanceClaim,
    ServicePayment,
)

T = TypeVar("T")


def _read(path: str, reader: str, read: Callable[[], T]) -> T:
    """Read fully, turning an X12Error into an InputError (nothing printed before it): a file
    of another kind is named, with the command that reads it."""
    try:
        return read()
    except X12Error as e:
        raise input_error(path, e, reader) from None
    except OSError as e:
        raise unreadable(path, e) from None


def _warn(path: str, warnings: list[str]) -> None:
    """What is odd but readable in the file, on stderr (stdout stays the report)."""
    for text in warnings:
        err.print(f"[yellow]warning:[/] {path}: {text}", markup=True, soft_wrap=True)


_CENT = Decimal("0.01")


def _money(value: Decimal | None) -> Decimal | None:
    """An amount with at least two decimals (17.3 -> 17.30): zeros added, never rounded."""
    if value is None or value.as_tuple().exponent <= -2:  # type: ignore[operator]
        return value
    return value.quantize(_CENT)


def _count(value: Decimal | None) -> int | str | None:
    """Units and quantities: a whole number as a number, anything else as a decimal string."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else str(value)


def _adjustments(items: list[RemittanceAdjustment]) -> list[dict[str, Any]]:
    return [
        {
            "group": a.group,
            "reason": a.reason,
            "amount": _money(a.amount),
            "quantity": _count(a.quantity),
        }
        for a in items
    ]


def _line_json(line: ServicePayment, claim: RemittanceClaim) -> dict[str, Any]:
    return {
        "code": line.code,
        "modifiers": line.modifiers,
        "charge": _money(line.charge),
        "paid": _money(line.paid),
        "units": _count(line.units),
        # A line without its own date is dated by the claim's statement period.
        "date_of_service": line.date_of_service or claim.statement_start,
        "adjustments": _adjustments(line.adjustments),
        "remarks": line.remarks,
    }


def payment_json(p: RemittanceAdvice) -> dict[str, Any]:
    """A payment in the shape of the interfaces contract, plus its imbalances."""
    return {
        "payer": p.payer,
        "payee_npi": p.payee_npi,
        "trace_number": p.trace_number,
        "payment_date": p.payment_date,
        "amount": _money(p.amount),
        "method": p.method,
        "claims": [
            {
                "claim_id": c.claim_id,
                "status": c.status,
                "charge": _money(c.charge),
                "paid": _money(c.paid),
                "patient_responsibility": _money(c.patient_responsibility),
                "payer_claim_control_number": c.payer_claim_control_number or None,
                "adjustments": _adjustments(c.adjustments),
                "lines": [_line_json(line, c) for line in c.lines],
            }
            for c in p.claims
        ],
        "provider_adjustments": [
            {"reason": a.reason, "reference": a.reference or None, "amount": _money(a.amount)}
            for a in p.provider_adjustments
        ],
        "imbalances": [
            {
                "level": i.level,
                "claim_id": i.claim_id,
                "line": i.line,
                "expected": _money(i.expected),
                "found": _money(i.found),
                "message": i.message,
            }
            for i in p.imbalances
        ],
    }


def _adjustment_text(items: list[RemittanceAdjustment]) -> str:
    return "\n".join(f"{a.group}-{a.reason} {_money(a.amount)}" for a in items)


def _render_payment(p: RemittanceAdvice) -> None:
    out.print(
        f"[bold]{p.payer}[/] paid {_money(p.amount)} by {p.method} on {p.payment_date} "
        f"(trace {p.trace_number}) to NPI {p.payee_npi or '-'}"
    )
    table = Table(title_justify="left")
    for col in ("Claim", "Status / line", "Charge", "Paid", "Patient", "Adjustments", "Remarks"):
        table.add_column(col, overflow="fold", no_wrap=col == "Adjustments")
    for c in p.claims:
        table.add_row(
            c.claim_id,
            f"{c.status} {c.status_meaning}",
            str(_money(c.charge)),
            str(_money(c.paid)),
            "" if c.patient_responsibility is None else str(_money(c.patient_responsibility)),
            _adjustment_text(c.adjustments),
            " ".join(c.remarks),
        )
        for line in c.lines:
            code = ":".join([line.code, *line.modifiers])
            table.add_row(
                "",
                f"{code} x{_count(line.units)}",
                str(_money(line.charge)),
                str(_money(line.paid)),
                "",
                _adjustment_text(line.adjustments),
                " ".join(line.remarks),
            )
    out.print(table)
    for a in p.provider_adjustments:
        ref = f" ({a.reference})" if a.reference else ""
        out.print(f"  provider adjustment {a.reason}{ref}: {_money(a.amount)}")
    for i in p.imbalances:
        out.print(f"  [red]does not balance:[/] {i.message}")


def _json_list(items: Iterator[str]) -> str:
    parts = list(items)
    return "[\n" + ",\n".join(parts) + "\n]" if parts else "[]"


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def remit(ctx: click.Context, file: str, as_json: bool) -> None:
    """Read an X12 835 remittance: payments, claims, lines, adjustments and whether the totals
    balance. Exit status 1 when any total does not balance, 2 when the file cannot be read."""
    warnings: list[str] = []
    if as_json:
        # Each payment becomes its JSON text as it is read, so memory follows the output,
        # and nothing is printed unless the whole file reads.
        unbalanced = False

        def texts() -> Iterator[str]:
            nonlocal unbalanced
            for p in read_835(file, warnings):
                unbalanced |= bool(p.imbalances)
                yield json.dumps(payment_json(p), indent=2, default=_default)

        click.echo(_read(file, "remit", lambda: _json_list(texts())))
    else:
        payments = _read(file, "remit", lambda: list(read_835(file, warnings)))
        for p in payments:
            _render_payment(p)
        if not payments:
            out.print("no payments in the file")
        unbalanced = any(p.imbalances for p in payments)
    _warn(file, warnings)
    if unbalanced:
        ctx.exit(EXIT_FOUND)


# --- ack ------------------------------------------------------------------------------------


def _codes(codes: list[str], messages: list[str]) -> list[dict[str, str]]:
    return [{"code": c, "message": m} for c, m in zip(codes, messages, strict=True)]


def acknowledgments_json(a: Acknowledgments) -> dict[str, Any]:
    return {
        "type": a.kind,
        "accepted": a.accepted,
        "verdict": "accepted" if a.accepted else "rejected",
        "interchanges": [
            {
                "control_number": i.control_number,
                "status": i.status,
                "note_code": i.note_code or None,
                "message": i.message or None,
            }
            for i in a.interchanges
        ],
        "groups": [
            {
                "group_control_number": g.group_control_number,
                "functional_id": g.functional_id,
                "status": g.status,
                "included": g.included,
                "received": g.received,
                "accepted": g.accepted_count,
                "errors": _codes(g.error_codes, g.messages),
                "transactions": [
                    {
                        "transaction_set": t.transaction_set,
                        "control_number": t.control_number,
                        "status": t.status,
                        "errors": _codes(t.error_codes, t.messages),
                        "segments": [
                            {
                                "segment": s.segment_id,
                                "position": s.position,
                                "loop": s.loop or None,
                                "code": s.code,
                                "message": s.message,
                                "claim_id": s.claim_id,
                                "elements": [
                                    {
                                        "position": x.position,
                                        "reference": x.reference or None,
                                        "code": x.code,
                                        "message": x.message,
                                        "bad_value": x.bad_value or None,
                                    }
                                    for x in s.elements
                                ],
                            }
                            for s in t.segments
                        ],
                    }
                    for t in g.transactions
                ],
            }
            for g in a.groups
        ],
    }


def _reports(reports: list[StatusReport]) -> list[dict[str, Any]]:
    return [
        {
            "category": s.category,
            "code": s.code or None,
            "entity": s.entity or None,
            "message": s.message,
            "date": r.date,
            "amount": _money(r.amount),
            "text": r.text or None,
        }
        for r in reports
        for s in r.statuses
    ]


def _level_json(level: Level) -> dict[str, Any]:
    """What a receiver and a billing provider both say: status, counts and amounts."""
    return {
        "name": level.name,
        "status": level.status,
        "statuses": _reports(level.reports),
        "quantities": {k: _count(v) for k, v in level.quantities.items()},
        "amounts": {k: _money(v) for k, v in level.amounts.items()},
        "claims": level.claims,
    }


def claim_acks_json(acks: list[ClaimAcknowledgment]) -> dict[str, Any]:
    said = verdict(acks)
    return {
        "type": "277CA",
        "accepted": said == "accepted",
        "verdict": said,
        "transactions": [
            {
                "control_number": a.control_number,
                "reference": a.reference,
                "created": a.created,
                "payer": a.payer,
                "receiver_statuses": _reports(a.receiver_reports),
                "receivers": [{**_level_json(r), "batch": r.batch} for r in a.receivers],
                "providers": [{**_level_json(p), "npi": p.npi} for p in a.providers],
                "claims": [
                    {
                        "claim_id": c.claim_id,
                        "status": c.status,
                        "rejected_above": [
                            {"level": level, "category": s.category, "message": s.message}
                            for level, s in c.inherited
                        ],
                        "billing_npi": c.billing_npi,
                        "payer_claim_control_number": c.payer_claim_control_number,
                        "clearinghouse_trace": c.clearinghouse_trace,
                        "total_charge": _money(c.total_charge),
                        "service_start": c.service_start,
                        "service_end": c.service_end,
                        "statuses": _reports(c.reports),
                        "lines": [
                            {
                                "procedure": line.procedure,
                                "control_number": line.control_number,
                                "charge": _money(line.charge),
                                "units": _count(line.units),
                                "status": line.status,
                                "statuses": _reports(line.reports),
                            }
                            for line in c.lines
                        ],
                    }
                    for c in a.claims
                ],
            }
            for a in acks
        ],
    }


def _render_999(a: Acknowledgments) -> None:
    for i in a.interchanges:
        note = f" ({i.note_code} {i.message})" if i.note_code else ""
        out.print(f"TA1 for interchange {i.control_number}: {i.status}{note}")
    for g in a.groups:
        out.print(
            f"[bold]group {g.group_control_number}[/] ({g.functional_id}): {g.status}, "
            f"{g.accepted_count} of {g.received} transaction sets accepted"
        )
        for m in g.messages:
            out.print(f"  {m}")
        for t in g.transactions:
            out.print(
                f"  transaction set {t.control_number} ({t.transaction_set}): {t.status}"
                + "".join(f"; {m}" for m in t.messages)
            )
            for s in t.segments:
                claim = f", claim {s.claim_id}" if s.claim_id else ""
                out.print(
                    f"    segment {s.segment_id} at position {s.position}{claim}: {s.message}"
                )
                for x in s.elements:
                    bad = f" (sent {x.bad_value!r})" if x.bad_value else ""
                    out.print(
                        f"      element {s.segment_id}{x.position.split(':')[0].zfill(2)}"
                        f" ({x.reference or '?'}): {x.message}{bad}"
                    )


def _render_level(what: str, level: Level) -> None:
    counts = [f"QTY {k} {_count(v)}" for k, v in level.quantities.items()]
    counts += [f"AMT {k} {_money(v)}" for k, v in level.amounts.items()]
    out.print(f"  {what}: {level.status}" + (f" ({', '.join(counts)})" if counts else ""))
    for r in level.reports:
        for s in r.statuses:
            out.print(f"    {s.message}")
    if level.status == "rejected" and not level.claims:
        out.print("    no claim is listed beneath it: every claim it covers is rejected")


def _render_277(acks: list[ClaimAcknowledgment]) -> None:
    for a in acks:
        out.print(f"[bold]{a.payer or 'payer'}[/] acknowledgment {a.reference} ({a.created})")
        for r in a.receivers:
            _render_level(f"receiver {r.name} (batch {r.batch or '-'})", r)
        for p in a.providers:
            _render_level(f"billing provider {p.name} ({p.npi or '-'})", p)
        if not a.claims:
            continue
        table = Table(title_justify="left")
        for col in ("Claim", "Status", "Charge", "Payer claim no.", "Why"):
            table.add_column(col, overflow="fold")
        for c in a.claims:
            table.add_row(
                c.claim_id,
                c.status,
                "" if c.total_charge is None else str(c.total_charge),
                c.payer_claim_control_number or "",
                "\n".join(c.reasons()),
            )
        out.print(table)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
@user_errors
def ack(ctx: click.Context, file: str, as_json: bool) -> None:
    """Read a 999, TA1 or 277CA acknowledgment: what was accepted, what was rejected and why.
    Exit status 1 when anything was rejected (not when claims are only pending), 2 when the
    file cannot be read."""
    warnings: list[str] = []
    parsed = _read(file, "ack", lambda: read_ack(file, warnings))
    if isinstance(parsed, Acknowledgments):
        rejected = not parsed.accepted
        if as_json:
            print_json(acknowledgments_json(parsed))
        else:
            _render_999(parsed)
    else:
        rejected = verdict(parsed) == "rejected"
        if as_json:
            print_json(claim_acks_json(parsed))
        else:
            _render_277(parsed)
    _warn(file, warnings)
    if rejected:
        ctx.exit(EXIT_FOUND)
