"""After the primary pays: claims to the next payer (secondary 837P or crossover), their 835s,
a payment from the wrong payer, and a primary decision reversed after the secondary was sent.

Amounts: the test visit bills 97110 x2 ($96) and 97140 ($47); the primary allows $60 and $20,
takes 20% coinsurance (PR-2: $12 + $4) and 2% sequestration (CO-253: $0.96 + $0.32), so it pays
$62.72 and leaves the patient $16.00, which the secondary is billed for."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.domain.visit import Subscriber
from ptbill.ledger import coverages
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.states import State
from ptbill.ledger.submit import submit
from ptbill.payer_sim.adjudicate import Decision, LineDecision
from ptbill.payer_sim.write import remittance_claims, write_835
from ptbill.remit.post import post_text
from ptbill.x12.tokenizer import split_text
from tests.ledger.helpers import (
    DOS,
    PAID_DAY,
    WHO,
    claim,
    decision,
    import_and_submit,
    medicare_visit,
    open_items,
    paid,
    remit,
    reversal,
    sim_claims,
    write_visits,
)
from tests.x12.pyx12_check import assert_valid

D = Decimal
SECOND_DAY = PAID_DAY + dt.timedelta(days=7)
LATER = PAID_DAY + dt.timedelta(days=21)


def _post(ledger: Ledger, config: Config, text: str, name: str = "r.835"):
    with ledger.transaction() as s:
        return post_text(s, text, name, who=WHO, config=config, as_of=None)


def _add_coverage(ledger: Ledger, config: Config, payer: str, member: str, rank: int = 2) -> None:
    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        assert patient is not None
        coverages.record(
            s,
            patient_pk=patient,
            profile=config.payers[payer],
            subscriber=Subscriber(member_id=member),
            rank=rank,
            start=DOS - dt.timedelta(days=60),
            source="test",
        )


COINSURANCE = (D("12.00"), D("4.00"))


def _primary_lines(c, coinsurance=COINSURANCE):  # type: ignore[no-untyped-def]
    return [
        paid(c.lines[0], D("60.00"), coinsurance[0], D("0.96")),
        paid(c.lines[1], D("20.00"), coinsurance[1], D("0.32")),
    ]


def _secondary_pays(c, decision_of_primary: Decision, icn: str = "MG1") -> Decision:  # type: ignore[no-untyped-def]
    """The supplemental plan pays the coinsurance; the rest is the primary's (OA-23)."""
    lines = []
    for x, p in zip(c.lines, decision_of_primary.lines, strict=True):
        owed = sum((a for g, _, a in p.adjustments if g == "PR"), D(0))
        lines.append(LineDecision(x, owed, owed, [("OA", "23", x.charge - owed)]))
    return Decision(c, "commercial", icn, SECOND_DAY, lines=lines)


def _remit_from(payer: str, payer_id: str, decisions: list[Decision], when: dt.date) -> str:
    return write_835(
        [(payer, payer_id, [remittance_claims(d) for d in decisions])],
        payee=("ELM STREET PT", "1234567893"),
        receiver="ELMST001",
        number=7,
        when=when,
    )


@pytest.fixture
def primary(ledger: Ledger, config: Config, tmp_path: Path):  # type: ignore[no-untyped-def]
    result = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    return sim_claims(result.text)["V-1"]


