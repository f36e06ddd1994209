"""Talking to payers: eligibility answers (271) and clearinghouse exchange runs."""

from __future__ import annotations

from fastapi import APIRouter

from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.ledger.eligibility import latest_checks, recent_checks
from ptbill.ledger.scope import Scope
from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import Access, ReadDB
from ptbill.web.errors import NotFound
from ptbill.web.params import Limit, Offset, RowId
from ptbill.web.queries.common import get_or_404, paged
from ptbill.web.queries.patients import patient_row

router = APIRouter(tags=["payers"])


@router.get("/eligibility", response_class=LedgerJSON)
def list_eligibility(
    session: ReadDB,
    scope: Access,
    patient: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the latest eligibility answers (271), newest first; of one patient by its
    visit-format id. No total: next_offset is null on the last page."""
    rows = recent_checks(session, patient, limit + 1, offset, scope)
    return answer(paged("checks", rows, limit=limit, offset=offset, total=None))


@router.get("/patients/{patient_id}/eligibility", response_class=LedgerJSON)
def patient_eligibility(
    patient_id: RowId, session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of one patient's eligibility answers, newest first: coverage, plan dates,
    deductible and out-of-pocket remaining, coinsurance, copay, visits left, errors,
    Medicare's therapy amount."""
    patient_row(session, scope, patient_id)  # another clinic's patient: not found
    rows = latest_checks(session, patient_id, limit + 1, offset)
    return answer(paged("checks", rows, limit=limit, offset=offset, total=None))


def company_only(scope: Scope, what: str, key: object) -> None:
    """The clearinghouse runs are the company's (they carry every clinic's files): a caller
    scoped to some clinics finds none."""
    if not scope.everything:
        raise NotFound(what, key)


@router.get("/exchange/runs", response_class=LedgerJSON)
def list_runs(session: ReadDB, scope: Access, limit: Limit = 20, offset: Offset = 0) -> LedgerJSON:
    """A page of the clearinghouse exchange runs, newest first (company-wide roles only: a
    caller of some clinics gets an empty list)."""
    rows = runs(session, limit + 1, offset) if scope.everything else []
    return answer(paged("runs", rows, limit=limit, offset=offset, total=None))


@router.get("/exchange/runs/{run_id}", response_class=LedgerJSON)
def get_run(run_id: RowId, session: ReadDB, scope: Access) -> LedgerJSON:
    """One exchange run with every outcome (upload, download, apply, archive)."""
    company_only(scope, "exchange run", run_id)
    run = get_or_404(session, pm.ExchangeRun, run_id, "exchange run")
    return answer(run_json(run, with_outcomes=True))
