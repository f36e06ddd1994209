"""The billing office's numbers (`ptbill report --json`), and collections by month."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ptbill.reports.report import build_report
from ptbill.web import actions, queries
from ptbill.web.api.common import AsOf, LedgerJSON, answer
from ptbill.web.asof import business_date
from ptbill.web.auth import ReadDB, Reader

router = APIRouter(tags=["reports"])


@router.get("/reports", response_class=LedgerJSON)
def report(request: Request, session: ReadDB, who: Reader, as_of: AsOf = None) -> LedgerJSON:
    """Claims submitted, first-pass acceptance, clean-claim rate, denial rate by category and
    CARC, paid total, expected vs paid, A/R total and aging, days in A/R; also per payer."""
    day = actions.need_date(business_date(session, request.app.state.settings, as_of), "report")
    return answer(build_report(session, day))


@router.get("/reports/collections", response_class=LedgerJSON)
def collections(
    request: Request, session: ReadDB, who: Reader, as_of: AsOf = None, months: int = 6
) -> LedgerJSON:
    """What payers paid on claims by month of decision, for the months up to as_of."""
    day = actions.need_date(business_date(session, request.app.state.settings, as_of), "report")
    months = min(max(months, 1), 36)
    return answer(
        {
            "as_of": day,
            "months": [
                {"month": k, "paid": v}
                for k, v in queries.collections_by_month(session, day, months)
            ],
        }
    )
