"""What the scrubber answers: findings, each naming its rule, line, codes, dates and fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ptbill.domain.records import quick_init

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# The category vocabulary of interfaces.md (`ptbill scrub --json`); nothing else is allowed.
CATEGORIES = (
    "units",
    "modifier",
    "ncci",
    "mue",
    "bundled",
    "diagnosis",
    "evaluation",
    "plan_of_care",
    "progress_report",
    "authorization",
    "threshold",
    "timely_filing",
    "documentation",
    "provider",
    "patient",
    "coverage",
    "duplicate",
)


class Hit(NamedTuple):
    """What a rule reports; the engine adds the rule's id, category, severity and citation."""

    message: str
    fix: str
    line: int | None = None
    # Set only when this hit deliberately differs from the rule's severity (a warning window).
    severity: Severity | None = None
    data_release: str | None = None


@quick_init
@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    category: str
    severity: Severity
    # 1-based position in CodedVisit.lines, or None for the whole claim.
    line: int | None
    message: str
    fix: str
    citation: tuple[str, ...] = ()
    # The reference data release the finding rests on (NCCI, MUE, ICD-10-CM), where relevant.
    data_release: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "category": self.category,
            "severity": self.severity,
            "line": self.line,
            "message": self.message,
            "fix": self.fix,
            "citation": list(self.citation),
        }
        if self.data_release is not None:
            out["data_release"] = self.data_release
        return out


@quick_init
@dataclass(frozen=True, slots=True)
class ScrubResult:
    visit_id: str
    status: Literal["ready", "blocked"]
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    def rules(self) -> set[str]:
        return {f.rule for f in self.findings}

    def to_json(self) -> dict[str, Any]:
        return {
            "visit_id": self.visit_id,
            "status": self.status,
            "findings": [f.to_json() for f in self.findings],
        }