def test_the_primarys_835_makes_a_secondary_claim_and_submit_sends_it(
    ledger: Ledger, config: Config, primary
) -> None:
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    summary = _post(ledger, config, remit([remittance_claims(first)]))
    assert summary.cob.secondary == ["V-1-S"]
    with ledger.transaction() as s:
        sec = claim(s, "V-1-S")
        head = claim(s, "V-1")
        assert (sec.state, sec.sequence, sec.primary_claim_id) == ("ready", 2, head.id)
        assert sec.charge == D("143.00") and sec.crossover is False
        assert s.get(m.Payer, sec.payer_id).key == "medigap"
        controls = s.scalars(
            select(m.ClaimLine.control_number)
            .join(m.ClaimVersion, m.ClaimVersion.id == m.ClaimLine.version_id)
            .where(m.ClaimVersion.claim_id == sec.id)
        ).all()
        assert sorted(controls) == ["V-1-S-1", "V-1-S-2"]
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    assert sent.claims == ["V-1-S"]
    segs = ["*".join(e) for e in split_text(assert_valid(sent.text))]  # pyx12: no errors
    assert "SBR*S*18*******CI" in segs  # 2000B: the Medigap plan pays second
    assert "CLM*V-1-S*143***11:B:1*Y*A*Y*Y" in segs
    start = segs.index("SBR*P*18*******MB")  # 2320: Medicare's decision
    assert segs[start + 1 : start + 9] == [
        "AMT*D*62.72",  # what Medicare paid
        "AMT*EAF*16",  # the coinsurance it left
        "OI***Y*P**Y",
        "NM1*IL*1*LEE*ANN****MI*1EG4TE5MK73",  # 2330A: the Medicare beneficiary
        "N3*12 ELM ST",
        "N4*SPRINGFIELD*IL*62701",
        "NM1*PR*2*MEDICARE PART B*****PI*MEDICARE",  # 2330B
        "REF*F8*A1",  # Medicare's claim number
    ]
    first_line = segs.index("SVD*MEDICARE*47.04*HC:97110:GP**2")
    assert segs[first_line + 1 : first_line + 4] == [
        "CAS*CO*45*36**253*0.96",
        "CAS*PR*2*12",
        "DTP*573*D8*" + PAID_DAY.strftime("%Y%m%d"),
    ]
    # The secondary's 835 posts to the secondary claim, and the visit is settled.
    sec_sim = sim_claims(sent.text)["V-1-S"]
    answer = _secondary_pays(sec_sim, first)
    _post(ledger, config, _remit_from("MEDICARE SUPPLEMENT PLAN", "MEDIGAP", [answer], SECOND_DAY))
    with ledger.transaction() as s:
        sec, head = claim(s, "V-1-S"), claim(s, "V-1")
        assert (sec.state, sec.paid, head.paid) == ("paid", D("16.00"), D("62.72"))


def test_a_crossover_is_recorded_not_sent_and_the_supplemental_835_posts_to_it(
    ledger: Ledger, config: Config, primary
) -> None:
    _add_coverage(ledger, config, "medicaid", "MCD555")
    first = decision(primary, _primary_lines(primary), icn="A1")
    first.crossover = ("STATE MEDICAID", "MEDICAID")
    summary = _post(ledger, config, remit([remittance_claims(first)]))
    assert summary.cob.crossover == ["V-1-S"] and summary.cob.secondary == []
    with ledger.transaction() as s:
        sec = claim(s, "V-1-S")
        assert (sec.state, sec.crossover) == ("submitted", True)
        (item,) = open_items(s, "V-1-S")
        wait = config.payers["medicaid"].status_after_days
        assert (item.kind, item.due_date) == ("crossover", PAID_DAY + dt.timedelta(days=wait))
        payment = s.scalar(select(m.ClaimPayment).where(m.ClaimPayment.clp01 == "V-1"))
        assert (payment.remarks, payment.crossover_to) == ("MA18", "STATE MEDICAID")
    with ledger.transaction() as s:  # nothing to send: Medicare forwarded it
        assert submit(s, config, as_of=PAID_DAY, who=WHO, file_name="x.837").claims == []
    # Medicaid answers with the primary's claim number (Medicare forwarded that claim).
    answer = _secondary_pays(primary, first, icn="MCD1")
    answer.payer_key = "medicaid"
    _post(ledger, config, _remit_from("STATE MEDICAID", "MEDICAID", [answer], SECOND_DAY))
    with ledger.transaction() as s:
        sec, head = claim(s, "V-1-S"), claim(s, "V-1")
        assert (sec.state, sec.paid) == ("paid", D("16.00"))
        assert (head.state, head.paid) == ("paid", D("62.72"))  # unchanged
        assert open_items(s, "V-1-S") == []  # the crossover item closed


def test_a_payment_from_a_payer_the_visit_was_not_billed_to_is_a_work_item(
    ledger: Ledger, config: Config, primary
) -> None:
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    stray = _secondary_pays(primary, first, icn="X1")
    summary = _post(ledger, config, _remit_from("ACME HEALTH", "ACME1", [stray], SECOND_DAY))
    assert summary.unmatched == ["V-1"]
    with ledger.transaction() as s:
        head, sec = claim(s, "V-1"), claim(s, "V-1-S")
        assert (head.paid, sec.paid, sec.state) == (D("62.72"), D(0), "ready")
        items = [i for i in open_items(s) if i.kind == "unmatched"]
        assert len(items) == 1 and "none of the payers" in items[0].detail


