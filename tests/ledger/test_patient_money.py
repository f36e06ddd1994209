"""The patient's share: balances by reason (net of a later payer), the ABN rule, payments
applied oldest first, credits and refunds, write-offs, statements and their dunning cycle, and
insurance over-payments -- each amount counted once.

The test visit bills $143 (97110 x2 $96, 97140 $47); Medicare allows $60 + $20 and pays 80%
less 2% sequestration, leaving PR-2 coinsurance $12 + $4 = $16 (tests.ledger.test_secondary)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zlib
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.config.profiles import Config, StatementContact
from ptbill.domain.visit import Address
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.balances import balances
from ptbill.ledger.db import Ledger
from ptbill.ledger.patient_models import Statement
from ptbill.ledger.patient_pay import pay, refund, write_off
from ptbill.ledger.scope import EVERYTHING, Scope, scope_of
from ptbill.payer_sim.adjudicate import LineDecision
from ptbill.payer_sim.write import remittance_claims
from ptbill.remit.actions import writeoff
from ptbill.remit.letter import phone_text
from ptbill.remit.post import post_text
from ptbill.remit.worklist import WorkFilter
from ptbill.remit.worklist import open_items as open_items_of
from ptbill.reports.statements import run_statements
from tests.ledger.helpers import (
    PAID_DAY,
    WHO,
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
from tests.ledger.test_secondary import _add_coverage, _primary_lines

D = Decimal


def _post(ledger: Ledger, config: Config, text: str) -> None:
    with ledger.transaction() as s:
        post_text(s, text, "r.835", who=WHO, config=config, as_of=None)


def _owed(ledger: Ledger, day: dt.date = PAID_DAY):  # type: ignore[no-untyped-def]
    with ledger.transaction() as s:
        patient = s.scalar(select(m.Patient.id).where(m.Patient.external_id == "P-1"))
        return balances(s, day, [patient])[patient]


@pytest.fixture
def sent(ledger: Ledger, config: Config, tmp_path: Path) -> dict:
    visits = [
        medicare_visit("V-1"),
        medicare_visit("V-2", dos=dt.date(2025, 3, 5)),
    ]
    result = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    return sim_claims(result.text)


def _paid(sent: dict, *names: str, icn: str = "A", number: int = 1, **kw) -> str:  # type: ignore[no-untyped-def]
    return remit(
        [
            remittance_claims(decision(sent[n], _primary_lines(sent[n], **kw), icn=f"{icn}{n}"))
            for n in names
        ],
        number=number,
    )


def test_the_coinsurance_is_owed_by_reason_and_aged(ledger: Ledger, config: Config, sent) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    owed = _owed(ledger, PAID_DAY + dt.timedelta(days=40))
    (v1, v2) = owed.visits
    assert (v1.claim_number, v1.share, v1.balance) == ("V-1", D("16.00"), D("16.00"))
    assert v1.insurance_paid == D("62.72") and v1.adjustments == D("64.28")  # 143 - 62.72 - 16
    assert v1.charge == v1.insurance_paid + v1.adjustments + v1.share
    assert v2.pending_with == "medicare" and v2.balance == 0  # not decided yet
    assert owed.balance == D("16.00")
    assert owed.by_reason()["coinsurance"] == D("16.00")
    assert owed.aging(PAID_DAY + dt.timedelta(days=40))["31-60"] == D("16.00")


def test_deductible_and_copay_are_told_apart(ledger: Ledger, config: Config, sent) -> None:
    c = sent["V-1"]
    lines = [
        LineDecision(
            c.lines[0], D("60.00"), D("0"), [("CO", "45", D("36.00")), ("PR", "1", D("60.00"))]
        ),
        LineDecision(
            c.lines[1], D("20.00"), D("10.00"), [("CO", "45", D("27.00")), ("PR", "3", D("10.00"))]
        ),
    ]
    _post(ledger, config, remit([remittance_claims(decision(c, lines, icn="A1"))]))
    r = _owed(ledger).by_reason()
    assert (r["deductible"], r["copay"], r["coinsurance"]) == (D("60.00"), D("10.00"), D(0))


def test_a_secondary_claim_holds_the_share_until_it_decides(
    ledger: Ledger, config: Config, sent
) -> None:
    _add_coverage(ledger, config, "medigap", "MG123")
    _post(ledger, config, _paid(sent, "V-1"))
    owed = _owed(ledger)
    assert owed.visits[0].pending_with == "medigap" and owed.balance == 0
    assert owed.pending == D("16.00")  # counted once: pending, not owed too


def test_non_covered_needs_an_abn(ledger: Ledger, config: Config, sent) -> None:
    """Medicare denies 97140 as not covered (PR-96): with GA (ABN on file) the patient may be
    billed; without it, not (write-off suggested)."""
    c = sent["V-1"]
    ga = dataclasses.replace(c.lines[1], modifiers=("GP", "GA"))
    for line, expected_billable in ((c.lines[1], D(0)), (ga, D("47.00"))):
        lines = [
            paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")),
            LineDecision(line, D(0), D(0), [("PR", "96", D("47.00"))]),
        ]
        with ledger.transaction() as s:
            s.query(m.Claim).filter(m.Claim.claim_number == "V-1").update({"state": "submitted"})
        _post(
            ledger,
            config,
            # Two decisions (ICNs): the same ICN and amounts again would be the decision posted
            # before, not applied twice (#14).
            remit(
                [remittance_claims(decision(c, lines, icn="A2" if line is ga else "A1"))],
                number=5 if line is ga else 4,
            ),
        )
        v = _owed(ledger).visits[0]
        assert v.by_reason["non_covered"] == expected_billable
        assert v.not_billable == D("47.00") - expected_billable


def _gz_denied(
    ledger: Ledger, config: Config, sent: dict, modifiers: tuple[str, ...], carc: str = "96"
) -> None:
    """V-1 decided by Medicare: 97110 paid (coinsurance $12), 97140 ($47) denied as not
    covered (or past the benefit maximum: `carc` 119) and given to the patient (PR), the line
    billed with `modifiers`."""
    c = sent["V-1"]
    line = dataclasses.replace(c.lines[1], modifiers=modifiers)
    lines = [
        paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")),
        LineDecision(line, D(0), D(0), [("PR", carc, D("47.00"))]),
    ]
    _post(ledger, config, remit([remittance_claims(decision(c, lines, icn="A1"))]))


@pytest.mark.parametrize("modifiers", [("GP", "GZ"), ("GP",)])
def test_a_non_covered_line_without_an_abn_is_written_off_never_billed(
    ledger: Ledger, config: Config, sent, tmp_path: Path, modifiers: tuple[str, ...]
) -> None:
    """Without an ABN on file (GZ, or no GA) the patient may not be billed for a Medicare line
    denied as not covered, whoever the 835 gives it to (billing-rules: the ABN route, CARC 96):
    the clinic writes it off. The denial's work item says so (write_off, not bill_patient), a
    statement bills the patient's coinsurance only and leaves that item open, and the claim's
    write-off writes off the $47 -- counted once: the claim's totals still add up to its
    charge -- and closes the item; the patient still owes the $12."""
    _gz_denied(ledger, config, sent, modifiers)
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s, "V-1") if i.carc == "96"]
        assert (item.kind, item.action, item.amount) == ("denial", "write_off", D("47.00"))
        assert "ABN" in item.detail and "bill the patient" not in item.detail
        adjustment = s.scalars(select(m.Adjustment).where(m.Adjustment.carc == "96")).one()
        assert adjustment.action == "write_off"  # as the claim page shows it
        run = run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=tmp_path / "st")
        assert [x["balance"] for x in run.statements] == [D("12.00")]
        assert [i.id for i in open_items(s, "V-1") if i.carc == "96"] == [item.id]
    with ledger.transaction() as s:
        assert writeoff(s, "V-1", "no ABN on file", as_of=PAID_DAY, who=WHO) == D("47.00")
    with ledger.transaction() as s:
        claim = s.scalars(select(m.Claim).where(m.Claim.claim_number == "V-1")).one()
        assert claim.state == "closed" and claim.written_off == D("47.00")
        assert claim.patient_responsibility == D("12.00")
        parts = claim.paid + claim.patient_responsibility + claim.contractual + claim.written_off
        assert parts == claim.charge
        assert [i for i in open_items(s, "V-1") if i.kind == "denial"] == []
    v = _owed(ledger).visits[0]
    assert (v.balance, v.by_reason["non_covered"]) == (D("12.00"), D(0))


def test_a_line_past_the_therapy_threshold_without_an_abn_is_written_off(
    ledger: Ledger, config: Config, sent, tmp_path: Path
) -> None:
    """PR-119 on a Medicare line without KX and without an ABN on file: the patient is liable
    only with a valid ABN (billing-rules M-6, CARC 119), so, as for PR-96, the item says
    write off, no statement bills it, and the claim's write-off takes it."""
    _gz_denied(ledger, config, sent, ("GP",), carc="119")
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s, "V-1") if i.carc == "119"]
        assert (item.action, item.amount) == ("write_off", D("47.00")) and "ABN" in item.detail
        run = run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=tmp_path / "st")
        assert [x["balance"] for x in run.statements] == [D("12.00")]
    with ledger.transaction() as s:
        assert writeoff(s, "V-1", "no ABN on file", as_of=PAID_DAY, who=WHO) == D("47.00")
    v = _owed(ledger).visits[0]
    assert (v.balance, v.not_billable) == (D("12.00"), D("47.00"))


