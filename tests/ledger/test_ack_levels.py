"""Acknowledgements above the claim: a 277CA rejecting at the information receiver (2200B) or
billing provider (2200C), a TA1 rejecting the interchange; files of the wrong kind given to
`ack-apply` and `post`; an interchange repeated in an 835 posts once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.config.profiles import Config
from ptbill.errors import InputError
from ptbill.ledger.acks import apply_ack_file
from ptbill.ledger.db import Ledger
from ptbill.ledger.states import State
from ptbill.ledger.submit import SubmitResult
from ptbill.remit.post import post_text
from ptbill.x12.envelope import CLAIM_ACK, InterchangeSettings, segment, write_interchange
from tests.ledger.helpers import (
    WHO,
    claim,
    decision,
    import_and_submit,
    medicare_visit,
    open_items,
    paid,
    remit_of,
    sim_claims,
    write_visits,
)

ACK_DAY = dt.date(2025, 3, 11)
NPI = "1234567893"  # the demo clinic's, the billing provider of the claims sent
OTHER_NPI = "1245319599"
REJECTED = "A3:24:41"  # returned as unprocessable: the submitter is not approved


@pytest.fixture
def submitted(ledger: Ledger, config: Config, tmp_path: Path) -> SubmitResult:
    """Two claims submitted in one 837P."""
    visits = [medicare_visit("V-1"), medicare_visit("V-2", patient="P-2")]
    return import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))


@pytest.fixture
def sent(submitted: SubmitResult) -> tuple[int, list[str]]:
    """(the 837P's interchange control number, the claim ids it carried)."""
    assert submitted.interchange_control_number is not None
    return submitted.interchange_control_number, submitted.claims


def _batch(icn: int) -> str:
    """The 837's BHT03 as ptbill writes it: interchange control number and ST02."""
    return f"{icn:09d}0001"


def _277ca(
    batch: str, receiver: str, providers: list[tuple[str, str, list[tuple[str, str]]]]
) -> str:
    """A 277CA: the receiver's status for `batch`, then per billing provider (NPI, status,
    [(claim id, status)]) its status and claims."""
    d8 = ACK_DAY.strftime("%Y%m%d")
    body = [
        segment("BHT", "0085", "08", "ACK0001", d8, "0800", "TH"),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "PR", "2", "MEDICARE PART B", "", "", "", "", "PI", "MEDICARE"),
        segment("TRN", "1", "1"),
        segment("DTP", "050", "D8", d8),
        segment("DTP", "009", "D8", d8),
        segment("HL", "2", "1", "21", "1" if providers else "0"),
        segment("NM1", "41", "2", "ELM STREET PT", "", "", "", "", "46", "ELMST001"),
        segment("TRN", "2", batch),
        segment("STC", receiver, d8, "WQ" if receiver.startswith("A1") else "U", "206"),
    ]
    hl = 2
    for npi, status, claims in providers:
        hl += 1
        parent = hl
        body += [
            segment("HL", str(hl), "2", "19", "1" if claims else "0"),
            segment("NM1", "85", "2", "ELM STREET PT", "", "", "", "", "XX", npi),
            segment("TRN", "1", "0"),
            segment("STC", status, "", "WQ", "206"),
        ]
        for claim_id, claim_status in claims:
            hl += 1
            body += [
                segment("HL", str(hl), str(parent), "PT"),
                segment("NM1", "QC", "1", "LEE", "ANN", "", "", "", "MI", "X1"),
                segment("TRN", "2", claim_id),
                segment("STC", claim_status, d8, "WQ", "103"),
            ]
    settings = InterchangeSettings("CLEARHOUSE", "ELMST001", 301, 301, dt.datetime(2025, 3, 11))
    return write_interchange(settings, CLAIM_ACK, [body])


def _apply(ledger: Ledger, tmp_path: Path, text: str, name: str = "a.277"):
    path = tmp_path / name
    path.write_text(text)
    with ledger.transaction() as s:
        return apply_ack_file(s, str(path), as_of=ACK_DAY, who=WHO)


def _states(ledger: Ledger) -> dict[str, State]:
    with ledger.transaction() as s:
        return {n: State(claim(s, n).state) for n in ("V-1", "V-2")}


