"""999 (with TA1) and 277CA readers against hand-made acknowledgments of the claims the 837P
tests write (V-TEST-1 accepted, V-2 rejected)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from ptbill.x12.errors import X12Error
from ptbill.x12.read_277ca import read_277ca, verdict
from ptbill.x12.read_999 import read_999
from tests.x12.helpers import DATA
from tests.x12.pyx12_check import pyx12_errors

ACK999 = (DATA / "ack_partial.999").read_text()
ACK277 = (DATA / "claims_ack.277").read_text()
TA1 = (DATA / "ack_rejected_interchange.ta1").read_text()


@pytest.mark.parametrize("text", [ACK999, ACK277, TA1])
def test_the_fixtures_are_valid_x12(text):
    assert pyx12_errors(text) == []


def test_999_group_verdict_and_counts():
    acks = read_999(io.StringIO(ACK999))
    (group,) = acks.groups
    assert (group.functional_id, group.group_control_number, group.version) == (
        "HC",
        "1",
        "005010X222A1",
    )
    assert group.status_code == "P" and group.status == "partially accepted"
    assert (group.included, group.received, group.accepted_count) == (2, 2, 1)
    assert not group.accepted and not acks.accepted


def test_999_transaction_sets_accepted_and_rejected_with_reasons():
    first, second = read_999(io.StringIO(ACK999)).groups[0].transactions
    assert (first.control_number, first.accepted, first.status) == ("0001", True, "accepted")
    assert (second.control_number, second.accepted) == ("0002", False)
    assert second.error_codes == ["5"] and second.messages == ["one or more segments in error"]
    sv1, nm1 = second.segments
    assert (sv1.segment_id, sv1.position, sv1.loop, sv1.code) == ("SV1", 30, "2400", "8")
    assert sv1.claim_id == "V-2"
    (element,) = sv1.elements
    assert (element.position, element.reference, element.code, element.bad_value) == (
        "1:2",
        "234",
        "7",
        "97999",
    )
    assert element.message == "code value not allowed"
    assert nm1.elements[0].message == "a required element is missing"


def test_ta1_rejecting_an_interchange():
    acks = read_999(io.StringIO(TA1))
    assert acks.groups == []
    (ta1,) = acks.interchanges
    assert (ta1.control_number, ta1.date, ta1.status) == (
        "000000001",
        dt.date(2026, 3, 5),
        "rejected",
    )
    assert ta1.message == "invalid sender id" and not acks.accepted


def test_999_structure_errors():
    with pytest.raises(X12Error, match="IK4 outside an IK3"):
        read_999(io.StringIO(ACK999.replace("IK3*SV1*30*2400*8~", "CTX*X~")))
    with pytest.raises(X12Error, match="no AK9"):
        read_999(io.StringIO(ACK999.replace("AK9*P*2*2*1~\n", "").replace("SE*14*", "SE*13*")))
    with pytest.raises(X12Error, match="AK904"):
        read_999(io.StringIO(ACK999.replace("AK9*P*2*2*1~", "AK9*P*2*2*one~")))


def test_277ca_claims_accepted_and_rejected():
    (ack,) = read_277ca(io.StringIO(ACK277))
    assert (ack.payer, ack.reference, ack.created) == (
        "MEDICARE PART B",
        "BATCH0001",
        dt.date(2026, 3, 6),
    )
    accepted, rejected = ack.claims
    assert (accepted.claim_id, accepted.status) == ("V-TEST-1", "accepted")
    assert accepted.payer_claim_control_number == "26123456789012"
    assert accepted.total_charge == Decimal("110") and accepted.billing_npi == "1234567893"
    assert accepted.service_start == dt.date(2026, 3, 2)
    assert (rejected.claim_id, rejected.status) == ("V-2", "rejected")
    assert rejected.clearinghouse_trace == "CH0000002"
    (status,) = rejected.reports[0].statuses
    assert (status.category, status.code, status.entity) == ("A7", "562", "82")
    assert status.message == (
        "rejected: information invalid; the entity's NPI (rendering provider)"
    )
    (line,) = rejected.lines
    assert (line.control_number, line.status, line.units) == ("V-2-1", "rejected", Decimal(2))


def test_277ca_receiver_and_provider_levels():
    (ack,) = read_277ca(io.StringIO(ACK277))
    assert [s.category for r in ack.receiver_reports for s in r.statuses] == ["A1"]
    (provider,) = ack.providers
    assert (provider.npi, provider.status) == ("1234567893", "accepted")
    assert provider.quantities == {"QA": Decimal(1), "QC": Decimal(1)}
    assert provider.amounts == {"YU": Decimal(110), "YY": Decimal(96)}


@pytest.mark.parametrize(
    ("category", "verdict"),
    [
        ("A1", "accepted"),
        ("A2", "accepted"),
        ("A5", "accepted"),
        ("A3", "rejected"),
        ("A4", "rejected"),
        ("A6", "rejected"),
        ("A7", "rejected"),
        ("A8", "rejected"),
        ("P1", "unknown"),
    ],
)
def test_277ca_categories(category, verdict):
    text = ACK277.replace("STC*A2:20:PR*", f"STC*{category}:20:PR*")
    assert read_277ca(io.StringIO(text))[0].claims[0].status == verdict


def test_277ca_a_rejection_in_stc10_wins():
    text = ACK277.replace(
        "STC*A2:20:PR*20260306*WQ*110~", "STC*A2:20:PR*20260306*WQ*110*******A7:164:IL~"
    )
    claim = read_277ca(io.StringIO(text))[0].claims[0]
    assert claim.status == "rejected"
    assert claim.reports[0].statuses[1].message == (
        "rejected: information invalid; the entity's contract or member number (subscriber)"
    )


def test_277ca_unknown_codes_are_still_shown():
    text = ACK277.replace("STC*A7:562:82*", "STC*A7:9999:82*")
    status = read_277ca(io.StringIO(text))[0].claims[1].reports[0].statuses[0]
    assert "status code 9999" in status.message


def test_277ca_structure_errors():
    with pytest.raises(X12Error, match="HL03"):
        read_277ca(io.StringIO(ACK277.replace("HL*4*3*PT~", "HL*4*3*XX~")))
    with pytest.raises(X12Error, match="DTP03"):
        read_277ca(io.StringIO(ACK277.replace("RD8*20260302-20260302", "RD8*20260302-2026")))


# --- levels above the claims (2200B receiver, 2200C billing provider) ---------------------------

RECEIVER_OK = "STC*A1:19:PR*20260306*WQ*206~\nQTY*90*1~\nQTY*AA*1~"
RECEIVER_REJECTS = "STC*A3:24:41*20260306*U*206~\nQTY*90*0~\nQTY*AA*2~"
PROVIDER_OK = "STC*A1:19:PR**WQ*206~"


def _only_receiver(text: str) -> str:
    """The 277CA cut after its receiver loop (2000B with no provider or claim beneath), with
    SE01 counted again."""
    head = text[: text.index("HL*3*2*19*1~")]
    segments = head[head.index("ST*277") :].count("~") + 1
    return head + f"SE*{segments}*0001~\nGE*1*301~\nIEA*1*000000301~\n"


def test_277ca_receiver_rejection_rejects_the_claims_beneath_it():
    (ack,) = read_277ca(io.StringIO(ACK277.replace(RECEIVER_OK, RECEIVER_REJECTS)))
    (receiver,) = ack.receivers
    assert (receiver.name, receiver.batch, receiver.status) == (
        "ELM STREET PT",
        "0000000010001",
        "rejected",
    )
    assert receiver.quantities == {"90": 0, "AA": 2} and receiver.claims == 2
    accepted_alone, rejected = ack.claims
    assert [c.status for c in ack.claims] == ["rejected", "rejected"]
    assert [(level, s.category) for level, s in accepted_alone.inherited] == [("receiver", "A3")]
    assert accepted_alone.reasons()[-1] == (
        "receiver: returned as unprocessable: rejected; the entity is not approved to submit "
        "electronically (submitter)"
    )
    assert accepted_alone.rejection_codes() == ["24"]
    assert rejected.rejection_codes() == ["562", "453", "24"]
    assert verdict([ack]) == "rejected"


def test_277ca_provider_rejection_rejects_its_claims_only():
    text = ACK277.replace(PROVIDER_OK, "STC*A7:562:85**U*206~")
    (ack,) = read_277ca(io.StringIO(text))
    (provider,) = ack.providers
    assert (provider.status, provider.claims, provider.receiver) == (
        "rejected",
        2,
        ack.receivers[0],
    )
    assert ack.receivers[0].status == "accepted"
    assert [[level for level, _ in c.inherited] for c in ack.claims] == [
        ["billing provider"],
        ["billing provider"],
    ]
    assert all(c.status == "rejected" for c in ack.claims)


def test_277ca_receiver_rejection_without_claims_rejects_the_batch():
    (ack,) = read_277ca(io.StringIO(_only_receiver(ACK277.replace(RECEIVER_OK, RECEIVER_REJECTS))))
    assert ack.claims == [] and ack.providers == []
    assert (ack.receivers[0].status, ack.receivers[0].claims) == ("rejected", 0)
    assert verdict([ack]) == "rejected"  # not accepted: all([]) of no claims


@pytest.mark.parametrize(
    ("claim_category", "expected"),
    [("A1", "accepted"), ("P1", "pending"), ("A3", "rejected")],
)
def test_277ca_verdict_of_the_file(claim_category, expected):
    text = ACK277.replace("STC*A7:562:82*", "STC*A2:20:PR*").replace("STC*A7:453*", "STC*A2:20*")
    text = text.replace("STC*A2:20:PR*20260306*WQ*110", f"STC*{claim_category}:20*20260306*WQ*110")
    assert verdict(read_277ca(io.StringIO(text))) == expected


def test_277ca_pending_only_receiver_is_pending():
    text = _only_receiver(ACK277.replace(RECEIVER_OK, "STC*P1:20:PR*20260306*WQ*206~"))
    assert verdict(read_277ca(io.StringIO(text))) == "pending"


# --- TA1 ---------------------------------------------------------------------------------------


def test_a_ta1_file_is_of_kind_ta1_and_a_999_with_ta1_of_kind_999():
    assert read_999(io.StringIO(TA1)).kind == "TA1"
    assert read_999(io.StringIO(ACK999)).kind == "999"


@pytest.mark.parametrize(
    ("written", "day"), [("260305", dt.date(2026, 3, 5)), ("20260305", dt.date(2026, 3, 5))]
)
def test_ta1_date_as_yymmdd_or_ccyymmdd(written, day):
    text = TA1.replace("TA1*000000001*260305*", f"TA1*000000001*{written}*")
    assert read_999(io.StringIO(text)).interchanges[0].date == day


@pytest.mark.parametrize("written", ["2603", "261305", "2026030"])
def test_ta1_bad_dates_are_refused(written):
    text = TA1.replace("TA1*000000001*260305*", f"TA1*000000001*{written}*")
    with pytest.raises(X12Error, match="TA102"):
        read_999(io.StringIO(text))


@pytest.mark.parametrize(("action", "expected"), [("U", "rejected"), ("WQ", "accepted")])
def test_277ca_a_category_outside_the_code_list_leaves_the_verdict_to_the_action(action, expected):
    text = ACK277.replace("STC*A2:20:PR*20260306*WQ*110", f"STC*X9:99:99*20260306*{action}*110")
    claim = read_277ca(io.StringIO(text))[0].claims[0]
    assert claim.status == expected
    assert claim.reports[0].statuses[0].message.startswith("category X9 (not in ptbill's")


def test_277ca_a_known_category_wins_over_the_action():
    text = ACK277.replace("STC*A2:20:PR*20260306*WQ*110", "STC*A2:20:PR*20260306*U*110")
    assert read_277ca(io.StringIO(text))[0].claims[0].status == "accepted"


def test_277ca_read_is_freed_without_the_cycle_collector():
    """What the reader returns is freed when the caller lets go of it, not kept alive by
    the parser's handler cycle until a collector pass."""
    import gc

    from ptbill.x12.read_277ca import ClaimAck

    def alive() -> int:
        return sum(isinstance(o, ClaimAck) for o in gc.get_objects())

    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = alive()
        acks = read_277ca(io.StringIO(ACK277))
        assert alive() > before
        del acks
        assert alive() == before
    finally:
        if was:
            gc.enable()
