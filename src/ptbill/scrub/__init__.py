"""The claim scrubber: every payer rule a documented, cited, tested check (issue #3).

`scrub_visit(visit, coded, ctx, as_of, history=None, batch=None) -> ScrubResult`; the rule
catalog is `RULES` (docs/rules.md is generated from it).
"""

from ptbill.scrub.engine import scrub_batch, scrub_visit
from ptbill.scrub.findings import CATEGORIES, Finding, ScrubResult
from ptbill.scrub.registry import RULES, Rule, active_rules
from ptbill.scrub.review import Batch

__all__ = [
    "CATEGORIES",
    "RULES",
    "Batch",
    "Finding",
    "Rule",
    "ScrubResult",
    "active_rules",
    "scrub_batch",
    "scrub_visit",
]
