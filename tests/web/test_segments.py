"""The segments of one claim cut from a stored 837P or 835 (ptbill.web.segments): the claim's
page showed them by splitting the whole file, 6.5 s a page on a 35,000-claim submission. Cut
by finding the claim's CLM/CLP, the answer must be what splitting the whole file gives, for
every claim of every file of the public corpus (indented, line-broken, other delimiters)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.web.segments import claim_segments_835, claim_segments_837
from ptbill.x12 import X12Error, split_text

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-corpus"
FILES = sorted(p for p in CORPUS.glob("*") if p.name.startswith(("835-", "837p-")))


def _whole_file_cut(text: str, start: str, number: str, ends: set[str]) -> list[str]:
    """The definition: split every segment, keep the claim's from its start to an end."""
    try:
        segments = split_text(text)
    except X12Error:
        return []
    out, inside = [], False
    for e in segments:
        if inside and e[0] in ends:
            inside = False
        if e[0] == start and len(e) > 1 and e[1] == number:
            inside = True
        if inside:
            out.append("*".join(e) + "~")
    return out


@pytest.mark.skipif(not FILES, reason="the shared X12 corpus is not here")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_claims_segments_are_those_of_the_whole_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    start, cut, ends = (
        ("CLM", claim_segments_837, {"CLM", "HL", "SE"})
        if path.name.startswith("837")
        else ("CLP", claim_segments_835, {"CLP", "LX", "PLB", "SE"})
    )
    try:
        numbers = {e[1] for e in split_text(text) if e[0] == start and len(e) > 1}
    except X12Error:
        numbers = set()
    for number in sorted(numbers) + ["NOT-A-CLAIM", ""]:
        assert cut(text, number) == _whole_file_cut(text, start, number, ends), number


def test_a_claim_number_inside_another_is_not_taken_for_it() -> None:
    isa = (
        "ISA*00*          *00*          *ZZ*S              *ZZ*R              "
        "*250101*1200*^*00501*000000001*0*P*:~"
    )
    text = isa + "ST*837*1~CLM*V-10*5~SV1*HC:97110*5~CLM*V-1*7~SV1*HC:97140*7~SE*6*1~"
    assert claim_segments_837(text, "V-1") == ["CLM*V-1*7~", "SV1*HC:97140*7~"]
    assert claim_segments_837(text, "V-10") == ["CLM*V-10*5~", "SV1*HC:97110*5~"]
    assert claim_segments_837("not x12 at all", "V-1") == []
