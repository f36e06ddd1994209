"""A refund the clinic sends a payer for an over-payment (ptbill.ledger.payer_refunds): it
settles the claim's refund items (the item says what is left), a later posting does not find
the refunded money again, and the report counts it as money given back."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.overpayments import find
from ptbill.ledger.payer_refunds import record_payer_refund
from ptbill.ledger.scope import Scope
from ptbill.reports.report import build_report
from tests.ledger import helpers as h

D = Decimal
LATER = h.PAID_DAY + dt.timedelta(days=10)


@pytest.fixture
def paid_twice(ledger: Ledger, config: Config, tmp_path: Path) -> dict:
    """V-1 (charge 143.00) paid 62.72 (A1), then its whole charge again (A9): 62.72 paid twice,
    one open refund item (tests/ledger/test_post_once.py); V-2 paid 62.72."""
    visits = [h.medicare_visit("V-1"), h.medicare_visit("V-2", patient="P-2")]
    sent = h.sim_claims(
        h.import_and_submit(ledger, config, h.write_visits(tmp_path / "v.jsonl", visits)).text
    )
    v1 = sent["V-1"]
    h.post_835(ledger, config, h.remit_of([h.decision(v1, h.paid_in_full(v1), icn="A1")]))
    again = [h.paid(x, x.charge) for x in v1.lines]
    h.post_835(ledger, config, h.remit_of([h.decision(v1, again, icn="A9")], number=4), "b.835")
    assert _refund_items(ledger) == [("paid_twice", D("62.72"))]
    return sent


def _refund_items(ledger: Ledger) -> list[tuple[str, Decimal]]:
    with ledger.transaction() as s:
        return [(w.category, w.amount) for w in h.open_items(s, "V-1") if w.kind == "refund"]


def _refund(ledger: Ledger, amount: str, reference: str = "1001", **kw: object) -> object:
    with ledger.transaction() as s:
        return record_payer_refund(
            s,
            claim=kw.pop("claim", "V-1"),  # type: ignore[arg-type]
            amount=D(amount),
            method=kw.pop("method", "check"),  # type: ignore[arg-type]
            reference=reference,
            on=LATER,
            who=h.WHO,
            **kw,  # type: ignore[arg-type]
        )


def test_a_partial_refund_leaves_the_rest_on_the_item(ledger: Ledger, paid_twice: dict) -> None:
    done = _refund(ledger, "20.00")
    assert done.left == D("42.72")  # type: ignore[attr-defined]
    assert _refund_items(ledger) == [("paid_twice", D("42.72"))]
    _refund(ledger, "42.72", reference="1002")
    assert _refund_items(ledger) == []
    with ledger.transaction() as s:
        rows = s.execute(select(m.PayerRefund.amount, m.PayerRefund.reference)).all()
        assert sorted(rows) == [(D("20.00"), "1001"), (D("42.72"), "1002")]
        audit = [
            a.why for a in s.scalars(select(m.AuditEntry).where(m.AuditEntry.why.like("%refund%")))
        ]
        assert any("20.00" in why and "1001" in why for why in audit)


def test_what_is_left_after_a_partial_refund_keeps_its_deadline(
    ledger: Ledger, paid_twice: dict
) -> None:
    """The payer is owed the over-payment back within 60 days of its being found (42 CFR
    401.305(b) for Medicare): refunding part of it later does not give the rest 60 more."""
    with ledger.transaction() as s:
        (found,) = [w for w in h.open_items(s, "V-1") if w.kind == "refund"]
        due, created = found.due_date, found.created_on
    assert due == created + dt.timedelta(days=60)
    _refund(ledger, "20.00")  # 10 days later
    with ledger.transaction() as s:
        (rest,) = [w for w in h.open_items(s, "V-1") if w.kind == "refund"]
        assert (rest.amount, rest.due_date) == (D("42.72"), due)


def test_a_later_posting_does_not_reopen_what_was_refunded(
    ledger: Ledger, config: Config, paid_twice: dict
) -> None:
    _refund(ledger, "62.72")
    assert _refund_items(ledger) == []
    with ledger.transaction() as s:  # what every posting runs on the claims it touched
        assert find(s, [h.claim(s, "V-1").id], on=LATER, source="test") == []
    v2 = paid_twice["V-2"]  # a PLB taking 20.00 back for V-1 after the refund: 20.00 owed to us
    text = h.remit_of([h.decision(v2, h.paid_in_full(v2), icn="B1")], number=5)
    h.post_835(ledger, config, h.with_plb(text, [("WO:A9", "20.00")]), "c.835")
    assert _refund_items(ledger) == []


@pytest.mark.parametrize(
    ("amount", "reference", "method", "claim_number", "field"),
    [
        ("62.73", "1001", "check", "V-1", "AMOUNT"),  # more than is owed back
        ("0", "1001", "check", "V-1", "AMOUNT"),
        ("10.001", "1001", "check", "V-1", "AMOUNT"),
        ("10.00", "1001", "wire", "V-1", "--method"),
        ("10.00", "  ", "check", "V-1", "--ref"),
        ("10.00", "T" * 51, "check", "V-1", "--ref"),  # kept whole or refused, never cut
        ("10.00", "1001", "check", "V-2", "AMOUNT"),  # nothing owed back on V-2
        ("10.00", "1001", "check", "V-404", "CLAIM"),
    ],
)
def test_a_wrong_refund_is_refused_naming_the_field(
    ledger: Ledger,
    paid_twice: dict,
    amount: str,
    reference: str,
    method: str,
    claim_number: str,
    field: str,
) -> None:
    with pytest.raises(InputError) as e:
        _refund(ledger, amount, reference, method=method, claim=claim_number)
    assert e.value.field == field
    assert _refund_items(ledger) == [("paid_twice", D("62.72"))]


def test_a_reference_counts_once_whatever_its_case_and_spaces(
    ledger: Ledger, paid_twice: dict
) -> None:
    _refund(ledger, "10.00", reference="chk-77")
    with pytest.raises(InputError) as e:
        _refund(ledger, "10.00", reference="  CHK-77 ")
    assert e.value.field == "--ref" and "counts once" in e.value.problem
    assert _refund_items(ledger) == [("paid_twice", D("52.72"))]


def test_a_claim_of_another_clinic_is_not_found(ledger: Ledger, paid_twice: dict) -> None:
    with pytest.raises(InputError) as e:
        _refund(ledger, "10.00", scope=Scope.of([987654]))
    assert e.value.field == "CLAIM"
    assert _refund_items(ledger) == [("paid_twice", D("62.72"))]


def test_the_report_counts_a_refund_as_money_given_back(
    ledger: Ledger, config: Config, db_url: str, paid_twice: dict
) -> None:
    """collections = 835 payments - PLB - refunds to the payer: V-1 62.72 + 143.00, V-2 62.72;
    a PLB takes 20.00 back for V-1; the clinic refunds the 42.72 left."""
    v2 = paid_twice["V-2"]
    text = h.remit_of([h.decision(v2, h.paid_in_full(v2), icn="B1")], number=5)
    h.post_835(ledger, config, h.with_plb(text, [("WO:A9", "20.00")]), "c.835")
    assert _refund_items(ledger) == [("paid_twice", D("42.72"))]
    _refund(ledger, "42.72")
    with ledger.transaction() as s:
        r = build_report(s, LATER)
        before = build_report(s, LATER - dt.timedelta(days=1))
    assert r["payer_refunds"] == D("42.72")
    collected = D("62.72") + D("143.00") + D("62.72") - D("20.00") - D("42.72")
    assert collected == D("205.72")
    assert r["collections_by_payer"] == {"medicare": collected}
    assert r["collections_total"] == collected
    assert before["collections_by_payer"] == {"medicare": collected + D("42.72")}
    with ledger.transaction() as s:  # the charges of both claims (2 x 143.00) less their CO
        contractual = h.claim(s, "V-1").contractual + h.claim(s, "V-2").contractual
    assert r["net_collection_rate"] == (collected / (D("286.00") - contractual)).quantize(
        D("0.0001")
    )
    shown = CliRunner().invoke(cli, ["--db", db_url, "report", "--as-of", LATER.isoformat()])
    assert shown.exit_code == 0, shown.output
    words = " ".join(shown.output.split())  # the table wraps lines to the terminal
    assert "collections: 205.72" in words and "less 42.72 refunded to payers" in words


def _cli(db_url: str, reference: str, *more: str) -> Result:
    args = ["payer-refund", "V-1", "20.00", "--method", "check", "--ref", reference]
    return CliRunner().invoke(cli, ["--db", db_url, *args, "--as-of", LATER.isoformat(), *more])


def test_the_command_line_records_a_refund(ledger: Ledger, db_url: str, paid_twice: dict) -> None:
    run = _cli(db_url, "5001", "--json")
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    assert (out["claim_id"], out["amount"], out["left"]) == ("V-1", "20.00", "42.72")
    again = _cli(db_url, " 5001")  # the same check, typed with a space
    assert again.exit_code == 2 and "--ref" in again.output and "counts once" in again.output
    assert _refund_items(ledger) == [("paid_twice", D("42.72"))]
    text = _cli(db_url, "5002")
    assert text.exit_code == 0, text.output
    assert "refund of 20.00 to medicare for V-1 (check 5002); still owed back 22.72" in text.output
    assert _refund_items(ledger) == [("paid_twice", D("22.72"))]
