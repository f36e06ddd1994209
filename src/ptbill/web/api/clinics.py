"""The caller's clinics and their configuration (read-only; secrets masked)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ptbill.web.api.common import LedgerJSON, answer
from ptbill.web.auth import Access, ReadDB
from ptbill.web.queries.clinics import clinic_settings

router = APIRouter(tags=["clinics"])


@router.get("/clinics", response_class=LedgerJSON)
def clinics(request: Request, session: ReadDB, scope: Access) -> LedgerJSON:
    """Each of the caller's clinics (or the one `clinic` names): NPI, tax id, address,
    submitter and receiver ids, chargemaster, clearinghouse account (passwords and key paths
    masked) and the payer profiles it bills under. Set in the configuration file."""
    return answer({"clinics": clinic_settings(session, scope, request.app.state.config)})
