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
    patient_money,
    patients,
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
    patient_money,
    patients,
    exchange,
    export,
    docs,
    admin,
):
    router.include_router(module.router)
