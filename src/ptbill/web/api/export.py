"""The ledger's rows as files: `ptbill export` over HTTP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from ptbill.web.auth import ReadDB, Reader
from ptbill.web.downloads import ClinicKey, ExportFormat, ExportWhat, Since, Until, export_download

router = APIRouter(tags=["reports"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_rows(
    request: Request,
    session: ReadDB,
    who: Reader,
    what: ExportWhat,
    format: ExportFormat = "csv",  # noqa: A002 (the parameter's public name)
    clinic: ClinicKey = None,
    since: Since = None,
    until: Until = None,
) -> StreamingResponse:
    """Claims (by date of service), payments (one row per claim payment, by decision date),
    adjustments (CAS and PLB, by decision date), work items (by the day opened) or patient
    transactions (payments, refunds and write-offs, by the day recorded), as CSV or JSON
    Lines, per clinic and date range (inclusive), streamed as they are read. Money is a
    decimal string, dates YYYY-MM-DD; CSV holds the same values, empty where JSON has null.
    An unknown clinic is a 422 before any row."""
    return export_download(request, session, what, format, clinic, since, until, who)
