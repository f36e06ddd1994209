"""Eligibility and claim status in the ledger, on SQLite and PostgreSQL: what each answer
changes, by the rules of the issue (coverage inactive on the date of service blocks the claim
with a work item; a claim the payer has not on file is resubmitted), and each answer once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.claim_status import apply_277, candidates
from ptbill.ledger.claim_status import request as status_request
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import apply_271, ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.ledger.importer import import_files
from ptbill.ledger.outbound import AlreadyApplied
from ptbill.ledger.scope import Scope
from ptbill.ledger.states import State
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from ptbill.payer_sim.status import SimClaimState, answer_276
from ptbill.payer_sim.write import remittance_claims
from ptbill.remit.worklist import open_items
from ptbill.x12.tr3 import check
from ptbill.x12.tr3_guides import GUIDES
from tests.ledger.helpers import (
    DOS,
    SUBMIT_DAY,
    WHO,
    D,
    commercial_visit,
    decision,
    import_and_submit,
    medicare_visit,
    paid_in_full,
    post_835,
    remit,
    sim_claims,
    write_visits,
)


def _import(ledger: Ledger, config: Config, path: str) -> None:
    with ledger.transaction() as s:
        import_files(s, [path], as_of=SUBMIT_DAY, config=config, who=WHO)


def test_eligibility_from_the_days_visits_to_work_items(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    _import(
        ledger,
        config,
        write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), commercial_visit("V-2")]),
    )
    with ledger.transaction() as s:
        written = eligibility_request(
            s, config, ledger_visits(s, DOS), as_of=DOS, file_name="day.270"
        )
    assert check(written.text, GUIDES["270"]) == []
    assert [i["visit_id"] for i in written.items] == ["V-1", "V-2"]
    sim = EligibilitySim(scenarios={"XYH123456789": "inactive"})
    answer = answer_270(written.text, config, sim, number=3, when=DOS)
    with ledger.transaction() as s:
        summary = apply_271(s, answer, "day.271", as_of=DOS, who=WHO)
    assert summary.unmatched == [] and summary.blocked_claims == ["V-2"]
    with ledger.transaction() as s:
        checks = {c.trace: c for c in s.scalars(select(pm.EligibilityCheck))}
        by_visit = {i.visit_id: i.trace for i in s.scalars(select(pm.OutboundItem))}
        medicare, commercial = checks[by_visit["V-1"]], checks[by_visit["V-2"]]
        assert medicare.active is True and medicare.therapy_amount_applied is not None
        assert commercial.active is False and commercial.plan_end < DOS
        v2 = s.scalar(select(m.Claim).where(m.Claim.claim_number == "V-2"))
        assert v2 is not None and v2.state == State.BLOCKED
        assert commercial.patient_id == v2.patient_id
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "eligibility"))
        assert (item.category, item.reference, item.claim_id) == ("coverage_inactive", "V-2", v2.id)
        audit = s.scalars(select(m.AuditEntry).where(m.AuditEntry.claim_id == v2.id)).all()
        assert audit[-1].to_state == "blocked" and "eligibility" in audit[-1].why
    with pytest.raises(AlreadyApplied), ledger.transaction() as s:
        apply_271(s, answer, "again.271", as_of=DOS, who=WHO)
    with ledger.transaction() as s:
        assert len(s.scalars(select(pm.EligibilityCheck)).all()) == 2


def test_the_payers_errors_become_a_work_item(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    _import(ledger, config, write_visits(tmp_path / "v.jsonl", [commercial_visit("V-2")]))
    with ledger.transaction() as s:
        written = eligibility_request(s, config, ledger_visits(s, DOS), as_of=DOS, file_name="x")
    sim = EligibilitySim(scenarios={"XYH123456789": "not_found"})
    with ledger.transaction() as s:
        apply_271(
            s, answer_270(written.text, config, sim, number=4, when=DOS), "x", as_of=DOS, who=WHO
        )
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "eligibility"))
        assert item.category == "eligibility_error" and "not found" in item.detail
        claim = s.scalar(select(m.Claim).where(m.Claim.claim_number == "V-2"))
        assert claim is not None and claim.state == State.READY  # an error blocks nothing
        # With no claim blocked, it is still the work of the patient's clinic: its billers see
        # it (web work queue, `worklist --clinic`), with the clinic named; another clinic not.
        patient = s.get(m.Patient, claim.patient_id)
        assert patient is not None
        clinic = s.get(m.Clinic, patient.clinic_id)
        assert clinic is not None
        (seen,) = open_items(s, Scope.of([clinic.id]), kind="eligibility")
        assert (seen["category"], seen["clinic"]) == ("eligibility_error", clinic.key)
        assert open_items(s, Scope.of([clinic.id + 1]), kind="eligibility") == []


def test_claim_status_after_the_payers_window(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), medicare_visit("V-3", "P-3")])
    import_and_submit(ledger, config, path)
    window = config.payers["medicare"].status_after_days
    with ledger.transaction() as s:
        assert candidates(s, config, SUBMIT_DAY + dt.timedelta(days=window - 1)) == []
    asked_on = SUBMIT_DAY + dt.timedelta(days=window)
    with ledger.transaction() as s:
        written = status_request(s, config, as_of=asked_on, file_name="status.276")
    assert check(written.text, GUIDES["276"]) == []
    assert [i["claim_id"] for i in written.items] == ["V-1", "V-3"]
    known = {"V-1": SimClaimState("paid", "ICN1", D(143), D(90), asked_on + dt.timedelta(days=5))}
    answer = answer_276(written.text, known, number=5, when=asked_on)
    with ledger.transaction() as s:
        summary = apply_277(s, answer, "status.277", as_of=asked_on, who=WHO)
    assert summary.accepted == ["V-1"] and summary.rejected == ["V-3"]
    with ledger.transaction() as s:
        states = {c.claim_number: c.state for c in s.scalars(select(m.Claim))}
        assert states == {"V-1": "accepted", "V-3": "rejected"}
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "rejection"))
        assert item.category == "not_on_file" and "ptbill correct V-3" in item.detail
        # Asked within the window: not asked again the next day.
        assert candidates(s, config, asked_on + dt.timedelta(days=1)) == []


def test_the_latest_271_reaches_the_scrubber_and_the_kx_tracker(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    first = [medicare_visit("V-1"), commercial_visit("V-2")]
    _import(ledger, config, write_visits(tmp_path / "a.jsonl", first))
    with ledger.transaction() as s:
        written = eligibility_request(s, config, ledger_visits(s, DOS), as_of=DOS, file_name="x")
    # Seed 1: Medicare reports $1,955.95 applied this year, more than this ledger's own claims.
    sim = EligibilitySim(seed=1, scenarios={"XYH123456789": "inactive"})
    answer = answer_270(written.text, config, sim, number=3, when=DOS)
    with ledger.transaction() as s:
        apply_271(s, answer, "x.271", as_of=DOS, who=WHO)
        reported = s.scalar(
            select(pm.EligibilityCheck.therapy_amount_applied).where(
                pm.EligibilityCheck.medicare.is_(True)
            )
        )
    later = DOS + dt.timedelta(days=7)
    kx = medicare_visit("V-5", dos=later)
    del kx["episode"]["therapy_amount_ytd"]  # derived: the 271's amount counts
    _import(
        ledger,
        config,
        write_visits(tmp_path / "b.jsonl", [kx, commercial_visit("V-6", dos=later)]),
    )
    with ledger.transaction() as s:
        v5 = s.scalar(select(m.Visit).where(m.Visit.visit_id == "V-5"))
        assert v5 is not None and reported is not None
        # The 271's amount (applied as of DOS) plus this ledger's Medicare claims after DOS: none.
        assert reported == D("1955.95") and v5.therapy_amount_ytd == reported
        v6 = s.scalar(select(m.ClaimVersion).join(m.Claim).where(m.Claim.claim_number == "V-6"))
        assert v6 is not None and v6.scrub_status == "blocked"
        assert "ELIGIBILITY-INACTIVE" in v6.findings_json


def test_the_835_a_277_sent_for_closes_its_status_item(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A 277 that says the payer finalized a claim (paid, no 835 yet) opens a `status` item:
    get the 835 and post it. Posting that 835 is its work: the item is done then, not left
    open asking for a remittance already posted."""
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    sent = sim_claims(import_and_submit(ledger, config, path).text)
    asked_on = SUBMIT_DAY + dt.timedelta(days=config.payers["medicare"].status_after_days)
    with ledger.transaction() as s:
        written = status_request(s, config, as_of=asked_on, file_name="status.276")
    known = {"V-1": SimClaimState("paid", "ICN1", D(143), D(90), asked_on - dt.timedelta(days=3))}
    answer = answer_276(written.text, known, number=5, when=asked_on)
    with ledger.transaction() as s:
        apply_277(s, answer, "status.277", as_of=asked_on, who=WHO)
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "status"))
        assert item.status == "open" and item.category == "awaiting_remittance"
    c = sent["V-1"]
    post_835(ledger, config, remit([remittance_claims(decision(c, paid_in_full(c)))]))
    with ledger.transaction() as s:
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "status"))
        assert item.status == "done" and "remittance" in (item.resolution or ""), item.resolution


