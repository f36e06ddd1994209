"""What a biller does with a claim: correct it, appeal it, write it off."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.states import IllegalTransition, State
from ptbill.ledger.submit import submit
from ptbill.payer_sim.adjudicate import Decision
from ptbill.remit.actions import CorrectionBlocked, correct, writeoff
from ptbill.remit.appeal import appeal
from ptbill.remit.post import post_text
from ptbill.reports.statements import run_statements
from tests.ledger.helpers import (
    PAID_DAY,
    WHO,
    claim,
    commercial_visit,
    decision,
    denied,
    import_and_submit,
    medicare_visit,
    open_items,
    paid,
    remit_of,
    sim_claims,
    table_counts,
    write_visits,
)

D = Decimal
LATER = PAID_DAY + dt.timedelta(days=3)


@pytest.fixture
def denied_claim(ledger: Ledger, config: Config, tmp_path: Path) -> str:
    """V-1: 97110 paid, 97140 denied CO-50 N115 by Medicare (payer claim number ICN-1)."""
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    c = sim_claims(sent.text)["V-1"]
    lines = [
        paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")),
        denied(c.lines[1], "CO", "50", "N115"),
    ]
    _post_decision(ledger, config, decision(c, lines, icn="ICN-1"))
    return "V-1"


def _post_decision(ledger: Ledger, config: Config, claim_decision: Decision) -> None:
    with ledger.transaction() as s:
        post_text(s, remit_of([claim_decision]), "r.835", who=WHO, config=config, as_of=None)


def _reimport_changed(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    """V-1's documentation fixed after the denial (97140's note completed) and
    imported again: stored, held for a replacement."""
    fixed = medicare_visit("V-1")
    fixed["services"][1]["note"]["response"] = "tolerated well; re-documented after review"
    with ledger.transaction() as s:
        import_files(
            s,
            [write_visits(tmp_path / "fixed.jsonl", [fixed])],
            as_of=LATER,
            config=config,
            who=WHO,
        )


def test_a_correction_is_a_replacement_with_the_payers_claim_number(
    ledger: Ledger, config: Config, denied_claim: str, tmp_path: Path
) -> None:
    _reimport_changed(ledger, config, tmp_path)
    with ledger.transaction() as s:
        result = correct(s, config, denied_claim, as_of=LATER, who=WHO)
        assert (result.version, result.frequency_code, result.original_claim_id) == (
            2,
            "7",
            "ICN-1",
        )
        c = claim(s, denied_claim)
        assert (c.state, c.version) == (State.CORRECTED, 2)
        assert open_items(s, denied_claim) == []
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=LATER, who=WHO, file_name="c.837")
    resent = sim_claims(sent.text)["V-1"]
    assert (resent.frequency_code, resent.original_claim_id) == ("7", "ICN-1")  # REF*F8
    # every version's lines carry their own control numbers
    assert [x.control_number for x in resent.lines] == ["V-1-v2-1", "V-1-v2-2"]
    with ledger.transaction() as s:
        assert claim(s, denied_claim).state == State.SUBMITTED


def test_a_replacement_with_nothing_changed_is_made_with_a_warning(
    ledger: Ledger, config: Config, denied_claim: str, tmp_path: Path
) -> None:
    """The payer processed V-1; neither its visit (not imported again since it was sent) nor
    its lines (the same codes, modifiers, units, charges and pointers) changed: a frequency-7
    claim of the same content may be denied as a duplicate (CO-18), unless what was fixed is
    in the configuration (a clinic's NPI), which the check does not see. So the replacement is
    made and the biller warned; once the fixed visit is imported, correcting again makes the
    replacement anew, without the warning."""
    with ledger.transaction() as s:
        first = correct(s, config, denied_claim, as_of=LATER, who=WHO)
    assert first.warnings[0]["rule"] == "CORRECT-UNCHANGED"
    assert "duplicate (CO-18)" in first.warnings[0]["message"]
    assert "import the fixed visit" in first.warnings[0]["fix"]
    with ledger.transaction() as s:
        assert (claim(s, denied_claim).state, claim(s, denied_claim).version) == (
            State.CORRECTED,
            2,
        )
    _reimport_changed(ledger, config, tmp_path)
    with ledger.transaction() as s:
        again = correct(s, config, denied_claim, as_of=LATER, who=WHO)
    assert again.version == 2  # the replacement not sent yet, made again
    assert all(w["rule"] != "CORRECT-UNCHANGED" for w in again.warnings)


def test_a_rejected_claim_is_sent_again_as_a_new_original(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")]))
    with ledger.transaction() as s:  # as a 277CA rejection would
        c = claim(s, "V-1")
        c.state = State.REJECTED
    with ledger.transaction() as s:
        result = correct(s, config, "V-1", as_of=LATER, who=WHO)
    assert (result.frequency_code, result.original_claim_id) == ("1", None)


def test_a_correction_that_would_still_be_blocked_changes_nothing(
    ledger: Ledger, config: Config, denied_claim: str, tmp_path: Path
) -> None:
    broken = medicare_visit("V-1", diagnoses=[])
    with ledger.transaction() as s:  # the new documentation is stored (held)
        import_files(
            s, [write_visits(tmp_path / "b.jsonl", [broken])], as_of=LATER, config=config, who=WHO
        )
    with ledger.transaction() as s:
        before = table_counts(s)
    with ledger.transaction() as s, pytest.raises(CorrectionBlocked) as e:
        correct(s, config, denied_claim, as_of=LATER, who=WHO)
    assert "DX-MISSING" in e.value.render()
    with ledger.transaction() as s:
        assert table_counts(s) == before
        assert claim(s, denied_claim).state == State.PARTIALLY_PAID


def test_an_appeal_letter_in_html_and_pdf(
    ledger: Ledger, config: Config, denied_claim: str, tmp_path: Path
) -> None:
    with ledger.transaction() as s:
        result = appeal(
            s, config, denied_claim, as_of=LATER, who=WHO, out_dir=str(tmp_path / "out")
        )
        assert claim(s, denied_claim).state == State.APPEALED
        stored = s.scalar(select(m.Appeal))
        assert stored.due_date == PAID_DAY + dt.timedelta(days=120)  # redetermination
    assert result.level.startswith("Medicare Part B redetermination")
    html = Path(result.html_path).read_text()
    for expected in (
        "V-1",
        "ICN-1",
        "CO-50",
        "not consider the service medically necessary",
        "local coverage determination",
        "97140",
        "restore function",
        "tolerated well",  # purpose and response (notes)
        "Total timed minutes 38",
        "visit 6",
        "certified on 2025-02-20",
        "[CMS-CPM5-20.2]",
        "[MBPM15-220.3E]",
        "[NORIDIAN-CO50]",
        "[NGS-APPEALS]",
    ):
        assert expected in html, expected
    pdf = Path(result.pdf_path).read_bytes()
    assert pdf.startswith(b"%PDF") and stored.pdf == pdf
    assert b"/CreationDate (D:20250327" in pdf  # dated as of the appeal, not the clock


def test_an_appeal_to_a_payer_other_than_medicare_cites_its_own_rules(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A commercial plan (AMA per-code units, billing-rules U-30/U-31) denies 97140 CO-50: the
    letter cites the CPT time rule for the units, not Medicare's total-time section, and no
    Medicare contractor's guidance (Noridian's CO-50 page, NGS's appeals or KX pages); it names
    the billing office's phone (the submitter's, demo-clinic.toml) as Medicare's letter does."""
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [commercial_visit("V-9")])
    )
    c = sim_claims(sent.text)["V-9"]
    lines = [paid(c.lines[0], D("60.00"), D("0"), D("0")), denied(c.lines[1], "CO", "50")]
    _post_decision(ledger, config, decision(c, lines, icn="ICN-9"))
    with ledger.transaction() as s:
        result = appeal(s, config, "V-9", as_of=LATER, who=WHO, out_dir=str(tmp_path / "out"))
    html = Path(result.html_path).read_text()
    assert "reconsideration" in html and "CPT-TIME" in html and "per-code" in html
    for medicare_only in ("CMS-CPM5-20.2", "NORIDIAN", "NGS-", "redetermination"):
        assert medicare_only not in html, medicare_only
    assert "(217) 555-0100" in html


