"""The 837P writer, loop by loop. Every interchange written here is validated by pyx12
(tests.x12.helpers.write); expected values come from the demo configuration, the test visit
and the 005010X222A1 layout."""

from __future__ import annotations

import dataclasses

import pytest

from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.domain.visit import Address
from ptbill.errors import InputError
from ptbill.x12.claim import claim_from_visit
from ptbill.x12.tokenizer import split_text
from ptbill.x12.writer_837p import clean, write_837p
from tests.factories import timed, visit
from tests.x12.helpers import (
    RECEIVER,
    SETTINGS,
    claim,
    find,
    joined,
    line,
    submitter,
    write,
    write_text,
)
from tests.x12.pyx12_check import pyx12_errors


def test_envelope_carries_the_callers_control_numbers_and_time():
    segs = write(claim())
    isa, gs, st = segs[0], segs[1], segs[2]
    assert isa[13] == "000000017" and isa[9] == "260305" and isa[10] == "1030"
    assert isa[6].strip() == "ELMST001" and isa[8].strip() == "CLEARHOUSE"
    assert gs[1] == "HC" and gs[6] == "17" and gs[8] == "005010X222A1"
    assert st == ["ST", "837", "0001", "005010X222A1"]
    assert segs[3] == ["BHT", "0019", "00", "0000000170001", "20260305", "1030", "CH"]
    assert segs[-1] == ["IEA", "1", "000000017"]
    assert segs[-2] == ["GE", "1", "17"]
    se = segs[-3]
    assert se[0] == "SE" and int(se[1]) == len(segs) - 4 and se[2] == "0001"


def test_the_same_claims_give_the_same_text():
    assert write_text(claim()) == write_text(claim())


def test_loop_1000_submitter_and_receiver():
    segs = joined(write(claim()))
    assert segs[4:7] == [
        "NM1*41*2*ELM STREET PT*****46*ELMST001",
        "PER*IC*BILLING OFFICE*TE*2175550100",
        "NM1*40*2*ACME CLEARINGHOUSE*****46*CLEARHOUSE",
    ]


def test_loop_2000a_billing_provider():
    segs = joined(write(claim()))
    start = segs.index("HL*1**20*1")
    assert segs[start : start + 6] == [
        "HL*1**20*1",
        "PRV*BI*PXC*225100000X",
        "NM1*85*2*ELM STREET PHYSICAL THERAPY*****XX*1234567893",
        "N3*100 ELM ST",
        "N4*SPRINGFIELD*IL*627011234",  # ZIP+4 without its hyphen
        "REF*EI*371234567",  # the tax id without its hyphen
    ]
    assert not any(s.startswith("NM1*87") for s in segs)  # no pay-to: same address


def test_loop_2010ab_pay_to_only_when_it_differs():
    lockbox = Address(line1="PO Box 77", city="Springfield", state="IL", zip="62705-0077")
    segs = joined(write(dataclasses.replace(claim(), pay_to=lockbox)))
    start = segs.index("NM1*87*2")
    assert segs[start : start + 3] == ["NM1*87*2", "N3*PO BOX 77", "N4*SPRINGFIELD*IL*627050077"]


def test_claims_are_grouped_under_each_billing_provider():
    other = {
        "name": "River PT",
        "npi": "1245319599",
        "tax_id": "371111111",
        "address": {"line1": "1 River Rd", "city": "Peoria", "state": "IL", "zip": "61602"},
    }
    claims = [
        claim(visit_id="A"),
        claim(visit_id="B", clinic=None, billing_provider=other),
        claim(visit_id="C"),
    ]
    segs = write(*claims)
    providers = [s for s in segs if s[0] == "HL" and s[3] == "20"]
    assert [s[1] for s in providers] == ["1", "4"]
    assert [s[1] for s in find(segs, "CLM")] == ["A", "C", "B"]
    subscribers = [s for s in segs if s[0] == "HL" and s[3] == "22"]
    assert [s[2] for s in subscribers] == ["1", "1", "4"]  # each under its provider's HL


