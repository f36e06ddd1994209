"""Duplicates in linear time (issue #19, item 6): a visit copied many times into a run (an
export sent twice, or worse) gives one DUP-IN-BATCH finding per copy, of a size that does not
grow with the number of copies; the same for DUP-BILLED-BEFORE against a history of copies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.domain import Visit
from ptbill.scrub import Batch, ScrubResult, scrub_batch, scrub_visit
from tests.scrub.helpers import AS_OF, base_dict, coded_for, context, profile_for


def _copies(n: int) -> list[Visit]:
    """n copies of one visit: every third under the visit's own id, the others renumbered (an
    export re-sent with new ids)."""
    out = []
    for i in range(n):
        d = base_dict()
        if i % 3:
            d["visit_id"] = f"V-COPY-{i}"
        out.append(Visit.model_validate(d))
    return out


def _scrub(visits: list[Visit]) -> list[ScrubResult]:
    profile = profile_for("medicare")
    items = []
    for v in visits:
        ctx = context(v, profile)
        items.append((v, coded_for(v, ctx), ctx))
    return scrub_batch(items, AS_OF)


def _dup_findings(results: list[ScrubResult], rule: str) -> list[list[str]]:
    return [[json.dumps(f.to_json()) for f in r.findings if f.rule == rule] for r in results]


@pytest.mark.parametrize("n", [2, 30, 300])
def test_one_finding_per_copy_of_a_size_that_does_not_grow_with_the_copies(n: int) -> None:
    results = _scrub(_copies(n))
    found = _dup_findings(results, "DUP-IN-BATCH")
    assert [len(f) for f in found] == [1] * n  # every copy flagged, once
    assert all(r.blocked for r in results)
    # The findings of n copies are no larger than those of 7 copies (the first to name three
    # and count the rest), but for the digits of the three counts: linear overall.
    small = max(len(f[0]) for f in _dup_findings(_scrub(_copies(7)), "DUP-IN-BATCH"))
    assert max(len(f[0]) for f in found) <= small + 3 * len(str(n))


def test_the_finding_counts_every_other_copy_and_names_the_first_few() -> None:
    results = _scrub(_copies(300))
    first = results[0].findings[0]  # the visit under its own id
    assert first.rule == "DUP-IN-BATCH"
    # 100 copies carry V-TEST-1 (every third); 200 are renumbered
    assert first.message == (
        "visit V-TEST-1 appears 100 times in this run; 200 other visits of the same patient "
        "on 2026-03-02 also bill 97110 or 97140: V-COPY-1, V-COPY-2, V-COPY-4 and 197 more"
    )
    renumbered = results[1].findings[0]
    assert renumbered.message == (
        "299 other visits of the same patient on 2026-03-02 also bill 97110 or 97140: "
        "V-TEST-1, V-COPY-2, V-COPY-4 and 296 more"
    )


def test_copies_that_share_no_code_with_a_visit_are_not_its_duplicates() -> None:
    visits = _copies(4)
    d = base_dict()
    d["visit_id"] = "V-OTHER"
    d["services"] = [{**d["services"][0], "code": "97112"}]
    other = Visit.model_validate(d)
    batch = Batch([*visits, other])
    assert batch.same_day(other) is None
    same = batch.same_day(visits[0])
    assert same is not None and (same.visits, same.codes) == (2, ("97110", "97140"))
    assert batch.copies(visits[0]) == 1 and batch.copies(visits[1]) == 0


@pytest.mark.parametrize("n", [1, 30, 300])
def test_one_billed_before_finding_however_many_copies_the_history_holds(n: int) -> None:
    v = Visit.model_validate(base_dict())
    ctx = context(v, profile_for("medicare"))
    history = [coded_for(c, ctx) for c in _copies(n)]
    result = scrub_visit(v, coded_for(v, ctx), ctx, AS_OF, history=history)
    (finding,) = [f for f in result.findings if f.rule == "DUP-BILLED-BEFORE"]
    assert len(finding.message) <= 200, finding.message
    if n > 1:
        assert f"already billed {(n + 2) // 3} times" in finding.message
        assert f"({n - (n + 2) // 3} visits: V-COPY-1, V-COPY-2, V-COPY-4" in finding.message


def _billed_by(visit_id: str, npi: str | None) -> Visit:
    """The base visit under another id, billed by the configured clinic (None) or by a
    practice of this NPI given in full (a `billing_provider`)."""
    d = base_dict()
    d["visit_id"] = visit_id
    if npi is not None:
        del d["clinic"]
        d["billing_provider"] = {
            "name": "A Practice",
            "npi": npi,
            "tax_id": "37-7654321",
            "address": {"line1": "1 Main St", "city": "Springfield", "state": "IL", "zip": "62701"},
        }
    return Visit.model_validate(d)


def test_the_same_patient_id_at_two_billing_providers_is_two_patients() -> None:
    """A patient id is the clinic's own: two clinics' patients P-1 seen on one day for the
    same codes are not duplicates of each other, whether the clinics are configured or given
    in full; the configured clinic named by key or by its NPI is one clinic."""
    elm, other = _billed_by("V-ELM", None), _billed_by("V-OTHER-PRACTICE", "1245319599")
    assert _dup_findings(_scrub([elm, other]), "DUP-IN-BATCH") == [[], []]
    two_practices = [_billed_by("V-A", "1245319599"), _billed_by("V-B", "1003000126")]
    assert _dup_findings(_scrub(two_practices), "DUP-IN-BATCH") == [[], []]
    by_npi = _billed_by("V-ELM-BY-NPI", "1234567893")  # the configured clinic's NPI
    found = _dup_findings(_scrub([elm, by_npi]), "DUP-IN-BATCH")
    assert [len(f) for f in found] == [1, 1]
    assert "visit V-ELM-BY-NPI of the same patient" in found[0][0]


def test_the_cli_counts_a_clinic_named_by_key_and_by_npi_as_one(tmp_path: Path) -> None:
    """`ptbill scrub` keeps only the possible duplicates between its passes: it too knows the
    configured clinic named by its key and by its NPI as one clinic (it compared the names)."""
    path = tmp_path / "visits.jsonl"
    visits = [_billed_by("V-ELM", None), _billed_by("V-ELM-BY-NPI", "1234567893")]
    path.write_text("".join(v.model_dump_json(exclude_unset=True) + "\n" for v in visits))
    for output in ("--json", "--jsonl"):
        r = CliRunner().invoke(cli, ["scrub", output, "--as-of", AS_OF.isoformat(), str(path)])
        lines = r.stdout.splitlines()
        results = json.loads(r.stdout) if output == "--json" else [json.loads(x) for x in lines]
        rules = [[f["rule"] for f in v["findings"]] for v in results]
        assert all("DUP-IN-BATCH" in found for found in rules), (output, rules)
