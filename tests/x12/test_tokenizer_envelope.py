"""Delimiters learned from the ISA, segments with or without line breaks, and the envelope
checks: counts and control numbers of SE, GE and IEA, order of the headers."""

from __future__ import annotations

import io

import pytest

from ptbill.x12.envelope import (
    ACKNOWLEDGMENT,
    functional_group_of,
    identify,
    read_transactions,
)
from ptbill.x12.errors import X12Error
from ptbill.x12.read_999 import read_999
from ptbill.x12.tokenizer import SegmentReader, read_isa, split_text
from tests.x12.helpers import DATA

ACK = (DATA / "ack_partial.999").read_text()
ISA = ACK.splitlines()[0]


def test_delimiters_come_from_the_isa():
    d = read_isa(ISA)
    assert (d.element, d.repetition, d.component, d.segment) == ("*", "^", ":", "~")
    other = ISA.replace("*", "|").replace("|^|", "|!|").replace(":~", ">\n")
    d = read_isa(other)
    assert (d.element, d.repetition, d.component, d.segment) == ("|", "!", ">", "\n")


def test_a_4010_isa_has_no_repetition_separator():
    d = read_isa(ISA.replace("*^*00501*", "*U*00401*"))
    assert d.repetition is None


@pytest.mark.parametrize(
    ("isa", "problem"),
    [
        ("ISB" + ISA[3:], "does not start with an ISA"),
        (ISA[:60], "cut short"),
        (ISA.replace("*ZZ*ELMST001", "ZZ**ELMST001"), "fixed-width"),
        (ISA[:104] + "~~", "three different"),
        (ISA[:82] + ":" + ISA[83:], "repetition separator"),
    ],
)
def test_a_malformed_isa_is_refused(isa, problem):
    with pytest.raises(X12Error, match=problem) as caught:
        read_isa(isa)
    assert caught.value.segment_number == 1


@pytest.mark.parametrize("layout", ["~", "~\n", "~\r\n"])
def test_line_breaks_after_terminators_do_not_matter(layout):
    text = ACK.replace("~\n", layout)
    segs = split_text(text)
    assert len(segs) == 18 and segs[3] == ["AK1", "HC", "1", "005010X222A1"]


def test_a_byte_order_mark_and_leading_blank_lines_are_skipped():
    assert split_text("\ufeff\n" + ACK)[0][0] == "ISA"


def test_segments_split_across_chunks():
    reader = SegmentReader(io.StringIO(ACK), chunk_size=7)
    raws = [raw for batch in reader.batches() for raw in batch]
    assert raws == ["*".join(s) for s in split_text(ACK)]


def test_a_last_segment_without_its_terminator_is_still_read():
    assert split_text(ACK.rstrip()[:-1])[-1] == ["IEA", "1", "000000201"]


class _Count:
    handlers = {k: (lambda e: None) for k in ("AK1", "AK2", "IK3", "CTX", "IK4", "IK5", "AK9")}

    def begin(self, st, delimiters):
        self.st = st[2]

    def end(self):
        return self.st


def read(text: str) -> list[str]:
    return list(read_transactions(io.StringIO(text), ACKNOWLEDGMENT, _Count()))


def error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read(text)
    return caught.value


def test_a_good_envelope():
    assert read(ACK) == ["0001"]


