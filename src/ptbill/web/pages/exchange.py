"""The clearinghouse exchange page: the latest runs and what each did (running one now:
ptbill.web.pages.payers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ptbill.exchange.run import RunSummary, run_json, runs
from ptbill.ledger import payer_models as pm
from ptbill.ledger.scope import Scope
from ptbill.web.auth import Access, ReadDB
from ptbill.web.pages.common import show
from ptbill.web.params import MAX_ID

router = APIRouter(include_in_schema=False)


def exchange_context(
    session: Session, scope: Scope, run_id: int | None, just_run: RunSummary | None = None
) -> dict[str, Any]:
    """The runs and one run's outcomes. The runs are the company's: a caller of some clinics
    sees none (ptbill.web.api.payers), but the one they just ran."""
    latest = runs(session, 30) if scope.everything else []
    if just_run is not None:
        return {"runs": latest, "run": {**just_run.as_json(), "id": just_run.run_id}}
    chosen = (
        session.get(pm.ExchangeRun, run_id or (latest[0]["id"] if latest else 0))
        if scope.everything
        else None
    )
    return {"runs": latest, "run": run_json(chosen, with_outcomes=True) if chosen else None}


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(
    request: Request,
    session: ReadDB,
    scope: Access,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A run's id")] = None,
) -> HTMLResponse:
    config = request.app.state.config
    return show(
        request, session, "exchange.html", **exchange_context(session, scope, run), config=config
    )