def test_a_batch_rejected_by_the_receiver_rejects_every_claim_of_it(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, claims = sent
    summary = _apply(ledger, tmp_path, _277ca(_batch(icn), REJECTED, []))
    assert (summary.kind, sorted(summary.rejected), summary.unknown) == ("277CA", claims, [])
    assert _states(ledger) == {"V-1": State.REJECTED, "V-2": State.REJECTED}
    with ledger.transaction() as s:
        [item] = open_items(s, "V-1")
        assert item.kind == "rejection" and "receiver: returned as unprocessable" in item.detail


def test_a_billing_provider_rejected_without_claims_rejects_its_claims_only(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, claims = sent
    text = _277ca(_batch(icn), "A1:19:PR", [(OTHER_NPI, "A3:24:85", [])])
    summary = _apply(ledger, tmp_path, text, "other.277")
    assert (summary.rejected, summary.unknown) == (
        [],
        [f"batch {_batch(icn)} provider {OTHER_NPI}"],
    )
    assert _states(ledger) == {"V-1": State.SUBMITTED, "V-2": State.SUBMITTED}
    summary = _apply(ledger, tmp_path, _277ca(_batch(icn), "A1:19:PR", [(NPI, "A3:24:85", [])]))
    assert sorted(summary.rejected) == claims
    assert _states(ledger) == {"V-1": State.REJECTED, "V-2": State.REJECTED}


def test_a_rejection_above_listed_claims_rejects_those_claims(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, _ = sent
    text = _277ca(_batch(icn), "A1:19:PR", [(NPI, "A7:562:85", [("V-1", "A2:20")])])
    summary = _apply(ledger, tmp_path, text)
    assert (summary.rejected, summary.accepted) == (["V-1"], [])
    assert _states(ledger) == {"V-1": State.REJECTED, "V-2": State.SUBMITTED}


def test_a_batch_the_ledger_did_not_send_is_reported_not_guessed(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    summary = _apply(ledger, tmp_path, _277ca("SIM000000001", REJECTED, []))
    assert (summary.rejected, summary.unknown) == ([], ["batch SIM000000001"])
    assert _states(ledger) == {"V-1": State.SUBMITTED, "V-2": State.SUBMITTED}


def test_a_pending_receiver_changes_nothing(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, _ = sent
    summary = _apply(ledger, tmp_path, _277ca(_batch(icn), "P1:20", []))
    assert (summary.rejected, summary.accepted, summary.unknown) == ([], [], [])
    assert _states(ledger) == {"V-1": State.SUBMITTED, "V-2": State.SUBMITTED}


def _ta1(icn: int, status: str) -> str:
    return (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*ELMST001       *250311*0800*^*"
        f"00501*000000301*0*P*:~\nTA1*{icn:09d}*250310*0800*{status}*006~\nIEA*0*000000301~\n"
    )


def test_a_ta1_rejecting_the_interchange_rejects_every_claim_in_it(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, claims = sent
    summary = _apply(ledger, tmp_path, _ta1(icn, "R"), "r.ta1")
    assert (summary.kind, sorted(summary.rejected)) == ("TA1", claims)
    assert _states(ledger) == {"V-1": State.REJECTED, "V-2": State.REJECTED}
    with ledger.transaction() as s:
        [item] = open_items(s, "V-2")
        assert item.detail.startswith(f"TA1 rejected interchange {icn:09d}: invalid sender id")


def test_a_ta1_for_an_interchange_the_ledger_did_not_send_is_reported(
    ledger: Ledger, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    icn, _ = sent
    summary = _apply(ledger, tmp_path, _ta1(icn + 100, "R"), "r.ta1")
    assert (summary.rejected, summary.unknown) == ([], [f"interchange {icn + 100:09d}"])
    summary = _apply(ledger, tmp_path, _ta1(icn, "A"), "a.ta1")
    assert (summary.kind, summary.rejected, summary.unknown) == ("TA1", [], [])


def test_ack_apply_names_a_remittance_given_to_it(
    ledger: Ledger, config: Config, tmp_path: Path, sent: tuple[int, list[str]]
) -> None:
    text = remit_of([])
    with pytest.raises(InputError) as caught:
        _apply(ledger, tmp_path, text, "payer.835")
    assert (
        caught.value.problem == "this is an 835 remittance, not a 999, 277CA or TA1 acknowledgment"
    )
    assert "`ptbill post`" in caught.value.fix


def test_post_names_an_acknowledgement_given_to_it(
    ledger: Ledger, config: Config, sent: tuple[int, list[str]]
) -> None:
    icn, _ = sent
    for text, said in ((_ta1(icn, "R"), "a TA1"), (_277ca(_batch(icn), REJECTED, []), "a 277CA")):
        with ledger.transaction() as s, pytest.raises(InputError) as caught:
            post_text(s, text, "x.835", who=WHO, config=config, as_of=None)
        assert caught.value.problem.startswith(f"this is {said}")
        assert caught.value.fix.startswith("read it with `ptbill ack`")
    assert _states(ledger) == {"V-1": State.SUBMITTED, "V-2": State.SUBMITTED}


def test_an_interchange_repeated_in_an_835_posts_once(
    ledger: Ledger, config: Config, submitted: SubmitResult
) -> None:
    v1 = sim_claims(submitted.text)["V-1"]
    lines = [paid(x, x.charge - Decimal("10.00")) for x in v1.lines]
    text = remit_of([decision(v1, lines)])
    twice = text + text  # the same interchange, ISA13 and all, sent twice in one file
    with ledger.transaction() as s:
        summary = post_text(s, twice, "twice.835", who=WHO, config=config, as_of=None)
    assert (summary.payments, summary.claims) == (1, 1)
    assert summary.paid_total == sum((x.paid for x in lines), Decimal(0))
    assert len(summary.warnings) == 2
    assert "is used by 2 interchanges of this file" in summary.warnings[1]
    assert "repeats one earlier in the file" in summary.warnings[0]
    with ledger.transaction() as s:
        assert claim(s, "V-1").paid == summary.paid_total
    with ledger.transaction() as s:  # the same file again: already posted, nothing changes
        again = post_text(s, twice, "twice.835", who=WHO, config=config, as_of=None)
    assert again.wholly_posted_before and len(again.already_posted) == 1
    with ledger.transaction() as s:
        assert claim(s, "V-1").paid == summary.paid_total
