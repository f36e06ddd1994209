"""scrub_visit: run every rule the payer profile has switched on over one coded visit.

A pure function of its inputs: the visit, its coded lines, its payer context, an explicit
`as_of` date (the day the claim would be sent), and optionally the patient's prior coded
visits (`history`) and the other visits of the same run (`batch`). No clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from ptbill.coding.context import VisitContext
from ptbill.domain.coded import CodedVisit
from ptbill.domain.visit import Visit
from ptbill.scrub import rules as _rules  # noqa: F401  (registers every rule)
from ptbill.scrub.findings import Finding, ScrubResult
from ptbill.scrub.registry import rule_steps
from ptbill.scrub.review import Batch, Review


def scrub_visit(
    visit: Visit,
    coded: CodedVisit,
    ctx: VisitContext,
    as_of: dt.date,
    history: Sequence[CodedVisit] | None = None,
    batch: Batch | Iterable[Visit] | None = None,
) -> ScrubResult:
    """Every finding for one visit; `blocked` when any finding is an error.

    `batch` may be a prebuilt Batch (do this for a run: building it is linear in the batch) or
    the run's visits (indexed on each call). `history` holds this patient's prior coded visits.
    """
    review = Review(visit, coded, ctx, as_of, history, Batch.of(batch))
    findings: list[Finding] = []
    blocked = False
    for check, params, active in rule_steps(ctx.profile, review.has):
        for hit in check(review, params):
            finding = active.finding(hit)
            findings.append(finding)
            blocked = blocked or finding.severity == "error"
    return ScrubResult(visit.visit_id, "blocked" if blocked else "ready", tuple(findings))


def scrub_batch(
    items: Sequence[tuple[Visit, CodedVisit, VisitContext]],
    as_of: dt.date,
) -> list[ScrubResult]:
    """Scrub the visits of one run against each other (duplicates in the batch)."""
    batch = Batch((v for v, _, _ in items), (ctx for _, _, ctx in items))
    return [scrub_visit(v, c, ctx, as_of, batch=batch) for v, c, ctx in items]
