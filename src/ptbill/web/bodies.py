"""Request bodies: bounded, and read only after the credentials and the role are checked.

- No route declares a body parameter (FastAPI reads a declared body before it solves the
  dependencies that check who is asking): a route takes its body as a dependency that
  depends on that check (`ReaderJSON`, `WriterBody`, `PageForm`, and the uploads of
  ptbill.web.uploads), so that the check comes first.
- `BodyLimit` (ASGI middleware) counts the bytes as the app reads them, whether the body has
  a Content-Length or comes chunked: a multipart upload may carry up to the upload limit
  (PTBILL_MAX_UPLOAD_MB) and its envelope, any other body `SMALL_BODY` bytes. Past the limit
  the read raises TooLarge (413, a JSON error for the API): nothing more is read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill.errors import InputError
from ptbill.intake.numbers import loads
from ptbill.web import errors
from ptbill.web.auth import ApiAdmin, ApiWriter, PageAdmin, PageBulkWriter, PageWriter, Reader
from ptbill.web.errors import TooLarge

SMALL_BODY = 2 * 1024 * 1024  # a JSON body or a plain form: one visit at most
MULTIPART_SLACK = 64 * 1024  # the multipart envelope around an upload
_FIX_UPLOAD = "split the file, or raise PTBILL_MAX_UPLOAD_MB"
_FIX_SMALL = "send one visit or one form at a time"


def _limit(scope: Scope, upload_bytes: int) -> TooLarge:
    """The error of a body over this request's limit (by its content type)."""
    for key, value in scope["headers"]:
        if key == b"content-type" and value.lower().startswith(b"multipart/form-data"):
            return TooLarge(upload_bytes + MULTIPART_SLACK, _FIX_UPLOAD, upload=True)
    return TooLarge(SMALL_BODY, _FIX_SMALL)


def _content_length(scope: Scope) -> int | None:
    for key, value in scope["headers"]:
        if key == b"content-length":  # 20 digits are past any limit (and cheap to read)
            return int(value[:20]) if value.isdigit() else None
    return None


class BodyLimit:
    """Count the body's bytes as the app reads them; refuse a declared Content-Length over
    the limit before reading anything."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.settings
        too_large = _limit(scope, settings.max_upload_bytes)
        limit = too_large.limit
        length = _content_length(scope)
        if length is not None and length > limit:
            await self._refuse(scope, receive, send, too_large)
            return
        read = 0

        async def counted() -> Message:
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > limit:
                    raise too_large
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge as e:  # read outside a route (its handlers answer the rest)
            if started:
                raise
            await self._refuse(scope, receive, send, e)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: TooLarge) -> None:
        request = Request(scope, receive)
        request.state.principal = None  # the error page names no user: none was looked up
        response = await errors.answer(request, error)
        await response(scope, receive, send)


async def read_body(request: Request) -> bytes:
    """The request's body, at most SMALL_BODY bytes (counted as it streams, whatever its
    content type says)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > SMALL_BODY:
            raise TooLarge(SMALL_BODY, _FIX_SMALL)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, origin: str = "request") -> Any:
    """The request's JSON body (read_body), or InputError naming what is wrong with it."""
    body = await read_body(request)
    try:
        return loads(body)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        why = e.msg if hasattr(e, "msg") else "not UTF-8"
        raise InputError(
            origin, f"not valid JSON ({why})", "send a JSON object", field="(body)"
        ) from None


def form_text(form: FormData, name: str, max_length: int, default: str = "") -> str:
    """A text field of a posted form."""
    value = form.get(name, default)
    if not isinstance(value, str):
        raise InputError("form", "expected text, found a file", f"send {name} as text", field=name)
    if len(value) > max_length:
        raise InputError(
            "form",
            f"{len(value):,} characters, over the limit of {max_length:,}",
            "send less",
            field=name,
        )
    return value


# The bodies as dependencies of the check of who is asking: FastAPI solves a dependency's
# own dependencies first, so none of these reads a byte before the credentials, the role
# (and for a form, its CSRF token) are checked.


async def _reader_json(request: Request, who: Reader) -> Any:
    return await read_json(request)


async def _writer_body(request: Request, who: ApiWriter) -> bytes:
    return await read_body(request)


async def _page_form(request: Request, who: PageWriter) -> FormData:
    return await request.form()  # parsed (and bounded) by the CSRF check


async def _page_bulk_form(request: Request, who: PageBulkWriter) -> FormData:
    return await request.form()  # parsed (and bounded) by the CSRF check


async def _admin_json(request: Request, who: ApiAdmin) -> Any:
    return await read_json(request) if await request.body() else {}


async def _admin_form(request: Request, who: PageAdmin) -> FormData:
    return await request.form()


ReaderJSON = Annotated[Any, Depends(_reader_json)]
AdminJSON = Annotated[Any, Depends(_admin_json)]  # an empty body is {}
AdminForm = Annotated[FormData, Depends(_admin_form)]
WriterBody = Annotated[bytes, Depends(_writer_body)]
PageForm = Annotated[FormData, Depends(_page_form)]
PageBulkForm = Annotated[FormData, Depends(_page_bulk_form)]
