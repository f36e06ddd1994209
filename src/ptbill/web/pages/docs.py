"""The API reference, rendered here from the app's OpenAPI document (Swagger UI would load
its scripts from a CDN; the workbench serves every asset itself)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ptbill.web.auth import MaybeUser
from ptbill.web.rendering import page

router = APIRouter(include_in_schema=False)


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "description": p.get("description")
                    or p.get("schema", {}).get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or ["other"])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": ", ".join(body),
                    "responses": sorted(op.get("responses", {})),
                }
            )
    return sorted(out, key=lambda o: (o["tag"], o["path"], o["method"]))


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, who: MaybeUser) -> HTMLResponse:
    spec = request.app.openapi()
    return page(request, "api_docs.html", spec=spec, operations=_operations(spec))
