"""The X12 segments that concern one claim, cut from a stored 837P or 835 for display.

837P: the claim's loop 2300 (CLM whose CLM01 is the claim number) and its service lines, up to
the next claim, hierarchical level or the end of the transaction set. 835: the claim payment
(CLP whose CLP01 is the claim number) and its service lines, up to the next CLP, LX, PLB or SE.

The claim's segment is found by searching the text, and only its own segments are split: a
submission holds every claim of a day (35,000 of them: splitting all of it for one claim's
page took seconds).
"""

from __future__ import annotations

from ptbill.x12 import X12Error
from ptbill.x12.tokenizer import read_isa

_END_837 = frozenset({"CLM", "HL", "SE"})
_END_835 = frozenset({"CLP", "LX", "PLB", "SE"})
_BLANKS = " \t"


def _cut(text: str, start_id: str, claim_number: str, ends: frozenset[str]) -> list[str]:
    try:
        delimiters = read_isa(text[:4096].lstrip("\ufeff \t\r\n"))
    except X12Error:
        return []
    sep, term = delimiters.element, delimiters.segment
    for c in "\r\n":  # line breaks after terminators are layout (unless one is the terminator)
        if c != term and c in text:
            text = text.replace(c, "")
    needle = start_id + sep + claim_number
    out: list[str] = []
    at = text.find(needle)
    while at >= 0:
        follows = text[at + len(needle) : at + len(needle) + 1]
        before = at - 1
        while before >= 0 and text[before] in _BLANKS:
            before -= 1
        if follows in (sep, term, "") and (before < 0 or text[before] == term):
            out.extend(_segments_from(text, at, sep, term, ends))
        at = text.find(needle, at + len(needle))
    return out


def _segments_from(text: str, at: int, sep: str, term: str, ends: frozenset[str]) -> list[str]:
    """The segment at `at` and those after it, up to one whose id is in `ends`."""
    out: list[str] = []
    while at < len(text):
        end = text.find(term, at)
        raw = text[at:] if end < 0 else text[at:end]
        elements = (raw.strip() if end < 0 else raw.lstrip(_BLANKS)).split(sep)
        if out and elements[0] in ends:
            break
        if elements != [""]:
            out.append("*".join(elements) + "~")
        if end < 0:
            break
        at = end + 1
    return out


def claim_segments_837(text: str, claim_number: str) -> list[str]:
    return _cut(text, "CLM", claim_number, _END_837)


def claim_segments_835(text: str, claim_number: str) -> list[str]:
    return _cut(text, "CLP", claim_number, _END_835)
