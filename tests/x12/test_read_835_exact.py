"""The fast paths of the 835 reader lose nothing: amounts in any plain decimal form, more than
two decimals, negative or too large for cents; the balance report is exactly what the Decimal
rules (`check_payment`) say; every field of every object is set; the garbage collector, paused
while a transaction set is built, is given back as the caller had it."""

from __future__ import annotations

import dataclasses
import gc
import io
import sys
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ptbill.x12.balance import check_payment
from ptbill.x12.errors import X12Error
from ptbill.x12.read_835 import read_835
from ptbill.x12.values import NOT_CENTS, money
from tests.x12.helpers import DATA

D = Decimal
REMIT = (DATA / "remit_basic.835").read_text()
_ISA_GS = "".join(REMIT.splitlines(keepends=True)[:2])


Line = tuple[str, str, list[str]]  # charge, paid, CAS amounts
Claim = tuple[str, str, list[str], list[Line]]


def remittance(bpr: str, claims: list[Claim], plb: list[str] | None = None) -> str:
    """An 835 of one payment: BPR02, then per claim (charge, paid, claim CAS amounts, lines of
    (charge, paid, line CAS amounts)), then the PLB amounts."""
    body = [
        f"BPR*I*{bpr}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765*20260320",
        "TRN*1*EFT0001*1512345678",
        "N1*PR*PAYER",
        "N1*PE*CLINIC*XX*1234567893",
        "LX*1",
    ]
    for k, (charge, paid, claim_cas, lines) in enumerate(claims):
        body.append(f"CLP*V-{k}*1*{charge}*{paid}**MB*ICN{k}*11*1")
        body += [f"CAS*CO*45*{a}" for a in claim_cas]
        for code, (line_charge, line_paid, line_cas) in enumerate(lines, start=97110):
            body.append(f"SVC*HC:{code}:GP*{line_charge}*{line_paid}**1")
            body += [f"CAS*PR*2*{a}" for a in line_cas]
    if plb:
        body.append("PLB*1234567893*20261231*" + "*".join(f"L6*{a}" for a in plb))
    segments = ["ST*835*0001", *body, f"SE*{len(body) + 2}*0001"]
    return _ISA_GS + "~\n".join(segments) + "~\nGE*1*101~\nIEA*1*000000101~\n"


def one(text: str):
    (payment,) = read_835(io.StringIO(text))
    return payment


def error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        list(read_835(io.StringIO(text)))
    return caught.value


# --- amounts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value", "cents"),
    [
        ("96", D("96"), 9600),
        ("17.3", D("17.3"), 1730),
        ("0.94", D("0.94"), 94),
        ("1.", D("1"), 100),
        (".5", D("0.5"), 50),
        ("-.5", D("-0.5"), -50),
        ("00012.50", D("12.50"), 1250),
        ("-0", D("0"), 0),
        ("-100", D("-100"), -10000),
        ("1.500", D("1.500"), 150),  # trailing zeros are still whole cents
        ("10.005", D("10.005"), NOT_CENTS),
        ("0.001", D("0.001"), NOT_CENTS),
        ("99999999999999999.99", D("99999999999999999.99"), NOT_CENTS),  # past the cents limit
    ],
)
def test_an_amount_and_its_cents(written, value, cents):
    read, read_cents = money(["AMT", written], 1)
    assert read == value and str(read) == str(D(written))  # as written, exponent and all
    assert read_cents == cents


def test_not_cents_never_comes_to_zero():
    assert NOT_CENTS and 5 - NOT_CENTS is NOT_CENTS and -NOT_CENTS is NOT_CENTS
    total = 0
    total -= NOT_CENTS
    total += 7
    assert total is NOT_CENTS


@pytest.mark.parametrize(
    "bad", ["1E5", "NaN", "+5", "--1", "1-", ".", "-", "1_000", " 12", "123456789012345678901"]
)
def test_what_is_not_a_plain_decimal_is_refused(bad):
    text = remittance("5", [("10", "5", [], [("10", "5", [bad])])])
    with pytest.raises(X12Error, match="CAS03") as caught:
        one(text)
    assert caught.value.segment_id == "CAS"


