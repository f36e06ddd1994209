"""The 835 reader against a hand-made remittance whose figures were worked by hand:

claim V-1 (Medicare): 97110 x2 charged 96, allowed 58.50: CO-45 37.50, PR-2 coinsurance 11.70
(20 % of allowed), CO-253 sequestration 0.94 -> paid 45.86; 97140 charged 47, allowed 28:
CO-45 19, PR-2 5.60, CO-253 0.45 -> paid 21.95. Claim: 143 - 75.19 = 67.81 paid.
V-2 denied (CO-50, N115). V-0 reversed (-60) and paid again corrected (70).
PLB: WO withholding 10 and L6 interest -2.21. BPR: 67.81 + 0 - 60 + 70 - 7.79 = 70.02.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from ptbill.x12.errors import X12Error
from ptbill.x12.read_835 import read_835
from tests.x12.helpers import DATA
from tests.x12.pyx12_check import pyx12_errors

REMIT = (DATA / "remit_basic.835").read_text()
D = Decimal


def read(text: str) -> list:
    return list(read_835(io.StringIO(text)))


def one(text: str = REMIT):
    (payment,) = read(text)
    return payment


def error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read(text)
    return caught.value


def test_the_fixture_is_a_valid_835():
    assert pyx12_errors(REMIT) == []


def test_payment_header():
    p = one()
    assert p.payer == "NORIDIAN JE PART B"
    assert p.payee == "ELM STREET PHYSICAL THERAPY"
    assert p.payee_npi == "1234567893" and p.payee_tax_id == "371234567"
    assert p.trace_number == "EFT0001" and p.trace_originator == "1512345678"
    assert p.amount == D("70.02") and p.method == "ACH" and p.handling == "I"
    assert p.payment_date == dt.date(2026, 3, 20)
    assert p.production_date == dt.date(2026, 3, 19)
    assert p.control_number == "0001"


def test_claim_and_service_lines():
    v1 = one().claims[0]
    assert (v1.claim_id, v1.status, v1.charge, v1.paid, v1.patient_responsibility) == (
        "V-1",
        "1",
        D("143"),
        D("67.81"),
        D("17.3"),
    )
    assert v1.payer_claim_control_number == "ICN001" and v1.filing_indicator == "MB"
    assert v1.received == dt.date(2026, 3, 5)
    assert v1.remarks == ["MA01"] and v1.outpatient == ["", "", "MA01"]
    assert [(p.entity, p.id_qualifier) for p in v1.parties] == [("QC", "MI")]
    first, second = v1.lines
    assert (first.qualifier, first.code, first.modifiers) == ("HC", "97110", ["GP"])
    assert (first.charge, first.paid, first.units, first.allowed) == (
        D("96"),
        D("45.86"),
        D("2"),
        D("58.5"),
    )
    assert first.date_of_service == dt.date(2026, 3, 2)
    assert first.control_number == "V-1-1"
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", D("37.5")),
        ("CO", "253", D("0.94")),
        ("PR", "2", D("11.7")),
    ]
    assert second.code == "97140" and second.paid == D("21.95")
    assert v1.adjustments == []


def test_denial_with_remark_code():
    v2 = one().claims[1]
    assert v2.status == "4" and v2.status_meaning == "denied"
    (line,) = v2.lines
    assert line.remarks == ["N115"]
    assert [(a.group, a.reason, a.amount) for a in line.adjustments] == [("CO", "50", D("55"))]


def test_reversal_and_correction():
    p = one()
    reversal, corrected = p.claims[2], p.claims[3]
    assert reversal.is_reversal and not corrected.is_reversal
    assert (reversal.charge, reversal.paid) == (D("-100"), D("-60"))
    assert corrected.references == {"F8": "ICN000"}
    assert p.corrections() == [(reversal, corrected)]


def test_provider_adjustments_every_pair():
    adjustments = one().provider_adjustments
    assert [(a.reason, a.reference, a.amount) for a in adjustments] == [
        ("WO", "ICN099", D("10")),
        ("L6", "", D("-2.21")),
    ]
    assert adjustments[0].provider_id == "1234567893"
    assert adjustments[0].fiscal_period_end == dt.date(2026, 12, 31)


def test_a_balanced_remittance_reports_no_imbalance():
    assert one().imbalances == []


def test_line_imbalance_is_reported_not_fixed():
    p = one(REMIT.replace("SVC*HC:97110:GP*96*45.86**2", "SVC*HC:97110:GP*96*45**2"))
    assert [(i.level, i.claim_id, i.line, i.expected, i.found) for i in p.imbalances] == [
        ("line", "V-1", 1, D("45.86"), D("45"))
    ]
    assert p.claims[0].lines[0].paid == D("45")  # read as written


def test_claim_and_payment_imbalances():
    p = one(REMIT.replace("CLP*V-1*1*143*67.81", "CLP*V-1*1*143*68.81"))
    assert [(i.level, i.claim_id, i.expected, i.found) for i in p.imbalances] == [
        ("claim", "V-1", D("67.81"), D("68.81")),
        # 68.81 + 0 - 60 + 70 - 7.79 = 71.02, but BPR02 says 70.02
        ("payment", None, D("71.02"), D("70.02")),
    ]


def test_a_debit_is_a_negative_payment():
    text = REMIT.replace("BPR*I*70.02*C*", "BPR*I*70.02*D*")
    p = one(text)
    assert p.amount == D("-70.02")
    assert [i.level for i in p.imbalances] == ["payment"]


def test_all_six_adjustment_triplets_with_quantities():
    cas = "CAS*CO*45*1*1*253*2**59*3*2*94*4**97*5**A1*6"
    text = (
        REMIT.replace("CAS*CO*50*55~", cas + "~")
        .replace("CLP*V-2*4*55*0*0", "CLP*V-2*4*55*34*0")
        .replace("SVC*HC:97530:GP*55*0**1", "SVC*HC:97530:GP*55*34**1")
        .replace("BPR*I*70.02", "BPR*I*104.02")
    )
    line = one(text).claims[1].lines[0]
    assert [(a.group, a.reason, a.amount, a.quantity) for a in line.adjustments] == [
        ("CO", "45", D(1), D(1)),
        ("CO", "253", D(2), None),
        ("CO", "59", D(3), D(2)),
        ("CO", "94", D(4), None),
        ("CO", "97", D(5), None),
        ("CO", "A1", D(6), None),
    ]
    assert one(text).imbalances == []


def test_six_provider_adjustment_pairs():
    plb = "PLB*1234567893*20261231*WO:A*1*L6*-1*FB:B*1*CS*1*72*1*J1:C*-1"
    p = one(REMIT.replace("PLB*1234567893*20261231*WO:ICN099*10*L6*-2.21", plb))
    assert [(a.reason, a.reference, a.amount) for a in p.provider_adjustments] == [
        ("WO", "A", D(1)),
        ("L6", "", D(-1)),
        ("FB", "B", D(1)),
        ("CS", "", D(1)),
        ("72", "", D(1)),
        ("J1", "C", D(-1)),
    ]


def test_changed_procedure_and_default_units():
    text = REMIT.replace("SVC*HC:97530:GP*55*0**1", "SVC*HC:97530:GP*55*0***HC:97150:GP")
    line = one(text).claims[1].lines[0]
    assert line.units == D(1)  # SVC05 absent: one unit
    assert line.original is not None
    assert (line.original.code, line.original.modifiers) == ("97150", ["GP"])


def test_claim_dates_and_line_without_a_date():
    text = (
        REMIT.replace("DTM*472*20260303~", "")
        .replace(
            "CLP*V-2*4*55*0*0*MB*ICN002*11*1~",
            "CLP*V-2*4*55*0*0*MB*ICN002*11*1~DTM*232*20260303~DTM*233*20260303~",
        )
        .replace("SE*44*", "SE*45*")
    )
    v2 = one(text).claims[1]
    assert v2.statement_start == v2.statement_end == dt.date(2026, 3, 3)
    assert v2.lines[0].date_of_service is None


def test_claim_amounts_references_and_quantities():
    text = REMIT.replace(
        "DTM*050*20260305~", "DTM*050*20260305~AMT*AU*58.5~QTY*ZK*1~REF*EA*MRN7~"
    ).replace("SE*44*", "SE*47*")
    v1 = one(text).claims[0]
    assert v1.amounts == {"AU": D("58.5")} and v1.quantities == {"ZK": D(1)}
    assert v1.references == {"EA": "MRN7"}


def test_each_transaction_set_is_a_payment_read_in_turn():
    body = REMIT[REMIT.index("ST*835") : REMIT.index("GE*")]
    second = body.replace("ST*835*0001", "ST*835*0002").replace("SE*44*0001", "SE*44*0002")
    second = second.replace("EFT0001", "EFT0002")
    text = REMIT.replace("GE*1*101", "GE*2*101").replace(body, body + second)
    payments = read_835(io.StringIO(text))
    assert next(payments).trace_number == "EFT0001"
    assert next(payments).trace_number == "EFT0002"
    assert next(payments, None) is None


def test_payments_come_before_a_later_broken_set_is_read():
    body = REMIT[REMIT.index("ST*835") : REMIT.index("GE*")]
    broken = body.replace("ST*835*0001", "ST*835*0002").replace("CLP*V-1*1*143", "CLP*V-1*1*X")
    text = REMIT.replace("GE*1*101", "GE*2*101").replace(body, body + broken)
    payments = read_835(io.StringIO(text))
    assert next(payments).trace_number == "EFT0001"
    with pytest.raises(X12Error, match="CLP03"):
        next(payments)


@pytest.mark.parametrize(
    ("element", "component", "terminator"),
    [("|", ">", "~\r\n"), ("*", ":", "\n"), ("^", "\\", "'"), ("*", ":", "~")],
)
def test_any_declared_delimiters(element, component, terminator):
    # The same remittance written with other delimiters (ISA11 repetition becomes "{").
    text = REMIT.replace("~\n", "\x00").replace("*", "\x01").replace(":", "\x02")
    text = text.replace("\x01^\x01", "\x01{\x01")
    text = text.replace("\x01", element).replace("\x02", component).replace("\x00", terminator)
    p = one(text)
    assert p.amount == D("70.02") and p.imbalances == []
    assert p.claims[0].lines[0].modifiers == ["GP"]
    assert p.provider_adjustments[0].reference == "ICN099"


# --- what is not a readable 835 --------------------------------------------------------


def test_not_x12_at_all():
    e = error("hello, this is a letter")
    assert e.segment_number == 1 and "ISA" in e.problem


def test_a_claim_file_is_not_a_remittance():
    claim_file = REMIT.replace("GS*HP*", "GS*HC*")
    e = error(claim_file)
    assert (e.segment_number, e.segment_id, e.element) == (2, "GS", "GS01")
    assert e.problem == "this is an 837 claim, not an 835 remittance"


def test_a_cut_file_is_refused():
    e = error(REMIT[: REMIT.index("PLB*")])
    assert "cut short" in e.problem


def test_a_wrong_segment_count():
    e = error(REMIT.replace("SE*44*0001", "SE*43*0001"))
    assert (e.segment_number, e.segment_id, e.element) == (46, "SE", "SE01")
    assert "44 segments" in e.problem


def test_a_malformed_amount_names_its_element():
    e = error(REMIT.replace("CLP*V-1*1*143*", "CLP*V-1*1*1E5*"))
    assert (e.segment_number, e.segment_id, e.element) == (14, "CLP", "CLP03")
    assert "'1E5' is not a decimal number" in e.problem


def test_a_bad_date_is_named_but_not_echoed():
    e = error(REMIT.replace("DTM*050*20260305", "DTM*050*20261305"))
    assert (e.segment_id, e.element) == ("DTM", "DTM02")
    assert "20261305" not in str(e)


def test_an_unknown_claim_status():
    e = error(REMIT.replace("CLP*V-1*1*", "CLP*V-1*99*"))
    assert e.element == "CLP02" and "claim status code" in e.problem


def test_an_adjustment_outside_a_claim():
    e = error(REMIT.replace("LX*1~", "LX*1~CAS*CO*45*1~").replace("SE*44*", "SE*45*"))
    assert e.segment_id == "CAS" and "outside a claim" in e.problem


def test_a_segment_that_does_not_belong():
    e = error(REMIT.replace("LX*1~", "LX*1~CLM*X*1~").replace("SE*44*", "SE*45*"))
    assert "CLM is not a segment of a 835 remittance" in e.problem


def test_messages_do_not_carry_member_ids_or_names():
    e = error(
        REMIT.replace(
            "NM1*QC*1*LEE*ANN****MI*1EG4TE5MK73~\nMOA", "NM1**1*LEE*ANN****MI*1EG4TE5MK73~\nMOA"
        )
    )
    assert e.element == "NM101"
    assert "1EG4TE5MK73" not in str(e) and "LEE" not in str(e)


def test_provider_summary_and_inpatient_remarks():
    text = (
        REMIT.replace("LX*1~", "LX*1~\nTS3*1234567893*11*20261231*4*298~")
        .replace("MOA***MA01~", "MIA*0***0*MA07~")
        .replace("SE*44*", "SE*45*")
    )
    p = one(text)
    (summary,) = p.summaries
    assert (
        summary.provider_id,
        summary.facility_code,
        summary.claim_count,
        summary.total_charge,
    ) == ("1234567893", "11", D(4), D(298))
    assert summary.fiscal_period_end == dt.date(2026, 12, 31)
    v1 = p.claims[0]
    assert v1.remarks == ["MA07"] and v1.inpatient is not None and v1.outpatient is None
    assert all(c.header_number == "1" for c in p.claims)


def test_a_misaligned_name_or_member_id_is_never_quoted():
    # The member id lands where an amount is expected: the message says what, not the value.
    e = error(REMIT.replace("CLP*V-1*1*143*", "CLP*V-1*1*1EG4TE5MK73*"))
    assert e.element == "CLP03" and "1EG4TE5MK73" not in str(e)
    e = error(
        REMIT.replace("NM1*QC*1*LEE*ANN****MI*1EG4TE5MK73", "NM1|QC|1|LEE|ANN||||MI|1EG4TE5MK73")
    )
    assert "LEE" not in str(e) and "1EG4TE5MK73" not in str(e)