def test_loop_2000b_subscriber_who_is_the_patient():
    segs = joined(write(claim()))
    start = segs.index("HL*2*1*22*0")  # no child level: the patient is the subscriber
    assert segs[start : start + 7] == [
        "HL*2*1*22*0",
        "SBR*P*18*******MB",  # primary, self, Medicare Part B
        "NM1*IL*1*LEE*ANN****MI*1EG4TE5MK73",
        "N3*12 ELM ST",
        "N4*SPRINGFIELD*IL*62701",
        "DMG*D8*19510409*F",
        "NM1*PR*2*MEDICARE PART B*****PI*MEDICARE",
    ]
    assert not find(write(claim()), "PAT")


@pytest.mark.parametrize(("payer", "indicator"), [("medicaid", "MC"), ("commercial", "CI")])
def test_claim_filing_indicator_comes_from_the_payer_profile(payer, indicator):
    sbr = find(write(claim(payer=payer)), "SBR")[0]
    assert sbr[9] == indicator


def test_group_number_goes_in_sbr03():
    sub = {"member_id": "W123", "relationship": "self", "group_number": "GRP-9"}
    assert find(write(claim(subscriber=sub, payer="commercial")), "SBR")[0][3] == "GRP-9"


def test_loop_2000c_patient_who_is_not_the_subscriber():
    sub = {"member_id": "XYZ123", "relationship": "child", "first_name": "Bob", "last_name": "Lee"}
    segs = joined(write(claim(subscriber=sub, payer="commercial")))
    sbr = segs.index("HL*2*1*22*1")  # the subscriber level now has a child
    assert segs[sbr + 1] == "SBR*P********CI"  # no SBR02 when the patient is not the insured
    assert segs[sbr + 2] == "NM1*IL*1*LEE*BOB****MI*XYZ123"
    assert segs[sbr + 3] == "NM1*PR*2*COMMERCIAL PAYER*****PI*COMMERCIAL"  # no DMG here
    pat = segs.index("HL*3*2*23*0")
    assert segs[pat : pat + 6] == [
        "HL*3*2*23*0",
        "PAT*19",  # child
        "NM1*QC*1*LEE*ANN",
        "N3*12 ELM ST",
        "N4*SPRINGFIELD*IL*62701",
        "DMG*D8*19510409*F",
    ]


def test_loop_2300_claim():
    c = claim(line("97110", 2, "96.00", ("GP", "KX"), (1, 2)), line("97140", 1, "47.00"))
    segs = joined(write(c))
    clm = [s for s in segs if s.startswith("CLM*")]
    # CLM01 the visit id, CLM02 the sum of the lines, office / professional / original.
    assert clm == ["CLM*V-TEST-1*143***11:B:1*Y*A*Y*Y"]
    assert "HI*ABK:M1711*ABF:M25561" in segs  # principal first, codes without the dot
    assert not any(s.startswith("REF*F8") for s in segs)


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_replacement_and_void_reference_the_original_claim(frequency):
    segs = joined(write(claim(frequency_code=frequency, original_claim_id="26123456789")))
    clm = next(s for s in segs if s.startswith("CLM*"))
    assert clm.split("*")[5] == f"11:B:{frequency}"
    assert segs[segs.index(clm) + 1] == "REF*F8*26123456789"


def test_replacement_without_the_original_claim_id_is_refused():
    with pytest.raises(InputError, match="original_claim_id"):
        claim(frequency_code="7")


def test_prior_authorization_number():
    episode = {"authorization": {"number": "A123", "visits_authorized": 12}}
    assert find(write(claim(episode=episode, payer="commercial")), "REF", "G1") == [
        ["REF", "G1", "A123"]
    ]


def test_twelve_diagnoses_fit_and_a_thirteenth_is_refused():
    twelve = [f"M25.5{i:02d}" for i in range(12)]
    hi = find(write(claim(diagnoses=twelve)), "HI")[0]
    assert hi[1] == "ABK:M25500" and hi[12] == "ABF:M25511" and len(hi) == 13
    with pytest.raises(InputError, match="at most 12"):
        claim(diagnoses=[*twelve, "M17.11"])


