"""`post`: 835 remittances posted to their claims -- matched, classified, atomic and once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from ptbill.ledger.states import State
from ptbill.payer_sim.write import remittance_claims
from ptbill.remit import post as posting
from ptbill.remit.post import AlreadyPosted, post_text
from ptbill.x12.synthetic import synthetic_835
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
    reversal,
    sim_claims,
    table_counts,
    write_visits,
)

D = Decimal


@pytest.fixture
def sent(ledger: Ledger, config: Config, tmp_path: Path) -> dict:
    visits = [
        medicare_visit("V-1"),
        medicare_visit("V-2", patient="P-2"),
        medicare_visit("V-3", patient="P-3"),
    ]
    result = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    return sim_claims(result.text)


_post, _paid_in_full = post_835, paid_in_full


def test_paid_partially_paid_and_denied(ledger: Ledger, config: Config, sent: dict) -> None:
    v1, v2, v3 = sent["V-1"], sent["V-2"], sent["V-3"]
    text = remit_of(
        [
            decision(v1, _paid_in_full(v1), icn="A1"),
            decision(v2, [_paid_in_full(v2)[0], denied(v2.lines[1], "CO", "50", "N115")], icn="A2"),
            decision(v3, [denied(x, "CO", "16", "MA130") for x in v3.lines], status="4", icn="A3"),
        ]
    )
    summary = _post(ledger, config, text)
    assert (summary.matched, summary.unmatched, summary.imbalances) == (3, [], [])
    with ledger.transaction() as s:
        c1, c2, c3 = claim(s, "V-1"), claim(s, "V-2"), claim(s, "V-3")
        assert (c1.state, c2.state, c3.state) == (State.PAID, State.PARTIALLY_PAID, State.DENIED)
        # V-1: paid 47.04 + 15.68; patient 12 + 4; contractual 36 + 27 + 0.96 + 0.32
        assert (c1.paid, c1.patient_responsibility, c1.contractual) == (
            D("62.72"),
            D("16.00"),
            D("64.28"),
        )
        assert c1.paid + c1.patient_responsibility + c1.contractual == c1.charge
        assert (c2.paid, c2.denied, c2.payer_control_number) == (D("47.04"), D("47.00"), "A2")
        assert open_items(s, "V-1") == []
        [item] = open_items(s, "V-2")
        assert (item.kind, item.category, item.carc, item.rarc, item.amount, item.action) == (
            "denial",
            "medical_necessity",
            "50",
            "N115",
            D("47.00"),
            "appeal_with_records",
        )
        assert item.due_date == PAID_DAY + dt.timedelta(days=120)  # Medicare redetermination
        items = open_items(s, "V-3")
        assert {(w.category, w.action) for w in items} == {
            ("documentation", "correct_and_resubmit")
        }
        # CO-16 with MA130: unprocessable, so the timely-filing clock runs from the service
        assert {w.due_date for w in items} == {dt.date(2026, 3, 3)}
        moves = [
            (a.from_state, a.to_state)
            for a in s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.claim_id == c1.id).order_by(m.AuditEntry.id)
            )
        ]
        assert moves[-2:] == [("ready", "submitted"), ("submitted", "paid")]


def test_the_same_835_posts_once(ledger: Ledger, config: Config, sent: dict) -> None:
    text = remit_of([decision(sent["V-1"], _paid_in_full(sent["V-1"]))])
    _post(ledger, config, text)
    with ledger.transaction() as s:
        before = table_counts(s)
    again = _post(ledger, config, text, "copy.835")  # known by its sha256, not read again
    assert again.wholly_posted_before and again.payments == 0
    assert [e.posted_on for e in again.already_posted] == [PAID_DAY]
    with ledger.transaction() as s:
        assert table_counts(s) == before
        assert claim(s, "V-1").paid == D("62.72")


def _two_payments(sent: dict) -> str:
    from ptbill.payer_sim.write import write_835

    v1, v2 = sent["V-1"], sent["V-2"]
    return write_835(
        [
            ("MEDICARE A", "MEDICARE", [remittance_claims(decision(v1, _paid_in_full(v1)))]),
            ("MEDICARE B", "MEDICARE", [remittance_claims(decision(v2, _paid_in_full(v2)))]),
        ],
        payee=("ELM", "1234567893"),
        receiver="ELMST001",
        number=3,
        when=PAID_DAY,
    )


def _posts_nothing(ledger: Ledger, post: Callable[[], object], message: str) -> None:
    """`post` fails with `message` and the ledger has not changed."""
    with ledger.transaction() as s:
        before = table_counts(s)
    with pytest.raises(InputError) as e:
        post()
    assert message in e.value.render()
    with ledger.transaction() as s:
        assert table_counts(s) == before


def test_a_file_cut_short_posts_nothing(ledger: Ledger, config: Config, sent: dict) -> None:
    text = _two_payments(sent)
    cut = text[: text.rindex("SE*")]  # the second payment never ends
    _posts_nothing(ledger, lambda: _post(ledger, config, cut), "cut short")
    with ledger.transaction() as s:  # the first payment is not half-posted either
        assert claim(s, "V-1").state == State.SUBMITTED and claim(s, "V-1").paid == 0


def test_a_failure_in_the_middle_of_posting_leaves_nothing(
    ledger: Ledger, config: Config, sent: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = posting.PostingBatch.write
    calls = []

    def failing(self: posting.PostingBatch) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        real(self)

    monkeypatch.setattr(posting.PostingBatch, "write", failing)
    with ledger.transaction() as s:
        before = table_counts(s)
    with pytest.raises(RuntimeError):
        _post(ledger, config, _two_payments(sent))
    with ledger.transaction() as s:
        assert table_counts(s) == before
        assert claim(s, "V-1").state == State.SUBMITTED


def test_posting_the_same_file_twice_at_once_posts_it_once(
    ledger: Ledger, config: Config, sent: dict, db_url: str
) -> None:
    text = remit_of([decision(sent["V-1"], _paid_in_full(sent["V-1"]))])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        own = Ledger(db_url)
        try:
            barrier.wait()
            with own.transaction() as s:
                summary = post_text(s, text, "r.835", who=WHO, config=config, as_of=None)
            # SQLite: it waited on the write lock, then found the file posted
            outcomes.append("refused" if summary.wholly_posted_before else "posted")
        except AlreadyPosted:  # PostgreSQL: it waited on the first one's unique index
            outcomes.append("refused")
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["posted", "refused"]
    with ledger.transaction() as s:
        assert table_counts(s)["remittances"] == 1
        assert claim(s, "V-1").paid == D("62.72")


def test_matching_by_line_control_number(ledger: Ledger, config: Config, sent: dict) -> None:
    mangled = dataclasses.replace(sent["V-1"], claim_id="PAYER-MANGLED")
    _post(ledger, config, remit_of([decision(mangled, _paid_in_full(mangled))]))
    with ledger.transaction() as s:
        assert claim(s, "V-1").state == State.PAID


def test_what_matches_nothing_goes_to_the_worklist(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    stranger = dataclasses.replace(
        sent["V-1"],
        claim_id="NOT-OURS",
        lines=[
            dataclasses.replace(x, control_number=f"NOPE-{n}")
            for n, x in enumerate(sent["V-1"].lines)
        ],
    )
    summary = _post(ledger, config, remit_of([decision(stranger, _paid_in_full(stranger))]))
    assert summary.unmatched == ["NOT-OURS"]
    with ledger.transaction() as s:
        [item] = open_items(s, "NOT-OURS")
        assert (item.kind, item.claim_id, item.amount) == ("unmatched", None, D("62.72"))
        assert s.scalar(select(m.ClaimPayment)).claim_id is None
        assert claim(s, "V-1").state == State.SUBMITTED


def test_reversal_and_correction(ledger: Ledger, config: Config, sent: dict) -> None:
    v1 = sent["V-1"]
    first = decision(
        v1, [_paid_in_full(v1)[0], denied(v1.lines[1], "CO", "50", "N115")], icn="ORIG1"
    )
    _post(ledger, config, remit_of([first]))
    with ledger.transaction() as s:
        assert claim(s, "V-1").state == State.PARTIALLY_PAID
        assert [w.kind for w in open_items(s, "V-1")] == ["denial"]
    corrected = decision(v1, _paid_in_full(v1), icn="CORR1")
    summary = _post(
        ledger,
        config,
        reversal(first, corrected, number=2, when=PAID_DAY + dt.timedelta(days=20)),
        "r2.835",
    )
    assert summary.reversals == 1
    with ledger.transaction() as s:
        c = claim(s, "V-1")
        assert c.state == State.PAID
        assert (c.paid, c.payer_control_number, c.denied) == (D("62.72"), "CORR1", D("0.00"))
        assert open_items(s, "V-1") == []  # the new decision superseded the denial
        moves = [
            (a.from_state, a.to_state)
            for a in s.scalars(
                select(m.AuditEntry).where(m.AuditEntry.claim_id == c.id).order_by(m.AuditEntry.id)
            )
        ]
        assert moves[-2:] == [("partially_paid", "accepted"), ("accepted", "paid")]


def test_provider_level_adjustments_are_recorded(ledger: Ledger, config: Config) -> None:
    seed = next(n for n in range(1, 50) if "PLB*" in synthetic_835(20, 10, seed=n))
    text = synthetic_835(20, 10, seed=seed)
    _post(ledger, config, text)
    with ledger.transaction() as s:
        rows = s.scalars(select(m.ProviderAdjustment)).all()
        assert rows and {r.reason for r in rows} <= {"WO", "L6"}
        assert table_counts(s)["claim_payments"] >= 20  # none ours: every one unmatched
        assert all(w.kind == "unmatched" for w in open_items(s))


def test_a_short_payment_becomes_an_underpayment(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    v1 = sent["V-1"]
    # 97110 allowed $40.00 (AMT*B6), far from the fee schedule; 97140 as expected
    lines = [paid(v1.lines[0], D("40.00"), D("8.00"), D("0.64")), _paid_in_full(v1)[1]]
    _post(ledger, config, remit_of([decision(v1, lines)]))
    with ledger.transaction() as s:
        line = s.scalar(select(m.ClaimLine).where(m.ClaimLine.control_number == "V-1-1"))
        [item] = open_items(s, "V-1")
        assert (item.kind, item.category) == ("underpayment", "wrong_fee_schedule")
        assert item.amount == line.expected_payment - D("31.36")
        assert claim(s, "V-1").state == State.PAID


def test_unreadable_835_is_refused(ledger: Ledger, config: Config) -> None:
    with pytest.raises(InputError) as e:
        _post(ledger, config, "ISA*this is not an 835~")
    assert "r.835" in e.value.render()
    with ledger.transaction() as s:
        assert table_counts(s)["remittances"] == 0


def _post_file(ledger: Ledger, config: Config, path: Path):
    with ledger.transaction() as s:
        return posting.post_file(s, str(path), who=WHO, config=config)


def test_a_file_is_stored_as_read_with_its_sha256(
    ledger: Ledger, config: Config, sent: dict, tmp_path: Path
) -> None:
    text = remit_of([decision(sent["V-1"], _paid_in_full(sent["V-1"]))])
    # a byte that is not UTF-8 in free text (the payer's name): stored as U+FFFD, as read
    data = text.replace("MEDICARE PART B", "MEDICARE PART \xff").encode("latin-1")
    path = tmp_path / "r.835"
    path.write_bytes(data)
    summary = _post_file(ledger, config, path)
    assert (summary.payments, summary.claims, summary.matched) == (1, 1, 1)
    with ledger.transaction() as s:
        [stored] = s.scalars(select(m.Remittance)).all()
        assert stored.sha256 == hashlib.sha256(data).hexdigest()
        assert stored.content == data.decode("utf-8", errors="replace")
        assert "MEDICARE PART \ufffd" in stored.content
        assert (stored.payment_count, stored.claim_count, stored.total_paid) == (
            1,
            1,
            D("62.72"),
        )
        assert stored.received_on == PAID_DAY
        assert claim(s, "V-1").paid == D("62.72")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"A" * (3 << 20), "does not start with an ISA segment"),  # a big file of another kind
        (b"\xef\xbb\xbf\r\n" + b"x" * 5_000, "does not start with an ISA segment"),
        (b" \r\n\t" * 100, "the file is empty"),
    ],
)
def test_a_file_that_is_no_x12_is_refused_before_it_is_read_whole(
    ledger: Ledger,
    config: Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    said: str,
) -> None:
    path = tmp_path / "r.835"
    path.write_bytes(data)

    def read_whole(where: str, sha: str) -> str:
        raise AssertionError("the file's text was read to be kept")

    monkeypatch.setattr(posting, "_content", read_whole)
    with pytest.raises(InputError) as e:
        _post_file(ledger, config, path)
    assert said in e.value.render() and "r.835" in e.value.render()
    with ledger.transaction() as s:
        assert table_counts(s)["remittances"] == 0


def _refused_as_changed(ledger: Ledger, config: Config, path: Path) -> None:
    message = "changed while it was being posted"
    _posts_nothing(ledger, lambda: _post_file(ledger, config, path), message)


def test_a_file_changed_before_its_text_is_stored_posts_nothing(
    ledger: Ledger, config: Config, sent: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.835"
    path.write_text(remit_of([decision(sent["V-1"], _paid_in_full(sent["V-1"]))]))
    real = posting._content

    def rewritten(where: str, sha: str) -> str:  # another program saves the file meanwhile
        path.write_text(remit_of([decision(sent["V-2"], _paid_in_full(sent["V-2"]))]))
        return real(where, sha)

    monkeypatch.setattr(posting, "_content", rewritten)
    _refused_as_changed(ledger, config, path)


def test_a_file_changed_while_it_is_read_posts_nothing(
    ledger: Ledger, config: Config, sent: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.835"
    path.write_text(remit_of([decision(sent["V-1"], _paid_in_full(sent["V-1"]))]))
    real = posting.RemittancePoster.open

    def rewritten(self: posting.RemittancePoster, sha: str, content: str) -> None:
        real(self, sha, content)  # the text stored matches the hash; what is parsed does not
        path.write_text(remit_of([decision(sent["V-2"], _paid_in_full(sent["V-2"]))]))

    monkeypatch.setattr(posting.RemittancePoster, "open", rewritten)
    _refused_as_changed(ledger, config, path)
    with ledger.transaction() as s:
        assert claim(s, "V-2").state == State.SUBMITTED


def test_the_garbage_collector_is_back_on_after_posting(
    ledger: Ledger, config: Config, sent: dict
) -> None:
    text = _two_payments(sent)
    assert gc.isenabled()
    with pytest.raises(InputError):
        _post(ledger, config, text[: text.rindex("SE*")])
    assert gc.isenabled()
    _post(ledger, config, text)
    assert gc.isenabled()


def test_the_batchs_rows_name_their_tables_columns() -> None:
    # Bulk rows are NamedTuples whose fields are the columns they are inserted into; the audit
    # row is made as ptbill.ledger.states.audit_row's dict, whose keys must be the same.
    from ptbill.ledger.states import audit_row
    from ptbill.remit import post_batch as pb

    row = audit_row(1, None, State.DRAFT, "who", dt.date(2025, 1, 2), "why")
    assert pb.AuditRow._fields == tuple(row)
    for shape, model in (
        (pb.PaymentRow, m.ClaimPayment),
        (pb.LinePaymentRow, m.LinePayment),
        (pb.AdjustmentRow, m.Adjustment),
        (pb.WorkRow, m.WorkItem),
        (pb.AuditRow, m.AuditEntry),
    ):
        assert set(shape._fields) <= set(model.__table__.columns.keys()), shape.__name__


def test_the_progress_is_told_the_files_bytes_in_step_with_its_claims(
    ledger: Ledger, config: Config, sent: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the command line's progress bar is given: the file's size, then the bytes posted,
    told as the claims of a payment post (an 835 of one payment moves the bar too), to the
    size and never backwards."""
    import contextlib
    from collections.abc import Iterator

    monkeypatch.setattr(posting, "_TELL_EVERY", 1)
    path = tmp_path / "r.835"
    path.write_text(remit_of([decision(c, _paid_in_full(c)) for c in sent.values()]))
    told: list[int] = []
    sizes: list[int] = []

    @contextlib.contextmanager
    def progress(size: int) -> Iterator[Callable[[int], None]]:
        sizes.append(size)
        yield told.append

    with ledger.transaction() as s:
        summary = posting.post_file(s, str(path), who=WHO, config=config, progress=progress)
    assert (summary.payments, summary.claims, summary.matched) == (1, 3, 3)
    assert sizes == [path.stat().st_size]
    assert sum(told) == sizes[0] and min(told) > 0
    assert len(told) >= 4  # after each of the 3 claims, then the payment's rows written