def test_a_non_covered_line_with_an_abn_is_the_patients(
    ledger: Ledger, config: Config, sent
) -> None:
    """With GA (an ABN on file) the PR-96 line is the patient's to pay: the item says bill the
    patient, and there is nothing for the clinic to write off."""
    _gz_denied(ledger, config, sent, ("GP", "GA"))
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s, "V-1") if i.carc == "96"]
        assert item.action == "bill_patient"
    with ledger.transaction() as s, pytest.raises(InputError, match="nothing to write off"):
        writeoff(s, "V-1", "no ABN on file", as_of=PAID_DAY, who=WHO)
    assert _owed(ledger).visits[0].balance == D("59.00")


def test_payments_apply_oldest_first_and_leave_a_credit(
    ledger: Ledger, config: Config, sent
) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    later = PAID_DAY + dt.timedelta(days=1)
    with ledger.transaction() as s:
        first = pay(
            s, patient="P-1", amount=D("10.00"), method="card", reference="AUTH1", on=later, who=WHO
        )
    assert first.applied == [{"claim_id": "V-1", "amount": D("10.00")}]
    assert (first.balance, first.credit) == (D("6.00"), D(0))
    assert _owed(ledger, later).by_reason()["coinsurance"] == D("6.00")  # net of the payment
    with ledger.transaction() as s:
        second = pay(
            s, patient="P-1", amount=D("20.00"), method="check", reference="1001", on=later, who=WHO
        )
        assert (second.balance, second.credit) == (D(0), D("14.00"))
        (item,) = [i for i in open_items(s) if i.kind == "refund"]
        assert item.amount == D("14.00") and item.reference == "patient:P-1"
    # V-2's coinsurance is posted: the credit pays it (14 of 16) and the refund item closes.
    _post(ledger, config, _paid(sent, "V-2", number=2))
    owed = _owed(ledger, later)
    assert (owed.balance, owed.credit) == (D("2.00"), D(0))
    with ledger.transaction() as s:
        assert [i for i in open_items(s) if i.kind == "refund"] == []


