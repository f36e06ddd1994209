"""What `ptbill export` exports and in which formats, in a module of their own: the command
line's options read them without loading the ledger's models (ptbill.reports.export does)."""

from __future__ import annotations

from typing import Literal, get_args

What = Literal["claims", "payments", "adjustments", "work-items", "patient-transactions"]
Format = Literal["csv", "jsonl"]
WHATS: tuple[str, ...] = get_args(What)
FORMATS: tuple[str, ...] = get_args(Format)
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