# --- balance: worked by hand ------------------------------------------------------------


def test_three_decimals_that_balance_are_not_reported():
    # Line: 10.005 - 5.005 = 5; claim: the same; payment: 5 paid - 0 = 5.
    p = one(remittance("5", [("10.005", "5", [], [("10.005", "5", ["5.005"])])]))
    assert p.imbalances == []
    assert p.claims[0].lines[0].adjustments[0].amount == D("5.005")


def test_three_decimals_that_do_not_balance_are_reported_exactly():
    # Line and claim: 10.005 - 5 = 5.005, but the payer paid 5.
    p = one(remittance("5", [("10.005", "5", [], [("10.005", "5", ["5"])])]))
    assert [(i.level, i.expected, i.found) for i in p.imbalances] == [
        ("line", D("5.005"), D("5")),
        ("claim", D("5.005"), D("5")),
    ]
    assert "charge 10.005 - adjustments 5 = 5.005" in p.imbalances[0].message


def test_a_half_cent_difference_is_not_rounded_away():
    # 20.00 - 10.005 = 9.995 (not 10.00): the line, the claim and nothing else.
    p = one(remittance("10", [("20.00", "10", [], [("20.00", "10", ["10.005"])])]))
    assert [(i.level, i.expected) for i in p.imbalances] == [
        ("line", D("9.995")),
        ("claim", D("9.995")),
    ]


def test_amounts_too_large_for_cents_are_checked_with_decimal():
    big = "99999999999999999.99"
    p = one(remittance(big, [(big, big, [], [(big, big, [])])]))
    assert p.imbalances == []
    p = one(remittance(big, [(big, big, [], [(big, "99999999999999999.98", [])])]))
    assert [(i.level, i.expected, i.found) for i in p.imbalances] == [
        ("line", D(big), D("99999999999999999.98"))
    ]


def test_negative_amounts_of_a_reversal_balance():
    # -100 - (-20 + -20) = -60 paid; PLB L6 -2.21 (interest paid): -60 + 2.21 = -57.79.
    p = one(remittance("-57.79", [("-100", "-60", ["-20", "-20"], [])], plb=["-2.21"]))
    assert p.amount == D("-57.79") and p.imbalances == []


def test_a_claim_level_adjustment_counts_for_the_claim_not_the_line():
    # Claim 100 - CO-45 30 (claim) - PR-2 10 (line) = 60; line 100 - 10 = 90, paid 60.
    p = one(remittance("60", [("100", "60", ["30"], [("100", "60", ["10"])])]))
    assert [(i.level, i.expected, i.found) for i in p.imbalances] == [("line", D("90"), D("60"))]


def test_each_line_is_checked_on_its_own():
    # Two lines off by +1 and -1: the claim balances, both lines are reported.
    p = one(remittance("20", [("40", "20", [], [("20", "11", ["10"]), ("20", "9", ["10"])])]))
    assert [(i.level, i.line, i.expected) for i in p.imbalances] == [
        ("line", 1, D("10")),
        ("line", 2, D("10")),
    ]


def test_a_line_off_before_a_balanced_one_is_found():
    # Line 1: 20 - 10 = 10, paid 11; line 2: 20 - 10 = 10, paid 10; the claim balances
    # through a claim-level CO-45 of -1: 40 - (-1 + 10 + 10) = 21 paid.
    p = one(remittance("21", [("40", "21", ["-1"], [("20", "11", ["10"]), ("20", "10", ["10"])])]))
    assert [(i.level, i.line, i.expected, i.found) for i in p.imbalances] == [
        ("line", 1, D("10"), D("11"))
    ]


