"""The dashboard: the report's rates and A/R, with server-side SVG charts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ptbill.reports.report import build_report
from ptbill.web import charts
from ptbill.web.asof import business_date
from ptbill.web.auth import Access, ReadDB
from ptbill.web.pages.common import show
from ptbill.web.queries.claims import state_counts
from ptbill.web.queries.reports import collections_by_month
from ptbill.web.rendering import label, money

router = APIRouter(include_in_schema=False)


def _pct(value: Decimal | float | int) -> str:
    return f"{float(value) * 100:.1f}%"


def _csv_url(day: dt.date, clinic: str | None) -> str:
    """The report's CSV (`GET /api/v1/reports?format=csv`) as of the page's date, of the
    clinics the page shows."""
    query = {"format": "csv", "as_of": str(day)} | ({"clinic": clinic} if clinic else {})
    return "/api/v1/reports?" + urlencode(query)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: ReadDB, scope: Access) -> HTMLResponse:
    """The report's claim figures, overall and by payer; the patients' money beside the
    insurance A/R (patient A/R and its aging, collections by payer and from patients, the net
    collection rate); the roll-up by clinic for the company-wide roles (a billing company's
    view)."""
    day = business_date(session, request.app.state.settings)
    states = sorted(state_counts(session, scope).items(), key=lambda kv: -kv[1])
    if not states:  # no claim yet: nothing to chart
        return show(request, session, "dashboard.html", as_of=day, report=None)
    report = build_report(session, day, scope, clinics=scope.everything)
    decided = report["claims_decided"] or 0
    by_category = (
        [
            (label(cat), Decimal(v["claims"]) / decided)
            for cat, v in sorted(
                report["denials_by_category"].items(), key=lambda kv: -kv[1]["claims"]
            )
        ]
        if decided
        else []
    )
    collections = collections_by_month(session, scope, day)
    svg = {
        "denials": charts.hbars(
            by_category, "Denial rate by category (share of decided claims)", fmt=_pct
        ),
        "aging": charts.vbars(
            [(k.replace("_", " "), v) for k, v in report["ar_aging"].items()],
            "A/R aging (days since first submission)",
            fmt=money,  # type: ignore[arg-type]  # the report's amounts: Decimal, never float
        ),
        "collections": charts.vbars(
            collections,
            "Collections by month",
            fmt=money,  # type: ignore[arg-type]  # the report's amounts: Decimal, never float
            color=charts.COLORS[1],
        ),
        "states": charts.hbars([(label(k), v) for k, v in states], "Claims by state"),
        "clean": charts.gauge(report["clean_claim_rate"], "Clean-claim rate"),
    }
    return show(
        request,
        session,
        "dashboard.html",
        as_of=day,
        report=report,
        svg=svg,
        csv_url=_csv_url(day, request.query_params.get("clinic")),
        collected=sum((v for _, v in collections), Decimal(0)),
        from_patients=sum(report["collections_by_patient"].values(), Decimal(0)),
    )
