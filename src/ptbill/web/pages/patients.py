"""Patient pages: the list, and one patient's billing status and claims."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ptbill.ledger.eligibility import latest_checks
from ptbill.web.auth import Access, ReadDB, Reader
from ptbill.web.pages.common import show
from ptbill.web.params import PageNumber, RowId, Search
from ptbill.web.patient_money import balance_of
from ptbill.web.patient_status import patient_view
from ptbill.web.queries.common import PAGE
from ptbill.web.queries.patients import list_patients
from ptbill.web.security import audit_read

router = APIRouter(include_in_schema=False)


@router.get("/patients", response_class=HTMLResponse)
def patients_page(
    request: Request, session: ReadDB, scope: Access, q: Search = None, page: PageNumber = 1
) -> HTMLResponse:
    data = list_patients(session, scope, search=q or None, limit=PAGE, offset=(page - 1) * PAGE)
    return show(request, session, "patients.html", data=data, q=q, page=page, size=PAGE)


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    patient_id: RowId, request: Request, session: ReadDB, who: Reader, scope: Access
) -> HTMLResponse:
    state = request.app.state
    view = patient_view(session, scope, state.config, state.settings, patient_id, None)
    audit_read(request, who, "read-patient", view["clinic_id"], patient_id)
    as_of = view["status"]["as_of"] if view["status"] else None
    return show(
        request,
        session,
        "patient.html",
        patient=view,
        eligibility=latest_checks(session, patient_id, 5),  # the patient is in scope
        as_of=as_of,
        owed=balance_of(session, scope, patient_id, as_of),
    )