def test_loop_2310a_referring_provider():
    segs = write(claim())
    assert find(segs, "NM1", "DN") == [
        ["NM1", "DN", "1", "NGUYEN", "SAM", "", "", "", "XX", "1245319599"]
    ]
    assert not find(write(claim(referring_provider=None)), "NM1", "DN")


def test_loop_2310b_rendering_provider_only_when_not_the_billing_npi():
    assert not find(write(claim()), "NM1", "82")  # the test visit renders under 1234567893
    other = {"npi": "1245319599", "first_name": "Pat", "last_name": "Kim", "credential": "PT"}
    segs = joined(write(claim(rendering_provider=other)))
    at = segs.index("NM1*82*1*KIM*PAT****XX*1245319599")
    assert segs[at + 1] == "PRV*PE*PXC*225100000X"


SUPERVISOR = {"npi": "1306849450", "first_name": "Lena", "last_name": "Park", "credential": "PT"}


def test_loop_2310d_supervising_provider_after_the_rendering_provider():
    # A PTA renders (2310B) under a supervising PT (2310D, NM101 DQ): the loops in TR3 order.
    pta = {"npi": "1245319599", "first_name": "Pat", "last_name": "Kim", "credential": "PTA"}
    text = write_text(claim(rendering_provider=pta, supervising_provider=SUPERVISOR))
    assert pyx12_errors(text) == []
    segs = joined(split_text(text))
    at = segs.index("NM1*DQ*1*PARK*LENA****XX*1306849450")
    assert segs.index("NM1*82*1*KIM*PAT****XX*1245319599") < at
    assert segs[at + 1].startswith("LX*1")  # 2310D closes the claim's provider loops


def test_loop_2310d_also_under_a_solo_practitioner():
    # The rendering PT bills under their own NPI (no 2310B); the supervisor still differs.
    segs = write(claim(supervising_provider=SUPERVISOR))
    assert not find(segs, "NM1", "82")
    assert find(segs, "NM1", "DQ") == [
        ["NM1", "DQ", "1", "PARK", "LENA", "", "", "", "XX", "1306849450"]
    ]


def test_no_loop_2310d_when_the_supervisor_is_the_rendering_provider():
    itself = {"npi": "1234567893", "last_name": "Ortiz"}  # the test visit's rendering NPI
    assert not find(write(claim(supervising_provider=itself)), "NM1", "DQ")
    assert not find(write(claim()), "NM1", "DQ")  # and none without a supervisor


def test_a_supervising_provider_without_a_name_is_refused():
    with pytest.raises(InputError, match="supervising provider has no last name") as caught:
        claim(supervising_provider={"npi": "1306849450"})
    assert caught.value.field == "supervising_provider.last_name"


def test_loop_2400_service_lines():
    c = claim(
        line("97110", 2, "96.00", ("GP", "KX"), (1, 2)), line("97140", 1, "47.00", ("GP",), (2,))
    )
    segs = joined(write(c))
    start = segs.index("LX*1")
    assert segs[start : start + 8] == [
        "LX*1",
        "SV1*HC:97110:GP:KX*96*UN*2***1:2",  # place of service left to the claim's
        "DTP*472*D8*20260302",
        "REF*6R*V-TEST-1-1",
        "LX*2",
        "SV1*HC:97140:GP*47*UN*1***2",
        "DTP*472*D8*20260302",
        "REF*6R*V-TEST-1-2",
    ]


def test_lines_without_units_are_not_billed():
    segs = write(claim(line("97110", 2, "96.00"), line("97010", 0, "0")))
    assert [s[1].split(":")[1] for s in find(segs, "SV1")] == ["97110"]
    assert find(segs, "CLM")[0][2] == "96"


def test_four_modifiers_fit_and_a_fifth_is_refused():
    sv1 = find(write(claim(line("97110", 1, "48", ("GP", "KX", "CQ", "59")))), "SV1")[0]
    assert sv1[1] == "HC:97110:GP:KX:CQ:59"
    with pytest.raises(InputError, match="at most 4"):
        claim(line("97110", 1, "48", ("GP", "KX", "CQ", "59", "XU")))


