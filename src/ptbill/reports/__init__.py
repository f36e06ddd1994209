"""Reports on the ledger: acceptance, clean claims, denials, payments, A/R and its aging; and
the ledger's rows exported as files (ptbill.reports.export)."""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:
    # Loaded when asked for: the command line reads ptbill.reports.export_names without the
    # ledger's models.
    if name == "build_report":
        from ptbill.reports.report import build_report

        return build_report
    raise AttributeError(name)
