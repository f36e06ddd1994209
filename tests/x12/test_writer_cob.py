"""The 837P to a secondary or tertiary payer: loops 2320/2330A/2330B and 2430 (005010X222A1),
each interchange validated by pyx12 (tests.x12.helpers.write), and the balancing rules of
ptbill.x12.cob (line charge = SVD02 + line CAS; claim charge - CAS = AMT*D)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from ptbill.x12.cob import CobAdjustment, LineAdjudication, OtherPayer, imbalances
from ptbill.x12.tokenizer import split_text
from ptbill.x12.writer_837p import loop_2430, write_837p
from tests.x12.helpers import RECEIVER, SETTINGS, claim, joined, line, submitter, write

D = Decimal
PAID_ON = dt.date(2026, 3, 20)


def medicare(paid: str, adjustments: tuple[CobAdjustment, ...] = ()) -> OtherPayer:
    liability = sum((a.amount for a in adjustments if a.group == "PR"), D(0))
    return OtherPayer(
        sequence="P",
        relationship="18",
        group_number=None,
        filing_indicator="MB",
        subscriber_last="LEE",
        subscriber_first="ANN",
        member_id="1EG4TE5MK73",
        subscriber_address=None,
        payer_name="MEDICARE PART B",
        payer_id="MEDICARE",
        paid=D(paid),
        patient_liability=liability,
        adjustments=adjustments,
        claim_control_number="22012345678900",
    )


def adj(group: str, reason: str, amount: str) -> CobAdjustment:
    return CobAdjustment(group, reason, D(amount))


def decided(
    code: str, paid: str, *adjustments: CobAdjustment, payer: str = "MEDICARE"
) -> LineAdjudication:
    return LineAdjudication(payer, D(paid), code, ("GP",), D(1), tuple(adjustments), PAID_ON)


def secondary_claim():  # type: ignore[no-untyped-def]
    """Three lines: 97110 paid with several CAS groups (CO-45, PR-1 deductible, PR-2
    coinsurance, CO-253 sequestration), 97140 partly paid, 97530 denied (CO-97)."""
    base = claim(line("97110", 2, "96.00"), line("97140", 1, "47.00"), line("97530", 1, "50.00"))
    lines = (
        # 96.00 = 40.00 paid + 30.00 CO-45 + 10.00 PR-1 + 15.20 PR-2 + 0.80 CO-253
        decided(
            "97110",
            "40.00",
            adj("CO", "45", "30.00"),
            adj("PR", "1", "10.00"),
            adj("PR", "2", "15.20"),
            adj("CO", "253", "0.80"),
        ),
        # 47.00 = 22.88 paid + 18.00 CO-45 + 5.84 PR-2 + 0.28 CO-253 (a partly paid line)
        decided(
            "97140",
            "22.88",
            adj("CO", "45", "18.00"),
            adj("PR", "2", "5.84"),
            adj("CO", "253", "0.28"),
        ),
        decided("97530", "0.00", adj("CO", "97", "50.00")),  # denied on the primary
    )
    other = medicare("62.88")
    return dataclasses.replace(
        base,
        sequence="S",
        payer_id="MEDIGAP1",
        payer_name="ACME MEDIGAP",
        filing_indicator="CI",
        other_payers=(other,),
        lines=tuple(
            dataclasses.replace(x, adjudications=(a,))
            for x, a in zip(base.lines, lines, strict=True)
        ),
    )


def test_the_secondary_claim_balances_and_pyx12_accepts_it():
    c = secondary_claim()
    assert (
        imbalances(
            c.total_charge,
            [x.charge for x in c.lines],
            c.other_payers,
            [x.adjudications for x in c.lines],
        )
        == []
    )
    segs = joined(write(c))  # pyx12: zero errors
    assert "SBR*S*18*******CI" in segs  # 2000B: this payer is secondary
    start = segs.index("SBR*P*18*******MB")  # 2320: the primary
    assert segs[start : start + 7] == [
        "SBR*P*18*******MB",
        "AMT*D*62.88",
        "AMT*EAF*0",
        "OI***Y*P**Y",
        "NM1*IL*1*LEE*ANN****MI*1EG4TE5MK73",
        "NM1*PR*2*MEDICARE PART B*****PI*MEDICARE",
        "REF*F8*22012345678900",
    ]


def test_each_line_carries_the_primarys_decision_in_2430():
    segs = joined(write(secondary_claim()))
    first = segs.index("SVD*MEDICARE*40*HC:97110:GP**1")
    assert segs[first + 1 : first + 4] == [
        "CAS*CO*45*30**253*0.8",  # several groups: one CAS per group
        "CAS*PR*1*10**2*15.2",
        "DTP*573*D8*20260320",
    ]
    assert "SVD*MEDICARE*0*HC:97530:GP**1" in segs
    assert "CAS*CO*97*50" in segs  # the denied line: its whole charge adjusted


def test_a_tertiary_claim_names_both_earlier_payers():
    c = secondary_claim()
    medigap = dataclasses.replace(
        medicare("0.00"),
        sequence="S",
        filing_indicator="CI",
        payer_name="ACME MEDIGAP",
        payer_id="MEDIGAP1",
        member_id="MG123",
        claim_control_number=None,
        adjustments=(adj("OA", "23", "62.88"), adj("PR", "2", "21.04"), adj("PR", "1", "10")),
        patient_liability=D("31.04"),
    )
    lines = [
        (
            *x.adjudications,
            decided(x.code, "0.00", adj("CO", "45", str(x.charge)), payer="MEDIGAP1"),
        )
        for x in c.lines
    ]
    # The secondary paid nothing: each of its lines adjusted in full (charge = 0 + CAS).
    medigap = dataclasses.replace(medigap, adjustments=(), patient_liability=D(0), paid=D(0))
    tertiary = dataclasses.replace(
        c,
        sequence="T",
        other_payers=(*c.other_payers, medigap),
        lines=tuple(
            dataclasses.replace(x, adjudications=tuple(a))
            for x, a in zip(c.lines, lines, strict=True)
        ),
    )
    assert (
        imbalances(
            tertiary.total_charge,
            [x.charge for x in tertiary.lines],
            tertiary.other_payers,
            [x.adjudications for x in tertiary.lines],
        )
        == []
    )
    segs = joined(write(tertiary))
    assert "SBR*T*18*******CI" in segs
    assert "SBR*S*18*******CI" in segs and "SBR*P*18*******MB" in segs
    assert segs.count("SVD*MEDIGAP1*0*HC:97110:GP**1") == 1


def test_imbalances_name_the_line_and_the_claim():
    c = secondary_claim()
    bad = list(c.lines)
    a = bad[1].adjudications[0]
    bad[1] = dataclasses.replace(bad[1], adjudications=(dataclasses.replace(a, paid=D("20.00")),))
    problems = imbalances(
        c.total_charge, [x.charge for x in bad], c.other_payers, [x.adjudications for x in bad]
    )
    assert problems == [
        "line 2: charge 47.00 is not MEDICARE PART B's paid 20.00 + adjustments 24.12"
    ]
    short = dataclasses.replace(c.other_payers[0], paid=D("60.00"))
    assert imbalances(
        c.total_charge, [x.charge for x in c.lines], [short], [x.adjudications for x in c.lines]
    ) == ["claim: charge 193.00 - adjustments 130.12 is not MEDICARE PART B's paid 60.00"]
    missing = imbalances(c.total_charge, [x.charge for x in c.lines], c.other_payers, [(), (), ()])
    assert missing[0].startswith("line 1: 0 decisions of MEDICARE PART B")


def test_cas_segments_one_per_group_six_reasons_each_in_first_seen_order():
    # 005010X222A1 2430 CAS: CAS01 the group, then up to six reason/amount/quantity triples;
    # a seventh reason of a group opens another CAS of that group.
    adjustments = (
        adj("CO", "45", "10.50"),
        adj("PR", "2", "4.00"),
        *(adj("CO", str(r), "1.00") for r in (253, 97, 59, 16, 18, 22)),
    )
    segments = loop_2430(
        LineAdjudication("MEDICARE", D("20"), "97110", (), D(1), adjustments, PAID_ON)
    )
    assert segments == [
        "SVD*MEDICARE*20*HC:97110**1",
        "CAS*CO*45*10.5**253*1**97*1**59*1**16*1**18*1",
        "CAS*CO*22*1",
        "CAS*PR*2*4",
        "DTP*573*D8*20260320",
    ]


def test_more_cas_segments_than_a_2430_holds_is_an_imbalance():
    # Five segments at most in a 2430 (and a 2320): six groups need six.
    six = tuple(adj(g, "1", "1.00") for g in ("CO", "PR", "OA", "PI", "CR", "XX"))
    five = six[:5]
    payer = medicare("94.00")

    def problems(adjustments: tuple[CobAdjustment, ...]) -> list[str]:
        decided = LineAdjudication("MEDICARE", D("94.00"), "97110", (), D(1), adjustments, PAID_ON)
        charge = D("94.00") + sum((a.amount for a in adjustments), D(0))
        claim_payer = dataclasses.replace(payer, paid=D("94.00"))
        return imbalances(charge, [charge], [claim_payer], [[decided]])

    assert problems(five) == []
    assert problems(six) == ["line 1: more CAS segments than the 5 a 2430 holds"]


def test_a_2430_met_again_is_written_as_at_first_and_a_negative_zero_as_its_own():
    """The writer writes each distinct 2430 of a set once, by value: a decision equal to an
    earlier one (amounts written with other exponents) gives the same segments as its own
    writing; units of -0, equal to 0, keep their own text."""
    first = decided("97110", "40.00", adj("CO", "45", "56.00"))
    again = dataclasses.replace(first, paid=D("40.0"), units=D("1.00"))
    zero = dataclasses.replace(first, units=D("0"))
    minus = dataclasses.replace(first, units=D("-0"))
    assert again == first and minus == zero and loop_2430(minus) != loop_2430(zero)
    base = claim(line("97110", 2, "96.00"))
    claims = [
        dataclasses.replace(
            base,
            claim_id=f"CLAIM{n}",
            sequence="S",
            other_payers=(medicare("40.00"),),
            lines=tuple(dataclasses.replace(x, adjudications=(a,)) for x in base.lines),
        )
        for n, a in enumerate((first, again, zero, minus, first))
    ]
    segments = joined(split_text(write_837p(claims, SETTINGS, submitter(), RECEIVER)))
    svd = [s for s in segments if s.startswith("SVD*")]
    assert svd == [loop_2430(a)[0] for a in (first, again, zero, minus, first)]
    assert svd[3].endswith("**-0") and svd[2].endswith("**0")
