"""The REST API under /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/docs)."""

from fastapi import APIRouter

from ptbill.web.api import (
    claims,
    jobs,
    ledger_files,
    patients,
    payers,
    reports,
    scrub,
    visits,
    worklist,
)

router = APIRouter(prefix="/api/v1")
for module in (claims, visits, scrub, ledger_files, worklist, reports, patients, payers, jobs):
    router.include_router(module.router)