def test_a_claim_off_before_a_balanced_one_is_found():
    # V-0: 10 - 5 = 5, paid 6; V-1: 10 - 5 = 5, paid 5; BPR02 = 6 + 5 = 11 balances.
    p = one(remittance("11", [("10", "6", ["5"], []), ("10", "5", ["5"], [])]))
    assert [(i.level, i.claim_id, i.expected, i.found) for i in p.imbalances] == [
        ("claim", "V-0", D("5"), D("6"))
    ]


# --- balance: the cents check says what the Decimal rules say ---------------------------


_amounts = st.builds(
    lambda units, places, sign: (-1 if sign else 1) * D(units).scaleb(-places),
    st.integers(0, 10**7),
    st.sampled_from([0, 0, 1, 2, 2, 2, 3, 4]),
    st.booleans(),
)


def _text(d: Decimal) -> str:
    return format(d, "f")


@st.composite
def _payments(draw):
    claims, paid_total = [], D(0)
    for _ in range(draw(st.integers(1, 3))):
        lines, line_paid = [], D(0)
        claim_cas = draw(st.lists(_amounts, max_size=2))
        for _ in range(draw(st.integers(0, 3))):
            charge, cas = draw(_amounts), draw(st.lists(_amounts, max_size=3))
            paid = charge - sum(cas, D(0)) + draw(st.sampled_from([D(0)] * 4 + [D("0.01")]))
            lines.append((_text(charge), _text(paid), [_text(a) for a in cas]))
            line_paid += paid
        charge = sum((D(x[0]) for x in lines), D(0)) if lines else draw(_amounts)
        paid = (line_paid if lines else charge) - sum(claim_cas, D(0))
        paid += draw(st.sampled_from([D(0)] * 4 + [D("-0.001")]))
        claims.append((_text(charge), _text(paid), [_text(a) for a in claim_cas], lines))
        paid_total += paid
    plb = draw(st.lists(_amounts, max_size=2))
    bpr = paid_total - sum(plb, D(0)) + draw(st.sampled_from([D(0)] * 4 + [D(1)]))
    return remittance(_text(bpr), claims, [_text(a) for a in plb])


@settings(max_examples=300, deadline=None, database=None)
@given(_payments())
def test_the_report_is_that_of_the_decimal_rules(text):
    p = one(text)
    assert p.imbalances == check_payment(p)


# --- objects ------------------------------------------------------------------------------


def _objects(p):
    yield p
    for c in p.claims:
        yield c
        yield from c.adjustments
        yield from c.parties
        for line in c.lines:
            yield line
            yield from line.adjustments
            if line.original is not None:
                yield line.original
    yield from p.provider_adjustments
    yield from p.summaries


def test_every_field_of_every_object_is_set():
    text = REMIT.replace("SVC*HC:97530:GP*55*0**1", "SVC*HC:97530:GP*55*0***HC:97150:GP")
    objects = list(_objects(one(text)))
    assert len({type(o).__name__ for o in objects}) == 7
    for o in objects:
        # replace() builds the object again through its dataclass __init__: all equal.
        assert dataclasses.replace(o) == o, type(o).__name__


@pytest.mark.parametrize("name", ["RemittanceClaim", "ServicePayment"])
def test_a_new_optional_field_is_declared_in_one_place(monkeypatch, name):
    # The class with one more optional field, declared with its default and nothing else: every
    # claim or line the reader makes has it, the reader unchanged (it sets only what a segment
    # carries; the rest are the class's defaults).
    module = sys.modules["ptbill.x12.read_835"]
    wider = dataclasses.make_dataclass(
        name, [("prior_authorization", str | None, None)], bases=(getattr(module, name),)
    )
    monkeypatch.setattr(module, name, wider)
    p = one(REMIT)
    made = p.claims if name == "RemittanceClaim" else [line for c in p.claims for line in c.lines]
    assert len(made) >= 3
    for o in made:
        assert type(o) is wider and o.prior_authorization is None
        assert dataclasses.replace(o) == o


