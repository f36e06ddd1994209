"""270/271 (005010X279A1) and 276/277 (005010X212): every file written is held against the TR3
structures (ptbill.x12.tr3_guides), the checker itself is shown to catch departures, and the
readers give what a PT biller needs. Expected values are the codes' meanings in the TR3s
(EB01 1 active, 6 inactive; EB06 29 remaining; EB08 a fraction; STC categories)."""

from __future__ import annotations

import datetime as dt
import gc
import io
from decimal import Decimal

import pytest

from ptbill.config import load_config
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from ptbill.payer_sim.status import SimClaimState, answer_276
from ptbill.x12 import X12Error
from ptbill.x12.benefits import summarize
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.read_271 import read_271
from ptbill.x12.read_277 import ClaimStatus, read_277
from ptbill.x12.recognize import recognize
from ptbill.x12.tr3 import check, loops
from ptbill.x12.tr3_guides import GUIDES
from ptbill.x12.write_270 import EligibilityInquiry, Person, write_270
from ptbill.x12.write_276 import StatusInquiry, write_276

WHEN = dt.datetime(2026, 3, 1, 8, 0)
ANN = Person("Lee", "Ann", dt.date(1951, 4, 9), "F")
BOB = Person("Lee", "Bob", dt.date(1970, 1, 1), "M")
KID = Person("Lee", "Kid", dt.date(2012, 5, 6), "U")


def _settings(n: int = 5) -> InterchangeSettings:
    return InterchangeSettings("ELMST001", "DEMOCH01", n, n, WHEN)


def _inquiry(trace: str, payer: str = "MEDICARE", **kw: object) -> EligibilityInquiry:
    values: dict[str, object] = {
        "trace": trace,
        "payer_name": payer,
        "payer_id": payer,
        "provider_name": "Elm Street PT",
        "provider_npi": "1234567893",
        "provider_tax_id": "37-1234567",
        "member_id": f"M{trace}",
        "subscriber": ANN,
        "patient": None,
        "service_date": dt.date(2026, 3, 2),
        "service_types": ("30", "AE"),
    }
    values.update(kw)
    return EligibilityInquiry(**values)  # type: ignore[arg-type]


def _270() -> str:
    return write_270(
        [
            _inquiry("E1"),
            _inquiry("E2", "ACME1", subscriber=BOB, patient=KID, group_number="G1"),
            _inquiry("E3", "ACME1", subscriber=BOB, service_types=("PT",)),
            _inquiry("E4", "ACME1", subscriber=BOB),
        ],
        _settings(),
    )


def test_the_270_written_follows_the_tr3() -> None:
    text = _270()
    assert check(text, GUIDES["270"]) == []
    lines = text.splitlines()
    # The dependent's inquiry is asked in 2110D, under its 2000D level (HL 23 child of HL 22).
    assert "HL*7*6*23*0~" in lines and "NM1*03*1*LEE*KID~" in lines
    assert lines.count("EQ*30~") == 3 and "EQ*PT~" in lines
    assert "TRN*1*E1*1371234567~" in lines  # "1" + the provider's EIN
    assert "DMG*D8*20120506~" in lines  # U is not a 270 gender code: left out


def test_the_checker_catches_departures_from_the_tr3() -> None:
    text = _270()
    broken = {
        "EQ*PT~": "EQ*ZZ~",  # not a service type code
        "NM1*03*1*LEE*KID~": "NM1*03*1*LEE*KID****MI*X~",  # NM108/NM109 not used in 2100D
        "HL*3*2*22*0~": "HL*3*2*22*0~\nREF*6P~",  # REF02 required
    }
    for good, bad in broken.items():
        errors = check(text.replace(good, bad, 1), GUIDES["270"])
        assert errors, f"{bad!r} was not caught"
    # A missing required loop, a wrong HL parent, a segment out of order, too many repeats.
    no_receiver = text.replace("NM1*1P*2*ELM STREET PT*****XX*1234567893~\n", "", 1)
    assert any("2100B" in e for e in check(no_receiver, GUIDES["270"]))
    wrong_parent = text.replace("HL*3*2*22*0", "HL*3*1*22*0", 1)
    assert any("HL02" in e for e in check(wrong_parent, GUIDES["270"]))
    swapped = text.replace(
        "DMG*D8*19510409*F~\nDTP*291*D8*20260302~", "DTP*291*D8*20260302~\nDMG*D8*19510409*F~", 1
    )
    assert any("not expected" in e for e in check(swapped, GUIDES["270"]))
    three_dates = text.replace("DTP*291*D8*20260302~", "DTP*291*D8*20260302~\n" * 3, 1)
    assert any("repeats more" in e for e in check(three_dates, GUIDES["270"]))


