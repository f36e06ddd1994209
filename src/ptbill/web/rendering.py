"""Rendering: the Jinja2 templates, their filters, and error answers (JSON or page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ptbill.web.once import form_token
from ptbill.web.wording import for_web

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.auto_reload = False  # the templates ship with the package: no stat per render


def money(value: Decimal | int | str | None) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def percent(value: float | Decimal | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.{digits}f}%"


def day(value: dt.date | str | None) -> str:
    if value is None:
        return "—"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def label(value: str | None) -> str:
    """snake_case vocabulary ('partially_paid', 'plan_of_care') as words."""
    return (value or "").replace("_", " ")


templates.env.filters.update(money=money, percent=percent, day=day, label=label, for_web=for_web)
templates.env.globals["Markup"] = Markup
templates.env.globals["form_token"] = form_token


def page(
    request: Request, template: str, /, status_code: int = 200, **context: Any
) -> HTMLResponse:
    who = getattr(request.state, "principal", None)
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": who,
            "csrf": who.csrf if who else None,
            "secure": settings.secure_cookies,
            **context,
        },
        status_code=status_code,
    )


def render_error(
    request: Request,
    status: int,
    problem: str,
    fix: str | None,
    errors: Sequence[Any] = (),
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """The error page; `errors`: each with its file, visit_id, field, problem and fix."""
    response = page(
        request,
        "error.html",
        status_code=status,
        status=status,
        problem=problem,
        fix=fix,
        errors=errors,
    )
    response.headers.update(headers or {})
    return response
