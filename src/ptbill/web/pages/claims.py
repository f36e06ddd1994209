"""Claim pages: the list and one claim in full."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from ptbill.ledger.models import Appeal, Claim
from ptbill.ledger.states import State
from ptbill.web.auth import Access, ReadDB
from ptbill.web.errors import NotFound
from ptbill.web.pages.common import show
from ptbill.web.params import ClaimNumber, PageNumber, PatientFilter, RowId, Search
from ptbill.web.queries import claims
from ptbill.web.queries.common import PAGE

# A claim's own routes come before `/claims/{claim_number:path}`, which would match them too.
router = APIRouter(include_in_schema=False)


@router.get("/claims", response_class=HTMLResponse)
def claims_page(
    request: Request,
    session: ReadDB,
    scope: Access,
    state: str | None = None,
    payer: str | None = None,
    q: Search = None,
    patient_id: PatientFilter = None,
    page: PageNumber = 1,
) -> HTMLResponse:
    state = state if state in {s.value for s in State} else None
    data = claims.list_claims(
        session,
        scope,
        state=state,
        payer=payer or None,
        patient_id=patient_id,
        search=q or None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    return show(
        request,
        session,
        "claims.html",
        data=data,
        state=state,
        payer=payer,
        q=q,
        patient_id=patient_id,
        page=page,
        size=PAGE,
        states=[s.value for s in State],
        counts=claims.state_counts(session, scope),
    )


@router.get("/claims/{claim_number:path}/appeals/{appeal_id}.{fmt}")
def appeal_letter(
    claim_number: ClaimNumber, appeal_id: RowId, fmt: str, session: ReadDB, scope: Access
) -> Response:
    """An appeal letter as it was made (HTML to read, PDF to send)."""
    appeal = session.get(Appeal, appeal_id)
    claim = (
        session.scalar(select(Claim).where(Claim.id == appeal.claim_id, scope.claims()))
        if appeal
        else None
    )
    if (
        appeal is None
        or claim is None
        or claim.claim_number != claim_number
        or fmt not in ("html", "pdf")
    ):
        raise NotFound("appeal letter", appeal_id)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", f"appeal-{claim_number}-{appeal_id}.{fmt}")
    if fmt == "pdf":
        return Response(
            appeal.pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return HTMLResponse(
        appeal.html,
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


@router.get("/claims/{claim_number:path}", response_class=HTMLResponse)
def claim_page(
    claim_number: ClaimNumber, request: Request, session: ReadDB, scope: Access
) -> HTMLResponse:
    claim = claims.claim_detail(session, scope, claim_number)
    return show(
        request,
        session,
        "claim.html",
        claim=claim,
        segments=claims.claim_segments(session, scope, claim_number),
        payers=claim["payers"],  # claim_detail's chain of payers
    )
