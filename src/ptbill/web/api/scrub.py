"""Scrub one visit as given: the findings, nothing stored (any signed-in user)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ptbill.web import actions
from ptbill.web.api.common import VISIT_BODY, AsOf, LedgerJSON, answer
from ptbill.web.auth import Access, ReadDB, Reader
from ptbill.web.bodies import ReaderJSON
from ptbill.web.params import Limit, Offset
from ptbill.web.queries.claims import list_findings

router = APIRouter(tags=["scrub"])


@router.post("/scrub", response_class=LedgerJSON, openapi_extra=VISIT_BODY)
def scrub(
    request: Request, session: ReadDB, who: Reader, doc: ReaderJSON, as_of: AsOf = None
) -> LedgerJSON:
    """Code and scrub one visit (JSON body: a visit in the interchange format). The answer is
    `ptbill scrub --json`'s: visit_id, status (ready or blocked) and the findings, plus the
    coded lines. as_of defaults to the app's --as-of, else today in the visit's clinic's time
    zone."""
    state = request.app.state
    actions.check_scrub_clinic(session, who, doc)
    return answer(actions.scrub_document(state.config, doc, as_of, state.settings))


@router.get("/findings", response_class=LedgerJSON)
def findings(
    session: ReadDB,
    scope: Access,
    severity: str | None = None,
    rule: str | None = None,
    category: str | None = None,
    state: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of the scrub findings of every claim's current version, newest claims first
    (filter by severity, rule, category, claim state). No total: next_offset is null on the
    last page."""
    return answer(
        list_findings(
            session,
            scope,
            severity=severity,
            rule=rule,
            category=category,
            state=state,
            limit=limit,
            offset=offset,
        )
    )
