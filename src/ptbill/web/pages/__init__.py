"""The server-rendered pages (Jinja2, a little of our own JavaScript, no CDN)."""

from fastapi import APIRouter

from ptbill.web.pages import (
    admin,
    claims,
    dashboard,
    docs,
    exchange,
    export,
    files,
    jobs,
    patient_money,
    patients,
    payers,
    session,
    work,
)

router = APIRouter()
for module in (
    session,
    dashboard,
    work,
    claims,
    files,
    jobs,
    patient_money,
    patients,
    payers,
    exchange,
    export,
    docs,
    admin,
):
    router.include_router(module.router)
