"""What the scrubber computes once and then reuses (per run, per profile, per diagnosis list or
date) answers exactly as computing it afresh would."""

from __future__ import annotations

import datetime as dt

from ptbill.domain import Visit
from ptbill.scrub import Batch, scrub_visit
from ptbill.scrub.rules._dates import days_after
from tests.scrub.helpers import AS_OF, base_dict, coded_for, context, profile_for, run_case


def _visit(**changes: object) -> Visit:
    d = base_dict()
    d.update(changes)
    return Visit.model_validate(d)


def test_batch_others_sees_visits_outside_the_batch_with_the_same_id() -> None:
    v = _visit()
    same_day = _visit(visit_id="V-TEST-2")
    batch = Batch([v])
    assert batch.others(v) == ([], [])  # alone in its run
    copy = _visit()  # the same visit_id, but not one of the batch's visits
    assert batch.others(copy) == ([v], [])
    pair = Batch([v, same_day])  # one patient, one day, two visit ids
    assert pair.others(v) == ([], [same_day])
    assert pair.others(same_day) == ([], [v])


def _timely(as_of: str, rules: dict[str, object] | None = None) -> list[tuple[str, str]]:
    r = run_case({"as_of": as_of, **({"rules": rules} if rules else {})})
    return [(f.severity, f.message) for f in r.findings if f.rule == "TIMELY-FILING"]


def test_a_hit_gets_each_profiles_severity_however_often_it_recurs() -> None:
    # Date of service 2026-03-02, Medicare's 365 days: the limit ends 2027-03-02, ten days
    # after this as-of date, so the rule warns (its hits carry their own warning severity).
    default = _timely("2027-02-20")
    assert [s for s, _ in default] == ["warning"]
    # A profile severity caps the hit's severity; it never raises it.
    assert [s for s, _ in _timely("2027-02-20", {"TIMELY-FILING": {"severity": "info"}})] == [
        "info"
    ]
    assert [s for s, _ in _timely("2027-02-20", {"TIMELY-FILING": {"severity": "error"}})] == [
        "warning"
    ]
    assert _timely("2027-02-20") == default
    # Past the limit the hit has no severity of its own: the rule's error.
    assert [s for s, _ in _timely("2027-03-10")] == ["error"]


def test_repeated_visits_of_a_run_get_the_findings_of_a_visit_scrubbed_alone() -> None:
    profile = profile_for("medicare")
    services = [
        {"code": "97140", "minutes": 15, "note": {"purpose": "p", "response": "r"}},
        {"code": "97530", "minutes": 15, "note": {"purpose": "p", "response": "r"}},
    ]
    visits = [
        _visit(
            visit_id=f"V-{i}",
            patient={**base_dict()["patient"], "id": f"P-{i}"},
            services=services,
            total_timed_minutes=30,
            diagnoses=["M17.11", "M1711"] if i % 2 else ["M17.11", "M25.561"],
        )
        for i in range(4)
    ]
    batch = Batch(visits)
    for v in visits:
        ctx = context(v, profile)
        coded = coded_for(v, ctx)
        in_run = scrub_visit(v, coded, ctx, AS_OF, batch=batch)
        alone = scrub_visit(v, coded, ctx, AS_OF)
        assert in_run == alone
        # 97140/97530 pair without anything distinct documented (NCCI PTP, indicator 1)
        assert "NCCI-PTP" in in_run.rules()
        # "M1711" repeats "M17.11" once the dot is ignored; "M25.561" is another code
        assert ("DX-DUPLICATE" in in_run.rules()) == (v.diagnoses[1] == "M1711")


def test_days_after_counts_calendar_days() -> None:
    assert days_after(dt.date(2026, 2, 16), 30) == dt.date(2026, 3, 18)
    assert days_after(dt.date(2024, 2, 28), 1) == dt.date(2024, 2, 29)  # a leap year
    assert days_after(dt.date(2026, 3, 2), 365) == dt.date(2027, 3, 2)