def test_a_refund_pays_the_credit_back_and_no_more(ledger: Ledger, config: Config, sent) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    with ledger.transaction() as s:
        pay(s, patient="P-1", amount=D("25.00"), method="cash", reference="", on=PAID_DAY, who=WHO)
    with ledger.transaction() as s, pytest.raises(InputError, match="credit is 9.00"):
        refund(
            s, patient="P-1", amount=D("10.00"), method="check", reference="", on=PAID_DAY, who=WHO
        )
    with ledger.transaction() as s:
        done = refund(
            s,
            patient="P-1",
            amount=D("9.00"),
            method="check",
            reference="2001",
            on=PAID_DAY,
            who=WHO,
        )
        assert (done.credit, done.balance) == (D(0), D(0))
        assert [i for i in open_items(s) if i.kind == "refund"] == []


def test_the_same_payment_recorded_twice_is_refused_and_counted_once(
    ledger: Ledger, config: Config, sent
) -> None:
    """The desk records card payment AUTH1 of $10, then again (a double click, a command run
    twice): the second is refused, the balance is lowered once. A payment without a
    reference cannot be told from another and is recorded; another card authorization is
    another payment."""
    _post(ledger, config, _paid(sent, "V-1"))
    kw = {"patient": "P-1", "on": PAID_DAY, "who": WHO}
    with ledger.transaction() as s:
        pay(s, amount=D("10.00"), method="card", reference="AUTH1", **kw)
    with ledger.transaction() as s, pytest.raises(InputError, match="AUTH1.*2025-03-24"):
        pay(s, amount=D("10.00"), method="card", reference="AUTH1", **kw)
    assert (_owed(ledger).balance, _owed(ledger).credit) == (D("6.00"), D(0))
    with ledger.transaction() as s:
        pay(s, amount=D("1.00"), method="cash", reference="", **kw)
        pay(s, amount=D("1.00"), method="cash", reference="", **kw)
        done = pay(s, amount=D("10.00"), method="card", reference="AUTH2", **kw)
    assert (done.balance, done.credit) == (D(0), D("6.00"))
    with ledger.transaction() as s:
        refund(s, amount=D("3.00"), method="check", reference="1001", **kw)
    with ledger.transaction() as s, pytest.raises(InputError, match="1001"):
        refund(s, amount=D("3.00"), method="check", reference="1001", **kw)
    assert _owed(ledger).credit == D("3.00")


@pytest.mark.parametrize("again", [" AUTH1 ", "auth1", "AUTH1\t"])
def test_the_same_reference_typed_again_with_spaces_or_in_lower_case_counts_once(
    ledger: Ledger, config: Config, sent, again: str
) -> None:
    """Card authorization AUTH1 keyed in again with a stray space or in lower case is the
    same authorization: refused, and V-1's $16.00 share is lowered by $10 once ($6 owed)."""
    _post(ledger, config, _paid(sent, "V-1"))
    kw = {"patient": "P-1", "on": PAID_DAY, "who": WHO}
    with ledger.transaction() as s:
        pay(s, amount=D("10.00"), method="card", reference="AUTH1", **kw)
    with ledger.transaction() as s, pytest.raises(InputError, match="AUTH1.*2025-03-24"):
        pay(s, amount=D("10.00"), method="card", reference=again, **kw)
    assert (_owed(ledger).balance, _owed(ledger).credit) == (D("6.00"), D(0))


