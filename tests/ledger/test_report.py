"""`report`: the numbers of a small, hand-checked month, as of several dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.acks import apply_acks
from ptbill.ledger.db import Ledger
from ptbill.payer_sim.adjudicate import Decision
from ptbill.payer_sim.patterns import Rejection
from ptbill.payer_sim.write import write_277ca
from ptbill.remit.actions import writeoff
from ptbill.remit.post import post_text
from ptbill.reports.report import build_report
from ptbill.x12.read_277ca import read_277ca
from tests.ledger.helpers import (
    WHO,
    claim,
    decision,
    denied,
    import_and_submit,
    medicare_visit,
    paid,
    remit_of,
    sim_claims,
    with_plb,
    write_visits,
)

D = Decimal
ACK_DAY = dt.date(2025, 3, 11)


@pytest.fixture
def month(ledger: Ledger, config: Config, tmp_path: Path) -> Ledger:
    """Four $143.00 Medicare claims of 2025-03-03, submitted 2025-03-10. V-4 is rejected by
    the 277CA; on 2025-03-24 V-1 is paid in full, V-2 has 97140 denied (CO-50), V-3 is denied
    (CO-197)."""
    visits = [medicare_visit(f"V-{n}", patient=f"P-{n}") for n in range(1, 5)]
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    claims = sim_claims(sent.text)
    acks = [
        Decision(
            c, "medicare", f"ICN-{n}", ACK_DAY, Rejection("A7", "164", "IL") if n == "V-4" else None
        )
        for n, c in claims.items()
    ]
    path = tmp_path / "a.277"
    path.write_text(write_277ca(acks, payer_name="MEDICARE", receiver="X", number=1, when=ACK_DAY))
    with ledger.transaction() as s:
        apply_acks(s, read_277ca(str(path)), as_of=ACK_DAY, who=WHO, content=path.read_text())

    def full(c):
        return [
            paid(c.lines[0], D("60.00"), D("12.00"), D("0.96")),
            paid(c.lines[1], D("20.00"), D("4.00"), D("0.32")),
        ]

    v1, v2, v3 = claims["V-1"], claims["V-2"], claims["V-3"]
    text = remit_of(
        [
            decision(v1, full(v1)),
            decision(v2, [full(v2)[0], denied(v2.lines[1], "CO", "50", "N115")]),
            decision(v3, [denied(x, "CO", "197") for x in v3.lines], status="4"),
        ]
    )
    with ledger.transaction() as s:
        post_text(s, text, "r.835", who=WHO, config=config, as_of=None)
    return ledger


def test_the_month_as_of_april_15(month: Ledger) -> None:
    with month.transaction() as s:
        r = build_report(s, dt.date(2025, 4, 15))
        expected = sum((claim(s, n).expected_payment for n in ("V-1", "V-2", "V-3")), D(0))
    assert r["claims_submitted"] == 4
    assert r["first_pass_acceptance_rate"] == D("0.7500")  # V-4 rejected of 4
    assert r["claims_decided"] == 3
    assert r["clean_claim_rate"] == D("0.3333")  # only V-1
    assert r["denial_rate"] == D("0.6667")  # V-2 and V-3
    assert r["denials_by_category"] == {
        "authorization": {"claims": 1, "amount": D("143.00")},
        "medical_necessity": {"claims": 1, "amount": D("47.00")},
    }
    assert r["denials_by_carc"] == {
        "50": {"claims": 1, "amount": D("47.00")},
        "197": {"claims": 1, "amount": D("143.00")},
    }
    assert r["paid_total"] == D("109.76")  # 62.72 + 47.04
    assert r["expected_vs_paid"]["expected"] == expected
    assert r["expected_vs_paid"]["paid"] == D("109.76")
    # A/R: V-2's denied 47.00 + V-3's 143.00 + V-4's 143.00 (rejected, not yet paid)
    assert r["ar_total"] == D("333.00") and r["ar_claims"] == 3
    # first submitted 2025-03-10: 36 days before 2025-04-15
    assert r["ar_aging"] == {
        "0-30": D(0),
        "31-60": D("333.00"),
        "61-90": D(0),
        "91-120": D(0),
        "over_120": D(0),
    }
    # 4 x $143 billed in the 90 days: 333 / (572 / 90) = 52.4 days
    assert r["days_in_ar"] == D("52.4")
    assert r["payers"]["medicare"]["ar_total"] == D("333.00")


def test_an_earlier_date_shows_what_was_known_then(month: Ledger) -> None:
    with month.transaction() as s:
        r = build_report(s, dt.date(2025, 3, 15))  # acknowledged, not yet paid
    assert r["claims_decided"] == 0 and r["paid_total"] == 0
    assert r["first_pass_acceptance_rate"] == D("0.7500")
    assert r["ar_total"] == D("572.00")
    assert r["ar_aging"]["0-30"] == D("572.00")
    with month.transaction() as s:
        r = build_report(s, dt.date(2025, 3, 9))  # before the submission
    assert r["claims_submitted"] == 0 and r["ar_total"] == 0


def test_a_write_off_leaves_the_ar(month: Ledger) -> None:
    with month.transaction() as s:
        writeoff(s, "V-3", "no authorization", as_of=dt.date(2025, 4, 20), who=WHO)
    with month.transaction() as s:
        assert build_report(s, dt.date(2025, 4, 20))["ar_total"] == D("190.00")
        assert build_report(s, dt.date(2025, 4, 15))["ar_total"] == D("333.00")


MONEY = ("paid_total", "ar_total", "unmatched_paid", "patient_ar_total", "collections_total")


def _money_cells(r: dict) -> list[tuple[str, D]]:  # type: ignore[type-arg]
    """Every amount of a report section: its totals, A/R buckets, denials' and expected vs
    paid's amounts (not its rates, counts or days)."""
    cells = [(k, r[k]) for k in MONEY if k in r]
    cells += [(f"ar_aging.{k}", v) for k, v in r["ar_aging"].items()]
    cells += [(f"denials.{k}", v["amount"]) for k, v in r["denials_by_carc"].items()]
    cells += [(f"expected_vs_paid.{k}", r["expected_vs_paid"][k]) for k in ("paid", "difference")]
    return cells


