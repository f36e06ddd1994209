"""Reports on the ledger: acceptance, clean claims, denials, payments, A/R and its aging."""

from ptbill.reports.report import build_report

__all__ = ["build_report"]
