"""Talking to payers: eligibility answers (271) and clearinghouse exchange runs."""

from __future__ import annotations

from fastapi import APIRouter

from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.ledger.eligibility import latest_checks, recent_checks
from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import ReadDB, Reader
from ptbill.web.params import Limit, Offset, RowId
from ptbill.web.queries.common import get_or_404, paged

router = APIRouter(tags=["payers"])


@router.get("/eligibility", response_class=LedgerJSON)
def list_eligibility(
    session: ReadDB,
    who: Reader,
    patient: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the latest eligibility answers (271), newest first; of one patient by its
    visit-format id. No total: next_offset is null on the last page."""
    rows = recent_checks(session, patient, limit + 1, offset)
    return answer(paged("checks", rows, limit=limit, offset=offset, total=None))


@router.get("/patients/{patient_id}/eligibility", response_class=LedgerJSON)
def patient_eligibility(
    patient_id: RowId, session: ReadDB, who: Reader, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of one patient's eligibility answers, newest first: coverage, plan dates,
    deductible and out-of-pocket remaining, coinsurance, copay, visits left, errors,
    Medicare's therapy amount."""
    rows = latest_checks(session, patient_id, limit + 1, offset)
    return answer(paged("checks", rows, limit=limit, offset=offset, total=None))


@router.get("/exchange/runs", response_class=LedgerJSON)
def list_runs(session: ReadDB, who: Reader, limit: Limit = 20, offset: Offset = 0) -> LedgerJSON:
    """A page of the clearinghouse exchange runs, newest first."""
    rows = runs(session, limit + 1, offset)
    return answer(paged("runs", rows, limit=limit, offset=offset, total=None))


@router.get("/exchange/runs/{run_id}", response_class=LedgerJSON)
def get_run(run_id: RowId, session: ReadDB, who: Reader) -> LedgerJSON:
    """One exchange run with every outcome (upload, download, apply, archive)."""
    run = get_or_404(session, pm.ExchangeRun, run_id, "exchange run")
    return answer(run_json(run, with_outcomes=True))
