"""Talking to payers: eligibility answers (271) and clearinghouse exchange runs."""

from __future__ import annotations

from fastapi import APIRouter

from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.ledger.eligibility import latest_checks, recent_checks
from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import ReadDB, Reader
from ptbill.web.errors import NotFound
from ptbill.web.params import Limit

router = APIRouter(tags=["payers"])


@router.get("/eligibility", response_class=LedgerJSON)
def list_eligibility(
    session: ReadDB, who: Reader, patient: str | None = None, limit: Limit = 50
) -> LedgerJSON:
    """The latest eligibility answers (271), newest first; of one patient by its visit id."""
    return answer(recent_checks(session, patient, limit))


@router.get("/patients/{patient_id}/eligibility", response_class=LedgerJSON)
def patient_eligibility(patient_id: int, session: ReadDB, who: Reader) -> LedgerJSON:
    """One patient's eligibility answers, newest first: coverage, plan dates, deductible and
    out-of-pocket remaining, coinsurance, copay, visits left, errors, Medicare's therapy amount."""
    return answer(latest_checks(session, patient_id))


@router.get("/exchange/runs", response_class=LedgerJSON)
def list_runs(session: ReadDB, who: Reader, limit: Limit = 20) -> LedgerJSON:
    """The clearinghouse exchange runs, newest first."""
    return answer(runs(session, limit))


@router.get("/exchange/runs/{run_id}", response_class=LedgerJSON)
def get_run(run_id: int, session: ReadDB, who: Reader) -> LedgerJSON:
    """One exchange run with every outcome (upload, download, apply, archive)."""
    run = session.get(pm.ExchangeRun, run_id)
    if run is None:
        raise NotFound("exchange run", run_id)
    return answer(run_json(run, with_outcomes=True))