def test_a_reference_longer_than_the_ledger_keeps_is_refused_not_cut(
    ledger: Ledger, config: Config, sent
) -> None:
    """Two check numbers of 51 characters that differ only in the last one are two payments;
    cut to the 50 the ledger keeps, the second would be refused as the first (or a refund's
    reference lost): a reference is kept whole or refused, naming --ref."""
    _post(ledger, config, _paid(sent, "V-1"))
    kw = {"patient": "P-1", "on": PAID_DAY, "who": WHO}
    with ledger.transaction() as s, pytest.raises(InputError, match="51 characters") as e:
        pay(s, amount=D("10.00"), method="check", reference="9" * 50 + "1", **kw)
    assert e.value.field == "--ref"
    with ledger.transaction() as s:
        pay(s, amount=D("10.00"), method="check", reference="9" * 50, **kw)
    with ledger.transaction() as s, pytest.raises(InputError, match="--ref|51 characters"):
        refund(s, amount=D("1.00"), method="check", reference="8" * 51, **kw)
    assert (_owed(ledger).balance, _owed(ledger).credit) == (D("6.00"), D(0))


@pytest.mark.parametrize("reason", ["", "x" * 201])
def test_a_patient_write_off_reason_is_said_in_1_to_200_characters(
    ledger: Ledger, config: Config, sent, reason: str
) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    with ledger.transaction() as s, pytest.raises(InputError, match="1 to 200 characters"):
        write_off(s, patient="P-1", reason=reason, on=PAID_DAY, who=WHO)
    assert _owed(ledger).balance == D("16.00")


def test_balances_and_the_report_as_of_an_earlier_date_show_what_was_known_then(
    ledger: Ledger, config: Config, sent
) -> None:
    """Medicare decides V-1 on PAID_DAY ($16 coinsurance); the patient pays $20 ten days
    later ($4 credit). As of the day before the decision nothing is owed yet (the claim is
    with Medicare); as of five days after it, $16 is owed and there is no credit; from the
    payment on, nothing is owed and $4 is credit. The report of each date agrees (docs/ledger.md:
    a report as of an earlier date shows what was known then)."""
    from ptbill.reports.report import build_report

    _post(ledger, config, _paid(sent, "V-1"))
    paid_on = PAID_DAY + dt.timedelta(days=10)
    with ledger.transaction() as s:
        pay(s, patient="P-1", amount=D("20.00"), method="cash", reference="", on=paid_on, who=WHO)
    expected = [
        (PAID_DAY - dt.timedelta(days=1), D(0), D(0), D(0)),
        (PAID_DAY + dt.timedelta(days=5), D("16.00"), D(0), D(0)),
        (paid_on, D(0), D("4.00"), D("20.00")),
    ]
    for day, owed, credit, collected in expected:
        found = _owed(ledger, day)
        assert (found.balance, found.credit) == (owed, credit), day
        with ledger.transaction() as s:
            r = build_report(s, day)
        assert (r["patient_ar_total"], r["patient_credits"]) == (owed, credit), day
        assert sum(r["collections_by_patient"].values(), D(0)) == collected, day


def test_a_payment_to_a_chosen_claim(ledger: Ledger, config: Config, sent) -> None:
    _post(ledger, config, _paid(sent, "V-1", "V-2"))
    with ledger.transaction() as s:
        done = pay(
            s,
            patient="P-1",
            amount=D("16.00"),
            method="card",
            reference="",
            on=PAID_DAY,
            who=WHO,
            claim="V-2",
        )
    assert done.applied == [{"claim_id": "V-2", "amount": D("16.00")}]
    assert [v.balance for v in _owed(ledger).visits] == [D("16.00"), D(0)]


def test_statements_follow_the_dunning_cycle(
    ledger: Ledger, config: Config, sent, tmp_path: Path
) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    steps = []
    for days in (0, 10, 30, 45, 60, 90, 120):
        day = PAID_DAY + dt.timedelta(days=days)
        with ledger.transaction() as s:
            run = run_statements(s, config, as_of=day, who=WHO, out_dir=tmp_path / str(days))
        steps.append([x["step"] for x in run.statements] + ["collections"] * len(run.collections))
    assert steps == [["first"], [], ["reminder"], [], ["final"], ["collections"], []]
    first = tmp_path / "0"
    batch = (first / f"statements-{PAID_DAY}.pdf").read_bytes()
    assert (
        batch.startswith(b"%PDF")
        and (first / f"statement-elm-street-pt-P-1-{PAID_DAY}.pdf").exists()
    )
    csv_text = (first / f"statements-{PAID_DAY}.csv").read_text()
    assert csv_text.splitlines()[1].startswith("P-1,Ann Lee,12 Elm St,,Springfield,IL,62701,")
    assert ",first,16.00," in csv_text
    with ledger.transaction() as s:
        assert [i.kind for i in open_items(s) if i.kind == "collections"] == ["collections"]


def pdf_text(pdf: bytes) -> str:
    """The text drawn on a PDF's pages (its content streams, inflated, strings unescaped)."""
    streams = re.findall(rb"/FlateDecode >>\nstream\n(.*?)\nendstream", pdf, re.DOTALL)
    text = "\n".join(zlib.decompress(x).decode("latin-1") for x in streams)
    return re.sub(r"\\([()\\])", r"\1", text)