def test_the_guides_name_the_tr3_loops() -> None:
    assert loops(GUIDES["270"]) == [
        "2000A",
        "2100A",
        "2000B",
        "2100B",
        "2000C",
        "2100C",
        "2110C",
        "2000D",
        "2100D",
        "2110D",
    ]
    assert {"2110C", "2115C", "2120C", "2110D", "2120D"} <= set(loops(GUIDES["271"]))
    assert {"2200D", "2210D", "2000E", "2200E"} <= set(loops(GUIDES["276"]))
    assert {"2200B", "2200C", "2200D", "2220D", "2200E"} <= set(loops(GUIDES["277"]))


def test_the_simulated_271_follows_the_tr3_and_reads_back() -> None:
    sim = EligibilitySim(scenarios={"ME2": "visit_limit", "ME3": "inactive", "ME4": "not_found"})
    text = answer_270(_270(), load_config(None), sim, number=7, when=dt.date(2026, 3, 1))
    assert check(text, GUIDES["271"]) == []
    people = {p["trace"]: p for p in map(summarize, read_271(io.StringIO(text)))}
    assert set(people) == {"E1", "E2", "E3", "E4"}
    medicare = people["E1"]
    assert medicare["active"] is True and medicare["medicare"] is True
    assert medicare["coinsurance_percent"] == Decimal(20)  # EB08 0.2
    assert medicare["therapy_amount_applied"] is not None
    limit = people["E2"]  # the dependent's answer, under the subscriber's member id
    assert limit["level"] == "dependent" and limit["member_id"] == "ME2"
    assert limit["visits_remaining"] == 0 and limit["visit_limit"] == 20
    assert limit["copay"] == Decimal(25) and limit["prior_authorization_required"] is True
    inactive = people["E3"]
    assert inactive["active"] is False and inactive["plan_end"] == dt.date(2026, 2, 28)
    assert people["E4"]["errors"][0]["code"] == "75"
    assert people["E4"]["active"] is None


# A 271 as a commercial payer would send it, with coordination of benefits (TR3 examples'
# shapes; every value synthetic).
ISA = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*ELMST001       *260301*0800*"
COB_271 = (
    ISA
    + """^*00501*000000042*0*P*:~
GS*HB*PAYER*ELMST001*20260301*0800*42*X*005010X279A1~
ST*271*0001*005010X279A1~
BHT*0022*11*R1*20260301*0800~
HL*1**20*1~
NM1*PR*2*ACME HEALTH*****PI*ACME1~
PER*IC**TE*8005550100~
HL*2*1*21*1~
NM1*1P*2*ELM STREET PT*****XX*1234567893~
HL*3*2*22*0~
TRN*2*E9*1371234567~
NM1*IL*1*DOE*JANE****MI*W123~
DMG*D8*19600101*F~
DTP*291*RD8*20260101-20261231~
EB*1*FAM*30*C1*GOLD PPO~
EB*C*FAM*30***23*3000*****Y~
EB*C*IND*30***23*1500*****Y~
EB*C*IND*30***29*600*****Y~
EB*C*IND*30***29*1400*****N~
EB*G*IND*30***29*4100*****Y~
EB*A*IND*30*****0.3****Y~
EB*A*IND*PT*****0.1****Y~
EB*B*IND*PT***27*40****Y*Y~
EB*F*IND*PT***23***VS*30****Y~
EB*F*IND*PT******99*12***Y~
EB*R**30*12*MEDICARE~
REF*18*1EG4TE5MK73~
DTP*290*D8*20250601~
MSG*MEDICARE IS SECONDARY~
LS*2120~
NM1*PRP*2*BIG EMPLOYER PLAN*****PI*BEP01~
LE*2120~
SE*31*0001~
GE*1*42~
IEA*1*000000042~
"""
)


def test_the_271_reader_takes_what_a_pt_biller_needs() -> None:
    assert check(COB_271, GUIDES["271"]) == []
    (p,) = map(summarize, read_271(io.StringIO(COB_271)))
    assert p["active"] is True
    assert (p["plan_begin"], p["plan_end"]) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    # The individual's in-network amounts, not the family's or out of network.
    assert p["deductible"] == Decimal(1500) and p["deductible_remaining"] == Decimal(600)
    assert p["out_of_pocket_remaining"] == Decimal(4100)
    assert p["coinsurance_percent"] == Decimal(10)  # PT's own, not the plan's 30%
    assert p["copay"] == Decimal(40) and p["prior_authorization_required"] is True
    assert (p["visit_limit"], p["visits_used"], p["visits_remaining"]) == (30, 12, 18)
    (other,) = p["other_payers"]
    assert other["medicare_secondary_payer"] is True
    assert other["entities"][0]["role"] == "primary payer"
    assert p["medicare_secondary_payer"] == [other["meaning"]]
    assert p["therapy_amount_applied"] is None and p["medicare"] is False


