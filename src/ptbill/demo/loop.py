"""The whole claim loop on the demo clinic: a month of visits generated, imported, submitted,
acknowledged and paid by the simulated payer, posted, and the worklist and report that result.

`run_loop(db_url, out_dir, as_of)` works back from `as_of` (the report date):

    visits      the 20 working days from as_of - 52 days
    import      and submit on as_of - 22 days
    999, 277CA  as_of - 21 days (the payer received the claims)
    835         as_of - 7 days (paid 14 days after receipt); the claims of Medicare patients
                with a Medigap plan go on to it, those with Medicaid are crossed over by
                Medicare (ptbill.demo.coverage: the patients' second coverages)
    secondary   as_of - 6 days: the Medigap claims submitted; their 835 as_of - 3 days
    crossover   as_of - 4 days: Medicaid's 835 for the claims Medicare forwarded
    835         as_of - 1 day: the payer reverses some payments and pays them again correctly
                (a secondary already paid on a reversed claim is replaced)
    appeal      the first medical-necessity denial gets its letter (HTML and PDF)
    patients    as_of: some patients pay (one pays too much: a credit), statements are made

Every file it makes is written to `out_dir` (visits, 837P, 999, 277CA, 835s, the letter).
Deterministic: the same arguments give the same ledger, files and numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.demo.coverage import crossovers, record_second_coverages, second_coverages
from ptbill.demo.generator import generate
from ptbill.ledger.acks import AckSummary, apply_ack_file
from ptbill.ledger.balances import balances
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.patient_pay import pay
from ptbill.ledger.scope import EVERYTHING
from ptbill.ledger.submit import submit
from ptbill.payer_sim import (
    PayerSim,
    SimConfig,
    SimOutput,
    answer_crossovers,
    envelope_of,
    recoup,
    simulate,
)
from ptbill.remit.appeal import appeal
from ptbill.remit.post import post_file
from ptbill.remit.post_summary import PostSummary
from ptbill.remit.worklist import open_items
from ptbill.reports.report import build_report
from ptbill.reports.statements import run_statements

VISITS = 1000
SEED = 2025  # the visit ids read V-2025-...: the demo month is in 2025
AS_OF = dt.date(2025, 4, 24)  # `make demo`'s report date: its month of visits ends in March
CODING_DAY = dt.date(2025, 3, 3)  # `make demo`'s day of coding: the bundled data prices 2025
WHO = "demo"

# Writes a file of the run (name, text) and returns its path.
Write = Callable[[str, str], str]


def answer_claims(
    ledger: Ledger,
    config: Config,
    text_837: str,
    write: Write,
    stem: str,
    *,
    received: dt.date,
    sim: SimConfig | None = None,
    number: int = 1,
    payer: PayerSim | None = None,
) -> tuple[SimOutput, dict[str, AckSummary]]:
    """The simulated payer's answer to an 837P received on `received`: its 999 and 277CA
    written as `stem`.999 and `stem`.277 and applied to the ledger (a transaction each)."""
    answer = simulate(text_837, config, sim, received=received, number=number, payer=payer)
    applied: dict[str, AckSummary] = {}
    for name, ack in ((f"{stem}.999", answer.ack_999), (f"{stem}.277", answer.ack_277)):
        path = write(name, ack)
        with ledger.transaction() as s:
            applied[name] = apply_ack_file(s, path, as_of=received, who=WHO)
    return answer, applied


def post_remit(ledger: Ledger, config: Config, write: Write, name: str, text: str) -> PostSummary:
    """An 835 written under `name` and posted in a transaction of its own."""
    path = write(name, text)
    with ledger.transaction() as s:
        return post_file(s, path, who=WHO, config=config)


def run_loop(
    db_url: str,
    out_dir: str | Path,
    as_of: dt.date,
    *,
    visits: int = VISITS,
    seed: int = SEED,
    config: Config | None = None,
    sim: SimConfig | None = None,
) -> dict[str, Any]:
    """Run the loop into the ledger at `db_url`; returns the worklist, the report, what each
    step did and the files written."""
    config = config or load_config(None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    submit_day = as_of - dt.timedelta(days=22)
    received = as_of - dt.timedelta(days=21)
    paid_on = as_of - dt.timedelta(days=7)
    recouped_on = as_of - dt.timedelta(days=1)
    sim = sim or SimConfig(seed=seed, days_to_pay=(paid_on - received).days)
    files: dict[str, str] = {}
    steps: dict[str, Any] = {}

    def write(name: str, text: str) -> str:
        path = out / name
        path.write_text(text, encoding="utf-8")
        files[name] = str(path)
        return str(path)

    visit_dicts = generate(visits, seed, start=as_of - dt.timedelta(days=52), days=20)
    visits_path = write("visits.jsonl", "".join(json.dumps(v) + "\n" for v in visit_dicts))
    second = second_coverages(visit_dicts)
    sim = dataclasses.replace(sim, crossovers=crossovers(visit_dicts, second))
    ledger = Ledger(db_url)
    try:
        with ledger.transaction() as s:
            steps["import"] = import_files(
                s, [visits_path], as_of=submit_day, config=config, who=WHO
            ).as_json()
        with ledger.transaction() as s:
            steps["coverages"] = record_second_coverages(s, config, visit_dicts, second)
        with ledger.transaction() as s:
            sent = submit(s, config, as_of=submit_day, who=WHO, file_name=str(out / "claims.837"))
        steps["submit"] = {
            "claims": len(sent.claims),
            "late": sent.late,
            "total_charge": sent.total_charge,
        }
        if not sent.text:
            return _result(ledger, as_of, steps, files)
        write("claims.837", sent.text)
        payer = PayerSim(config, sim)
        answer, applied = answer_claims(
            ledger, config, sent.text, write, "ack", received=received, sim=sim, payer=payer
        )
        for name, done in applied.items():
            steps[name] = {"accepted": len(done.accepted), "rejected": len(done.rejected)}
        if answer.remit_835:
            steps["post-1"] = post_remit(
                ledger, config, write, "remit-1.835", answer.remit_835
            ).as_json()
            _next_payers(
                ledger,
                config,
                payer,
                answer.decisions,
                as_of,
                envelope_of(sent.text)[0],
                write,
                steps,
            )
            again, _ = recoup(
                payer,
                answer.decisions,
                received=recouped_on,
                number=2,
                receiver=envelope_of(sent.text)[0],
            )
            if again:
                steps["post-2"] = post_remit(ledger, config, write, "remit-2.835", again).as_json()
        _appeal_one(ledger, config, as_of, out, steps, files)
        _patients(ledger, config, as_of, out, steps, files)
        return _result(ledger, as_of, steps, files)
    finally:
        ledger.close()


def _next_payers(
    ledger: Ledger,
    config: Config,
    payer: PayerSim,
    decisions: list[Any],
    as_of: dt.date,
    receiver: str,
    write: Write,
    steps: dict[str, Any],
) -> None:
    """The Medigap claims the primary 835 made, submitted and paid; Medicaid's crossovers."""
    sent_on, crossed_on = as_of - dt.timedelta(days=6), as_of - dt.timedelta(days=4)
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=sent_on, who=WHO, file_name="secondary.837")
    steps["secondary"] = {"claims": len(sent.claims), "total_charge": sent.total_charge}
    if sent.text:
        write("secondary.837", sent.text)
        quick = PayerSim(config, dataclasses.replace(payer.sim, days_to_pay=3))
        answer, _ = answer_claims(
            ledger, config, sent.text, write, "secondary", received=sent_on, number=11, payer=quick
        )
        if answer.remit_835:
            steps["secondary-835"] = post_remit(
                ledger, config, write, "secondary.835", answer.remit_835
            ).as_json()
    text, _ = answer_crossovers(payer, decisions, received=crossed_on, number=12, receiver=receiver)
    if text:
        steps["crossover-835"] = post_remit(ledger, config, write, "crossover.835", text).as_json()


