"""A payment posts once, whatever file it comes in (#14): the same 835 re-saved with CRLF line
ends, sent again under new control numbers, re-wrapped, or beside a new payment; a claim
payment carried again by a new payment; a reversal applied once; over-payments flagged."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from ptbill.cli.main import cli
from ptbill.config.profiles import Config
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.migrate import downgrade, upgrade
from ptbill.payer_sim.adjudicate import LineDecision
from ptbill.payer_sim.read_837 import SimClaim
from ptbill.payer_sim.write import remittance_claims, reversal_claims, write_835
from ptbill.remit.post import AlreadyPosted, post_text
from ptbill.x12.read_835 import read_835
from tests.ledger.helpers import (
    PAID_DAY,
    WHO,
    claim,
    decision,
    denied,
    import_and_submit,
    medicare_visit,
    open_items,
    paid,
    paid_in_full,
    post_835,
    remit_of,
    sim_claims,
    table_counts,
    with_plb,
    write_visits,
)

D = Decimal


@pytest.fixture
def sent(ledger: Ledger, config: Config, tmp_path: Path) -> dict:
    visits = [medicare_visit("V-1"), medicare_visit("V-2", patient="P-2")]
    result = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    return sim_claims(result.text)


_post, _in_full = post_835, paid_in_full


def _crlf(x12: str) -> str:
    return x12.replace("~", "~\r\n")


def _renumbered(x12: str, n: int = 77) -> str:
    """The same payments under a new ISA13/IEA02, GS06/GE02 and ST02/SE02."""
    x12 = re.sub(r"(ISA(?:\*[^*]*){12}\*)\d{9}", rf"\g<1>{n:09d}", x12)
    x12 = re.sub(r"IEA\*(\d+)\*\d+", rf"IEA*\1*{n:09d}", x12)
    x12 = re.sub(r"(GS(?:\*[^*]*){5}\*)\d+", rf"\g<1>{n}", x12)
    x12 = re.sub(r"GE\*(\d+)\*\d+", rf"GE*\1*{n}", x12)
    x12 = re.sub(r"ST\*835\*\d+", lambda _: f"ST*835*{n:04d}", x12)
    return re.sub(r"SE\*(\d+)\*\d+", lambda g: f"SE*{g.group(1)}*{n:04d}", x12)


def _rewrapped(x12: str) -> str:
    """After the fixed-length ISA, the text cut into lines of 80 characters."""
    head, rest = x12[:106], x12[106:].replace("\n", "")
    return head + "\n" + "\n".join(rest[i : i + 80] for i in range(0, len(rest), 80)) + "\n"


VARIANTS: dict[str, Callable[[str], str]] = {
    "the same bytes": lambda x: x,
    "CRLF line ends": _crlf,
    "new ISA13, GS06 and ST02": _renumbered,
    "segments re-wrapped": _rewrapped,
    "CRLF and renumbered": lambda x: _crlf(_renumbered(x, 5)),
}


def _trace(x12: str) -> str:
    return re.search(r"TRN\*1\*([^*~]+)", x12).group(1)  # type: ignore[union-attr]


def _state(ledger: Ledger) -> tuple[dict[str, int], dict[str, Decimal]]:
    with ledger.transaction() as s:
        paid_by_claim = {c.claim_number: c.paid for c in s.scalars(select(m.Claim))}
        return table_counts(s), paid_by_claim


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_an_835_posted_again_in_other_bytes_changes_nothing(
    ledger: Ledger, config: Config, sent: dict, variant: str
) -> None:
    x12 = remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))])
    first = _post(ledger, config, x12)
    assert first.payments == 1 and not first.already_posted
    before = _state(ledger)
    again_text = VARIANTS[variant](x12)
    # It reads as the same payment.
    assert [p.amount for p in read_835(io.StringIO(again_text))] == [D("62.72")]
    again = _post(ledger, config, again_text, "again.835")
    assert (again.payments, again.claims, again.paid_total) == (0, 0, 0)
    assert again.wholly_posted_before and again.remittance_id == 0
    [earlier] = again.already_posted
    assert (earlier.trace_number, earlier.posted_on, earlier.remittance_id) == (
        _trace(x12),
        PAID_DAY,
        first.remittance_id,
    )
    assert f"already posted on {PAID_DAY} (trace {_trace(x12)})" in earlier.text()
    assert _state(ledger) == before  # no row, no money, no item
    with ledger.transaction() as s:
        assert claim(s, "V-1").paid == D("62.72")


def test_the_old_payment_beside_a_new_one_posts_only_the_new(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    v1, v2 = sent["V-1"], sent["V-2"]
    old = (remittance_claims(decision(v1, _in_full(v1), icn="A1")),)
    first = write_835(
        [("MEDICARE PART B", "MEDICARE", old)],
        payee=("ELM", "1234567893"),
        receiver="ELMST001",
        number=1,
        when=PAID_DAY,
    )
    _post(ledger, config, first)
    later = PAID_DAY + dt.timedelta(days=7)
    new = (remittance_claims(decision(v2, _in_full(v2), icn="A2")),)
    both = write_835(  # the old payment (same trace, amount, date) and a new one
        [("MEDICARE PART B", "MEDICARE", old), ("MEDICARE PART B", "MEDICARE", new)],
        payee=("ELM", "1234567893"),
        receiver="ELMST001",
        number=1,
        when=PAID_DAY,
    ).replace(f"DTM*405*{PAID_DAY:%Y%m%d}", f"DTM*405*{later:%Y%m%d}")
    summary = _post(ledger, config, _crlf(both), "both.835")
    assert (summary.payments, summary.claims, summary.paid_total) == (1, 1, D("62.72"))
    assert not summary.wholly_posted_before
    [earlier] = summary.already_posted
    assert (earlier.trace_number, earlier.posted_on) == (_trace(first), PAID_DAY)
    with ledger.transaction() as s:
        assert (claim(s, "V-1").paid, claim(s, "V-2").paid) == (D("62.72"), D("62.72"))
        assert table_counts(s)["payments"] == 2


def _reversal_835(sent: dict, number: int) -> tuple[str, str]:
    """The first decision on V-1 (partly denied, ICN ORIG1), and a later 835 reversing it with
    its correction (ICN CORR1)."""
    v1 = sent["V-1"]
    first = decision(v1, [_in_full(v1)[0], denied(v1.lines[1], "CO", "50", "N115")], icn="ORIG1")
    corrected = decision(v1, _in_full(v1), icn="CORR1")
    when = PAID_DAY + dt.timedelta(days=20)
    reversal = write_835(
        [("MEDICARE PART B", "MEDICARE", [reversal_claims(first, corrected)])],
        payee=("ELM", "1234567893"),
        receiver="ELMST001",
        number=number,
        when=when,
    )
    return remit_of([first]), reversal


def test_a_reversal_is_applied_once(ledger: Ledger, config: Config, sent: dict) -> None:
    original, reversal = _reversal_835(sent, number=2)
    _post(ledger, config, original)
    summary = _post(ledger, config, reversal, "r2.835")
    assert summary.reversals == 1
    with ledger.transaction() as s:
        assert claim(s, "V-1").paid == D("62.72")  # 47.04 reversed, 62.72 paid
    before = _state(ledger)
    again = _post(ledger, config, _renumbered(_crlf(reversal)), "r2-again.835")
    assert again.wholly_posted_before and again.reversals == 0
    assert _state(ledger) == before


def test_a_decision_a_new_payment_carries_again_is_not_applied_again(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    """Another trace number (the payer paid twice): the claim payments are known by their
    payer, CLP01, CLP07 and amounts; the money is recorded, not applied, and is an
    overpayment to refund. A reversal carried again is not applied again either."""
    original, reversal = _reversal_835(sent, number=2)
    _post(ledger, config, original)
    _post(ledger, config, reversal, "r2.835")
    before_paid = _state(ledger)[1]
    other_trace = _reversal_835(sent, number=9)[1]  # trace SIM0000090001
    assert _trace(other_trace) != _trace(reversal)
    summary = _post(ledger, config, other_trace, "r9.835")
    assert summary.payments == 1 and summary.reversals == 0 and summary.matched == 0
    assert [(e.claim, e.trace_number) for e in summary.already_posted] == [
        ("V-1", _trace(reversal)),
        ("V-1", _trace(reversal)),
    ]
    assert _state(ledger)[1] == before_paid
    with ledger.transaction() as s:
        items = {(w.kind, w.category, w.amount) for w in open_items(s, "V-1")}
    assert items == {
        ("unmatched", "reversed_twice", D("-47.04")),
        ("refund", "paid_twice", D("62.72")),
    }
    assert summary.overpayment_items == 1 and summary.needs_a_person


def _refunds(ledger: Ledger) -> list[tuple[str, Decimal, str]]:
    with ledger.transaction() as s:
        return [
            (w.category, w.amount, w.action) for w in open_items(s, "V-1") if w.kind == "refund"
        ]


def test_a_second_decision_paying_again_is_one_refund(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    """Another ICN, another payment, paying the whole charge again: the claim is paid above
    its charge, and that money is one refund (paid twice), not two."""
    v1 = sent["V-1"]
    _post(ledger, config, remit_of([decision(v1, _in_full(v1), icn="A1")]))
    again = [paid(x, x.charge) for x in v1.lines]
    summary = _post(ledger, config, remit_of([decision(v1, again, icn="A9")], number=4), "b.835")
    with ledger.transaction() as s:
        c = claim(s, "V-1")
        assert c.paid == D("62.72") + c.charge
    assert _refunds(ledger) == [("paid_twice", D("62.72"), "refund_payer")]
    assert summary.overpayment_items == 1 and summary.needs_a_person


@pytest.mark.parametrize(
    ("taken", "left"),
    [("20.00", [("paid_twice", D("42.72"), "refund_payer")]), ("62.72", [])],
    ids=["part of it", "all of it"],
)
def test_an_overpayment_the_payer_takes_back_with_a_plb_is_not_refunded_again(
    ledger: Ledger, config: Config, sent: dict, taken: str, left: list
) -> None:
    """V-1 paid 62.72 twice (the refund item above); the payer's next payment, for V-2,
    takes money back for V-1 (PLB WO, its reference the claim's ICN A9): what it took back
    is no longer to refund -- the item says what is left, or closes -- or the clinic would
    return it a second time."""
    v1, v2 = sent["V-1"], sent["V-2"]
    _post(ledger, config, remit_of([decision(v1, _in_full(v1), icn="A1")]))
    again = [paid(x, x.charge) for x in v1.lines]
    _post(ledger, config, remit_of([decision(v1, again, icn="A9")], number=4), "b.835")
    assert _refunds(ledger) == [("paid_twice", D("62.72"), "refund_payer")]
    text = remit_of([decision(v2, _in_full(v2), icn="B1")], number=5)
    _post(ledger, config, with_plb(text, [("WO:A9", taken)]), "c.835")
    assert _refunds(ledger) == left
    with ledger.transaction() as s:
        assert s.scalar(select(m.ProviderAdjustment.claim_id)) == claim(s, "V-1").id


def _line_paid(sent_claim: SimClaim, allowed: str, paid_: str, co45: str) -> list[LineDecision]:
    """Paid in full, but the first line (charged 96.00) allowed and paid as given."""
    lines = _in_full(sent_claim)
    lines[0] = type(lines[0])(lines[0].line, D(allowed), D(paid_), [("CO", "45", D(co45))])
    return lines


@pytest.mark.parametrize(
    ("allowed", "paid_", "co45", "refund"),
    [
        # 97110 paid 70.00 where the payer allowed 60.00 (AMT*B6)
        ("60.00", "70.00", "26.00", ("above_allowed", D("10.00"))),
        # each line within what the payer allowed (97110 140.00 on a charge of 96.00, CO-45
        # -44.00), the claim paid 155.68 on 143.00
        ("140.00", "140.00", "-44.00", ("above_charge", D("12.68"))),
    ],
    ids=["above the allowed", "above the charge"],
)
def test_a_claim_paid_above_what_is_owed_is_a_refund(
    ledger: Ledger,
    config: Config,
    sent: dict,
    allowed: str,
    paid_: str,
    co45: str,
    refund: tuple[str, Decimal],
) -> None:
    lines = _line_paid(sent["V-1"], allowed, paid_, co45)
    summary = _post(ledger, config, remit_of([decision(sent["V-1"], lines)]))
    assert summary.overpayment_items == 1
    assert _refunds(ledger) == [(*refund, "refund_payer")]


def test_late_payment_interest_on_a_claim_paid_as_allowed_is_no_refund(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    x12 = remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))])
    received = re.search(r"DTM\*050\*\d+~", x12).group(0)  # type: ignore[union-attr]
    with_interest = x12.replace(received, received + "AMT*I*5.68~")
    with_interest = re.sub(  # one more segment in the transaction set
        r"SE\*(\d+)\*", lambda g: f"SE*{int(g.group(1)) + 1}*", with_interest
    )
    summary = _post(ledger, config, with_interest)
    assert summary.overpayment_items == 0 and summary.matched == 1
    assert _refunds(ledger) == []


def test_the_database_refuses_a_payment_twice(ledger: Ledger, config: Config, sent: dict) -> None:
    _post(ledger, config, remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))]))
    with ledger.transaction() as s:
        row = s.scalars(select(m.Payment)).one()
        cp = s.scalars(select(m.ClaimPayment)).one()
        assert row.identity and cp.identity and cp.occurrence == 1
    copy = {c.name: getattr(row, c.key) for c in m.Payment.__table__.columns if c.name != "id"}
    with pytest.raises(IntegrityError), ledger.transaction() as s:
        s.execute(insert(m.Payment).values(**copy))


def test_two_postings_of_one_payment_at_once_commit_one(
    ledger: Ledger, config: Config, sent: dict, db_url: str
) -> None:
    """Two sessions post the same payment in other bytes: the first holds its transaction
    open until the second waits on it (PostgreSQL: on the unique index, after finding nothing
    posted; SQLite: on the write lock); then the second is refused or finds it posted."""
    x12 = remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))])
    outcome: list[str] = []

    def second() -> None:
        own = Ledger(db_url)
        try:
            with own.transaction() as s:
                summary = post_text(s, _crlf(x12), "b.835", who=WHO, config=config, as_of=None)
            outcome.append("found posted" if summary.wholly_posted_before else "posted")
        except AlreadyPosted as e:
            outcome.append("refused: " + e.problem)
        finally:
            own.close()

    with ledger.transaction() as s:
        post_text(s, x12, "a.835", who=WHO, config=config, as_of=None)
        worker = threading.Thread(target=second)
        worker.start()
        _wait_until_blocked(db_url, worker)
    worker.join(timeout=60)
    assert len(outcome) == 1 and outcome[0] != "posted", outcome
    if db_url.startswith("postgresql"):
        assert outcome[0].startswith("refused: a payment of this 835 was posted by another")
    with ledger.transaction() as s:
        assert table_counts(s)["payments"] == 1
        assert claim(s, "V-1").paid == D("62.72")


def _wait_until_blocked(db_url: str, worker: threading.Thread) -> None:
    """Until the worker's session waits on a lock (PostgreSQL), or a moment (SQLite, whose
    wait is inside the driver)."""
    if not db_url.startswith("postgresql"):
        time.sleep(0.5)
        return
    engine = create_engine(db_url)
    try:
        for _ in range(300):
            with engine.connect() as conn:
                waiting = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                )
            if waiting or not worker.is_alive():
                return
            time.sleep(0.05)
    finally:
        engine.dispose()


def test_migration_0005_knows_the_payments_posted_before_it(
    ledger: Ledger, config: Config, sent: dict, db_url: str
) -> None:
    """A ledger that posted a payment twice before 0005 (re-saved bytes): after the upgrade
    the first posting holds the identity, the repeat none, the claim payments are numbered,
    and the payment in other bytes again is known as posted."""
    x12 = remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))])
    _post(ledger, config, x12)
    downgrade(ledger.engine, "0004")
    payment_columns = (
        "remittance_id, control_number, trace_number, payment_date, determined_on, amount, "
        "method, payer_name, payer_identifier, payee_npi"
    )
    claim_columns = (
        "seq, claim_id, version, clp01, status, charge, paid, patient_responsibility, "
        "payer_control_number, reversal, determined_on, state_after"
    )
    with ledger.engine.begin() as conn:  # the double posting of the bug
        conn.execute(
            text(f"INSERT INTO payments ({payment_columns}) SELECT {payment_columns} FROM payments")
        )
        conn.execute(
            text(
                f"INSERT INTO claim_payments (payment_id, {claim_columns}) SELECT "
                f"(SELECT max(id) FROM payments), {claim_columns} FROM claim_payments"
            )
        )
    upgrade(ledger.engine)
    with ledger.transaction() as s:
        first, repeat = s.scalars(select(m.Payment).order_by(m.Payment.id)).all()
        assert first.identity and repeat.identity is None
        postings = s.scalars(select(m.ClaimPayment).order_by(m.ClaimPayment.id)).all()
        assert [(c.identity == postings[0].identity, c.occurrence) for c in postings] == [
            (True, 1),
            (True, 2),
        ]
    again = _post(ledger, config, _crlf(x12), "again.835")
    assert again.wholly_posted_before
    downgrade(ledger.engine, "0004")  # and back down: the columns go
    with ledger.engine.connect() as conn:
        assert "identity" not in {c["name"] for c in inspect(conn).get_columns("payments")}
    upgrade(ledger.engine)


def test_the_command_line_reports_a_payment_posted_before(
    ledger: Ledger, sent: dict, db_url: str, tmp_path: Path
) -> None:
    """`ptbill post` on both databases: the 835, then it re-saved with CRLF and under new
    control numbers: exit 0, already posted on DATE (trace TRN02), the report's paid total
    unchanged."""
    x12 = remit_of([decision(sent["V-1"], _in_full(sent["V-1"]))])

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, *args], obj={}, catch_exceptions=False)

    first = tmp_path / "r.835"
    first.write_text(x12)
    r = run("post", str(first))
    assert r.exit_code == 0, r.output  # paid in full: nothing for a person
    paid = json.loads(run("report", "--json").output)["paid_total"]
    for n, variant in enumerate((_crlf(x12), _renumbered(x12), _crlf(_renumbered(x12, 9)))):
        again = tmp_path / f"again-{n}.835"
        again.write_bytes(variant.encode())
        r = run("post", str(again))
        assert r.exit_code == 0, r.output
        assert f"already posted on {PAID_DAY} (trace {_trace(x12)})" in r.output
        assert json.loads(run("report", "--json").output)["paid_total"] == paid == "62.72"
