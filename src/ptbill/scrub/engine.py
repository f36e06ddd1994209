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
from ptbill.scrub.findings import Finding, ScrubResult, Severity
from ptbill.scrub.registry import active_rules
from ptbill.scrub.review import Batch, Review

_RANK = {"error": 0, "warning": 1, "info": 2}


def _softer(a: Severity, b: Severity) -> Severity:
    return a if _RANK[a] >= _RANK[b] else b


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
    for active in active_rules(ctx.profile):
        for hit in active.check(review, active.params):
            r, severity = active.rule, active.severity
            if hit.severity is not None:
                severity = _softer(hit.severity, severity) if active.severity_set else hit.severity
            findings.append(
                Finding(
                    r.id,
                    r.category,
                    severity,
                    hit.line,
                    hit.message,
                    hit.fix,
                    r.citation,
                    hit.data_release,
                )
            )
    blocked = any(f.severity == "error" for f in findings)
    return ScrubResult(visit.visit_id, "blocked" if blocked else "ready", tuple(findings))


def scrub_batch(
    items: Sequence[tuple[Visit, CodedVisit, VisitContext]],
    as_of: dt.date,
) -> list[ScrubResult]:
    """Scrub the visits of one run against each other (duplicates in the batch)."""
    batch = Batch(v for v, _, _ in items)
    return [scrub_visit(v, c, ctx, as_of, batch=batch) for v, c, ctx in items]
