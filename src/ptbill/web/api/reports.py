"""The billing office's numbers (`ptbill report --json`), and collections by month."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ptbill.reports.export_names import MEDIA_TYPES
from ptbill.reports.report import build_report
from ptbill.reports.report_csv import report_csv
from ptbill.web import actions
from ptbill.web.api.common import AsOf, LedgerJSON, answer
from ptbill.web.asof import business_date
from ptbill.web.auth import Access, ReadDB
from ptbill.web.queries.reports import collections_by_month

router = APIRouter(tags=["reports"])


@router.get(
    "/reports",
    response_class=LedgerJSON,
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def report(
    request: Request,
    session: ReadDB,
    scope: Access,
    as_of: AsOf = None,
    format: Annotated[  # noqa: A002 (the parameter's public name, as /export's)
        Literal["json", "csv"],
        Query(description="json, or csv: a row per number (`ptbill report --format csv`)"),
    ] = "json",
) -> Response:
    """Claims submitted, first-pass acceptance, clean-claim rate, denial rate by category and
    CARC, paid total, expected vs paid, A/R total and aging, days in A/R; patient A/R,
    collections and the net collection rate; also per payer and per clinic (of the caller's
    clinics, or the one `clinic` names; a clinic's with its collections and net collection
    rate). `format=csv`: the same
    numbers as one table in long form (as_of, section, name, metric, item, value), a file
    to open in a spreadsheet."""
    day = actions.need_date(business_date(session, request.app.state.settings, as_of), "report")
    data = build_report(session, day, scope)
    if format == "json":
        return answer(data)
    return Response(
        report_csv(data),
        media_type=MEDIA_TYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="report-{day}.csv"'},
    )


@router.get("/reports/collections", response_class=LedgerJSON)
def collections(
    request: Request,
    session: ReadDB,
    scope: Access,
    as_of: AsOf = None,
    months: Annotated[int, Query(ge=1, le=36, description="Months up to as_of")] = 6,
) -> LedgerJSON:
    """What payers paid on claims by month of decision, for the months up to as_of."""
    day = actions.need_date(business_date(session, request.app.state.settings, as_of), "report")
    return answer(
        {
            "as_of": day,
            "months": [
                {"month": k, "paid": v}
                for k, v in collections_by_month(session, scope, day, months)
            ],
        }
    )
