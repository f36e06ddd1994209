"""Patients: the list, and one patient's claims and billing status."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ptbill.web.api.common import AsOf, LedgerJSON, answer
from ptbill.web.auth import Access, ReadDB, Reader
from ptbill.web.params import Limit, Offset, RowId, Search
from ptbill.web.patient_status import patient_view
from ptbill.web.queries import patients
from ptbill.web.security import audit_read

router = APIRouter(tags=["patients"])


@router.get("/patients", response_class=LedgerJSON)
def list_patients(
    session: ReadDB, scope: Access, q: Search = None, limit: Limit = 50, offset: Offset = 0
) -> LedgerJSON:
    """A page of patients by name (search `q`: part of a name or the patient's own id)."""
    return answer(patients.list_patients(session, scope, search=q, limit=limit, offset=offset))


@router.get("/patients/{patient_id}", response_class=LedgerJSON)
def get_patient(
    patient_id: RowId,
    request: Request,
    session: ReadDB,
    who: Reader,
    scope: Access,
    as_of: AsOf = None,
) -> LedgerJSON:
    """One patient: claims, plan of care status, progress report due, authorization left and
    the KX threshold tracker, as of the business date (the read is audited)."""
    state = request.app.state
    view = patient_view(session, scope, state.config, state.settings, patient_id, as_of)
    audit_read(request, who, "read-patient", view["clinic_id"], patient_id)
    return answer(view)