@pytest.mark.parametrize(
    "composite",
    ["HC:97110", "HC:97110:", "HC:97110::GP", "HC:97110:GP:KX", "HC:97110:GP:59:KX:XU:ZZ"],
)
def test_procedure_modifiers_as_written(composite):
    text = REMIT.replace("SVC*HC:97110:GP*96", f"SVC*{composite}*96")
    expected = [m for m in composite.split(":")[2:6] if m]
    assert one(text).claims[0].lines[0].modifiers == expected


@pytest.mark.parametrize("collecting", [True, False])
def test_the_collector_is_given_back_as_it_was(collecting):
    was = gc.isenabled()
    try:
        gc.enable() if collecting else gc.disable()
        one(REMIT)
        assert gc.isenabled() is collecting
        with pytest.raises(X12Error):
            one(REMIT.replace("CAS*PR*2*11.7", "CAS*PR*2*X"))
        assert gc.isenabled() is collecting
        payments = read_835(io.StringIO(REMIT))
        next(payments)  # between payments the caller's code runs with the collector on
        assert gc.isenabled() is collecting
    finally:
        gc.enable() if was else gc.disable()


# --- segments read once per distinct text ---------------------------------------------------


@pytest.mark.parametrize("segment", ["CAS*PR*2*11.7", "SVC*HC:97110:GP*96*45.86**2", "AMT*B6*58.5"])
def test_a_repeated_segment_is_checked_where_it_stands(segment):
    # Each of these texts is read inside claim V-1 first (segments 18 to 23); again after a
    # second LX, no claim is open: refused there as a first reading would be (LX 45, 46).
    e = error(REMIT.replace("PLB*", f"LX*2~\n{segment}~\nPLB*"))
    sid = segment[:3]
    assert (e.segment_number, e.segment_id) == (46, sid)
    assert e.problem == f"{sid} outside a claim (no CLP before it)"


def test_a_repeated_remark_code_outside_a_line_is_refused():
    # LQ*HE*N115 is read in V-2's line (segment 35); again on the reversal V-0, which has no
    # service line (right after its CLP, segment 36).
    reversal = "CLP*V-0*22*-100*-60*-20*MB*ICN000*11*1~\n"
    e = error(REMIT.replace(reversal, reversal + "LQ*HE*N115~\n"))
    assert (e.segment_number, e.segment_id) == (37, "LQ")
    assert e.problem == "LQ (remark code) outside a service line"


def test_repeated_segments_build_objects_of_their_own():
    # Two claims with the same service line, CAS and changed procedure, word for word.
    text = remittance("10", [("10", "5", [], [("10", "5", ["5"])])] * 2).replace(
        "SVC*HC:97110:GP*10*5**1", "SVC*HC:97110:GP*10*5**1*HC:97150:GP"
    )
    first, second = (c.lines[0] for c in one(text).claims)
    assert first == second
    assert first is not second and first.modifiers is not second.modifiers
    assert first.original is not second.original
    assert first.original.modifiers is not second.original.modifiers
    assert first.adjustments[0] is not second.adjustments[0]
    first.modifiers.append("KX")
    first.adjustments[0].amount = D("4")
    assert second.modifiers == ["GP"] and second.adjustments[0].amount == D("5")


def test_a_full_memo_starts_again(monkeypatch):
    expected = one(REMIT)
    # The module (the package's read_835 is the function).
    monkeypatch.setattr(sys.modules["ptbill.x12.read_835"], "_SEGMENT_MEMO_SIZE", 1)
    p = one(REMIT)
    assert p == expected
    assert [a.amount for a in p.claims[0].lines[0].adjustments] == [D("37.5"), D("0.94"), D("11.7")]


def test_what_a_segment_reads_as_is_not_kept_across_files():
    # The same SVC text means another thing where ISA16 makes ">" the component separator.
    one(REMIT)
    other = REMIT.replace("*:~\nGS", "*>~\nGS", 1)
    e = error(other)
    assert (e.segment_id, e.element) == ("SVC", "SVC01")