def test_no_secondary_without_a_next_coverage_or_a_balance(
    ledger: Ledger, config: Config, primary
) -> None:
    first = decision(primary, _primary_lines(primary), icn="A1")
    assert _post(ledger, config, remit([remittance_claims(first)])).cob.secondary == []
    with ledger.transaction() as s:
        assert s.scalar(select(m.Claim).where(m.Claim.claim_number == "V-1-S")) is None


def _secondary_paid_then_primary_corrected(ledger: Ledger, config: Config, primary):  # type: ignore[no-untyped-def]
    """Medicare pays V-1 (share $16), the Medigap plan pays the $16, then Medicare reverses
    and decides again: 97140 allowed $25 (coinsurance $5), so it pays more ($66.64) and the
    patient's share the secondary was billed for changes to $17: V-1-S is corrected."""
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    sec_sim = sim_claims(sent.text)["V-1-S"]
    _post(
        ledger,
        config,
        _remit_from(
            "MEDICARE SUPPLEMENT PLAN", "MEDIGAP", [_secondary_pays(sec_sim, first)], SECOND_DAY
        ),
    )
    corrected = decision(
        primary,
        [
            paid(primary.lines[0], D("60.00"), D("12.00"), D("0.96")),
            paid(primary.lines[1], D("25.00"), D("5.00"), D("0.40")),
        ],
        icn="A2",
    )
    return _post(ledger, config, reversal(first, corrected, when=LATER, number=3))


def test_a_reversal_after_the_secondary_was_paid_replaces_it(
    ledger: Ledger, config: Config, primary
) -> None:
    summary = _secondary_paid_then_primary_corrected(ledger, config, primary)
    assert summary.cob.corrected == ["V-1-S"]
    with ledger.transaction() as s:
        sec = claim(s, "V-1-S")
        version = s.scalar(
            select(m.ClaimVersion).where(
                m.ClaimVersion.claim_id == sec.id, m.ClaimVersion.version == 2
            )
        )
        assert (sec.state, version.frequency_code, version.original_claim_id) == (
            "corrected",
            "7",
            "MG1",
        )
    with ledger.transaction() as s:
        again = submit(s, config, as_of=LATER, who=WHO, file_name="again.837")
    segs = ["*".join(e) for e in split_text(assert_valid(again.text))]
    assert "CLM*V-1-S*143***11:B:7*Y*A*Y*Y" in segs and "REF*F8*MG1" in segs
    assert "AMT*D*66.64" in segs and "AMT*EAF*17" in segs  # from the corrected decision
    assert "REF*F8*A2" in segs  # 2330B: the primary's new claim number


def test_a_corrected_secondary_keeps_its_payers_earlier_payment_in_the_account(
    ledger: Ledger, config: Config, primary
) -> None:
    """While V-1-S's replacement waits on the plan, the plan's $16 stays paid (the clinic holds
    it until the plan's new decision replaces it): insurance paid is Medicare's $66.64 and the
    plan's $16, and what waits on insurance is the $1 of the $17 share the plan has not paid --
    neither the $16 twice (paid and waiting) nor gone from both."""
    from ptbill.ledger.balances import balances

    _secondary_paid_then_primary_corrected(ledger, config, primary)
    with ledger.transaction() as s:
        assert claim(s, "V-1-S").state == "corrected"
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        bal = balances(s, LATER, [patient])[patient]
    (visit,) = bal.visits
    assert (visit.insurance_paid, visit.share, visit.pending_with) == (
        D("82.64"),
        D("1.00"),
        "medigap",
    )
    # 143 charge = 82.64 paid + 59.36 taken off (CO-45 58, CO-253 1.36) + 1.00 waiting
    assert visit.adjustments == D("59.36")
    assert (bal.pending, bal.balance) == (D("1.00"), D("0"))


def test_the_report_counts_a_corrected_secondarys_unpaid_share_as_insurance_ar(
    ledger: Ledger, config: Config, primary
) -> None:
    """The $1 that waits on the plan's replacement (its $17 share less the $16 it paid) is
    owed by insurance: the report's A/R holds it, as the patient's pending insurance does.
    Medicare's V-1 owes nothing: 143 - 66.64 paid - 17 share - 59.36 taken off."""
    from ptbill.reports.report import build_report

    _secondary_paid_then_primary_corrected(ledger, config, primary)
    with ledger.transaction() as s:
        r = build_report(s, LATER)
    assert r["patient_pending_insurance"] == D("1.00")
    assert (r["ar_total"], r["ar_claims"]) == (D("1.00"), 1)
    assert r["payers"]["medigap"]["ar_total"] == D("1.00")
    assert r["payers"]["medicare"]["ar_total"] == D(0)
    # Before the correction the plan's decision settled its share: nothing owed.
    with ledger.transaction() as s:
        assert build_report(s, LATER - dt.timedelta(days=1))["ar_total"] == D(0)