@pytest.mark.parametrize("day", [dt.date(2025, 3, 9), dt.date(2025, 4, 15)])
def test_every_amount_has_dollars_and_cents_zero_too(month: Ledger, day: dt.date) -> None:
    """An amount is written as dollars and cents (`0.00`, as the patients' aging is), not
    `0` beside `333.00` in the same aging: the JSON and the CSV show what the ledger holds."""
    with month.transaction() as s:
        r = build_report(s, day)
    sections = [r, *r["payers"].values(), *r["clinics"].values()]
    wrong = [
        (k, str(v)) for sec in sections for k, v in _money_cells(sec) if v.as_tuple().exponent != -2
    ]
    assert wrong == []


def test_collections_are_the_money_the_payer_sent_with_its_provider_adjustments(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """Medicare pays V-1 62.72 and, in the same payment, takes back 10.00 it overpaid
    elsewhere (PLB WO) and pays 2.50 of interest (PLB L6): the check is 55.22. Paid on claims
    stays 62.72; collected from Medicare is 55.22, the payment's BPR02 (835 TR3: BPR02 = the
    claims' CLP04 less the PLB amounts), and the net collection rate counts that."""
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    v1 = sim_claims(sent.text)["V-1"]
    lines = [
        paid(v1.lines[0], D("60.00"), D("12.00"), D("0.96")),
        paid(v1.lines[1], D("20.00"), D("4.00"), D("0.32")),
    ]
    text = with_plb(remit_of([decision(v1, lines)]), [("WO:OLD-ICN", "10.00"), ("L6", "-2.50")])
    with ledger.transaction() as s:
        post_text(s, text, "r.835", who=WHO, config=config, as_of=None)
        r = build_report(s, dt.date(2025, 4, 15))
        bpr02 = sum(p.amount for p in s.scalars(select(m.Payment)))
    assert bpr02 == D("55.22")
    assert r["paid_total"] == D("62.72")
    assert r["provider_adjustments"] == D("7.50")
    assert r["collections_by_payer"] == {"medicare": D("55.22")}
    assert r["collections_total"] == D("55.22")
    # 55.22 / (143.00 charge - 64.28 CO-45 and CO-253)
    assert r["net_collection_rate"] == D("0.7015")
    with ledger.transaction() as s:  # before the payer decided: nothing collected
        assert build_report(s, dt.date(2025, 3, 20))["collections_by_payer"] == {}