def test_an_appeal_names_the_billing_offices_phone(
    ledger: Ledger, config: Config, denied_claim: str, tmp_path: Path
) -> None:
    with ledger.transaction() as s:
        result = appeal(s, config, denied_claim, as_of=LATER, who=WHO, out_dir=str(tmp_path))
    assert "call the billing office of Elm Street Physical Therapy at (217) 555-0100" in (
        Path(result.html_path).read_text()
    )


def test_write_off_closes_the_claim(ledger: Ledger, config: Config, denied_claim: str) -> None:
    with ledger.transaction() as s:
        amount = writeoff(s, denied_claim, "not worth appealing", as_of=LATER, who=WHO)
        c = claim(s, denied_claim)
        # outstanding: 143 charge - 47.04 paid - 12 patient - 36.96 contractual (CO-45, CO-253)
        assert amount == D("47.00")
        assert (c.state, c.written_off, c.closed_on) == (State.CLOSED, D("47.00"), LATER)
        assert open_items(s, denied_claim) == []
        moves = [
            (a.to_state, a.why)
            for a in s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.claim_id == c.id).order_by(m.AuditEntry.id)
            )
        ][-2:]
        assert moves[0][0] == "written_off" and "not worth appealing" in moves[0][1]
        assert moves[1][0] == "closed"
    with ledger.transaction() as s, pytest.raises(IllegalTransition):
        writeoff(s, denied_claim, "again", as_of=LATER, who=WHO)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_a_write_off_reason_is_said_in_1_to_200_characters(
    ledger: Ledger, config: Config, denied_claim: str, reason: str
) -> None:
    """The reason goes into the claim's audit trail and its closed items: the API and the
    pages take 1 to 200 characters, and so does the command line (it took 5,000)."""
    with ledger.transaction() as s, pytest.raises(InputError, match="1 to 200 characters") as e:
        writeoff(s, denied_claim, reason, as_of=LATER, who=WHO)
    assert e.value.field == "--reason"
    with ledger.transaction() as s:
        assert claim(s, denied_claim).state != State.CLOSED


