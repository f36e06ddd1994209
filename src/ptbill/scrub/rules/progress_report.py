"""Progress reports: at least once every 10 treatment days, written by the therapist
(billing-rules.md D-8)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ptbill.scrub.findings import Hit
from ptbill.scrub.params import Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review

ASSISTANT_CREDENTIALS = ("PTA", "LPTA")


@lru_cache(maxsize=1024)  # a clinic has few providers
def credential(raw: str | None) -> str:
    return (raw or "").replace(".", "").replace(" ", "").upper()


@dataclass(frozen=True, slots=True)
class OverdueParams(Params):
    every: int = param(10, "a progress report at least once every this many treatment days")


@rule(
    "PROGRESS-REPORT-OVERDUE",
    "progress_report",
    "error",
    ("D-8", "MBPM15-220.3D", "CMS-FAQ2003"),
    params=OverdueParams,
)
def progress_overdue(r: Review, p: OverdueParams) -> Iterator[Hit]:
    """A visit past the 10th treatment day since the last progress report, without one.

    *What it checks*: from `episode.visit_number` and `last_progress_report_visit`: the first
    reporting period starts on visit 1 (the evaluation day); after a report on visit L the next
    starts on visit L+1. A visit that is the `every`-th (10th) day of its period without
    `progress_report_this_visit` is reported as due (warning); a later visit as overdue (error).
    *Why payers care*: the therapist must write a progress report at least once every 10
    treatment days (D-8, MBPM15-220.3D, CMS-FAQ2003); visits past the 10th day without one are
    not supported.
    *Fails*: `"visit_number": 12, "last_progress_report_visit": null`.
    *Passes*: `"visit_number": 12, "last_progress_report_visit": 10`, or `"visit_number": 12,
    "progress_report_this_visit": true`.
    *Fix*: have the therapist write the progress report (this visit, if it is due today).
    """
    ep = r.episode
    if ep is None or ep.visit_number is None or ep.progress_report_this_visit:
        return
    last = ep.last_progress_report_visit
    start = 1 if last is None else last + 1
    day = ep.visit_number - start + 1
    if day < p.every:
        return  # the usual visit: the report is not due yet
    since = "the evaluation" if last is None else f"the progress report on visit {last}"
    due_by = start + p.every - 1
    if day > p.every:
        yield Hit(
            f"visit {ep.visit_number} is treatment day {day} since {since}: a progress "
            f"report was due by visit {due_by}",
            "have the therapist write the progress report before billing this visit",
        )
    elif day == p.every:
        yield Hit(
            f"visit {ep.visit_number} is treatment day {day} since {since}: the progress "
            "report is due this visit",
            "write the progress report today",
            severity="warning",
        )


@dataclass(frozen=True, slots=True)
class ByAssistantParams(Params):
    assistant_credentials: tuple[str, ...] = param(
        ASSISTANT_CREDENTIALS, "credentials of assistants, who may not write a progress report"
    )


@rule(
    "PROGRESS-REPORT-BY-ASSISTANT",
    "progress_report",
    "error",
    ("D-8", "MBPM15-220.3D"),
    params=ByAssistantParams,
    needs=Needs.PROGRESS_REPORT,
)
def progress_by_assistant(r: Review, p: ByAssistantParams) -> Iterator[Hit]:
    """A progress report on a visit whose rendering provider is an assistant.

    *What it checks*: when `progress_report_this_visit` is true, the rendering provider's
    credential is not an assistant's (`assistant_credentials`: PTA).
    *Why payers care*: the progress report must be written by the clinician (PT, not PTA); PTA
    notes may supplement it but never replace it (D-8).
    *Fails*: `"progress_report_this_visit": true` with a rendering credential of PTA.
    *Passes*: the same with a PT.
    *Fix*: have the supervising PT write and sign the progress report.
    """
    ep = r.episode
    if ep is None or not ep.progress_report_this_visit:
        return
    cred = credential(r.visit.rendering_provider.credential)
    if cred in p.assistant_credentials:
        yield Hit(
            f"the progress report on visit {ep.visit_number or '?'} is attributed to a "
            f"{cred}; only the therapist may write it",
            "have the supervising PT write and sign the progress report",
        )
