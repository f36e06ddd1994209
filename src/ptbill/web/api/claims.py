"""Claims: the list, one claim in full, and the 837P/835 segments that concern it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ptbill.ledger.states import State
from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import Access, ReadDB
from ptbill.web.params import ClaimNumber, Limit, Offset, PatientFilter, Search
from ptbill.web.queries import claims

# A claim's own routes come before `/claims/{claim_number:path}`, which would match them too.
router = APIRouter(tags=["claims"])


@router.get("/claims", response_class=LedgerJSON)
def list_claims(
    session: ReadDB,
    scope: Access,
    state: Annotated[State | None, Query(description="Claim state")] = None,
    payer: str | None = None,
    patient_id: PatientFilter = None,
    q: Search = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> LedgerJSON:
    """A page of claims, newest date of service first, with their money and state."""
    return answer(
        claims.list_claims(
            session,
            scope,
            state=state,
            payer=payer,
            patient_id=patient_id,
            search=q,
            limit=limit,
            offset=offset,
        )
    )


@router.get("/claims/{claim_number:path}/segments", response_class=LedgerJSON)
def claim_segments(claim_number: ClaimNumber, session: ReadDB, scope: Access) -> LedgerJSON:
    """The 837P segments that sent the claim and the 835 segments that paid or denied it."""
    return answer(claims.claim_segments(session, scope, claim_number))


@router.get("/claims/{claim_number:path}", response_class=LedgerJSON)
def get_claim(claim_number: ClaimNumber, session: ReadDB, scope: Access) -> LedgerJSON:
    """One claim: lines (units explained, modifiers, price), findings, versions, audit trail,
    submissions, acknowledgements, payments with their adjustments, work items, appeals."""
    return answer(claims.claim_detail(session, scope, claim_number))