def _statement_text(ledger: Ledger, config: Config, folder: Path) -> str:
    with ledger.transaction() as s:
        run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=folder)
    return pdf_text((folder / f"statement-elm-street-pt-P-1-{PAID_DAY}.pdf").read_bytes())


def test_a_statement_says_what_the_share_is_for_whom_to_pay_and_whom_to_call(
    ledger: Ledger, config: Config, sent, tmp_path: Path
) -> None:
    """V-1's $16 is Medicare's PR-2 coinsurance (the module's visit). Checks are payable to the
    clinic by name at its address, and the phone is the submitter's (demo-clinic.toml:
    2175550100), written as people read it."""
    _post(ledger, config, _paid(sent, "V-1"))
    text = _statement_text(ledger, config, tmp_path / "own")
    assert "What you owe is for: coinsurance 16.00." in text
    assert "payable to Elm Street Physical Therapy" in text
    assert "to 100 Elm St, Springfield, IL 62701-1234. Write your account number (P-1)" in text
    assert "Questions about this statement: call (217) 555-0100." in text


def test_a_clinics_statement_contact_sends_checks_and_calls_elsewhere(
    ledger: Ledger, config: Config, sent, tmp_path: Path
) -> None:
    """A billing company's lockbox and phone line (`statements` of the clinic's configuration)
    on the statement; the clinic's own name and address stay its heading."""
    _post(ledger, config, _paid(sent, "V-1"))
    elm = config.clinics["elm-street-pt"]
    lockbox = StatementContact(
        payable_to="Keystone Billing LLC",
        address=Address(
            line1="PO Box 4410", line2="Dept 7", city="Chicago", state="IL", zip="60680"
        ),
        phone="312-555-0199 ext 4",
    )
    mine = config.model_copy(
        update={
            "clinics": {**config.clinics, elm.key: elm.model_copy(update={"statements": lockbox})}
        }
    )
    text = _statement_text(ledger, mine, tmp_path / "lockbox")
    assert "payable to Keystone Billing LLC" in text
    assert "to PO Box 4410, Dept 7, Chicago, IL 60680." in text
    assert "call 312-555-0199 ext 4." in text  # an extension: as configured
    assert elm.name in text and "100 Elm St, Springfield" in text  # the heading
    assert "payable to Elm Street" not in text and "(217) 555-0100" not in text


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("2175550100", "(217) 555-0100"),
        ("1-217-555-0100", "(217) 555-0100"),
        ("(217) 555-0100", "(217) 555-0100"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),  # not a US number
        ("555-0100", "555-0100"),
        ("2175550100x12", "2175550100x12"),
    ],
)
def test_a_phone_number_is_written_as_people_read_it(written: str, read: str) -> None:
    assert phone_text(written) == read


def test_each_clinics_statements_carry_its_own_clinic(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A patient P-1 at each clinic (their ids are the clinics' own): a run held to Oak Avenue
    bills only Oak's, under Oak's name and address; a run of every clinic then bills Elm's
    under Elm's (demo-clinic.toml)."""
    oak_visit = medicare_visit("V-7", dos=dt.date(2025, 3, 5), clinic="oak-avenue-pt")
    visits = [medicare_visit("V-1"), oak_visit]
    sent = sim_claims(
        import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits)).text
    )
    _post(ledger, config, _paid(sent, "V-1", "V-7"))
    elm, oak = config.clinics["elm-street-pt"], config.clinics["oak-avenue-pt"]
    with ledger.transaction() as s:
        held = run_statements(
            s,
            config,
            as_of=PAID_DAY,
            who=WHO,
            out_dir=tmp_path / "oak",
            scope=scope_of(s, [oak.key]),
        )
        everyone = run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=tmp_path / "all")
    assert [x["patient_id"] for x in held.statements] == ["P-1"]
    assert held.statements[0]["visits"][0]["claim_id"] == "V-7"
    assert [x["visits"][0]["claim_id"] for x in everyone.statements] == ["V-1"]
    assert everyone.waiting == ["P-1"]  # Oak's P-1: its first statement went out today
    for folder, mine, theirs in (("oak", oak, elm), ("all", elm, oak)):
        text = pdf_text(
            (tmp_path / folder / f"statement-{mine.key}-P-1-{PAID_DAY}.pdf").read_bytes()
        )
        assert mine.name in text and mine.address.line1 in text and mine.address.zip in text
        assert theirs.name not in text and theirs.address.line1 not in text
        csv_text = (tmp_path / folder / f"statements-{PAID_DAY}.csv").read_text()
        assert csv_text.splitlines()[1].endswith(f",{mine.key}")


def _open_items(s: Session, kind: str, scope: Scope) -> list[Decimal | None]:
    """The amounts of the open items of this kind a caller of `scope` sees."""
    q = select(m.WorkItem.amount).where(
        m.WorkItem.kind == kind, m.WorkItem.status == "open", scope.work_items()
    )
    return sorted(s.scalars(q))  # type: ignore[type-var]


