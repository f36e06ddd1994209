"""`import`: visits stored once per visit id, coded, priced and scrubbed into ready or blocked
claims; episode context derived from history when a file leaves it out."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ptbill.config.profiles import Config
from ptbill.demo.generator import generate
from ptbill.domain.visit import Visit
from ptbill.errors import InputErrors
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import Batched, ImportSummary, import_files
from ptbill.ledger.reading import raw_batches
from ptbill.ledger.states import State
from ptbill.remit.post import post_text
from tests.ledger.helpers import (
    SUBMIT_DAY,
    WHO,
    claim,
    decision,
    medicare_visit,
    open_items,
    paid,
    remit_of,
    sim_claims,
    table_counts,
    write_visits,
)
from tests.ledger.helpers import import_and_submit as import_submit

D = Decimal


def _import(ledger: Ledger, config: Config, path: str, as_of: dt.date = SUBMIT_DAY):
    with ledger.transaction() as s:
        return import_files(s, [path], as_of=as_of, config=config, who=WHO)


def test_generated_visits_become_ready_or_blocked_claims(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    visits = generate(60, 7, start=dt.date(2025, 3, 3), days=5)
    path = write_visits(tmp_path / "v.jsonl", visits)
    summary = _import(ledger, config, path, dt.date(2025, 3, 12))
    assert summary.new == 60 and summary.ready + len(summary.blocked) == 60
    with ledger.transaction() as s:
        states = [c.state for c in s.scalars(select(m.Claim))]
        assert states.count(State.READY) == summary.ready
        assert states.count(State.BLOCKED) == len(summary.blocked)
        for number in summary.blocked:  # every blocked claim says what to fix
            assert any(w.kind == "blocked" for w in open_items(s, number))
        # two moves per new claim, each audited: created as draft, then scrubbed
        assert table_counts(s)["audit"] == 2 * 60


def test_import_is_idempotent_by_visit_id(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), medicare_visit("V-2")])
    _import(ledger, config, path)
    with ledger.transaction() as s:
        before = table_counts(s)
    again = _import(ledger, config, path)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)
    with ledger.transaction() as s:
        assert table_counts(s) == before


def test_money_is_exact(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    _import(ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")]))
    with ledger.transaction() as s:
        c = claim(s, "V-1")
        # 97110 x2 at $48.00 and 97140 x1 at $47.00 (the demo clinic's chargemaster)
        assert c.charge == D("143.00") and isinstance(c.charge, Decimal)
        lines = s.scalars(select(m.ClaimLine).order_by(m.ClaimLine.line_number)).all()
        assert [(x.code, x.units, x.charge) for x in lines] == [
            ("97110", 2, D("96.00")),
            ("97140", 1, D("47.00")),
        ]
        assert [x.control_number for x in lines] == ["V-1-1", "V-1-2"]


def test_a_changed_visit_updates_its_unsubmitted_claim(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    bad = medicare_visit("V-1", diagnoses=[])  # no diagnosis: blocked
    _import(ledger, config, write_visits(tmp_path / "a.jsonl", [bad]))
    with ledger.transaction() as s:
        assert claim(s, "V-1").state == State.BLOCKED
        assert any(w.kind == "blocked" for w in open_items(s, "V-1"))
    summary = _import(ledger, config, write_visits(tmp_path / "b.jsonl", [medicare_visit("V-1")]))
    assert (summary.new, summary.updated) == (0, 1)
    with ledger.transaction() as s:
        c = claim(s, "V-1")
        assert (c.state, c.version) == (State.READY, 1)
        assert [w.kind for w in open_items(s, "V-1")] == []  # the fix closed the item
        moves = [
            (a.from_state, a.to_state)
            for a in s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.claim_id == c.id).order_by(m.AuditEntry.id)
            )
        ]
        assert moves == [(None, "draft"), ("draft", "blocked"), ("blocked", "ready")]
        assert table_counts(s)["claims"] == 1


def test_a_visit_changed_after_submission_is_stored_but_not_sent(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    import_submit(ledger, config, write_visits(tmp_path / "a.jsonl", [medicare_visit("V-1")]))
    changed = medicare_visit("V-1", total_timed_minutes=38)
    changed["services"][1]["minutes"] = 14
    changed["services"][0]["note"]["purpose"] = "quad strength for stairs, documented better"
    summary = _import(ledger, config, write_visits(tmp_path / "b.jsonl", [changed]))
    assert summary.held == ["V-1"]
    with ledger.transaction() as s:
        c = claim(s, "V-1")
        assert c.state == State.SUBMITTED and c.version == 1
        stored = json.loads(s.get(m.Visit, c.visit_pk).source_json)
        assert "documented better" in stored["services"][0]["note"]["purpose"]


def test_bad_input_writes_nothing_and_names_every_bad_visit(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    good = medicare_visit("V-1")
    bad1 = medicare_visit("V-2", date_of_service="03/02/2025")
    bad2 = medicare_visit("V-3")
    bad2["services"][0]["minuts"] = 5
    path = write_visits(tmp_path / "v.jsonl", [good, bad1, bad2])
    with pytest.raises(InputErrors) as e:
        _import(ledger, config, path)
    rendered = [x.render() for x in e.value.errors]
    assert any("V-2" in r and "date_of_service" in r for r in rendered)
    assert any("V-3" in r and "minuts" in r for r in rendered)
    with ledger.transaction() as s:
        assert table_counts(s)["visits"] == 0 and table_counts(s)["claims"] == 0


def test_a_charge_finer_than_a_cent_is_refused_as_scrub_refuses_it(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    # The visit format's money has at most two decimals (docs/visit-format.md). A JSON number
    # read as a float would be 48.5 and pass; read exactly it has 16 decimals.
    visit = medicare_visit("V-1")
    visit["services"][0]["charge"] = "CHARGE"
    path = tmp_path / "v.jsonl"
    path.write_text(json.dumps(visit).replace('"CHARGE"', "48.5000000000000001") + "\n")
    with pytest.raises(InputErrors) as e:
        _import(ledger, config, str(path))
    assert any("services[0].charge" in x.render() for x in e.value.errors)
    with ledger.transaction() as s:
        assert table_counts(s)["visits"] == 0


def test_a_json_lines_file_saved_with_a_bom_is_imported_as_scrub_reads_it(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    # Windows tools save UTF-8 with a byte order mark; scrub read such a file, import refused
    # it ("Unexpected UTF-8 BOM").
    path = tmp_path / "v.jsonl"
    write_visits(path, [medicare_visit("V-1"), medicare_visit("V-2")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    summary = _import(ledger, config, str(path))
    assert summary.new == 2
    with ledger.transaction() as s:
        assert table_counts(s)["visits"] == 2


def test_a_json_list_is_read_an_element_at_a_time(tmp_path: Path) -> None:
    # A list is not read whole (an 80 MB list on one line took some 600 MB): its first batch
    # comes before the broken end of the file is met.
    visits = [json.dumps(medicare_visit(f"V-{n}")) for n in range(20)]
    path = tmp_path / "list.json"
    path.write_text("[" + ",".join(visits) + ", {oops")
    batches = raw_batches(str(path), 10)
    assert [label for label, _ in next(batches)] == [f"item {n}" for n in range(1, 11)]


def test_an_unknown_payer_is_refused(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1", payer="nobody")])
    with pytest.raises(InputErrors) as e:
        _import(ledger, config, path)
    assert "no payer profile 'nobody'" in e.value.errors[0].render()


def _bare(visit_id: str, dos: str) -> dict:
    """A Medicare visit of patient P-7 whose file gives no episode at all."""
    v = medicare_visit(visit_id, patient="P-7", dos=dt.date.fromisoformat(dos))
    del v["episode"]
    return v


def test_episode_context_is_derived_from_history(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    first = medicare_visit("A", patient="P-7", dos=dt.date(2025, 3, 3))
    first["episode"]["progress_report_this_visit"] = True  # visit 6 carries a progress report
    sent = import_submit(ledger, config, write_visits(tmp_path / "a.jsonl", [first]))
    _import(ledger, config, write_visits(tmp_path / "b.jsonl", [_bare("B", "2025-03-05")]))
    with ledger.transaction() as s:
        b = s.scalar(select(m.Visit).where(m.Visit.visit_id == "B"))
        a_expected = claim(s, "A").expected_allowed
        e = Visit.model_validate_json(b.effective_json).episode
        assert b.derived.split(",") == [
            "plan_of_care",
            "visit_number",
            "last_progress_report_visit",
            "therapy_amount_ytd",
        ]
        assert e.plan_of_care.start_date == dt.date(2025, 2, 17)  # the stored plan
        assert e.visit_number == 7  # the visit after visit 6 under the same plan
        assert e.last_progress_report_visit == 6
        # Before any remittance the therapy amount is A's priced allowed amount (M-3).
        assert e.therapy_amount_ytd == a_expected and a_expected > 0
    # The payer allows A at $60.00 + $20.00: the remitted amounts replace the estimate.
    sim = sim_claims(sent.text)["A"]
    lines = [paid(sim.lines[0], D("60.00"), D("12.00")), paid(sim.lines[1], D("20.00"), D("4.00"))]
    with ledger.transaction() as s:
        post_text(s, remit_of([decision(sim, lines)]), "a.835", who=WHO, config=config, as_of=None)
    _import(ledger, config, write_visits(tmp_path / "c.jsonl", [_bare("C", "2025-03-07")]))
    with ledger.transaction() as s:
        b_expected = claim(s, "B").expected_allowed
        c = s.scalar(select(m.Visit).where(m.Visit.visit_id == "C"))
        e = Visit.model_validate_json(c.effective_json).episode
        assert e.visit_number == 8 and e.last_progress_report_visit == 6
        assert e.therapy_amount_ytd == D("80.00") + b_expected


def test_authorization_use_is_derived(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    from tests.ledger.helpers import commercial_visit

    first = commercial_visit("A", dos=dt.date(2025, 3, 3))  # authorization PA1234567, 5 used
    later = []
    for n, dos in enumerate(("2025-03-05", "2025-03-07"), start=1):
        v = commercial_visit(f"A{n}", dos=dt.date.fromisoformat(dos))
        del v["episode"]["authorization"]
        later.append(v)
    _import(ledger, config, write_visits(tmp_path / "v.jsonl", [first, *later]))
    with ledger.transaction() as s:
        used = []
        for vid in ("A1", "A2"):
            row = s.scalar(select(m.Visit).where(m.Visit.visit_id == vid))
            auth = Visit.model_validate_json(row.effective_json).episode.authorization
            assert auth.number == "PA1234567"
            used.append((auth.visits_used, auth.units_used))
        # A said 5 visits were used before it; A itself used one visit and 3 units (2 + 1)
        assert used == [(6, 3), (7, 6)]


def test_an_import_of_many_batches_is_the_import_of_one(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """Batches are how the import bounds its memory (and when it refreshes PostgreSQL's
    statistics): the claims do not depend on where a batch ends."""
    visits = generate(90, 5, start=dt.date(2025, 3, 3), days=5)
    path = write_visits(tmp_path / "v.jsonl", visits)
    with ledger.transaction() as s:
        small = import_files(
            s, [path], as_of=dt.date(2025, 3, 12), config=config, who=WHO, batch_size=10
        )
    assert small.new == 90
    with ledger.transaction() as s:
        rows = s.execute(
            select(m.Claim.claim_number, m.Claim.state, m.Claim.charge).order_by(
                m.Claim.claim_number
            )
        ).all()
    single = Ledger(f"sqlite:///{tmp_path / 'one.db'}")
    try:
        with single.transaction() as s:
            one = import_files(s, [path], as_of=dt.date(2025, 3, 12), config=config, who=WHO)
        with single.transaction() as s:
            expected = s.execute(
                select(m.Claim.claim_number, m.Claim.state, m.Claim.charge).order_by(
                    m.Claim.claim_number
                )
            ).all()
    finally:
        single.close()
    assert (small.ready, small.blocked) == (one.ready, one.blocked)
    assert rows == expected


def test_an_import_committed_batch_by_batch_lets_another_writer_in_between(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A batched import (the CLI's, a job's) commits after each batch, and goes on in a new
    transaction: another import that wrote visits and claims in between does not collide with
    the rows of its next batch (ids, on SQLite), and each file's claims are as imported alone."""
    day = dt.date(2025, 3, 12)
    visits = generate(30, 5, start=dt.date(2025, 3, 3), days=5)
    path = write_visits(tmp_path / "v.jsonl", visits)
    others = [medicare_visit(f"OTHER-{n}", patient=f"P-O{n}") for n in range(3)]
    committed: list[int] = []

    with ledger.sessions() as s:

        def commit(done: int, summary: ImportSummary) -> None:
            s.commit()
            committed.append(done)
            n = len(committed) - 1
            if n < len(others):  # the workbench imports a visit between two batches
                one = write_visits(tmp_path / f"o{n}.jsonl", [others[n]])
                with ledger.transaction() as other:
                    import_files(other, [one], as_of=day, config=config, who=WHO)

        summary = import_files(
            s, [path], as_of=day, config=config, who=WHO, batch_size=10, batched=Batched(commit)
        )
        s.commit()
    assert committed == [10, 20, 30]
    assert summary.new == 30
    with ledger.transaction() as s:
        numbers = s.scalars(select(m.Visit.visit_id)).all()
        claims = s.scalar(select(func.count()).select_from(m.Claim))
    assert sorted(numbers) == sorted(
        [v["visit_id"] for v in visits] + ["OTHER-0", "OTHER-1", "OTHER-2"]
    )
    assert claims == 33


