"""`ptbill remit` (835 remittances) and `ptbill ack` (999 / TA1 and 277CA acknowledgments)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

import click
from rich.table import Table

from ptbill.bulk import batch
from ptbill.cli.common import EXIT_FOUND, FileReadTwice, err, out, print_json, user_errors
from ptbill.cli.output import (
    CsvRows,
    JsonList,
    Writer,
    format_options,
    held,
    output_of,
    page,
    release,
)
from ptbill.cli.remit_json import (
    amount,
    claim_head,
    claim_records,
    count,
    money,
    payment_json,
)
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


ZERO = Decimal(0)


CLAIM_COLUMNS = (
    "payer",
    "trace_number",
    "payment_date",
    "claim_id",
    "status",
    "charge",
    "paid",
    "patient_responsibility",
    "payer_claim_control_number",
    "adjustments",
    "remarks",
    "lines",
)


def claim_row(p: RemittanceAdvice, c: RemittanceClaim) -> dict[str, Any]:
    """A claim as a CSV row: its adjustments as GROUP-REASON:AMOUNT, its line count."""
    return {
        "payer": p.payer,
        "trace_number": p.trace_number,
        "payment_date": p.payment_date,
        **claim_head(c),
        "adjustments": [f"{a.group}-{a.reason}:{amount(a.amount)}" for a in c.adjustments],
        "remarks": c.remarks,
        "lines": len(c.lines),
    }


def _adjustment_text(items: list[RemittanceAdjustment]) -> str:
    return ", ".join(f"{a.group}-{a.reason} {money(a.amount)}" for a in items)


TOP_REASONS = 10


def payment_summary(p: RemittanceAdvice) -> Iterator[str]:
    """A payment for people: its header, its claims' totals by status, the top adjustment
    reasons (claim and line level), provider adjustments and what does not balance."""
    yield (
        f"{p.payer} paid {_total(p.amount)} by {p.method} on {p.payment_date} "
        f"(trace {p.trace_number}) to NPI {p.payee_npi or '-'}"
    )
    by_status: dict[str, list[Any]] = {}
    reasons: dict[str, list[Any]] = {}
    for c in p.claims:
        row = by_status.setdefault(f"{c.status} {c.status_meaning}", [0, ZERO, ZERO, ZERO])
        row[0] += 1
        row[1] += c.charge or ZERO
        row[2] += c.paid or ZERO
        row[3] += c.patient_responsibility or ZERO
        for adj in [*c.adjustments, *(a for line in c.lines for a in line.adjustments)]:
            r = reasons.setdefault(f"{adj.group}-{adj.reason}", [0, ZERO])
            r[0] += 1
            r[1] += adj.amount
    yield f"  {len(p.claims):,} claim(s) by status:"
    for status, (n, charge, paid, patient) in sorted(by_status.items(), key=lambda kv: -kv[1][0]):
        yield (
            f"    {status}: {n:,}, charge {_total(charge)}, paid {_total(paid)}, "
            f"patient {_total(patient)}"
        )
    if reasons:
        top = sorted(reasons.items(), key=lambda kv: -abs(kv[1][1]))[:TOP_REASONS]
        yield "  top adjustment reasons (by amount):"
        for reason, (n, total) in top:
            yield f"    {reason}: {_total(total)} in {n:,} adjustment(s)"
        if len(reasons) > TOP_REASONS:
            yield f"    ... and {len(reasons) - TOP_REASONS} more reason(s)"
    for a in p.provider_adjustments:
        ref = f" ({a.reference})" if a.reference else ""
        yield f"  provider adjustment {a.reason}{ref}: {_total(a.amount)}"
    for i in p.imbalances:
        yield f"  does not balance: {i.message}"


def _total(value: Decimal) -> str:
    return f"{money(value):,}"


def _told(head: str, adjustments: list[RemittanceAdjustment], remarks: list[str]) -> str:
    said = head + (f"; {_adjustment_text(adjustments)}" if adjustments else "")
    return said + (f"; remarks {' '.join(remarks)}" if remarks else "")


def claim_lines(c: RemittanceClaim) -> Iterator[str]:
    """A claim for people (--claims): one line, then a line per service line."""
    owed = c.patient_responsibility
    patient = "" if owed is None else f", patient {money(owed)}"
    head = f"  {c.claim_id}  {c.status} {c.status_meaning}: charge {money(c.charge)}, paid "
    yield _told(f"{head}{money(c.paid)}{patient}", c.adjustments, c.remarks)
    for line in c.lines:
        code = ":".join([line.code, *line.modifiers])
        head = f"    {code} x{count(line.units)}: charge {money(line.charge)}, paid "
        yield _told(f"{head}{money(line.paid)}", line.adjustments, line.remarks)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@format_options("jsonl", "csv")
@click.option(
    "--claims", "list_claims", is_flag=True, help="Also list every claim (paged on a terminal)."
)
@click.pass_context
@user_errors
def remit(ctx: click.Context, file: str, output: str | None, list_claims: bool) -> None:
    """Read an X12 835 remittance: payments, claims, lines, adjustments and whether the totals
    balance.

    For people: each payment's header, its claims' totals by status, the top adjustment
    reasons and what does not balance (--claims: every claim too). --json: the payments (the
    interfaces contract, each claim with its claim-level remark codes, MOA/MIA, as `remarks`
    too); --jsonl and --format csv: a claim a line, with its payment's payer, trace number and
    date. Nothing is printed unless the whole file reads. Exit status 1 when
    any total does not balance, 2 when the file cannot be read."""
    output = output_of(output)
    warnings: list[str] = []
    unbalanced = False
    with held() as spool:

        def write_all() -> None:
            nonlocal unbalanced
            sink: JsonList | CsvRows | Writer
            if output == "json":
                sink = JsonList(lines=False, stream=spool)
            elif output == "jsonl":
                sink = JsonList(lines=True, stream=spool)
            elif output == "csv":
                sink = CsvRows(CLAIM_COLUMNS, stream=spool)
            else:
                sink = Writer(spool)
            payments = 0
            for p in read_835(file, warnings):
                payments += 1
                unbalanced |= bool(p.imbalances)
                if isinstance(sink, JsonList) and not sink.lines:
                    sink.add(payment_json(p))
                elif isinstance(sink, JsonList):
                    for record in claim_records(p):
                        sink.add(record)
                elif isinstance(sink, CsvRows):
                    for c in p.claims:
                        sink.add(claim_row(p, c))
                else:
                    _write_lines(sink, payment_summary(p), payments > 1)
                    if list_claims:
                        _write_lines(sink, (t for c in p.claims for t in claim_lines(c)))
            if isinstance(sink, Writer):
                if not payments:
                    _write_lines(sink, iter(["no payments in the file"]))
                sink.flush()
            else:
                sink.close()

        with batch():  # a payment's claims are a few hundred thousand objects, no cycles
            _read(file, "remit", write_all)
        if output == "text" and list_claims and out.is_terminal:
            spool.seek(0)
            page(line.decode("utf-8").rstrip("\n") for line in spool)
        else:
            release(spool)
    _warn(file, warnings)
    if unbalanced:
        ctx.exit(EXIT_FOUND)


def _write_lines(w: Writer, lines: Iterator[str], gap: bool = False) -> None:
    if gap:
        w.write(b"\n")
    for line in lines:
        w.write(line.encode("utf-8") + b"\n")


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
            "amount": money(r.amount),
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
        "quantities": {k: count(v) for k, v in level.quantities.items()},
        "amounts": {k: money(v) for k, v in level.amounts.items()},
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
                        "total_charge": money(c.total_charge),
                        "service_start": c.service_start,
                        "service_end": c.service_end,
                        "statuses": _reports(c.reports),
                        "lines": [
                            {
                                "procedure": line.procedure,
                                "control_number": line.control_number,
                                "charge": money(line.charge),
                                "units": count(line.units),
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
    counts = [f"QTY {k} {count(v)}" for k, v in level.quantities.items()]
    counts += [f"AMT {k} {money(v)}" for k, v in level.amounts.items()]
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
@click.argument("file", type=FileReadTwice())
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
