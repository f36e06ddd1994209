"""The kinds of work item, in a module of their own: the command line's options read them
without loading the ledger's models (ptbill.remit.worklist does)."""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "denial",
    "rejection",
    "underpayment",
    "overpayment",  # money paid above what is owed, to refund (docs/ledger.md)
    "unmatched",
    "blocked",
    "eligibility",
    "status",
    "exchange",
]
KINDS: tuple[str, ...] = get_args(Kind)
