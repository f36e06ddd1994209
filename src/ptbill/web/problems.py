"""The errors a request can end with, each with its HTTP status (`WebError` and its kinds),
and the problems they list: plain classes, without the web stack, so that the queries the
command line shares with the workbench (`ptbill show`) raise them without loading FastAPI.
ptbill.web.errors answers them.

An error never echoes a long input: each text is clipped (`Problem.as_json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ptbill.errors import clip

RETRY_AFTER_SECONDS = 5
MAX_LISTED = 200  # errors of one answer


def clipped(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


@dataclass(slots=True)
class Problem:
    """One problem of an error answer, each text clipped: what the user sent is never echoed
    back at length (the messages clip the values they quote; this is the last guard)."""

    field: str | None
    problem: str
    fix: str | None
    visit_id: str | None = None
    file: str | None = None  # where, on the error page

    def __post_init__(self) -> None:
        self.field = clipped(self.field, 80)
        self.problem = clipped(self.problem, 1000) or ""
        self.fix = clipped(self.fix, 300)
        self.visit_id = clipped(self.visit_id, 40)
        self.file = clipped(self.file, 200)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "field": self.field or self.file,
            "problem": self.problem,
            "fix": self.fix,
        }
        if self.file and self.field:  # the file too: a segment's name alone is not enough
            out["file"] = self.file
        if self.visit_id:
            out["visit_id"] = self.visit_id
        return out


class WebError(Exception):
    """An answer with `status`: one problem (`{"error": ...}`), or several (`listed`:
    `{"errors": [...]}`); `summary` heads the error page."""

    status = 500

    def __init__(
        self,
        problem: str,
        fix: str | None = None,
        field: str | None = None,
        *,
        problems: list[Problem] | None = None,
        listed: bool = False,
        headers: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(problem)
        self.status = status or self.status
        self.summary, self.fix = problem, fix
        self.problems = problems or [Problem(field, problem, fix)]
        self.listed = listed
        self.headers = headers or {}


class NotAuthenticated(WebError):
    """No valid credentials: the API answers 401, a page sends the browser to the login."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            "not authenticated",
            "send `Authorization: Bearer TOKEN` (see `ptbill token create`)",
            "authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )


class Forbidden(WebError):
    status = 403

    def __init__(self, why: str) -> None:
        super().__init__(why, "ask an admin for the access you need", "authorization")


class NotFound(WebError):
    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"no {what} {clip(key)}", f"check the {what} id", what)
        self.what, self.key = what, key


class Conflict(WebError):
    """The ledger changed since the caller looked (a group acted on as it was shown)."""

    status = 409


class TooLarge(WebError):
    status = 413

    def __init__(self, limit: int, fix: str, upload: bool = False) -> None:
        what = "upload limit" if upload else "limit for a JSON body or a form"
        super().__init__(f"the request body is over the {what} of {limit:,} bytes", fix, "(body)")
        self.limit = limit


class Busy(WebError):
    status = 503

    def __init__(self) -> None:
        super().__init__(
            "the ledger is busy with another change (or cannot be reached); nothing was changed",
            f"try again in a few seconds (Retry-After: {RETRY_AFTER_SECONDS})",
            "database",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


class Invalid(WebError):
    status = 422