def _duplicates(summary: ImportSummary) -> dict[str, list[str]]:
    """The visits the import blocked for a duplicate, with those rules."""
    found = {v: [r for r in rules if r.startswith("DUP-")] for v, rules in summary.blocked.items()}
    return {v: rules for v, rules in found.items() if rules}


def test_the_same_patient_id_at_two_clinics_is_not_a_duplicate(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A patient is a clinic's patient id: P-1 of the demo clinic and P-1 of another practice,
    seen the same day for the same codes, are two patients, in one file (DUP-IN-BATCH) and in
    two (DUP-BILLED-BEFORE); the same clinic's P-1 twice is still a duplicate."""
    other = {
        "name": "Oak Practice",
        "npi": "1245319599",
        "tax_id": "37-7654321",
        "address": {"line1": "1 Oak St", "city": "Springfield", "state": "IL", "zip": "62701"},
    }

    def at_oak(visit_id: str) -> dict:
        v = medicare_visit(visit_id, billing_provider=other)
        del v["clinic"]
        return v

    def run(name: str, *visits: dict) -> dict[str, list[str]]:
        return _duplicates(_import(ledger, config, write_visits(tmp_path / name, visits)))

    assert run("a.jsonl", medicare_visit("V-1"), at_oak("V-2")) == {}
    assert run("b.jsonl", at_oak("V-3")) == {"V-3": ["DUP-BILLED-BEFORE"]}  # oak's P-1 again
    assert run("c.jsonl", medicare_visit("V-4"), medicare_visit("V-5")) == {
        "V-4": ["DUP-BILLED-BEFORE", "DUP-IN-BATCH"],
        "V-5": ["DUP-BILLED-BEFORE", "DUP-IN-BATCH"],
    }
    with ledger.transaction() as s:
        clinics = s.scalars(select(m.Patient.clinic_id).where(m.Patient.external_id == "P-1"))
        assert len(set(clinics)) == 2


def test_a_visit_id_stored_at_another_clinic_is_refused(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A visit id is one visit of one clinic: a file of another clinic's visit carrying it
    (a biller of that clinic, or their typo) is refused, naming the visit and the field; it
    moved the stored visit to the other clinic and its patient, under the first clinic's claim
    (a biller of clinic A rewrote clinic B's visit, then read it, and B's billers lost it)."""
    other = {
        "name": "Oak Practice",
        "npi": "1245319599",
        "tax_id": "37-7654321",
        "address": {"line1": "1 Oak St", "city": "Springfield", "state": "IL", "zip": "62701"},
    }
    at_oak = medicare_visit("V-1", billing_provider=other)
    del at_oak["clinic"]
    _import(ledger, config, write_visits(tmp_path / "oak.jsonl", [at_oak]))
    with ledger.transaction() as s:
        before = s.execute(select(m.Visit.clinic_id, m.Visit.patient_id, m.Visit.source_sha256))
        stored = before.one()
    theirs = medicare_visit("V-1", date_of_service="2025-03-04")
    with pytest.raises(InputErrors) as e:
        _import(ledger, config, write_visits(tmp_path / "elm.jsonl", [theirs]))
    [error] = e.value.errors
    assert error.visit_id == "V-1" and error.field == "visit_id"
    assert "another clinic" in error.problem and "Oak" not in error.render()
    with ledger.transaction() as s:
        after = s.execute(select(m.Visit.clinic_id, m.Visit.patient_id, m.Visit.source_sha256))
        assert after.one() == stored
        assert s.scalar(select(func.count()).select_from(m.Visit)) == 1
