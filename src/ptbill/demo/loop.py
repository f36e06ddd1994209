"""The whole claim loop on the demo clinic: a month of visits generated, imported, submitted,
acknowledged and paid by the simulated payer, posted, and the worklist and report that result.

`run_loop(db_url, out_dir, as_of)` works back from `as_of` (the report date):

    visits      the 20 working days from as_of - 52 days
    import      and submit on as_of - 22 days
    999, 277CA  as_of - 21 days (the payer received the claims)
    835         as_of - 7 days (paid 14 days after receipt)
    835         as_of - 1 day: the payer reverses some payments and pays them again correctly
    appeal      the first medical-necessity denial gets its letter (HTML and PDF)

Every file it makes is written to `out_dir` (visits, 837P, 999, 277CA, 835s, the letter).
Deterministic: the same arguments give the same ledger, files and numbers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.demo.generator import generate
from ptbill.ledger.acks import apply_ack_file
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.submit import submit
from ptbill.payer_sim import PayerSim, SimConfig, envelope_of, recoup, simulate
from ptbill.remit.appeal import appeal
from ptbill.remit.post import post_file
from ptbill.remit.worklist import open_items
from ptbill.reports.report import build_report

VISITS = 1000
SEED = 2025  # the visit ids read V-2025-...: the demo month is in 2025
WHO = "demo"


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
    ledger = Ledger(db_url)
    try:
        with ledger.transaction() as s:
            steps["import"] = import_files(
                s, [visits_path], as_of=submit_day, config=config, who=WHO
            ).as_json()
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
        answer = simulate(sent.text, config, sim, received=received, payer=payer)
        for name, text in (("ack.999", answer.ack_999), ("ack.277", answer.ack_277)):
            path = write(name, text)
            with ledger.transaction() as s:
                done = apply_ack_file(s, path, as_of=received, who=WHO)
            steps[name] = {"accepted": len(done.accepted), "rejected": len(done.rejected)}
        if answer.remit_835:
            path = write("remit-1.835", answer.remit_835)
            with ledger.transaction() as s:
                steps["post-1"] = post_file(s, path, who=WHO, config=config).as_json()
            again, _ = recoup(
                payer,
                answer.decisions,
                received=recouped_on,
                number=2,
                receiver=envelope_of(sent.text)[0],
            )
            if again:
                path = write("remit-2.835", again)
                with ledger.transaction() as s:
                    steps["post-2"] = post_file(s, path, who=WHO, config=config).as_json()
        _appeal_one(ledger, config, as_of, out, steps, files)
        return _result(ledger, as_of, steps, files)
    finally:
        ledger.close()


def _appeal_one(
    ledger: Ledger,
    config: Config,
    as_of: dt.date,
    out: Path,
    steps: dict[str, Any],
    files: dict[str, str],
) -> None:
    with ledger.transaction() as s:
        items = open_items(s, kind="denial", category="medical_necessity")
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
            "worklist": open_items(s, as_of=as_of),
            "report": build_report(s, as_of),
        }
