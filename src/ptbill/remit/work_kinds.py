"""The kinds of work item, in a module of their own: the command line's options read them
without loading the ledger's models (ptbill.remit.worklist does)."""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "denial",
    "rejection",
    "underpayment",
    "unmatched",
    "blocked",
    "eligibility",
    "status",
    "exchange",
    "crossover",
    "cob",
    "refund",
    "collections",
]
KINDS: tuple[str, ...] = get_args(Kind)