def test_a_reversal_before_the_secondary_was_sent_rebuilds_it_in_place(
    ledger: Ledger, config: Config, primary
) -> None:
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    # Corrected: no coinsurance at all (the patient owes nothing): nothing left to bill.
    corrected = decision(primary, _primary_lines(primary, (D(0), D(0))), icn="A2")
    _post(ledger, config, reversal(first, corrected, when=LATER, number=3))
    with ledger.transaction() as s:
        assert claim(s, "V-1-S").state == State.WRITTEN_OFF
        assert submit(s, config, as_of=LATER, who=WHO, file_name="x.837").claims == []


def test_a_denied_and_a_partly_paid_line_carry_their_decisions_to_the_secondary(
    ledger: Ledger, config: Config, primary
) -> None:
    """97110 partly paid (allowed 60: CO-45 36, PR-1 deductible 10, PR-2 10, CO-253 0.80),
    97140 denied (CO-50): each 2430 balances against its line's charge."""
    from tests.ledger.helpers import denied

    _add_coverage(ledger, config, "medigap", "MG123")
    partly = LineDecision(
        primary.lines[0],
        D("60.00"),
        D("39.20"),
        [
            ("CO", "45", D("36.00")),
            ("PR", "1", D("10.00")),
            ("PR", "2", D("10.00")),
            ("CO", "253", D("0.80")),
        ],
    )
    first = decision(primary, [partly, denied(primary.lines[1], "CO", "50", "N115")], icn="A1")
    assert _post(ledger, config, remit([remittance_claims(first)])).cob.secondary == ["V-1-S"]
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    segs = ["*".join(e) for e in split_text(assert_valid(sent.text))]
    line1 = segs.index("SVD*MEDICARE*39.2*HC:97110:GP**2")
    assert segs[line1 + 1 : line1 + 3] == ["CAS*CO*45*36**253*0.8", "CAS*PR*1*10**2*10"]
    line2 = segs.index("SVD*MEDICARE*0*HC:97140:GP**1")
    assert segs[line2 + 1] == "CAS*CO*50*47"
    assert "AMT*D*39.2" in segs and "AMT*EAF*20" in segs


def _secondary_sent(ledger: Ledger, config: Config, primary, paid_by_plan: bool):  # type: ignore[no-untyped-def]
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    if paid_by_plan:
        answer = _secondary_pays(sim_claims(sent.text)["V-1-S"], first)
        _post(
            ledger,
            config,
            _remit_from("MEDICARE SUPPLEMENT PLAN", "MEDIGAP", [answer], SECOND_DAY),
        )
    return first


def test_a_reversal_that_leaves_nothing_voids_the_paid_secondary(
    ledger: Ledger, config: Config, primary
) -> None:
    first = _secondary_sent(ledger, config, primary, paid_by_plan=True)
    corrected = decision(primary, _primary_lines(primary, (D(0), D(0))), icn="A2")
    summary = _post(ledger, config, reversal(first, corrected, when=LATER, number=3))
    assert summary.cob.corrected == ["V-1-S"]
    with ledger.transaction() as s:
        again = submit(s, config, as_of=LATER, who=WHO, file_name="void.837")
    segs = ["*".join(e) for e in split_text(assert_valid(again.text))]
    assert "CLM*V-1-S*143***11:B:8*Y*A*Y*Y" in segs and "REF*F8*MG1" in segs


def test_a_reversal_while_the_secondary_awaits_its_payer_is_work(
    ledger: Ledger, config: Config, primary
) -> None:
    first = _secondary_sent(ledger, config, primary, paid_by_plan=False)
    corrected = decision(primary, _primary_lines(primary, (D("6.00"), D("2.00"))), icn="A2")
    summary = _post(ledger, config, reversal(first, corrected, when=LATER, number=3))
    assert summary.cob.review == ["V-1-S"]
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s, "V-1-S") if i.kind == "cob"]
        assert item.amount == D("8.00") and "decided again" in item.detail
        assert claim(s, "V-1-S").state == State.SUBMITTED


