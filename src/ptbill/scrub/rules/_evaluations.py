"""Which rule reports two evaluation codes billed on one day, so that it is said once.

The NCCI PTP table pairs the evaluation codes with each other (97161/97163, 97162/97164...),
and the evaluation rules report the same thing from E-7 (one evaluation code a day):
EVAL-MULTIPLE two initial evaluations, EVAL-WITH-REEVAL an evaluation with a re-evaluation.
Where the payer has that rule on, NCCI-PTP leaves the pair to it.
"""

from __future__ import annotations

from ptbill.reference.catalog import INITIAL_EVALUATION_CODES, REEVALUATION_CODE
from ptbill.scrub.registry import active_rules
from ptbill.scrub.review import Review


def evaluation_rule_for(a: str, b: str) -> str | None:
    """The evaluation rule that reports codes a and b billed together, if any."""
    if a in INITIAL_EVALUATION_CODES and b in INITIAL_EVALUATION_CODES:
        return "EVAL-MULTIPLE"
    if REEVALUATION_CODE in (a, b) and (
        a in INITIAL_EVALUATION_CODES or b in INITIAL_EVALUATION_CODES
    ):
        return "EVAL-WITH-REEVAL"
    return None


def said_by_evaluation_rules(r: Review, a: str, b: str) -> bool:
    """Whether an evaluation rule the payer has on reports codes a and b billed together."""
    owner = evaluation_rule_for(a, b)
    return owner is not None and any(x.rule.id == owner for x in active_rules(r.profile))