def test_a_claim_finalized_again_by_a_later_277_keeps_one_status_item(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """The 835 still missing a window later, the claim is asked about again and the payer
    says finalized again: the open `status` item stands (one item to work, said as of the
    latest answer), not a second one beside it."""
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    import_and_submit(ledger, config, path)
    window = dt.timedelta(days=config.payers["medicare"].status_after_days)
    first = SUBMIT_DAY + window
    for n, asked_on in enumerate((first, first + window), start=5):
        with ledger.transaction() as s:
            written = status_request(s, config, as_of=asked_on, file_name=f"s{n}.276")
        assert [i["claim_id"] for i in written.items] == ["V-1"]
        known = {"V-1": SimClaimState("paid", "ICN1", D(143), D(90), first - dt.timedelta(days=3))}
        answer = answer_276(written.text, known, number=n, when=asked_on)
        with ledger.transaction() as s:
            apply_277(s, answer, f"s{n}.277", as_of=asked_on, who=WHO)
    with ledger.transaction() as s:
        items = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "status")).all()
        assert [(i.status, i.category) for i in items] == [("open", "awaiting_remittance")]


def test_asking_again_about_a_visit_keeps_one_item_per_problem(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """The day's visits asked about twice (the 270 written again, a second check before the
    visit) and the payer twice saying the coverage is not active: one open item for the
    visit, said as of the latest answer, not one per answer."""
    _import(ledger, config, write_visits(tmp_path / "v.jsonl", [commercial_visit("V-2")]))
    sim = EligibilitySim(scenarios={"XYH123456789": "inactive"})
    for n in (3, 4):
        with ledger.transaction() as s:
            written = eligibility_request(
                s, config, ledger_visits(s, DOS), as_of=DOS, file_name=f"day{n}.270"
            )
        answer = answer_270(written.text, config, sim, number=n, when=DOS)
        with ledger.transaction() as s:
            apply_271(s, answer, f"day{n}.271", as_of=DOS, who=WHO)
    with ledger.transaction() as s:
        items = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "eligibility")).all()
        assert [(i.reference, i.category, i.status) for i in items] == [
            ("V-2", "coverage_inactive", "open")
        ]
        assert len(s.scalars(select(pm.EligibilityCheck)).all()) == 2  # each answer is kept


