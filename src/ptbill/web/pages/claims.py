"""Claim pages: the list and one claim in full."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ptbill.ledger.models import Appeal, Claim
from ptbill.ledger.states import State
from ptbill.web import queries
from ptbill.web.auth import ReadDB, Reader
from ptbill.web.pages.common import show
from ptbill.web.patient_money import chain

router = APIRouter(include_in_schema=False)


@router.get("/claims", response_class=HTMLResponse)
def claims_page(
    request: Request,
    session: ReadDB,
    who: Reader,
    state: str | None = None,
    payer: str | None = None,
    q: str | None = None,
    page: int = 1,
) -> HTMLResponse:
    page = max(page, 1)
    state = state if state in {s.value for s in State} else None
    data = queries.list_claims(
        session,
        state=state,
        payer=payer or None,
        search=q or None,
        limit=queries.PAGE,
        offset=(page - 1) * queries.PAGE,
    )
    return show(
        request,
        session,
        "claims.html",
        data=data,
        state=state,
        payer=payer,
        q=q,
        page=page,
        states=[s.value for s in State],
        counts=queries.state_counts(session),
    )


@router.get("/claims/{claim_number}", response_class=HTMLResponse)
def claim_page(claim_number: str, request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    claim = queries.claim_detail(session, claim_number)
    return show(
        request,
        session,
        "claim.html",
        claim=claim,
        segments=queries.claim_segments(session, claim_number),
        payers=chain(session, claim_number),
    )


@router.get("/claims/{claim_number}/appeals/{appeal_id}.{fmt}")
def appeal_letter(
    claim_number: str, appeal_id: int, fmt: str, session: ReadDB, who: Reader
) -> Response:
    """An appeal letter as it was made (HTML to read, PDF to send)."""
    appeal = session.get(Appeal, appeal_id)
    claim = session.get(Claim, appeal.claim_id) if appeal else None
    if (
        appeal is None
        or claim is None
        or claim.claim_number != claim_number
        or fmt not in ("html", "pdf")
    ):
        raise queries.NotFound("appeal letter", appeal_id)
    name = f"appeal-{claim_number}-{appeal_id}.{fmt}"
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
