"""Evaluations 97161-97164: one a day, never with a re-evaluation, re-evaluations with a
reason, and the complexity level the documented components support (billing-rules.md §4)."""

from __future__ import annotations

from collections.abc import Iterator

from ptbill.domain.visit import EvaluationComponents
from ptbill.reference.catalog import INITIAL_EVALUATION_CODES, REEVALUATION_CODE
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._text import listing

LEVELS = ("low", "moderate", "high")
LEVEL_OF_CODE = {"97161": 0, "97162": 1, "97163": 2}
CODE_OF_LEVEL = {v: k for k, v in LEVEL_OF_CODE.items()}


@rule("EVAL-MULTIPLE", "evaluation", "error", ("E-7",), needs=Needs.EVALUATION)
def eval_multiple(r: Review, p: NoParams) -> Iterator[Hit]:
    """More than one initial evaluation on one day.

    *What it checks*: at most one of 97161, 97162, 97163 is billed, with 1 unit. Where the
    payer's PTP table pairs two of them, this finding stands for that edit too (NCCI-PTP leaves
    the pair to it).
    *Why payers care*: one evaluation code per discipline per day, 1 unit (E-7); a second is
    denied as a duplicate.
    *Fails*: 97161 and 97163 on one visit.
    *Passes*: 97163 alone.
    *Fix*: bill the one evaluation level the documentation supports.
    """
    if not r.evaluation_lines:
        return
    evals = [(n, x) for n, x in r.evaluation_lines if x.code in INITIAL_EVALUATION_CODES]
    units = sum(x.units for _, x in evals)
    if units > 1:
        codes = listing(f"{x.code} x{x.units}" if x.units > 1 else x.code for _, x in evals)
        yield Hit(
            f"{units} initial evaluation units billed on {r.dos} ({codes}); one a day",
            "bill one initial evaluation, at the level the documentation supports",
            evals[-1][0] if len(evals) > 1 else evals[0][0],
        )


@rule(
    "EVAL-WITH-REEVAL",
    "evaluation",
    "error",
    ("E-4", "E-7", "MBPM15-220.3C"),
    needs=Needs.EVALUATION,
)
def eval_with_reeval(r: Review, p: NoParams) -> Iterator[Hit]:
    """An initial evaluation and a re-evaluation billed the same day.

    *What it checks*: 97164 is not billed with 97161, 97162 or 97163. Where the payer's PTP
    table pairs them, this finding stands for that edit too (NCCI-PTP leaves the pair to it).
    *Why payers care*: a re-evaluation revisits an existing plan of care (E-4); on the day of
    the initial evaluation there is none, and one evaluation code per day applies (E-7).
    *Fails*: 97162 and 97164 on one visit.
    *Passes*: 97162 alone.
    *Fix*: bill only the initial evaluation.
    """
    if not r.evaluation_lines:
        return
    initial = [x.code for _, x in r.evaluation_lines if x.code in INITIAL_EVALUATION_CODES]
    for n, x in r.evaluation_lines:
        if x.code == REEVALUATION_CODE and initial:
            yield Hit(
                f"re-evaluation 97164 billed with initial evaluation {listing(initial)} on {r.dos}",
                "remove 97164: the initial evaluation covers the day",
                n,
            )


@rule(
    "REEVAL-NO-REASON",
    "evaluation",
    "warning",
    ("E-5", "MBPM15-220.3C", "NORIDIAN-97164-TPE"),
    needs=Needs.EVALUATION,
)
def reeval_no_reason(r: Review, p: NoParams) -> Iterator[Hit]:
    """A re-evaluation (97164) without the reason that makes it payable.

    *What it checks*: a billed 97164 has `reevaluation_reason` (new clinical findings, a
    significant change, no response to the plan, or a planned discharge). An error for Medicare.
    *Why payers care*: Medicare pays a re-evaluation only when the documentation shows such a
    reason; routine or scheduled re-evaluations are not payable and reviewers deny them (E-5,
    MBPM15-220.3C, NORIDIAN-97164-TPE).
    *Fails*: `{"code": "97164"}`.
    *Passes*: `{"code": "97164", "reevaluation_reason": "new fall, balance worse"}`.
    *Fix*: document the change that made the re-evaluation necessary, or do not bill 97164.
    """
    for n, x in r.evaluation_lines:
        if x.code != REEVALUATION_CODE:
            continue
        reasons = [
            s.reevaluation_reason
            for s in r.services_of(x)
            if s.reevaluation_reason and s.reevaluation_reason.strip()
        ]
        if not reasons:
            yield Hit(
                "97164 (re-evaluation) has no documented reason: routine re-evaluations "
                f"are not payable by {r.profile.name}",
                "document the new findings, change in condition or failure to respond "
                "(reevaluation_reason), or do not bill 97164",
                n,
            )