def test_a_write_off_with_nothing_left_for_the_payer_is_refused_saying_what_the_patient_owes(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """PR-119 on 97140, billed with an ABN on file (GA): the payer assigned the line to the
    patient, who is liable for it with that ABN (billing-rules, CARC 119), so nothing is
    outstanding with the payer (143 charge - 47.04 paid - 59 patient (12 coinsurance, 47
    PR-119) - 36.96 contractual). A write-off of 0.00 that closes the claim would hide that the
    patient is still billed: it is refused, naming what the patient owes, and nothing changes.
    (Without the ABN the 47 is the clinic's to write off: tests.ledger.test_patient_money.)"""
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    c = sim_claims(sent.text)["V-1"]
    with_abn = dataclasses.replace(c.lines[1], modifiers=(*c.lines[1].modifiers, "GA"))
    lines = [paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")), denied(with_abn, "PR", "119")]
    with ledger.transaction() as s:
        post_text(s, remit_of([decision(c, lines)]), "r.835", who=WHO, config=config, as_of=None)
    with ledger.transaction() as s:
        before = (claim(s, "V-1").state, len(open_items(s, "V-1")))
        with pytest.raises(InputError) as refused:
            writeoff(s, "V-1", "patient responsibility", as_of=LATER, who=WHO)
    message = refused.value.render()
    assert "nothing to write off" in message and "the patient owes 59.00" in message
    assert "patient-writeoff P-1 --claim V-1" in message
    with ledger.transaction() as s:
        assert (claim(s, "V-1").state, len(open_items(s, "V-1"))) == before
        assert claim(s, "V-1").written_off == 0
        items = open_items(s, "V-1")
        assert [(i.carc, i.action) for i in items] == [("119", "bill_patient")]
    # The item's work is the patient's bill: the statement that bills the visit closes it.
    with ledger.transaction() as s:
        run = run_statements(s, config, as_of=LATER, who=WHO)
        assert [p["balance"] for p in run.statements] == [D("59.00")]
        assert open_items(s, "V-1") == []
        done = s.scalars(select(m.WorkItem).where(m.WorkItem.reference == "V-1")).all()
        assert [i.resolution for i in done] == [
            f"billed to the patient on the statement of {LATER.isoformat()}"
        ]