@pytest.mark.parametrize("pointers", [(), (3,), (1, 2, 1, 2, 1)])
def test_pointers_must_name_one_to_four_listed_diagnoses(pointers):
    with pytest.raises(InputError, match="pointers"):
        claim(line("97110", 1, "48", pointers=pointers))


def test_a_line_without_a_charge_is_refused():
    bad = dataclasses.replace(line("97110", 1, "48"), charge=None)
    with pytest.raises(InputError, match="no charge"):
        claim(bad)


def test_a_subscriber_who_is_not_the_patient_needs_a_name():
    with pytest.raises(InputError, match="subscriber"):
        claim(subscriber={"member_id": "X1", "relationship": "spouse"})


def test_transaction_sets_are_split_and_numbered_in_sequence():
    claims = [claim(visit_id=f"V-{i}") for i in range(5)]
    segs = write(*claims, claims_per_set=2)
    sts = find(segs, "ST")
    assert [s[2] for s in sts] == ["0001", "0002", "0003"]
    assert [s[3] for s in find(segs, "BHT")] == ["0000000170001", "0000000170002", "0000000170003"]
    assert find(segs, "GE")[0][1] == "3"
    assert [s[1] for s in find(segs, "CLM")] == [f"V-{i}" for i in range(5)]


def test_free_text_is_cleaned_of_delimiters_and_accents():
    assert clean("José O'Brien*Smith~:^", 60) == "JOSE O'BRIEN SMITH"
    # Plain ASCII takes a shorter way (no NFKD): the same rules on it.
    assert clean(" Main  St*4~", 60) == "MAIN ST 4"
    assert clean("a\tb", 60) == "A B"
    assert clean(" 12 oak st ", 5) == "12 OA"
    assert clean("Zoë  Ruiz", 60) == "ZOE RUIZ"
    patient = {
        "id": "P-9",
        "first_name": "Zoë",
        "last_name": "Núñez*Ruiz",
        "birth_date": "1960-01-02",
        "sex": "F",
        "address": {"line1": "5 Main St ~ Apt 2", "city": "Peoria", "state": "IL", "zip": "61602"},
    }
    segs = joined(write(claim(patient=patient)))
    assert "NM1*IL*1*NUNEZ RUIZ*ZOE****MI*1EG4TE5MK73" in segs
    assert "N3*5 MAIN ST APT 2" in segs


def test_a_visit_coded_by_the_engine_makes_a_valid_claim():
    # 97110 24 min + 97140 13 min = 37 timed minutes: 2 units by the CMS 8-minute rule,
    # one each (billing-rules U-table); charges from the demo chargemaster: 48 + 47.
    v = visit(timed("97110", 24), timed("97140", 13), visit_id="V-ENGINE")
    ctx = resolve(v, load_config(), "test")
    coded = code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)
    segs = write(claim_from_visit(v, coded, ctx))
    assert find(segs, "CLM")[0][2] == "95"
    assert [(s[1], s[4]) for s in find(segs, "SV1")] == [("HC:97110:GP", "1"), ("HC:97140:GP", "1")]


def test_no_claims_is_an_error():
    with pytest.raises(ValueError):
        write_837p([], SETTINGS, submitter(), RECEIVER)


def test_settings_refuse_control_numbers_out_of_range():
    with pytest.raises(ValueError):
        dataclasses.replace(SETTINGS, interchange_control_number=0)
    with pytest.raises(ValueError):
        dataclasses.replace(SETTINGS, group_control_number=1_000_000_000)
    with pytest.raises(ValueError):
        dataclasses.replace(SETTINGS, usage="X")


def test_ids_are_written_as_given_and_must_be_x12_text():
    segs = write(claim(visit_id="v-2026-0007", original_claim_id="ab12", frequency_code="7"))
    assert find(segs, "CLM")[0][1] == "v-2026-0007"  # it must come back unchanged in CLP01
    assert find(segs, "REF", "6R")[0][2] == "v-2026-0007-1"
    assert find(segs, "REF", "F8")[0][2] == "ab12"
    with pytest.raises(InputError, match="visit_id"):
        claim(visit_id="V*1")
    with pytest.raises(InputError, match="member_id"):
        claim(subscriber={"member_id": "1EG4~TE5", "relationship": "self"})
