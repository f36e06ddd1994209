"""The Export page: a form for `ptbill export`, and the download it asks for."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlalchemy import select

from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.reports.export_names import FORMATS, WHATS
from ptbill.web.auth import ReadDB, Reader
from ptbill.web.downloads import ClinicKey, ExportFormat, ExportWhat, export_download
from ptbill.web.pages.common import show

router = APIRouter(include_in_schema=False)


@router.get("/export", response_class=HTMLResponse)
def export_page(request: Request, session: ReadDB, who: Reader) -> HTMLResponse:
    mine = select(m.Clinic.key, m.Clinic.name).where(who.scope.clinic_rows())
    clinics = list(session.execute(mine.order_by(m.Clinic.key)))
    return show(request, session, "export.html", whats=WHATS, formats=FORMATS, clinics=clinics)


# A form's empty field is sent as an empty value: "" is no limit here.
FormDate = Annotated[str, Query(max_length=10, description="YYYY-MM-DD, or empty")]


def _day(name: str, text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            file=name,
            visit_id=None,
            field=None,
            problem=f"{text!r} is not a date",
            fix="use YYYY-MM-DD",
        ) from None


@router.get("/export/download")
def export_file(
    request: Request,
    session: ReadDB,
    who: Reader,
    what: ExportWhat,
    format: ExportFormat = "csv",  # noqa: A002 (the form's field)
    clinic: ClinicKey = None,
    since: FormDate = "",
    until: FormDate = "",
) -> StreamingResponse:
    day_from, day_to = _day("since", since), _day("until", until)
    return export_download(request, session, what, format, clinic, day_from, day_to, who)