def test_an_error_only_271_still_reports_the_payers_errors() -> None:
    text = (
        COB_271.split("HL*2*1*21*1~")[0] + "AAA*N**42*R~\nSE*7*0001~\nGE*1*42~\nIEA*1*000000042~\n"
    )
    text = text.replace("HL*1**20*1~\nNM1", "HL*1**20*0~\nNM1")
    (p,) = map(summarize, read_271(io.StringIO(text)))
    assert p["level"] == "source" and p["errors"][0]["code"] == "42"
    assert "unable to respond" in p["errors"][0]["message"]


def _status(trace: str, patient: Person | None = None, icn: str | None = None) -> StatusInquiry:
    return StatusInquiry(
        trace=trace,
        payer_name="MEDICARE PART B",
        payer_id="MEDICARE",
        receiver_name="ELM STREET PT",
        receiver_id="ELMST001",
        provider_name="ELM STREET PT",
        provider_npi="1234567893",
        member_id=f"M{trace}",
        subscriber=ANN if patient is None else BOB,
        patient=patient,
        claim_id=f"V-{trace}",
        payer_claim_control_number=icn,
        charge=Decimal("143"),
        service_from=dt.date(2026, 2, 2),
        service_to=dt.date(2026, 2, 2),
    )


def _alive(kind: type) -> int:
    return sum(isinstance(o, kind) for o in gc.get_objects())


def test_276_and_277_follow_the_tr3_and_the_277_reads_each_status() -> None:
    text = write_276(
        [_status("S1"), _status("S2", KID, "ICN2"), _status("S3"), _status("S4")], _settings()
    )
    assert check(text, GUIDES["276"]) == []
    known = {
        "V-S1": SimClaimState("paid", "ICN1", Decimal(143), Decimal("90.5"), dt.date(2026, 2, 20)),
        "V-S2": SimClaimState("denied", "ICN2", Decimal(143), Decimal(0), dt.date(2026, 2, 20)),
        "V-S3": SimClaimState("paid", "ICN3", Decimal(143), Decimal(90), dt.date(2026, 4, 1)),
    }
    answer = answer_276(text, known, number=9, when=dt.date(2026, 3, 10))
    assert check(answer, GUIDES["277"]) == []
    got = {c.claim_id: c for c in read_277(io.StringIO(answer))}
    assert {k: c.status for k, c in got.items()} == {
        "V-S1": "finalized",  # F1
        "V-S2": "denied",  # F2
        "V-S3": "pending",  # P1: paid after the day asked
        "V-S4": "not_found",  # A4:35
    }
    assert got["V-S1"].statuses[0].paid == Decimal("90.5")
    assert got["V-S1"].trace == "S1" and got["V-S2"].payer_claim_control_number == "ICN2"

    # What was read is freed when let go of, not held by the parser's handler cycle.
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        before = _alive(ClaimStatus)
        read = read_277(io.StringIO(answer))
        assert _alive(ClaimStatus) > before
        del read
        assert _alive(ClaimStatus) == before
    finally:
        if was:
            gc.enable()


def test_pyx12_has_no_usable_map_for_the_5010_277_claim_status_response() -> None:
    """Why the 277 (005010X212) is described in tr3_guides: pyx12's map index has none."""
    import pyx12.map_index

    index = pyx12.map_index.map_index()
    assert index.get_filename("00501", "005010X212", "HN") is None
    assert index.get_filename("00501", "005010X279A1", "HB") is None


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        ("HB*A*B*20260101*0800*1*X*005010X279A1", "271"),
        ("HN*A*B*20260101*0800*1*X*005010X214", "277CA"),
        ("HN*A*B*20260101*0800*1*X*005010X212", "277"),
        ("FA*A*B*20260101*0800*1*X*005010X231A1", "999"),
        ("HP*A*B*20260101*0800*1*X*005010X221A1", "835"),
    ],
)
def test_files_are_recognised_from_their_content(head: str, kind: str) -> None:
    isa = COB_271.splitlines()[0]
    assert recognize(f"{isa}\nGS*{head}~\n") == kind
    with pytest.raises(X12Error):
        recognize("%PDF-1.4 not x12")


def test_a_kind_ptbill_does_not_take_in_is_named() -> None:
    isa = COB_271.splitlines()[0]
    with pytest.raises(X12Error, match="997 functional acknowledgment"):
        recognize(f"{isa}\nGS*FA*A*B*20260101*0800*1*X*004010X093A1~\n")
