"""The clearinghouse exchange page: the latest runs and what each did."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ptbill.exchange.run import run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.web.auth import ReadDB, Reader
from ptbill.web.pages.common import show

router = APIRouter(include_in_schema=False)


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(
    request: Request, session: ReadDB, who: Reader, run: int | None = None
) -> HTMLResponse:
    latest = runs(session, 30)
    chosen = session.get(pm.ExchangeRun, run or (latest[0]["id"] if latest else 0))
    detail = run_json(chosen, with_outcomes=True) if chosen is not None else None
    return show(request, session, "exchange.html", runs=latest, run=detail)