def test_a_later_answer_of_active_coverage_settles_the_item_and_frees_the_claim(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """The payer first says V-2's coverage is not active (the claim is blocked, an item
    opened); the front desk gets the plan's record fixed and asks again: the payer now says
    active, reaching the date of service. The item is done, saying so, and the claim the first
    answer blocked is ready again, with an audit entry; nothing else is touched."""
    _import(ledger, config, write_visits(tmp_path / "v.jsonl", [commercial_visit("V-2")]))
    answers = {3: "inactive", 4: "active"}
    for n, scenario in answers.items():
        with ledger.transaction() as s:
            written = eligibility_request(
                s, config, ledger_visits(s, DOS), as_of=DOS, file_name=f"day{n}.270"
            )
        sim = EligibilitySim(scenarios={"XYH123456789": scenario})
        answer = answer_270(written.text, config, sim, number=n, when=DOS)
        with ledger.transaction() as s:
            summary = apply_271(s, answer, f"day{n}.271", as_of=DOS, who=WHO)
    assert summary.released_claims == ["V-2"] and summary.blocked_claims == []
    with ledger.transaction() as s:
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "eligibility"))
        assert item.status == "done" and "active" in (item.resolution or "")
        v2 = s.scalar(select(m.Claim).where(m.Claim.claim_number == "V-2"))
        assert v2 is not None and v2.state == State.READY
        audit = s.scalars(select(m.AuditEntry).where(m.AuditEntry.claim_id == v2.id)).all()
        assert [a.to_state for a in audit][-2:] == ["blocked", "ready"]
        assert "reaches" in audit[-1].why