def test_a_visit_that_lists_its_coverages_records_them_and_bills_the_next_one(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """Visit format v1.1: `coverages` in order. The first visit records Medicare (rank 1) and
    the Medigap plan (rank 2) from its date; a later visit that lists Medicare alone ends the
    plan the day before it."""
    visit = medicare_visit("V-1")
    medicare_sub = visit.pop("subscriber")
    payer = visit.pop("payer")
    visit["coverages"] = [
        {"payer": payer, "subscriber": medicare_sub},
        {"payer": "medigap", "subscriber": {"member_id": "MG777", "relationship": "self"}},
    ]
    later = medicare_visit("V-2", dos=DOS + dt.timedelta(days=4))
    later.pop("subscriber")
    later.pop("payer")
    later["coverages"] = [{"payer": payer, "subscriber": medicare_sub}]
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", [visit, later]))
    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        found = coverages.of_patients(s, [patient])[patient]
    assert [(c.rank, c.payer_key, c.start_date, c.end_date) for c in found] == [
        (1, "medicare", DOS, None),
        (2, "medigap", DOS, DOS + dt.timedelta(days=3)),
    ]
    claims = sim_claims(sent.text)
    first = decision(claims["V-1"], _primary_lines(claims["V-1"]), icn="A1")
    second = decision(claims["V-2"], _primary_lines(claims["V-2"]), icn="A2")
    summary = _post(ledger, config, remit([remittance_claims(first), remittance_claims(second)]))
    assert summary.cob.secondary == ["V-1-S"]  # V-2's date is after the plan ended
    with ledger.transaction() as s:
        out = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    segs = ["*".join(e) for e in split_text(assert_valid(out.text))]
    assert "NM1*IL*1*LEE*ANN****MI*MG777" in segs  # 2010BA: the plan's member
    assert "NM1*IL*1*LEE*ANN****MI*1EG4TE5MK73" in segs  # 2330A: the Medicare beneficiary


def test_no_next_payer_when_the_claims_payer_is_not_the_patients_at_its_rank(
    ledger: Ledger, config: Config, primary
) -> None:
    """The patient's recorded primary is a commercial plan, the claim was billed to Medicare:
    the recorded secondary does not follow a claim that is not the recorded primary's."""
    _add_coverage(ledger, config, "commercial", "XYZ1", rank=1)
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    assert _post(ledger, config, remit([remittance_claims(first)])).cob.secondary == []


def _medicaid_instead(ledger: Ledger, config: Config, on: dt.date | None) -> list[str]:
    """The biller records that P-1's secondary is Medicaid (from before the visit), as
    `ptbill coverage add` does as of `on`: the next payers' claims it holds (`on` None: the
    coverage alone, held by nothing)."""
    from ptbill.ledger.secondary import hold_changed

    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        assert patient is not None
        coverages.record(
            s,
            patient_pk=patient,
            profile=config.payers["medicaid"],
            subscriber=Subscriber(member_id="MCD555"),
            rank=2,
            start=DOS - dt.timedelta(days=30),
            source="test",
        )
        return [] if on is None else hold_changed(s, patient, as_of=on, who=WHO)


def test_a_secondary_whose_coverage_changed_before_submit_is_held_then_billed_to_the_new_plan(
    ledger: Ledger, config: Config, primary
) -> None:
    """V-1-S was made for the Medigap plan; before it is sent the biller records that the
    patient's secondary is Medicaid from an earlier date. The claim is not sent to a plan the
    patient no longer has, nor does it stop the other claims' submission: it is blocked with
    a work item; scrubbed again, it is addressed to Medicaid (its member id in 2010BA) and
    sent with Medicare's decision in 2320/2430 as before."""
    from ptbill.remit.actions import rescrub

    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(primary, _primary_lines(primary), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    assert _medicaid_instead(ledger, config, PAID_DAY) == ["V-1-S"]
    with ledger.transaction() as s:
        assert claim(s, "V-1-S").state == State.BLOCKED
        (item,) = [i for i in open_items(s, "V-1-S") if i.kind == "blocked"]
        assert "medicaid" in item.detail and "medigap" in item.detail
        assert submit(s, config, as_of=PAID_DAY, who=WHO, file_name="x.837").claims == []
    with ledger.transaction() as s:
        assert rescrub(s, config, "V-1-S", as_of=PAID_DAY, who=WHO).state == "ready"
        sec = claim(s, "V-1-S")
        assert s.get(m.Payer, sec.payer_id).key == "medicaid"
        assert sec.expected_payment is None  # not Medicare's price: the next payer's claim
        assert [i for i in open_items(s, "V-1-S") if i.kind == "blocked"] == []
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="second.837")
    assert sent.claims == ["V-1-S"]
    segs = ["*".join(e) for e in split_text(assert_valid(sent.text))]
    assert "NM1*IL*1*LEE*ANN****MI*MCD555" in segs  # 2010BA: the Medicaid member
    assert "AMT*D*62.72" in segs and "AMT*EAF*16" in segs  # 2320: Medicare's decision


def test_a_coverage_recorded_from_the_same_day_replaces_the_one_at_its_rank(
    ledger: Ledger, config: Config, primary
) -> None:
    """The biller entered the Medigap plan from 2025-01-02, then corrects it: the secondary is
    Medicaid from that same day. Medicaid is the coverage at rank 2 from then on, and the
    claim after Medicare goes to it."""
    _add_coverage(ledger, config, "medigap", "MG123")
    _add_coverage(ledger, config, "medicaid", "MCD555")
    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        found = coverages.of_patients(s, [patient])[patient]
        now = coverages.at(found, 2, DOS)
        assert now is not None and now.payer_key == "medicaid"
    first = decision(primary, _primary_lines(primary), icn="A1")
    assert _post(ledger, config, remit([remittance_claims(first)])).cob.secondary == ["V-1-S"]
    with ledger.transaction() as s:
        assert s.get(m.Payer, claim(s, "V-1-S").payer_id).key == "medicaid"


def _secondary_denied(ledger: Ledger, config: Config, primary, carc: str):  # type: ignore[no-untyped-def]
    """V-1-S sent to the Medigap plan, which denies it (CO-`carc` on each line)."""
    first = _secondary_sent(ledger, config, primary, paid_by_plan=False)
    with ledger.transaction() as s:
        sent = s.scalar(select(m.Submission.content).order_by(m.Submission.id.desc()))
    sec = sim_claims(sent)["V-1-S"]
    lines = [LineDecision(x, D(0), D(0), [("CO", carc, x.charge)]) for x in sec.lines]
    answer = Decision(sec, "commercial", "MG1", SECOND_DAY, status="4", lines=lines)
    _post(ledger, config, _remit_from("MEDICARE SUPPLEMENT PLAN", "MEDIGAP", [answer], SECOND_DAY))
    return first


@pytest.mark.parametrize("new_plan", [False, True])
def test_a_corrected_secondary_goes_to_the_next_payer_not_to_the_primary(
    ledger: Ledger, config: Config, primary, new_plan: bool
) -> None:
    """The Medigap plan denies V-1-S. Corrected as it is (CO-16), it is a replacement to the
    plan (frequency 7, REF*F8 the plan's claim number); after the biller records that the
    secondary is Medicaid (CO-27: the plan had ended), a new original to Medicaid (its payer
    never processed it). Either way Medicare's decision rides in 2320, and the claim is never
    sent to Medicare as a primary claim again."""
    from ptbill.remit.actions import correct

    _secondary_denied(ledger, config, primary, "27" if new_plan else "16")
    if new_plan:
        assert _medicaid_instead(ledger, config, LATER) == []  # sent: not held
    with ledger.transaction() as s:
        done = correct(s, config, "V-1-S", as_of=LATER, who=WHO)
        assert (done.frequency_code, done.original_claim_id) == (
            ("1", None) if new_plan else ("7", "MG1")
        )
        assert claim(s, "V-1-S").state == State.CORRECTED
    with ledger.transaction() as s:
        again = submit(s, config, as_of=LATER, who=WHO, file_name="again.837")
    assert again.claims == ["V-1-S"]
    segs = ["*".join(e) for e in split_text(assert_valid(again.text))]
    plan = "NM1*PR*2*STATE MEDICAID" if new_plan else "NM1*PR*2*MEDICARE SUPPLEMENT PLAN"
    assert any(x.startswith(plan) for x in segs)
    assert f"CLM*V-1-S*143***11:B:{done.frequency_code}*Y*A*Y*Y" in segs
    assert segs.count("SBR*S*18*******" + ("MC" if new_plan else "CI")) == 1
    assert "SBR*P*18*******MB" in segs and "AMT*D*62.72" in segs  # 2320: Medicare's decision
    assert ("REF*F8*MG1" in segs) is not new_plan


def test_writing_off_a_denied_secondary_leaves_the_patient_the_share_it_was_sent_for(
    ledger: Ledger, config: Config, primary
) -> None:
    """The plan denies V-1-S (its coverage had ended, CO-27) and the biller writes that claim
    off: the $16 Medicare left is the patient's (docs/ledger.md: a next payer that denied the
    claim leaves the earlier payer's share to the patient), before and after the write-off;
    the write-off is what the plan was billed for, not the visit's whole charge again."""
    from ptbill.ledger.balances import balances
    from ptbill.remit.actions import writeoff

    _secondary_denied(ledger, config, primary, "27")

    def owed() -> Decimal:
        with ledger.transaction() as s:
            patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
            return balances(s, LATER, [patient])[patient].balance

    assert owed() == D("16.00")
    with ledger.transaction() as s:
        assert writeoff(s, "V-1-S", "the plan had ended", as_of=LATER, who=WHO) == D("16.00")
    assert owed() == D("16.00")


def test_writing_off_a_rejected_secondary_leaves_the_patient_the_share_not_pending(
    ledger: Ledger, config: Config, primary
) -> None:
    """The plan's 277CA rejects V-1-S (never decided) and the biller writes it off: as for a
    denied one, the $16 Medicare left is the patient's to pay -- not waiting on the plan
    forever, neither billed nor in anyone's A/R."""
    from ptbill.ledger.acks import apply_acks
    from ptbill.ledger.balances import balances
    from ptbill.payer_sim.patterns import Rejection
    from ptbill.payer_sim.write import write_277ca
    from ptbill.remit.actions import writeoff
    from ptbill.x12.read_277ca import read_277ca

    _secondary_sent(ledger, config, primary, paid_by_plan=False)
    with ledger.transaction() as s:
        sent = s.scalar(select(m.Submission.content).order_by(m.Submission.id.desc()))
    sec = sim_claims(sent)["V-1-S"]
    reject = Decision(sec, "commercial", "MG1", SECOND_DAY, Rejection("A7", "164", "IL"))
    text = write_277ca([reject], payer_name="MEDIGAP", receiver="X", number=1, when=SECOND_DAY)
    with ledger.transaction() as s:
        apply_acks(s, read_277ca(io.StringIO(text)), as_of=SECOND_DAY, who=WHO, content=text)
        assert claim(s, "V-1-S").state == State.REJECTED
    with ledger.transaction() as s:
        assert writeoff(s, "V-1-S", "the plan will not take it", as_of=LATER, who=WHO) == D("16.00")
    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        owed = balances(s, LATER, [patient])[patient]
    assert (owed.balance, owed.pending) == (D("16.00"), D(0))


def test_submit_holds_a_secondary_whose_coverage_changed_and_sends_the_rest(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """The coverage changed without the hold that `coverage add` makes (a visit imported
    since listed another plan, another program wrote it): submit sends V-2 to Medicare and
    holds V-1-S (blocked, its work item), rather than refusing the whole file."""
    result = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    first_claim = sim_claims(result.text)["V-1"]
    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(first_claim, _primary_lines(first_claim), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    assert _medicaid_instead(ledger, config, None) == []
    later = write_visits(tmp_path / "v2.jsonl", [medicare_visit("V-2", dos=DOS + dt.timedelta(2))])
    with ledger.transaction() as s:
        from ptbill.ledger.importer import import_files

        import_files(s, [later], as_of=PAID_DAY, config=config, who=WHO)
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="x.837")
    assert (sent.claims, sent.held) == (["V-2"], ["V-1-S"])
    with ledger.transaction() as s:
        assert claim(s, "V-1-S").state == State.BLOCKED
        (item,) = [i for i in open_items(s, "V-1-S") if i.kind == "blocked"]
        assert item.rule == "COB-COVERAGE-CHANGED"


def test_a_crossover_not_answered_in_the_window_is_asked_of_its_payer(
    ledger: Ledger, config: Config, primary
) -> None:
    """Medicare crossed V-1 over to Medicaid, and Medicaid's 835 has not come within its
    window (status_after_days): the claim status request (276) about it goes to Medicaid, for
    the patient's Medicaid member id, naming the claim as Medicaid received it (Medicare
    forwarded V-1) -- not to Medicare, which decided it, about a claim V-1-S it never had."""
    from ptbill.ledger.claim_status import apply_277
    from ptbill.ledger.claim_status import request as status_request
    from ptbill.payer_sim.status import answer_276
    from ptbill.remit.actions import correct

    _add_coverage(ledger, config, "medicaid", "MCD555")
    first = decision(primary, _primary_lines(primary), icn="A1")
    first.crossover = ("STATE MEDICAID", "MEDICAID")
    _post(ledger, config, remit([remittance_claims(first)]))
    due = PAID_DAY + dt.timedelta(days=config.payers["medicaid"].status_after_days)
    with ledger.transaction() as s:
        asked = status_request(s, config, as_of=due, file_name="s.276", claims=["V-1-S"])
    segs = ["*".join(e) for e in split_text(asked.text)]
    assert "NM1*PR*2*STATE MEDICAID*****PI*MEDICAID" in segs
    assert any(x.startswith("NM1*IL*1*") and x.endswith("*MI*MCD555") for x in segs), segs
    assert "REF*EJ*V-1" in segs and not any("MEDICARE" in x for x in segs if "NM1*PR" in x)
    # The work item's advice, followed: Medicaid answers it has no such claim; the claim is
    # then sent to it by hand (`ptbill correct`, `ptbill submit`) as an 837P of its own.
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s, "V-1-S") if i.kind == "crossover"]
        assert "ptbill status request --claim V-1-S" in item.detail
        assert "ptbill correct V-1-S" in item.detail
        apply_277(s, answer_276(asked.text, {}, number=5, when=due), "s.277", as_of=due, who=WHO)
        assert claim(s, "V-1-S").state == State.REJECTED
        correct(s, config, "V-1-S", as_of=due, who=WHO)
        sent = submit(s, config, as_of=due, who=WHO, file_name="mine.837")
    segs = ["*".join(e) for e in split_text(assert_valid(sent.text))]
    assert sent.claims == ["V-1-S"] and "CLM*V-1-S*143***11:B:1*Y*A*Y*Y" in segs
    assert "NM1*PR*2*STATE MEDICAID*****PI*MEDICAID" in segs and "SBR*S*18*******MC" in segs
    # Sent by hand, the crossover's wait is over: its item is done, naming what was sent (the
    # claim now waits on its 835 as any claim sent does), not left open until the 835 posts.
    with ledger.transaction() as s:
        assert [i.kind for i in open_items(s, "V-1-S")] == []
        done = s.scalars(select(m.WorkItem).where(m.WorkItem.id == item.id)).one()
        assert (done.status, done.closed_on) == ("done", due)
        assert "sent by hand" in done.resolution and "mine.837" in done.resolution


