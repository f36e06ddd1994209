"""An export of the ledger as a streamed download (`GET /api/v1/export` and the Export page):
checked with the request's session, then written a batch of rows at a time from a read-only
session of its own that lives as long as the response does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.ledger import models as m
from ptbill.reports import export
from ptbill.reports.export_names import MEDIA_TYPES, Format, What
from ptbill.web.accounts import Principal
from ptbill.web.security import audit_reads

# The query parameters, shared by the API and the page.
ExportWhat = Annotated[What, Query(description="claims, payments, adjustments or work-items")]
ExportFormat = Annotated[Format, Query(description="csv or jsonl (JSON Lines)")]
ClinicKey = Annotated[
    str | None,
    Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$", description="A clinic's key (empty: all)"),
]
Since = Annotated[dt.date | None, Query(description="From this date (inclusive)")]
Until = Annotated[dt.date | None, Query(description="Up to this date (inclusive)")]


def _stream(
    sessions: sessionmaker[Session], query: export.ExportQuery, fmt: Format
) -> Iterator[str]:
    with sessions() as session:
        rows = export.rows(session, query)
        yield from export.chunks(rows, export.columns(query), fmt)


def export_download(
    request: Request,
    session: Session,
    what: What,
    fmt: Format,
    clinic: str | None,
    since: dt.date | None,
    until: dt.date | None,
    who: Principal,
) -> StreamingResponse:
    """The export `who` asked for, in the access log (HIPAA): one entry per clinic whose rows
    it holds (the one asked for, else each of theirs), naming the file."""
    query = export.ExportQuery(what, clinic or None, since, until, who.scope)
    export.check(session, query)  # an error is an answer of its own, before any row
    name = query.file_name(fmt)
    clinics = select(m.Clinic.id).where(who.scope.clinic_rows()).order_by(m.Clinic.id)
    if query.clinic:
        clinics = clinics.where(m.Clinic.key == query.clinic)
    audit_reads(request, who, "export", list(session.scalars(clinics)), None, name)
    return StreamingResponse(
        _stream(request.app.state.read_sessions, query, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
