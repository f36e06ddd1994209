"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/docs)."""

from fastapi import APIRouter

from ptbill.web.api import (
    admin,
    claims,
    clinics,
    export,
    jobs,
    ledger_files,
    patient_money,
    patients,
    payers,
    reports,
    scrub,
    visits,
    worklist,
)

router = APIRouter(prefix="/api/v1")
# patient_money before claims: its /claims/{claim}/payers goes before the claim's own route
# (a claim number takes the path converter, which would swallow the rest).
for module in (
    patient_money,
    claims,
    visits,
    scrub,
    ledger_files,
    worklist,
    reports,
    patients,
    payers,
    clinics,
    export,
    admin,
    jobs,
):
    router.include_router(module.router)
