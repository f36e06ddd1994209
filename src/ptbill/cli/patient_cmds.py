"""What follows the primary payer, from the command line: a patient's coverages, balances,
payments, refunds and write-offs, and statements. Each works on the ledger of `ptbill --db`
in one transaction; without --as-of, as of today (ptbill.cli.clock). `--clinic KEY`
(repeatable) holds a command to those clinics, as with the other ledger commands: a patient of
another clinic is not found, and the balances and statements are only theirs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from ptbill.cli.clock import as_of_or_today, today
from ptbill.cli.common import out, print_json, user_errors
from ptbill.cli.ledger_cmds import (
    AS_OF_HELP,
    DATE,
    _config,
    _day,
    _money,
    _scope,
    clinic_option,
    database_errors,
    ledger_session,
    who,
)
from ptbill.cli.output import print_table
from ptbill.errors import InputError
from ptbill.ledger.patient_pay import STATEMENT_DAY, recorded_on, typed_amount

if TYPE_CHECKING:
    from ptbill.ledger.balances import PatientBalance

JSON_HELP = "Machine-readable output."


def _amount(value: str) -> Decimal:
    return typed_amount(
        value, "command line", "AMOUNT", "give dollars and cents, e.g. 25.00 or 1,250.00"
    )


def _patient_options(fn: Any) -> Any:
    """What every command about patients' money takes: --as-of, --clinic (repeatable: also
    which clinic's patient, when several have the id), --json; run in the ledger with its
    errors said plainly."""
    for option in (
        click.option("--json", "as_json", is_flag=True, help=JSON_HELP),
        clinic_option,
        click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP),
    ):
        fn = option(fn)
    return click.pass_context(user_errors(database_errors(fn)))


# --- coverages ---------------------------------------------------------------------------------


@click.group()
def coverage() -> None:
    """A patient's coverages in order (1 primary, 2 secondary, 3 tertiary) with their dates."""


