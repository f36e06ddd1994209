"""The server-rendered pages (Jinja2, a little of our own JavaScript, no CDN)."""

from fastapi import APIRouter

from ptbill.web.pages import (
    claims,
    dashboard,
    docs,
    exchange,
    files,
    jobs,
    patients,
    session,
    work,
)

router = APIRouter()
for module in (session, dashboard, work, claims, files, jobs, patients, exchange, docs):
    router.include_router(module.router)