def _patients(
    ledger: Ledger,
    config: Config,
    as_of: dt.date,
    out: Path,
    steps: dict[str, Any],
    files: dict[str, str],
) -> None:
    """Every third patient who owes pays it at the desk (one pays $20 more: a credit); then
    the statements due as of the report date."""
    with ledger.transaction() as s:
        owing = sorted(
            (b for b in balances(s, as_of).values() if b.balance > 0), key=lambda b: b.external_id
        )
        paid = Decimal(0)
        for n, b in enumerate(owing[::3]):
            amount = b.balance + (Decimal(20) if n == 0 else Decimal(0))
            pay(
                s,
                patient=b.external_id,
                amount=amount,
                method="card",
                reference=f"DESK{n:04d}",
                on=as_of,
                who=WHO,
            )
            paid += amount
        steps["patient-payments"] = {"patients": len(owing[::3]), "paid": paid}
    with ledger.transaction() as s:
        run = run_statements(s, config, as_of=as_of, who=WHO, out_dir=out / "statements")
    steps["statements"] = {
        "statements": len(run.statements),
        "balance": sum((x["balance"] for x in run.statements), Decimal(0)),
    }
    if run.files:
        files["statements.pdf"], files["statements.csv"] = run.files[0], run.files[1]


def _appeal_one(
    ledger: Ledger,
    config: Config,
    as_of: dt.date,
    out: Path,
    steps: dict[str, Any],
    files: dict[str, str],
) -> None:
    with ledger.transaction() as s:
        items = open_items(s, EVERYTHING, kind="denial", category="medical_necessity")
        if not items:
            return
        result = appeal(s, config, items[0]["claim_id"], as_of=as_of, who=WHO, out_dir=str(out))
    steps["appeal"] = result.as_json()
    files["appeal.html"], files["appeal.pdf"] = result.html_path, result.pdf_path


def _result(
    ledger: Ledger, as_of: dt.date, steps: dict[str, Any], files: dict[str, str]
) -> dict[str, Any]:
    with ledger.transaction() as s:
        return {
            "as_of": as_of,
            "steps": steps,
            "files": files,
            "worklist": open_items(s, EVERYTHING, as_of=as_of),
            "report": build_report(s, as_of),
        }
