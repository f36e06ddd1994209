"""Eligibility answers and exchange runs in the workbench: the API endpoints and the pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from ptbill.config import load_config
from ptbill.config.profiles import Clearinghouse
from ptbill.exchange.run import run_exchange
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import apply_271, ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from tests.web.conftest import Workbench


def _with_answers(bench: Workbench, tmp_path: Path) -> int:
    """A 271 for one day's patients applied, and one exchange run; returns a patient's id."""
    config = load_config(None)
    ledger = Ledger(f"sqlite:///{bench.db}")
    try:
        with ledger.transaction() as s:
            day = s.scalar(select(m.Visit.date_of_service).order_by(m.Visit.id))
            assert day is not None
            written = eligibility_request(
                s, config, ledger_visits(s, day), as_of=day, file_name="d"
            )
            sim = EligibilitySim(inactive_rate=1.0, limit_rate=0, not_found_rate=0)
            apply_271(
                s,
                answer_270(written.text, config, sim, number=5, when=day),
                "d.271",
                as_of=day,
                who="t",
            )
            patient = s.scalar(select(m.Visit.patient_id).where(m.Visit.date_of_service == day))
        house = Clearinghouse(local=str(tmp_path / "box"))
        run = run_exchange(
            ledger,
            config.model_copy(update={"clearinghouses": {"ch": house}}),
            as_of=dt.date(2026, 4, 1),
            who="t",
        )
        assert run.status == "ok"
    finally:
        ledger.close()
    assert patient is not None
    return patient


def test_eligibility_and_exchange_runs_through_the_api_and_the_pages(
    bench: Workbench, tmp_path: Path
) -> None:
    patient = _with_answers(bench, tmp_path)
    answers = bench.get(f"/api/v1/patients/{patient}/eligibility").json()["checks"]
    assert answers and answers[0]["active"] is False and answers[0]["plan_end"]
    assert bench.get("/api/v1/eligibility?limit=5").json()["checks"]
    # The exchange runs are the company's: a clinic's users see none.
    assert bench.get("/api/v1/exchange/runs").json()["runs"] == []
    runs = bench.get("/api/v1/exchange/runs", role="manager").json()["runs"]
    assert runs[0]["status"] == "ok" and runs[0]["uploaded"] >= 2
    one = bench.get(f"/api/v1/exchange/runs/{runs[0]['id']}", role="manager").json()
    assert {o["action"] for o in one["outcomes"]} == {"upload"}
    assert bench.get(f"/api/v1/exchange/runs/{runs[0]['id']}").status_code == 404
    assert bench.get("/api/v1/exchange/runs/999999", role="manager").status_code == 404
    assert bench.get("/api/v1/exchange/runs", role=None).status_code == 401
    bench.login("viewer")
    page = bench.client.get(f"/patients/{patient}")
    assert page.status_code == 200 and "Eligibility" in page.text and "inactive" in page.text
    bench.login("manager")
    runs_page = bench.client.get("/exchange")
    assert runs_page.status_code == 200 and "upload" in runs_page.text