@coverage.command("add")
@click.argument("patient")
@click.argument("payer")
@click.option("--member-id", required=True, help="The member id on that coverage's card.")
@click.option("--rank", type=click.IntRange(1, 3), default=2, show_default=True)
@click.option("--from", "start", type=DATE, required=True, help="First day in force.")
@click.option("--to", "end", type=DATE, default=None, help="Last day in force (default: open).")
@click.option(
    "--relationship",
    type=click.Choice(["self", "spouse", "child", "other"]),
    default="self",
    show_default=True,
)
@click.option("--group", "group_number", default=None, help="The plan's group number.")
@clinic_option
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
@user_errors
@database_errors
def coverage_add(
    ctx: click.Context,
    patient: str,
    payer: str,
    member_id: str,
    rank: int,
    start: dt.datetime,
    end: dt.datetime | None,
    relationship: str,
    group_number: str | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record a coverage of a patient at a rank from a date (it replaces the one at that rank
    from then on)."""
    from ptbill.domain.visit import Subscriber
    from ptbill.ledger import coverages
    from ptbill.ledger.patient_pay import find_patient
    from ptbill.ledger.secondary import hold_changed

    profile = coverages.profile_of(_config(ctx), payer, "command line")
    with ledger_session(ctx) as session:
        p = find_patient(session, patient, _scope(session, clinics))
        sub = Subscriber(member_id=member_id, relationship=relationship, group_number=group_number)
        coverages.record(
            session,
            patient_pk=p.id,
            profile=profile,
            subscriber=sub,
            rank=rank,
            start=start.date(),
            end=_day(end),
            source=f"by {who()}",
        )
        held = hold_changed(session, p.id, as_of=as_of_or_today(ctx, None), who=who())
        rows = _coverage_rows(session, p.id)
    _show_coverages(patient, rows, as_json, held)


@coverage.command("list")
@click.argument("patient")
@clinic_option
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
@user_errors
@database_errors
def coverage_list(
    ctx: click.Context, patient: str, clinics: tuple[str, ...], as_json: bool
) -> None:
    """A patient's coverages, by rank and date."""
    from ptbill.ledger.patient_pay import find_patient

    with ledger_session(ctx) as session:
        p = find_patient(session, patient, _scope(session, clinics))
        rows = _coverage_rows(session, p.id)
    _show_coverages(patient, rows, as_json)


def _coverage_rows(session: Any, patient_pk: int) -> list[dict[str, Any]]:
    from ptbill.ledger import coverages

    return [
        {
            "rank": c.rank,
            "payer": c.payer_key,
            "member_id": c.subscriber.member_id,
            "relationship": c.subscriber.relationship,
            "start_date": c.start_date,
            "end_date": c.end_date,
        }
        for c in coverages.of_patients(session, [patient_pk])[patient_pk]
    ]


def _show_coverages(
    patient: str, rows: list[dict[str, Any]], as_json: bool, held: list[str] | None = None
) -> None:
    """The coverages, and the next payers' claims not sent yet that a change held (blocked:
    their payer is no longer the patient's at their rank)."""
    if as_json:
        print_json({"patient_id": patient, "coverages": rows, "held": held or []})
        return
    table = Table(title=f"Coverages of {patient}", title_justify="left")
    for col in ("Rank", "Payer", "Member id", "From", "To"):
        table.add_column(col, overflow="fold")  # a member id folded, never cut
    for r in rows:
        table.add_row(
            str(r["rank"]),
            r["payer"],
            r["member_id"],
            str(r["start_date"]),
            str(r["end_date"] or ""),
        )
    out.print(table)
    for number in held or []:
        out.print(f"{number}: held (blocked): its payer is not the coverage now; `ptbill rescrub`")


# --- balances ----------------------------------------------------------------------------------


_REASON_COLUMNS = ("deductible", "coinsurance", "copay", "non_covered")


@click.command()
@click.argument("patient", required=False)
@_patient_options
def balance(
    ctx: click.Context,
    patient: str | None,
    as_of: dt.datetime | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """What a patient owes (or every patient who owes or holds a credit): per visit and in
    total, by reason, with its aging."""
    from ptbill.ledger.balances import balances
    from ptbill.ledger.patient_pay import find_patient

    with ledger_session(ctx) as session:
        day = as_of_or_today(ctx, as_of)
        scope = _scope(session, clinics)
        ids = [find_patient(session, patient, scope).id] if patient else None
        found = balances(session, day, ids, scope=scope)
    shown = [b for b in found.values() if patient or b.balance > 0 or b.credit > 0 or b.pending > 0]
    shown.sort(key=lambda b: b.external_id)
    if as_json:
        print_json({"as_of": day, "patients": [b.as_json(day) for b in shown]})
        return
    columns = [
        "Patient",
        "Owes",
        "Credit",
        "Pending ins.",
        "Deductible",
        "Coins.",
        "Copay",
        "Non-cov.",
    ]
    rows = []
    for b in shown:
        r = b.by_reason()
        money = (b.balance, b.credit, b.pending, *(r[k] for k in _REASON_COLUMNS))
        rows.append([b.external_id, *(_money(x) for x in money)])
    # Never a cell cut (money above all): a narrow terminal gets the columns in two tables.
    print_table(f"Patient balances as of {day}", columns, rows)
    if patient and shown:  # the desk's question: which visits, and how old
        _show_visits(shown[0], day)


def _show_visits(b: PatientBalance, day: dt.date) -> None:
    """One patient's visits (what each cost, what the payers did, what is owed) and aging."""
    from ptbill.ledger.balances import BUCKETS

    columns = ["Claim", "Service", "Charge", "Ins. paid", "Adjust.", "Share", "Applied", "Owes"]
    rows = [
        [
            v.claim_number,
            str(v.date_of_service),
            *map(_money, (v.charge, v.insurance_paid, v.adjustments, v.share, v.applied)),
            _money(v.balance),
            v.pending_with or "",
        ]
        for v in sorted(b.visits, key=lambda v: (v.date_of_service, v.claim_number))
    ]
    print_table(f"Visits of {b.external_id}", [*columns, "Pending with"], rows)
    if b.balance <= 0:
        return  # nothing owed: no aging to show
    aging = b.aging(day)
    labels = [">120" if name == "over_120" else name for name, _ in BUCKETS]
    print_table(
        "Aging (days since the payer decided)",
        ["Patient", *labels],
        [[b.external_id, *(_money(aging[name]) for name, _ in BUCKETS)]],
    )


# --- payments ----------------------------------------------------------------------------------


def _record(
    ctx: click.Context,
    fn: Any,
    as_of: dt.datetime | None,
    as_json: bool,
    clinics: tuple[str, ...],
    **kwargs: Any,
) -> None:
    """A payment, refund or write-off (`fn` of ptbill.ledger.patient_pay) to a patient of the
    clinics given, or a refund to a payer (ptbill.ledger.payer_refunds), and what it did."""
    from ptbill.ledger.payer_refunds import Refunded

    on = recorded_on(as_of_or_today(ctx, as_of), today(ctx), "--as-of")
    with ledger_session(ctx) as session:
        scope = _scope(session, clinics)
        result = fn(session, on=on, who=who(), scope=scope, **kwargs)
    if as_json:
        print_json(result.as_json())
    elif isinstance(result, Refunded):
        out.print(
            f"refund of {_money(result.amount)} to {result.payer} for {result.claim_id} "
            f"({result.method} {result.reference}); still owed back {_money(result.left)}"
        )
    else:
        _show_applied(result)


def _show_applied(result: Any) -> None:
    out.print(f"{result.kind} of {_money(result.amount)} for patient {result.patient}")
    for a in result.applied:
        out.print(f"  applied {_money(a['amount'])} to {a['claim_id']}")
    out.print(f"  balance {_money(result.balance)}, credit {_money(result.credit)}")


_METHOD = click.Choice(["card", "cash", "check"])


@click.command()
@click.argument("patient")
@click.argument("amount")
@click.option("--method", type=_METHOD, required=True)
@click.option("--ref", "reference", default="", help="The card authorization or check number.")
@click.option("--claim", default=None, help="Apply it to this claim (default: oldest first).")
@_patient_options
def pay(
    ctx: click.Context,
    patient: str,
    amount: str,
    method: str,
    reference: str,
    claim: str | None,
    as_of: dt.datetime | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record a patient's payment: applied to the oldest balance first (or to --claim); what
    is left is a credit (a refund work item says how much)."""
    from ptbill.ledger.patient_pay import pay as record

    money = {"amount": _amount(amount), "method": method, "reference": reference}
    _record(ctx, record, as_of, as_json, clinics, patient=patient, claim=claim, **money)


@click.command()
@click.argument("patient")
@click.argument("amount")
@click.option("--method", type=_METHOD, required=True)
@click.option("--ref", "reference", default="", help="The check number or card reference.")
@_patient_options
def refund(
    ctx: click.Context,
    patient: str,
    amount: str,
    method: str,
    reference: str,
    as_of: dt.datetime | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """Pay a patient's credit back (at most the credit)."""
    from ptbill.ledger.patient_pay import refund as record

    money = {"amount": _amount(amount), "method": method, "reference": reference}
    _record(ctx, record, as_of, as_json, clinics, patient=patient, **money)


@click.command("payer-refund")
@click.argument("claim")
@click.argument("amount")
@click.option("--method", type=click.Choice(["check", "eft"]), required=True)
@click.option("--ref", "reference", required=True, help="The check number or the EFT trace.")
@_patient_options
def payer_refund(
    ctx: click.Context,
    claim: str,
    amount: str,
    method: str,
    reference: str,
    as_of: dt.datetime | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """Record a refund sent to a payer for CLAIM's over-payment (at most what its refund
    work items say is owed back): the items say what is left, or close."""
    from ptbill.ledger.payer_refunds import record_payer_refund as record

    money = {"amount": _amount(amount), "method": method, "reference": reference}
    _record(ctx, record, as_of, as_json, clinics, claim=claim, **money)


@click.command("patient-writeoff")
@click.argument("patient")
@click.option("--reason", required=True, help="Why (hardship, small balance, collections...).")
@click.option("--claim", default=None, help="Only this claim's balance.")
@click.option("--amount", default=None, help="Only this amount (default: the whole balance).")
@_patient_options
def patient_writeoff(
    ctx: click.Context,
    patient: str,
    reason: str,
    claim: str | None,
    amount: str | None,
    as_of: dt.datetime | None,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """Write off what a patient owes (its statements stop)."""
    from ptbill.ledger.patient_pay import write_off

    wanted = _amount(amount) if amount else None
    _record(
        ctx,
        write_off,
        as_of,
        as_json,
        clinics,
        patient=patient,
        claim=claim,
        reason=reason,
        amount=wanted,
    )


# --- statements --------------------------------------------------------------------------------


@click.command()
@click.option("--as-of", "as_of", type=DATE, default=None, help=AS_OF_HELP)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(file_okay=False),
    default="statements",
    show_default=True,
    help="Folder for the PDFs (one per patient and the batch) and the mail vendor's CSV.",
)
@clinic_option
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
@user_errors
@database_errors
def statements(
    ctx: click.Context,
    as_of: dt.datetime | None,
    output: str,
    clinics: tuple[str, ...],
    as_json: bool,
) -> None:
    """A statement for every patient (of the clinics given) with a balance due, by the dunning
    cycle: first, a reminder at 30 days, a final notice at 60, then a collections work item.
    Each statement carries its patient's clinic's name and address."""
    from ptbill.reports.statements import run_statements

    config = _config(ctx)
    day = recorded_on(as_of_or_today(ctx, as_of), today(ctx), "--as-of", STATEMENT_DAY)
    try:
        with ledger_session(ctx) as session:
            scope = _scope(session, clinics)
            run = run_statements(
                session, config, as_of=day, who=who(), out_dir=Path(output), scope=scope
            )
    except OSError as e:  # the files are written (under temporary names) before the commit
        raise InputError(
            file=output,
            visit_id=None,
            field="--output",
            problem=f"cannot write the statements there ({e.strerror}); none was recorded",
            fix="give a folder that can be written, and run it again",
        ) from None
    if as_json:
        print_json(run.as_json())
        return
    out.print(f"statements as of {day}: {len(run.statements)} sent")
    for s in run.statements:
        out.print(f"  {s['patient_id']}: {s['step']}, {_money(s['balance'])} due by {s['pay_by']}")
    for p in run.collections:
        out.print(f"  {p}: to collections (see the worklist)")
    if run.files:
        out.print(f"files: {run.files[0]} (batch), {run.files[1]} (CSV) and one PDF per patient")
