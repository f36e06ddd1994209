"""Recall and precision of the scrubber on generated visits with labelled mistakes
(ptbill.demo.generator). `python -m tests.scrub.generated_eval [N] [SEED]` prints the table."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field

from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.demo.generator import MISTAKE_KINDS, generate
from ptbill.intake import validate_visits
from ptbill.scrub import ScrubResult, scrub_batch

# The rule(s) that must catch each kind of mistake, as an error.
CATCHES = {
    "invalid_diagnosis": {"DX-NOT-BILLABLE", "DX-INVALID"},
    "no_diagnosis": {"DX-MISSING"},
    "external_cause_first": {"DX-EXTERNAL-CAUSE-FIRST"},
    "bad_pointer": {"DX-POINTER-INVALID"},
    "timed_code_no_minutes": {"CODE-TIMED-NO-MINUTES"},
    "minutes_total_mismatch": {"UNITS-TOTAL-MISMATCH"},
    "medicare_bundled_code": {"CODE-BUNDLED"},
    "medicare_invalid_code": {"CODE-NOT-PAYABLE"},
    "ncci_not_distinct": {"NCCI-PTP"},
    "unsigned_note": {"DOC-UNSIGNED"},
    "missing_note": {"DOC-NOTE-MISSING"},
    "plan_of_care_expired": {"POC-EXPIRED"},
    "certification_late": {"POC-CERT-LATE"},
    "progress_report_overdue": {"PROGRESS-REPORT-OVERDUE"},
    "authorization_exhausted": {"AUTH-EXHAUSTED"},
    "kx_not_documented": {"KX-NOT-DOCUMENTED"},
    "invalid_npi": {"NPI-INVALID"},
    "missing_referring": {"REFERRING-MISSING"},
    "invalid_member_id": {"PATIENT-MEMBER-ID"},
    "eval_and_reeval_same_day": {"EVAL-WITH-REEVAL"},
    "timely_filing": {"TIMELY-FILING"},
}


@dataclass
class Evaluation:
    visits: int = 0
    clean: int = 0
    labelled: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    # Visits where a kind's rules fired as an error: labelled with the kind, clean, or another
    # mistake kind (those rules may be right there too: a visit can break two rules at once).
    fired_clean: Counter[str] = field(default_factory=Counter)
    fired_other: Counter[str] = field(default_factory=Counter)
    clean_errors: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str]] = field(default_factory=list)

    def recall(self, kind: str) -> float:
        return self.caught[kind] / self.labelled[kind] if self.labelled[kind] else 1.0

    def precision(self, kind: str) -> float:
        tp = self.caught[kind]
        return tp / (tp + self.fired_clean[kind]) if tp + self.fired_clean[kind] else 1.0


def evaluate(n: int, seed: int, error_rate: float = 0.25) -> Evaluation:
    docs = generate(n, seed, error_rate=error_rate)
    visits = validate_visits(docs, "generated")
    config = load_config()
    items = []
    for v in visits:
        ctx = resolve(v, config, "generated")
        items.append((v, code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality), ctx))
    # as the CLI does: as of the latest date of service of the run
    results: list[ScrubResult] = scrub_batch(items, max(v.date_of_service for v in visits))
    ev = Evaluation(visits=len(visits))
    for (v, _, _), r in zip(items, results, strict=True):
        kinds = v.extensions["synthetic"]["mistakes"]
        errors = {f.rule for f in r.findings if f.severity == "error"}
        if not kinds:
            ev.clean += 1
            ev.clean_errors.update(errors)
        for kind in MISTAKE_KINDS:
            fired = bool(errors & CATCHES[kind])
            if kind in kinds:
                ev.labelled[kind] += 1
                if fired:
                    ev.caught[kind] += 1
                else:
                    ev.missed.append((v.visit_id, kind))
            elif fired:
                (ev.fired_other if kinds else ev.fired_clean)[kind] += 1
    return ev


def table(ev: Evaluation) -> str:
    rows = [
        f"{ev.visits} visits, {ev.clean} clean; error findings on clean visits: "
        f"{sum(ev.clean_errors.values())} {dict(ev.clean_errors.most_common())}",
        f"{'kind':26} {'labelled':>8} {'caught':>6} {'recall':>7} {'precision':>9} "
        f"{'also on other-mistake visits':>28}",
    ]
    for kind in MISTAKE_KINDS:
        rows.append(
            f"{kind:26} {ev.labelled[kind]:8} {ev.caught[kind]:6} "
            f"{ev.recall(kind):7.1%} {ev.precision(kind):9.1%} "
            f"{ev.fired_other[kind]:28}"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 2026
    print(table(evaluate(n, seed)))
