"""`submit` and acknowledgements: one 837P per run with persistent control numbers; 999 and
277CA results applied claim by claim."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger import models as m
from ptbill.ledger.acks import apply_ack_file
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.states import State
from ptbill.ledger.submit import submit
from ptbill.payer_sim import envelope_of
from ptbill.payer_sim.adjudicate import Decision
from ptbill.payer_sim.patterns import Rejection
from ptbill.payer_sim.read_837 import read_837p
from ptbill.payer_sim.write import write_277ca, write_999
from tests.ledger.helpers import (
    SUBMIT_DAY,
    WHO,
    claim,
    import_and_submit,
    medicare_visit,
    open_items,
    sim_claims,
    write_visits,
)

ACK_DAY = dt.date(2025, 3, 11)


def test_submit_sends_every_ready_claim_once(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    visits = [
        medicare_visit("V-1"),
        medicare_visit("V-2", patient="P-2"),
        medicare_visit("V-3", patient="P-3", diagnoses=[]),
    ]  # V-3 is blocked
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    assert sent.claims == ["V-1", "V-2"]
    claims = sim_claims(sent.text)
    assert set(claims) == {"V-1", "V-2"}
    assert [x.control_number for x in claims["V-1"].lines] == ["V-1-1", "V-1-2"]
    assert claims["V-1"].frequency_code == "1"
    with ledger.transaction() as s:
        assert [claim(s, n).state for n in ("V-1", "V-2", "V-3")] == [
            State.SUBMITTED,
            State.SUBMITTED,
            State.BLOCKED,
        ]
        stored = s.scalar(select(m.Submission))
        assert stored.content == sent.text and stored.claim_count == 2
        again = submit(s, config, as_of=SUBMIT_DAY, who=WHO, file_name="again.837")
    assert again.claims == [] and again.text == ""


def test_control_numbers_are_persistent_and_unique(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    numbers = []
    for n in range(3):
        sent = import_and_submit(
            ledger,
            config,
            write_visits(tmp_path / f"{n}.jsonl", [medicare_visit(f"V-{n}", patient=f"P-{n}")]),
        )
        numbers.append(sent.interchange_control_number)
        assert read_837p(io.StringIO(sent.text))  # envelope counts and numbers check out
    assert numbers == [1, 2, 3]
    ledger.close()
    reopened = Ledger(ledger.url)  # the counter lives in the database, not the process
    sent = import_and_submit(
        reopened, config, write_visits(tmp_path / "x.jsonl", [medicare_visit("V-9", patient="P-9")])
    )
    assert sent.interchange_control_number == 4
    reopened.close()


def test_a_claim_past_timely_filing_is_not_sent(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    path = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    late = dt.date(2026, 3, 4)  # Medicare: 365 days after 2025-03-03 (C-8)
    sent = import_and_submit(ledger, config, path, as_of=dt.date(2025, 3, 10))
    assert sent.claims == ["V-1"]
    with ledger.transaction() as s:
        assert s.scalar(select(m.Claim)).state == State.SUBMITTED
    path = write_visits(tmp_path / "w.jsonl", [medicare_visit("V-2", patient="P-2")])
    from ptbill.ledger.importer import import_files

    with ledger.transaction() as s:
        import_files(s, [path], as_of=dt.date(2025, 3, 10), config=config, who=WHO)
    with ledger.transaction() as s:
        result = submit(s, config, as_of=late, who=WHO, file_name="late.837")
        assert result.late == ["V-2"] and result.claims == []
        assert claim(s, "V-2").state == State.BLOCKED
        assert [w.category for w in open_items(s, "V-2")] == ["timely_filing"]


def _ack_files(tmp_path: Path, text_837: str, reject: set[str]) -> tuple[str, str]:
    sender, gcn = envelope_of(text_837)
    sets = read_837p(io.StringIO(text_837))
    decisions = [
        Decision(
            c,
            "medicare",
            f"9{n:013d}",
            ACK_DAY,
            Rejection("A7", "164", "IL") if c.claim_id in reject else None,
        )
        for n, c in enumerate(c for s in sets for c in s.claims)
    ]
    a999 = tmp_path / "a.999"
    a999.write_text(
        write_999(
            gcn, [s.control_number for s in sets], (), receiver=sender, number=1, when=ACK_DAY
        )
    )
    a277 = tmp_path / "a.277"
    a277.write_text(
        write_277ca(decisions, payer_name="MEDICARE", receiver=sender, number=1, when=ACK_DAY)
    )
    return str(a999), str(a277)


def test_acknowledgements_accept_and_reject_claims(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    visits = [medicare_visit("V-1"), medicare_visit("V-2", patient="P-2")]
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    a999, a277 = _ack_files(tmp_path, sent.text, {"V-2"})
    with ledger.transaction() as s:
        summary = apply_ack_file(s, a999, as_of=ACK_DAY, who=WHO)
        assert sorted(summary.accepted) == ["V-1", "V-2"]
        assert claim(s, "V-1").state == State.SUBMITTED  # a 999 accepts the file, not claims
    with ledger.transaction() as s:
        summary = apply_ack_file(s, a277, as_of=ACK_DAY, who=WHO)
        assert (summary.accepted, summary.rejected) == (["V-1"], ["V-2"])
        v1, v2 = claim(s, "V-1"), claim(s, "V-2")
        assert (v1.state, v1.first_response, v1.payer_control_number) == (
            State.ACCEPTED,
            "accepted",
            "90000000000000",
        )
        assert (v2.state, v2.first_response) == (State.REJECTED, "rejected")
        [item] = open_items(s, "V-2")
        assert (item.kind, item.category, item.action) == (
            "rejection",
            "eligibility",
            "correct_and_resubmit",
        )
        # a rejected claim does not stop the timely-filing clock (C-8): 2025-03-03 + 365
        assert item.due_date == dt.date(2026, 3, 3)
    with ledger.transaction() as s, pytest.raises(InputError) as e:
        apply_ack_file(s, a277, as_of=ACK_DAY, who=WHO)
    assert "already applied" in e.value.render()


def test_a_rejected_transaction_set_rejects_its_claims(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    sent = import_and_submit(
        ledger, config, write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    )
    sender, gcn = envelope_of(sent.text)
    path = tmp_path / "r.999"
    path.write_text(write_999(gcn, ["0001"], ["0001"], receiver=sender, number=5, when=ACK_DAY))
    with ledger.transaction() as s:
        summary = apply_ack_file(s, str(path), as_of=ACK_DAY, who=WHO)
        assert summary.rejected == ["V-1"]
        assert claim(s, "V-1").state == State.REJECTED
        assert open_items(s, "V-1")[0].kind == "rejection"


def test_large_submissions_are_split_into_transaction_sets(
    ledger: Ledger, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ptbill.ledger.submit as submitting

    monkeypatch.setattr(submitting, "MAX_CLAIMS_PER_SET", 2)  # the guide's 5000, made small
    visits = [medicare_visit(f"V-{n}", patient=f"P-{n}") for n in range(5)]
    sent = import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    sets = read_837p(io.StringIO(sent.text))
    assert [[c.claim_id for c in t.claims] for t in sets] == [
        ["V-0", "V-1"],
        ["V-2", "V-3"],
        ["V-4"],
    ]
    assert [t.control_number for t in sets] == ["0001", "0002", "0003"]
    references = [line.split("*")[3] for line in sent.text.split("~\n") if line.startswith("BHT*")]
    assert len(set(references)) == 3  # each set its own BHT03
    sender, gcn = envelope_of(sent.text)
    path = tmp_path / "r.999"
    path.write_text(
        write_999(gcn, ["0001", "0002", "0003"], ["0002"], receiver=sender, number=7, when=ACK_DAY)
    )
    with ledger.transaction() as s:
        summary = apply_ack_file(s, str(path), as_of=ACK_DAY, who=WHO)
    assert sorted(summary.rejected) == ["V-2", "V-3"]


def test_the_progress_is_told_the_claims_to_send_and_counts_them_all(
    ledger: Ledger, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the command line's progress bar is given: the claims that will be built (not the
    blocked one), then each batch as it is built, to the total."""
    import contextlib

    import ptbill.ledger.submit as submitting

    monkeypatch.setattr(submitting, "_READ", 2)  # batches of 2, so the counts are several
    visits = [medicare_visit(f"V-{n}", patient=f"P-{n}") for n in range(5)]
    visits.append(medicare_visit("V-9", patient="P-9", diagnoses=[]))  # blocked: not sent
    told: list[tuple[str, int]] = []

    @contextlib.contextmanager
    def progress(total: int) -> Iterator[Callable[[int], None]]:
        told.append(("total", total))
        yield lambda n: told.append(("built", n))

    with ledger.transaction() as s:
        import_files(
            s,
            [write_visits(tmp_path / "v.jsonl", visits)],
            as_of=SUBMIT_DAY,
            config=config,
            who=WHO,
        )
    with ledger.transaction() as s:
        sent = submit(s, config, as_of=SUBMIT_DAY, who=WHO, file_name="p.837", progress=progress)
    assert len(sent.claims) == 5
    assert told == [("total", 5), ("built", 2), ("built", 2), ("built", 1)]
