"""The biller's workbench: a FastAPI app (REST API + server-rendered pages) over the ledger.

`create_app(settings)` builds it (ptbill.web.app); imported lazily, so that the command line,
which imports this package for `ptbill user` and `ptbill serve`, does not load the web stack
for every other command.
"""

from __future__ import annotations

from typing import Any

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from ptbill.web.app import create_app

        return create_app
    if name == "WebSettings":
        from ptbill.web.settings import WebSettings

        return WebSettings
    raise AttributeError(name)