@pytest.mark.parametrize(
    ("old", "new", "segment", "element", "problem"),
    [
        ("SE*14*0001", "SE*13*0001", 16, "SE01", "14 segments from ST to SE, but SE01 says 13"),
        ("SE*14*0001", "SE*14*0002", 16, "SE02", "does not match ST02"),
        ("GE*1*201", "GE*2*201", 17, "GE01", "holds 1 transaction sets, but GE01 says 2"),
        ("GE*1*201", "GE*1*202", 17, "GE02", "does not match GS06"),
        ("IEA*1*000000201", "IEA*2*000000201", 18, "IEA01", "holds 1 functional groups"),
        ("IEA*1*000000201", "IEA*1*000000999", 18, "IEA02", "does not match ISA13"),
        ("SE*14*0001", "SE*X*0001", 16, "SE01", "not a whole number"),
        ("GS*FA*", "GS*HP*", 2, "GS01", "this is an 835 remittance, not a 999"),
        ("GS*FA*", "GS*ZZ*", 2, "GS01", "functional group 'ZZ'"),
        ("*005010X231A1~\nST", "*004010~\nST", 2, "GS08", "this is a 997 functional"),
        ("*005010X231A1~\nST", "*005010X299~\nST", 2, "GS08", "ptbill reads"),
        ("ST*999*", "ST*997*", 3, "ST01", "'997' is not a 999"),
    ],
)
def test_envelope_errors_name_segment_and_element(old, new, segment, element, problem):
    e = error(ACK.replace(old, new))
    assert (e.segment_number, e.element) == (segment, element)
    assert problem in e.problem
    assert str(e).startswith(f"segment {segment} (")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ACK.replace("SE*14*0001~\n", ""), "GE before the SE of transaction set 0001"),
        (ACK.replace("GE*1*201~\n", ""), "GE of functional group 201"),
        (ACK.replace("IEA*1*000000201~\n", ""), "ends before the IEA"),
        (ACK[: ACK.index("\nSE*")], "ends inside transaction set 0001"),
        (ACK.replace("AK1*", "AK1~~AK1*"), "empty segment"),
        (ACK.replace("GE*1*201~", "GE*1*201~\nAK9*A*1*1*1~"), "outside a transaction set"),
        (ACK.replace("AK1*", "ZZ#*1~\nAK1*"), "not a segment id"),
        (ACK.replace("ST*999*0001*005010X231A1~\n", ""), "outside a transaction set"),
    ],
)
def test_envelope_order_errors(text, problem):
    assert problem in error(text).problem


def test_two_interchanges_in_one_file():
    second = ACK.replace("000000201", "000000202").replace("*201*", "*202*")
    second = second.replace("GE*1*201", "GE*1*202")
    assert read(ACK + second) == ["0001", "0001"]


def test_a_second_interchange_must_keep_the_delimiters():
    second = ACK.replace("*P*:~", "*P*>~")
    assert "other delimiters" in error(ACK + second).problem


def test_the_functional_group_is_sniffed_from_the_head():
    assert functional_group_of(io.StringIO(ACK)) == "FA"
    ta1 = (DATA / "ack_rejected_interchange.ta1").read_text()
    assert functional_group_of(io.StringIO(ta1)) is None


def test_an_empty_file():
    with pytest.raises(X12Error, match="empty"):
        read_999(io.StringIO(" \n"))


def test_a_file_without_terminators_is_refused_without_reading_it_all():
    text = ACK.splitlines()[0] + "\nGS*FA*" + "X" * 3_000_000
    with pytest.raises(X12Error, match="no segment terminator"):
        read(text)


# --- odd but real layouts ---------------------------------------------------------------------


def _indented(text: str, layout: str) -> str:
    """Every segment after the ISA on its own line, indented (as some libraries print them)."""
    return text.replace("~\n", layout)


@pytest.mark.parametrize("layout", ["~\n  ", "~\r\n\t", "~   ", "~\n\n    ", "~ \r\n  \t"])
@pytest.mark.parametrize("chunk_size", [7, 64, 1 << 20])
def test_blanks_between_a_terminator_and_the_next_segment_are_layout(layout, chunk_size):
    reader = SegmentReader(io.StringIO(_indented(ACK, layout)), chunk_size=chunk_size)
    raws = [raw for batch in reader.batches() for raw in batch]
    assert raws == ["*".join(s) for s in split_text(ACK)]
    assert read(_indented(ACK, layout)) == ["0001"]