def test_a_secondary_claim_is_asked_of_its_own_payer(
    ledger: Ledger, config: Config, primary
) -> None:
    """V-1-S was sent to the Medigap plan and not answered: the 276 goes to the plan, for the
    patient's Medigap member id, about V-1-S."""
    from ptbill.ledger.claim_status import request as status_request

    _secondary_sent(ledger, config, primary, paid_by_plan=False)
    with ledger.transaction() as s:
        asked = status_request(s, config, as_of=LATER, file_name="s.276", claims=["V-1-S"])
    segs = ["*".join(e) for e in split_text(asked.text)]
    assert "NM1*PR*2*MEDICARE SUPPLEMENT PLAN*****PI*MEDIGAP" in segs
    assert any(x.startswith("NM1*IL*1*") and x.endswith("*MI*MG123") for x in segs), segs
    assert "REF*EJ*V-1-S" in segs


def test_the_claims_of_a_run_come_in_the_order_they_were_asked_for(
    ledger: Ledger, config: Config, tmp_path: Path
):
    """The next-payer claims are numbered in the order their primaries are read: a database
    that returns rows in another order (PostgreSQL may) must not reorder them between runs."""
    from ptbill.ledger.secondary import Advance

    visits = [medicare_visit(f"V-{i}", patient=f"P-{i}") for i in range(1, 6)]
    import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    with ledger.transaction() as s:
        ids = list(s.scalars(select(m.Claim.id)))
        wanted = sorted(ids, reverse=True)[:3] + sorted(ids)[:2]
        advance = Advance(s, config, PAID_DAY, WHO, "test")
        assert [c.id for c in advance.claims(wanted + wanted[:1])] == wanted