def _two_clinics_owing(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    """P-1 at Elm Street and P-1 at Oak Avenue (each clinic's own id), each owing $16."""
    oak_visit = medicare_visit("V-7", dos=dt.date(2025, 3, 5), clinic="oak-avenue-pt")
    visits = [medicare_visit("V-1"), oak_visit]
    sent = sim_claims(
        import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits)).text
    )
    _post(ledger, config, _paid(sent, "V-1", "V-7"))


def _each_clinics_p1_pays(s: Session) -> tuple[Scope, Scope]:
    """Elm's P-1 pays $20 and Oak's P-1 $25 (each owes $16); their clinics' scopes."""
    elm, oak = scope_of(s, ["elm-street-pt"]), scope_of(s, ["oak-avenue-pt"])
    for scope, amount in ((elm, "20.00"), (oak, "25.00")):
        kw = {"method": "cash", "reference": "", "on": PAID_DAY, "who": WHO, "scope": scope}
        pay(s, patient="P-1", amount=D(amount), **kw)
    return elm, oak


def test_each_clinics_patient_has_its_own_refund_item(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A refund item (no claim) is its patient row's: Elm's and Oak's P-1 each hold a credit
    and each their own item, which only its clinic (and the company) sees; Elm's refund closes
    Elm's item and leaves Oak's open."""
    _two_clinics_owing(ledger, config, tmp_path)
    with ledger.transaction() as s:
        elm, oak = _each_clinics_p1_pays(s)
        assert _open_items(s, "refund", elm) == [D("4.00")]
        assert _open_items(s, "refund", oak) == [D("9.00")]
        assert _open_items(s, "refund", EVERYTHING) == [D("4.00"), D("9.00")]
        # The work queue names the item's clinic and filters by it.
        (queued,) = open_items_of(s, EVERYTHING, filters=WorkFilter(clinics=("oak-avenue-pt",)))
        assert (queued["kind"], queued["clinic"], queued["amount"]) == (
            "refund",
            "oak-avenue-pt",
            D("9.00"),
        )
        kw = {"method": "cash", "reference": "", "on": PAID_DAY, "who": WHO, "scope": elm}
        refund(s, patient="P-1", amount=D("4.00"), **kw)
        assert _open_items(s, "refund", elm) == []
        assert _open_items(s, "refund", oak) == [D("9.00")]


def test_collections_by_patient_keep_two_clinics_patients_of_one_id_apart(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """Elm's P-1 pays $20 and Oak's P-1 $25: a company-wide report names each by its clinic
    rather than adding them up as one patient's $45; a clinic's report names its P-1 alone."""
    from ptbill.reports.report import build_report

    _two_clinics_owing(ledger, config, tmp_path)
    with ledger.transaction() as s:
        elm, oak = _each_clinics_p1_pays(s)
        everyone = build_report(s, PAID_DAY)
        assert everyone["collections_by_patient"] == {
            "elm-street-pt/P-1": D("20.00"),
            "oak-avenue-pt/P-1": D("25.00"),
        }
        assert build_report(s, PAID_DAY, oak)["collections_by_patient"] == {"P-1": D("25.00")}


def test_a_collections_item_is_its_patients_clinics(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """After the final notice, each clinic's P-1 gets a collections item of its own, seen by
    its clinic's billers."""
    _two_clinics_owing(ledger, config, tmp_path)
    for days in (0, 30, 60, 90):
        with ledger.transaction() as s:
            run_statements(s, config, as_of=PAID_DAY + dt.timedelta(days=days), who=WHO)
    with ledger.transaction() as s:
        for key in ("elm-street-pt", "oak-avenue-pt"):
            assert _open_items(s, "collections", scope_of(s, [key])) == [D("16.00")]


def test_a_balance_paid_after_collections_ends_it_and_a_new_balance_starts_a_new_cycle(
    ledger: Ledger, config: Config, sent
) -> None:
    """V-1's $16 goes through first, reminder, final and collections; the patient then pays
    it: the collections item is done (nothing is owed), the cycle is closed, and V-2's $16,
    decided later, gets a first statement of a new cycle (docs/ledger.md, Statements)."""
    _post(ledger, config, _paid(sent, "V-1"))
    for days in (0, 30, 60, 90):
        with ledger.transaction() as s:
            run_statements(s, config, as_of=PAID_DAY + dt.timedelta(days=days), who=WHO)
    paid_on = PAID_DAY + dt.timedelta(days=95)
    with ledger.transaction() as s:
        assert [i.amount for i in open_items(s) if i.kind == "collections"] == [D("16.00")]
        pay(s, patient="P-1", amount=D("16.00"), method="cash", reference="", on=paid_on, who=WHO)
        assert [i for i in open_items(s) if i.kind == "collections"] == []
    with ledger.transaction() as s:
        run = run_statements(s, config, as_of=paid_on + dt.timedelta(days=5), who=WHO)
        assert (run.statements, run.closed) == ([], ["P-1"])
    _post(ledger, config, _paid(sent, "V-2", number=2))
    with ledger.transaction() as s:
        run = run_statements(s, config, as_of=paid_on + dt.timedelta(days=10), who=WHO)
    assert [(x["step"], x["balance"]) for x in run.statements] == [("first", D("16.00"))]


def test_a_write_off_ends_the_cycle(ledger: Ledger, config: Config, sent, tmp_path: Path) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    with ledger.transaction() as s:
        run_statements(s, config, as_of=PAID_DAY, who=WHO)
        write_off(s, patient="P-1", reason="hardship", on=PAID_DAY, who=WHO)
    with ledger.transaction() as s:
        run = run_statements(s, config, as_of=PAID_DAY + dt.timedelta(days=30), who=WHO)
        assert (run.statements, run.closed) == ([], ["P-1"])
        steps = s.scalars(select(Statement.step).order_by(Statement.id)).all()
        assert steps == ["first", "closed"]


def test_a_payment_posted_twice_is_a_refund_not_a_bigger_balance(
    ledger: Ledger, config: Config, sent
) -> None:
    _post(ledger, config, _paid(sent, "V-1"))
    _post(ledger, config, _paid(sent, "V-1", icn="B", number=2))  # the same decision again
    with ledger.transaction() as s:
        (item,) = [i for i in open_items(s) if i.kind == "refund"]
        assert (item.category, item.amount, item.reference) == ("paid_twice", D("62.72"), "V-1")
    owed = _owed(ledger)
    assert owed.balance == D("16.00") and owed.visits[0].insurance_paid == D("62.72")


def test_bad_amounts_and_methods_are_refused(ledger: Ledger, config: Config, sent) -> None:
    with ledger.transaction() as s, pytest.raises(InputError, match="above 0"):
        pay(s, patient="P-1", amount=D("-5"), method="card", reference="", on=PAID_DAY, who=WHO)
    with ledger.transaction() as s, pytest.raises(InputError, match="not a payment method"):
        pay(s, patient="P-1", amount=D("5"), method="bitcoin", reference="", on=PAID_DAY, who=WHO)
    with ledger.transaction() as s, pytest.raises(InputError, match="no patient"):
        pay(s, patient="P-404", amount=D("5"), method="card", reference="", on=PAID_DAY, who=WHO)


@pytest.mark.parametrize("amount", ["NaN", "sNaN", "Infinity", "1e30", "10000000000.00"])
def test_amounts_that_are_no_dollars_and_cents_are_refused_plainly(
    ledger: Ledger, config: Config, sent, amount: str
) -> None:
    """Not a number, infinite, or beyond the ledger's money (12 digits, as the visit format's
    and the API's amounts): an input error, never an arithmetic or database error."""
    kw = {"patient": "P-1", "reference": "", "on": PAID_DAY, "who": WHO}
    with ledger.transaction() as s, pytest.raises(InputError, match="AMOUNT"):
        pay(s, amount=D(amount), method="card", **kw)
    with ledger.transaction() as s, pytest.raises(InputError, match="AMOUNT"):
        refund(s, amount=D(amount), method="check", **kw)
    _post(ledger, config, _paid(sent, "V-1"))
    with ledger.transaction() as s, pytest.raises(InputError, match="AMOUNT"):
        write_off(s, patient="P-1", reason="x", on=PAID_DAY, who=WHO, amount=D(amount))


def test_the_report_counts_each_dollar_once(ledger: Ledger, config: Config, sent) -> None:
    """V-1: Medicare paid 62.72 and left 16.00 to the Medigap plan, then the plan paid it.
    V-2 is still with Medicare (143.00)."""
    from ptbill.ledger.submit import submit
    from ptbill.reports.report import build_report
    from tests.ledger.test_secondary import _remit_from, _secondary_pays

    _add_coverage(ledger, config, "medigap", "MG123")
    first = decision(sent["V-1"], _primary_lines(sent["V-1"]), icn="A1")
    _post(ledger, config, remit([remittance_claims(first)]))
    with ledger.transaction() as s:
        assert build_report(s, PAID_DAY)["ar_total"] == D("143.00")  # V-1-S not sent yet
        sent2 = submit(s, config, as_of=PAID_DAY, who=WHO, file_name="s.837")
        r = build_report(s, PAID_DAY)
        assert r["ar_total"] == D("159.00")  # 143.00 with Medicare + 16.00 with the plan
        assert (r["patient_ar_total"], r["patient_pending_insurance"]) == (D(0), D("16.00"))
    answer = _secondary_pays(sim_claims(sent2.text)["V-1-S"], first)
    _post(ledger, config, _remit_from("MEDICARE SUPPLEMENT PLAN", "MEDIGAP", [answer], PAID_DAY))
    with ledger.transaction() as s:
        pay(s, patient="P-1", amount=D("5.00"), method="cash", reference="", on=PAID_DAY, who=WHO)
        r = build_report(s, PAID_DAY)
    assert r["ar_total"] == D("143.00")
    assert (r["patient_ar_total"], r["patient_credits"]) == (D(0), D("5.00"))
    assert r["collections_by_payer"] == {"medicare": D("62.72"), "medigap": D("16.00")}
    assert r["collections_by_patient"] == {"P-1": D("5.00")}
    # (62.72 + 16.00 + 5.00) / (286.00 charges - 64.28 CO-45 and CO-253 on V-1)
    assert r["net_collection_rate"] == D("0.3776")


def test_a_long_statement_goes_on_over_pages_and_the_batch_holds_every_page() -> None:
    import datetime as _dt

    from ptbill.config import load_config
    from ptbill.reports.statements import render, statement_pdf

    clinic = next(iter(load_config(None).clinics.values()))
    visit = {
        "claim_id": "V-1",
        "date_of_service": _dt.date(2025, 3, 3),
        **{k: D("1.00") for k in ("charges", "insurance_paid", "adjustments")},
        **{k: D("1.00") for k in ("your_share", "you_paid", "owed")},
    }
    detail = {
        "patient_id": "P-1",
        "name": "Ann (Lee)",  # PDF text escapes the parentheses
        "address": {},
        "statement_date": "2025-04-01",
        "step": "first",
        "balance": "60.00",
        "aging": {"0-30": "60.00"},
        "pay_by": "2025-05-01",
        "visits": [visit] * 60,
    }
    assert len(render(detail, clinic)) == 2
    pdf = statement_pdf(detail, clinic)
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page ") == 2 and b"/Count 2" in pdf


def test_a_reversal_without_its_correction_leaves_nothing_negative_pending(
    ledger: Ledger, config: Config, sent
) -> None:
    """The patient paid V-1's $16.00 coinsurance; then Medicare's 835 reverses its decision
    (CLP02 22) and the corrected decision has not come yet. The visit is back with Medicare:
    the patient owes nothing on it now, and nothing is waiting on insurance beyond what was
    paid -- never a negative amount pending insurance (the payment stays with the visit)."""
    from ptbill.payer_sim.write import reversal_claims
    from ptbill.reports.report import build_report

    first = decision(sent["V-1"], _primary_lines(sent["V-1"]), icn="AV-1")
    _post(ledger, config, remit([remittance_claims(first)]))
    with ledger.transaction() as s:
        pay(
            s, patient="P-1", amount=D("16.00"), method="card", reference="A1", on=PAID_DAY, who=WHO
        )
    segments, _ = reversal_claims(first, first)
    second = next(i for i, x in enumerate(segments) if i and x.startswith("CLP*"))
    later = PAID_DAY + dt.timedelta(days=10)
    _post(ledger, config, remit([(segments[:second], -first.paid)], when=later, number=2))
    owed = _owed(ledger, later)
    assert owed.visits[0].pending_with == "medicare"
    assert (owed.balance, owed.credit, owed.pending) == (D(0), D(0), D(0))
    with ledger.transaction() as s:
        assert build_report(s, later)["patient_pending_insurance"] == D(0)


def test_statement_files_are_left_only_for_a_run_the_ledger_recorded(
    ledger: Ledger, config: Config, sent, tmp_path: Path
) -> None:
    """A run whose transaction does not commit (the database refuses it) leaves no PDF or CSV
    behind to be mailed for statements the ledger never recorded; a run that commits leaves
    each file under its own name and no partial one."""
    _post(ledger, config, _paid(sent, "V-1"))
    failed = tmp_path / "failed"
    with pytest.raises(RuntimeError), ledger.transaction() as s:
        assert run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=failed).statements
        raise RuntimeError("the commit failed")
    assert [p.name for p in failed.iterdir()] == []
    with ledger.transaction() as s:
        assert s.scalars(select(Statement)).all() == []
        run = run_statements(s, config, as_of=PAID_DAY, who=WHO, out_dir=tmp_path / "ok")
    written = sorted(p.name for p in (tmp_path / "ok").iterdir())
    assert written == sorted(Path(f).name for f in run.files) and len(written) == 3


def test_a_share_lowered_after_the_patient_paid_is_a_credit_with_its_refund_item(
    ledger: Ledger, config: Config, sent
) -> None:
    """The patient paid V-1's $16.00 coinsurance; Medicare then reverses and decides again
    with $6.00 + $2.00 coinsurance. The $8.00 the patient no longer owes is their credit, and
    (nothing else owed to apply it to) one open refund item says so, as for any credit."""
    c = sent["V-1"]
    first = decision(c, _primary_lines(c), icn="AV-1")
    _post(ledger, config, remit([remittance_claims(first)]))
    with ledger.transaction() as s:
        pay(
            s, patient="P-1", amount=D("16.00"), method="card", reference="A1", on=PAID_DAY, who=WHO
        )
    corrected = decision(c, _primary_lines(c, (D("6.00"), D("2.00"))), icn="AV-2")
    later = PAID_DAY + dt.timedelta(days=10)
    _post(ledger, config, reversal(first, corrected, when=later, number=2))
    owed = _owed(ledger, later)
    assert (owed.balance, owed.credit) == (D(0), D("8.00"))
    with ledger.transaction() as s:
        items = [(i.category, i.amount) for i in open_items(s) if i.kind == "refund"]
    assert items == [("patient_credit", D("8.00"))]