def test_blanks_inside_a_segment_are_kept():
    text = ACK.replace("IK4*1:2*234*7*97999", "IK4*1:2*234*7*  97 999")
    indented = _indented(text, "~\n  ")
    (ik4,) = [e for e in split_text(indented) if e[:2] == ["IK4", "1:2"]]
    assert ik4[4] == "  97 999"


def test_the_line_break_terminator_with_indentation():
    text = ACK.replace(":~\n", ":\n", 1).replace("~\n", "\n  ")
    assert read_isa(text).segment == "\n"
    assert read(text) == ["0001"]


TRIMMED_ISA = "ISA*00* *00* *ZZ*CLEARHOUSE *ZZ*ELMST001*260305*1100*^*00501*000000201*0*P*:~"


def test_an_isa_without_its_padding_is_read():
    d = read_isa(TRIMMED_ISA)
    assert (d.element, d.repetition, d.component, d.segment) == ("*", "^", ":", "~")
    assert read(TRIMMED_ISA + ACK[ACK.index("\n") :]) == ["0001"]


@pytest.mark.parametrize(
    "isa",
    [
        TRIMMED_ISA.replace("*260305*", "*2603*"),  # ISA09 not a YYMMDD
        TRIMMED_ISA.replace("*000000201*", "*201*"),  # ISA13 not 9 digits
        TRIMMED_ISA.replace("*ZZ*ELMST001*", "*ZZZ*ELMST001*"),  # ISA07 not 2 characters
        TRIMMED_ISA.replace("*P*:~", "*P*"),  # no terminator after ISA16
    ],
)
def test_a_trimmed_isa_must_still_have_its_fixed_elements(isa):
    with pytest.raises(X12Error) as caught:
        read_isa(isa + "\n" + "GS*FA*" * 20)
    assert (caught.value.segment_number, caught.value.segment_id) == (1, "ISA")


def test_a_repeated_interchange_control_number_is_a_warning():
    warnings: list[str] = []
    acks = read_999(io.StringIO(ACK + ACK + ACK), warnings)
    assert len(acks.groups) == 3
    assert warnings == [
        "interchange control number (ISA13) 000000201 is used by 3 interchanges of this file: "
        "a sender numbers each interchange once, so the same interchange may have been sent "
        "more than once"
    ]


def test_the_same_control_number_from_two_senders_is_no_warning():
    other = ACK.replace("*ZZ*CLEARHOUSE     *", "*ZZ*OTHERHOUSE     *")
    warnings: list[str] = []
    read_999(io.StringIO(ACK + other), warnings)
    assert warnings == []


@pytest.mark.parametrize(
    ("replace", "label", "number"),
    [
        ({}, "999", 2),
        ({"GS*FA*": "GS*HP*"}, "835", 2),
        ({"GS*FA*": "GS*HN*", "X231A1~\nST": "X214~\nST"}, "277CA", 2),
        ({"GS*FA*": "GS*HN*", "X231A1~\nST": "X212~\nST"}, "277", 2),
        ({"GS*FA*": "GS*HC*", "X231A1~\nST": "X222A1~\nST"}, "837P", 2),
        ({"GS*FA*": "GS*HB*"}, "271", 2),
        ({"GS*FA*": "GS*ZZ*"}, None, 2),
    ],
)
def test_the_kind_is_told_by_the_envelope(replace, label, number):
    text = ACK
    for old, new in replace.items():
        text = text.replace(old, new)
    found, at = identify(io.StringIO(text))
    assert (found.label if found else None, at) == (label, number)


def test_a_ta1_before_any_group_is_a_ta1_file_and_before_a_group_a_999():
    ta1 = (DATA / "ack_rejected_interchange.ta1").read_text()
    found, at = identify(io.StringIO(ta1))
    assert (found.label, at) == ("TA1", 2)
    with_999 = ACK.replace("GS*FA*", "TA1*000000001*260305*1030*A*000~\nGS*FA*")
    found, _ = identify(io.StringIO(with_999))
    assert found.label == "999"
