"""Talking to payers: 270 inquiries and 271 answers (eligibility), 276 requests and 277
answers (claim status), and the clearinghouse exchange runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from ptbill.errors import AlreadyApplied
from ptbill.exchange.lease import RunGoing
from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.ledger.eligibility import latest_checks, recent_checks
from ptbill.ledger.scope import Scope
from ptbill.web import payer_actions
from ptbill.web.accounts import Principal
from ptbill.web.actions import need_date
from ptbill.web.api.common import AsOf, LedgerJSON, answer, file_body
from ptbill.web.asof import business_date
from ptbill.web.auth import DB, Access, ApiWriter, ReadDB
from ptbill.web.errors import Conflict, NotFound
from ptbill.web.params import MAX_ID, Limit, Offset, RowId
from ptbill.web.queries.common import get_or_404, paged
from ptbill.web.queries.inquiries import inquiry_text, list_inquiries
from ptbill.web.queries.patients import patient_row
from ptbill.web.uploads import ApiX12

router = APIRouter(tags=["payers"])
ServiceDate = Annotated[
    dt.date | None,
    Query(alias="date", description="Ask about the visits of this date (YYYY-MM-DD)"),
]
PatientId = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="Ask about one patient (its id)")
]
Claims = Annotated[
    list[str] | None,
    Query(
        alias="claim",
        max_length=200,
        description="Ask about these claims (repeatable; default: every claim past its "
        "payer's window)",
    ),
]


def _created(data: dict[str, object]) -> LedgerJSON:
    """201 with the file's id when something was written, else 200 (nothing to ask)."""
    return answer(data, status_code=201 if data["inquiry_id"] else 200)


@router.post("/eligibility/requests", response_class=LedgerJSON, status_code=201)
def request_eligibility(
    request: Request,
    session: DB,
    who: ApiWriter,
    on: ServiceDate = None,
    patient_id: PatientId = None,
    as_of: AsOf = None,
) -> LedgerJSON:
    """Write a 270 (005010X279A1) for the visits of a date at your clinics, or for one
    patient (its latest visit with each payer): one inquiry per patient and payer. 201 with
    `inquiry_id` (download it at /api/v1/inquiries/{id}/file), 200 when there was nothing to
    ask."""
    state = request.app.state
    day = business_date(session, state.settings, as_of)
    data = payer_actions.request_eligibility(
        session, state.config, who, on=on, patient_id=patient_id, as_of=day
    )
    session.commit()
    return _created(data)


@router.post("/claim-status/requests", response_class=LedgerJSON, status_code=201)
def request_claim_status(
    request: Request, session: DB, who: ApiWriter, claims: Claims = None, as_of: AsOf = None
) -> LedgerJSON:
    """Write a 276 (005010X212) for your clinics' claims the payer has not answered within
    its window (`status_after_days`), or for the claims named. 201 with `inquiry_id`, 200
    when no claim is waiting."""
    state = request.app.state
    day = business_date(session, state.settings, as_of)
    data = payer_actions.request_status(session, state.config, who, list(claims or ()), day)
    session.commit()
    return _created(data)


@router.get("/inquiries", response_class=LedgerJSON)
def get_inquiries(
    session: ReadDB, scope: Access, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of the 270s and 276s written, the newest first (`sent`: uploaded by an
    exchange run)."""
    return answer(list_inquiries(session, scope, limit=limit, offset=offset))


@router.get("/inquiries/{inquiry_id}/file", response_class=PlainTextResponse)
def get_inquiry_file(inquiry_id: RowId, session: ReadDB, scope: Access) -> PlainTextResponse:
    """The 270 or 276 exactly as written, to send to the payer or clearinghouse."""
    name, text = inquiry_text(session, scope, inquiry_id)
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post(
    "/eligibility/responses",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=file_body("The 271 as received"),
)
def apply_eligibility(
    request: Request, session: DB, who: ApiWriter, upload: ApiX12, as_of: AsOf = None
) -> LedgerJSON:
    """Apply a 271 (multipart field `file`), once: each answer kept with its patient;
    inactive coverage, no visit left and the payer's errors become work items. Refused whole
    (422) when it answers about another clinic's patients; applied before: 200 with
    `already_applied` and the date and inbound file it was applied as, nothing changed."""
    return _applied(request, session, who, upload, as_of, payer_actions.apply_eligibility)


@router.post(
    "/claim-status/responses",
    response_class=LedgerJSON,
    status_code=201,
    openapi_extra=file_body("The 277 claim status response as received"),
)
def apply_claim_status(
    request: Request, session: DB, who: ApiWriter, upload: ApiX12, as_of: AsOf = None
) -> LedgerJSON:
    """Apply a 277 claim status response (multipart field `file`), once: pending claims
    become accepted, finalized ones get a work item to post their 835, claims not on file are
    rejected with a resubmission work item. Applied before: 200 with `already_applied`, as a
    271."""
    return _applied(request, session, who, upload, as_of, payer_actions.apply_status)


def _applied(
    request: Request,
    session: Session,
    who: Principal,
    upload: tuple[str, str],
    as_of: dt.date | None,
    apply: Callable[..., Any],
) -> LedgerJSON:
    """An uploaded answer applied in the request's transaction; 201 with its summary."""
    name, text = upload
    day = business_date(session, request.app.state.settings, as_of)
    try:
        summary = apply(session, who, name, text, day)
    except AlreadyApplied as e:
        session.rollback()
        return answer(e.as_json())  # done before, nothing changed: no error (as the CLI, exit 0)
    session.commit()
    return answer({"as_of": day, **summary.as_json()}, status_code=201)


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


@router.post("/exchange/runs", response_class=LedgerJSON, status_code=201)
def start_run(
    request: Request,
    session: ReadDB,
    who: ApiWriter,
    clinic: Annotated[
        str | None,
        Query(max_length=64, description="Run this clinic's clearinghouse (default: the only one)"),
    ] = None,
    as_of: AsOf = None,
) -> LedgerJSON:
    """Run the clearinghouse exchange once, now (a company admin, or a biller of every
    clinic): send what is waiting, take in and apply every new file, each once. The answer is
    the run's summary; `status` failed when the mailbox could not be used."""
    state = request.app.state
    payer_actions.check_exchange_runner(session, who)
    day = need_date(business_date(session, state.settings, as_of), "exchange")
    try:
        summary = payer_actions.run_clearinghouse(state.sessions, state.config, who, clinic, day)
    except RunGoing as going:
        raise Conflict(
            str(going),
            "wait for that run to end (GET /api/exchange/runs shows it), then run again",
            "clearinghouse",
        ) from None
    return answer(summary.as_json(), status_code=201)


@router.get("/exchange/runs/{run_id}", response_class=LedgerJSON)
def get_run(run_id: RowId, session: ReadDB, scope: Access) -> LedgerJSON:
    """One exchange run with every outcome (upload, download, apply, archive)."""
    company_only(scope, "exchange run", run_id)
    run = get_or_404(session, pm.ExchangeRun, run_id, "exchange run")
    return answer(run_json(run, with_outcomes=True))
