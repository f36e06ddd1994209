"""The vocabulary of the work queue, in a module of its own: the command line's options read it
without loading the ledger's models (ptbill.remit.worklist does).

- `KINDS`: the kinds of work item.
- `CHARGE_KINDS`: the kinds whose amount is the claim's whole charge (a blocked claim has an
  item per finding, each carrying the charge): a total counts that charge once per claim.
  The other kinds' amounts are their own (a denial's adjustment, an unmatched payment).
- `DUE_WINDOWS`: the deadline windows a list is filtered by, from the business date.
- `GROUP_BYS`: what a list is grouped by.
- `BULK_ACTIONS`: what a bulk action does to each claim of a selection.
"""

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
    "refund",  # money to give back: to a payer (over-payments) or a patient (credits)
    "collections",
]
KINDS: tuple[str, ...] = get_args(Kind)
CHARGE_KINDS: tuple[str, ...] = ("blocked", "rejection", "status")

DueWindow = Literal["overdue", "7d", "30d", "later"]
DUE_WINDOWS: tuple[str, ...] = get_args(DueWindow)
DUE_HELP = (
    "overdue: due before the business date; 7d, 30d: due from the business date to 7 (30) "
    "days after it; later: due more than 30 days after it"
)

GroupBy = Literal["rule", "reason", "kind", "category", "payer", "clinic"]
GROUP_BYS: tuple[str, ...] = get_args(GroupBy)
GROUP_HELP = (
    "rule: the scrub rule holding a blocked claim (other items by kind); reason: the kind, "
    "category and CARC (the denial reason); kind; category; payer; clinic"
)

BulkName = Literal["writeoff", "correct", "appeal", "rescrub"]
BULK_ACTIONS: tuple[str, ...] = get_args(BulkName)
NONE = "-"  # a rule or CARC filter of "-": the items that have none
