"""A request that records money, recorded once (ptbill.ledger.once): the API's
`Idempotency-Key` header and the workbench forms' one-time token (the `once` field). The same
key with the same request answers the first answer; with another request, a clear refusal.
Without a key, the request runs as it always did."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ptbill.errors import InputError
from ptbill.ledger.once import MAX_KEY, Earlier, earlier, fingerprint, keep
from ptbill.web.accounts import Principal

HEADER = "Idempotency-Key"
FORM_FIELD = "once"
_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_KEY}}}")  # printable ASCII, no spaces

# The header in the OpenAPI document of each route that takes it (`openapi_extra`).
OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": HEADER,
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY},
            "description": "One per request (e.g. a UUID): the same request sent again with it "
            "records nothing more and gets the first answer; another request with it: 422.",
        }
    ]
}

Answer = tuple[int, str]  # the status, and the JSON (API) or the redirect (pages)


def form_token() -> str:
    """A new form's one-time token (a template global: each form rendered gets its own)."""
    return secrets.token_urlsafe(16)


def _checked(key: str, field: str, fix: str) -> str:
    if not _KEY.fullmatch(key):
        raise InputError(
            "request",
            f"the {field} must be 1 to {MAX_KEY} printable ASCII characters, no spaces",
            fix,
            field=field,
        )
    return key


def header_key(request: Request) -> str | None:
    """The request's Idempotency-Key, if it sent one."""
    key = request.headers.get(HEADER)
    return None if key is None else _checked(key, HEADER, "send e.g. a UUID, one per request")


def form_key(token: str) -> str | None:
    """A form's one-time token ('' from a page rendered before forms carried one)."""
    return _checked(token, FORM_FIELD, "reload the page and submit again") if token else None


def api_refusal(key: str, found: Earlier) -> InputError:
    return InputError(
        "request",
        f"the {HEADER} {key!r} was used on {found.on_date} for another request (another body "
        "or route); nothing was recorded",
        f"repeat a request with its own {HEADER}; give a new request a new key",
        field=HEADER,
    )


def form_refusal(key: str, found: Earlier) -> InputError:
    return InputError(
        "form",
        f"this form was already submitted on {found.on_date} and recorded; sent again with "
        "other values, it recorded nothing",
        "reload the page to record another, with a fresh form",
        field=None,
    )


def run_once(
    session: Session,
    who: Principal,
    key: str | None,
    asked: tuple[str, Mapping[str, object]],
    clinic_id: int,
    today: dt.date,
    run: Callable[[], Answer],
    refusal: Callable[[str, Earlier], InputError],
) -> Answer:
    """`run` (which records the money) and commit, once per key: a key answered before gives
    its answer again (`refusal` when the request differs). `asked` is the route and the
    request's content; `clinic_id` whose money it is."""
    if key is None:
        done = run()
        session.commit()
        return done
    route, content = asked
    print_ = fingerprint(route, content)
    found = earlier(session, who.who, key, print_)
    if found is None:
        try:
            row = keep(
                session, who=who.who, key=key, asked=print_, clinic_id=clinic_id, today=today
            )
        except IntegrityError:  # the same request, sent at the same moment, took it
            session.rollback()
            found = earlier(session, who.who, key, print_)
            if found is None:
                raise
        else:
            row.status, row.answer = done = run()
            session.commit()
            return done
    if not found.same:
        raise refusal(key, found)
    return found.status, found.answer