def _supported(c: EvaluationComponents) -> list[tuple[str, int]]:
    """The highest level each documented component supports (E-1), by component."""
    out = []
    if c.history_factors is not None:
        out.append(
            (
                f"{c.history_factors} history factor(s)",
                0 if c.history_factors == 0 else 1 if c.history_factors <= 2 else 2,
            )
        )
    if c.exam_elements is not None:
        level = (
            -1
            if c.exam_elements == 0
            else (0 if c.exam_elements <= 2 else 1 if c.exam_elements == 3 else 2)
        )
        out.append((f"{c.exam_elements} examination element(s)", level))
    if c.presentation is not None:
        out.append(
            (
                f"a {c.presentation} presentation",
                ("stable", "evolving", "unstable").index(c.presentation),
            )
        )
    if c.decision_making is not None:
        out.append((f"{c.decision_making} decision making", LEVELS.index(c.decision_making)))
    return out


@rule(
    "EVAL-COMPLEXITY",
    "evaluation",
    "error",
    ("E-1", "E-2", "E-3", "CLINICIENT-EVAL", "APTA-2017-EVAL"),
    needs=Needs.EVALUATION,
)
def eval_complexity(r: Review, p: NoParams) -> Iterator[Hit]:
    """An evaluation level higher than its documented components support.

    *What it checks*: when a 97161-97163 service gives `evaluation` components, the billed level
    is the least complex level that every given component supports (E-3): history factors none
    / 1-2 / 3+, examination elements 1-2 / 3 / 4+, presentation stable / evolving / unstable,
    decision making low / moderate / high (E-1). A level below what they support is reported
    as info.
    *Why payers care*: all four components are required for a level (E-1); a level the
    components do not support is upcoding, the first thing a reviewer checks.
    *Fails*: 97163 with `{"history_factors": 1, "exam_elements": 4, "presentation": "unstable",
    "decision_making": "high"}` (history supports moderate).
    *Passes*: 97162 with the same components.
    *Fix*: bill the level the components support, or complete the documentation of the
    components that were actually assessed.
    """
    for n, x in r.evaluation_lines:
        billed = LEVEL_OF_CODE.get(x.code)
        if billed is None:
            continue
        for s in r.services_of(x):
            if s.evaluation is None:
                continue
            parts = _supported(s.evaluation)
            if not parts:
                continue
            supported = min(level for _, level in parts)
            if billed == supported:
                continue  # the usual case: the level the components support
            limiting = listing(name for name, level in parts if level == supported)
            if supported < 0:
                yield Hit(
                    f"{x.code}: {limiting} support no evaluation level",
                    "document the examination elements assessed",
                    n,
                )
            elif billed > supported:
                yield Hit(
                    f"{x.code} ({LEVELS[billed]} complexity) is billed, but {limiting} "
                    f"support only {LEVELS[supported]} ({CODE_OF_LEVEL[supported]})",
                    f"bill {CODE_OF_LEVEL[supported]}, or document the components that "
                    "support the higher level",
                    n,
                )
            elif billed < supported:
                yield Hit(
                    f"{x.code} ({LEVELS[billed]}) is billed; the documented components "
                    f"support {LEVELS[supported]} ({CODE_OF_LEVEL[supported]})",
                    f"consider {CODE_OF_LEVEL[supported]}",
                    n,
                    "info",
                )
