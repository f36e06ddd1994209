"""What every API route shares: JSON with exact money, and the request's business date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import Response

from ptbill.ledger.jsontext import to_json

AsOf = Annotated[
    dt.date | None,
    Query(
        description="Business date (YYYY-MM-DD); default: the "
        "app's --as-of, else today in the company's time zone"
    ),
]


class LedgerJSON(Response):
    """JSON whose money is a decimal string and whose dates are ISO (never a float)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return to_json(content).encode()


def answer(data: Any, status_code: int = 200) -> LedgerJSON:
    return LedgerJSON(data, status_code=status_code)


def answer_text(text: str, status_code: int) -> Response:
    """An answer already written as JSON (the first answer to a request sent again)."""
    return Response(text, status_code=status_code, media_type="application/json")


def app_state(request: Request) -> Any:
    return request.app.state


# The request bodies, for the OpenAPI document: no route declares its body as a parameter
# (FastAPI would read it before checking who is asking; see ptbill.web.bodies).
def file_body(description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": description,
                            }
                        },
                    }
                }
            },
        }
    }


def inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic model's JSON schema with its `$defs` put in place of their references (a
    request body's schema sits inside the OpenAPI document, where `#/$defs/...` means
    nothing)."""
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


# Where a request body's shape is told (the fix of a body the API refuses).
API_DOCS = "the API's documentation at /api/docs"

VISIT_BODY = json_body(
    {"type": "object", "description": "a visit in the interchange format (`ptbill schema visit`)"},
    "One visit, at most 2 MiB",
)
