"""What every page shares: the business date in the header, flash messages by code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from ptbill.errors import AlreadyApplied
from ptbill.web.asof import business_date
from ptbill.web.rendering import page

# Messages a redirect may ask for (?done=CODE): fixed text, so a link cannot inject words.
DONE = {
    "edited": "The visit was saved and scrubbed again.",
    "held": "The visit was saved. The claim was already sent: make a corrected claim to send "
    "the change.",
    "corrected": "A replacement claim was made; it goes out with the next submission.",
    "written_off": "The claim was written off.",
    "appealed": "The appeal letter was made.",
    "submitted": "The ready claims were submitted.",
    "nothing_to_submit": "There was no ready claim to submit.",
    "imported": "The visits were imported.",
    "acknowledged": "The acknowledgement was applied.",
    "inquiry_written": "The inquiry was written: download it below, or let the exchange send it.",
    "nothing_to_ask": "There was nothing to ask about.",
    "closed": "The work item was closed.",
    "cancel_asked": "The job was cancelled, or asked to stop if it was running.",
    "user_added": "The user was added.",
    "user_changed": "The user was changed.",
    "token_revoked": "The token was revoked: it is refused from now on.",
}


def show(
    request: Request, session: Session, template: str, /, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page with the business date it was computed as of. The first three are
    positional only, so that the context may hold any name (`name=`, the upload's)."""
    if "as_of" not in context:
        context["as_of"] = business_date(
            session, request.app.state.settings, context.pop("requested_as_of", None)
        )
    done = request.query_params.get("done")
    if done in DONE and "flash" not in context:
        context["flash"] = DONE[done]
    return page(request, template, status_code=status_code, **context)


def applied_before(
    request: Request, session: Session, e: AlreadyApplied, back: str
) -> HTMLResponse:
    """An answer file uploaded again: nothing changed, said with the date it was applied (as
    `ptbill ack-apply` says it, exit 0), not an error."""
    session.rollback()
    return show(request, session, "applied_before.html", name=e.file, said=e.said, back=back)


def back_to(url: str, done: str) -> RedirectResponse:
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}done={done}", status_code=303)


def parse_day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
