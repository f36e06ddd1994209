"""The clearinghouse exchange page: the latest runs and what each did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.web.auth import Access, ReadDB
from ptbill.web.pages.common import show
from ptbill.web.params import MAX_ID

router = APIRouter(include_in_schema=False)


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(
    request: Request,
    session: ReadDB,
    scope: Access,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A run's id")] = None,
) -> HTMLResponse:
    # The runs are the company's: a caller of some clinics sees none (ptbill.web.api.payers).
    latest = runs(session, 30) if scope.everything else []
    chosen = (
        session.get(pm.ExchangeRun, run or (latest[0]["id"] if latest else 0))
        if scope.everything
        else None
    )
    detail = run_json(chosen, with_outcomes=True) if chosen is not None else None
    return show(request, session, "exchange.html", runs=latest, run=detail)
