"""The X12 segments that concern one claim, cut from a stored 837P or 835 for display.

837P: the claim's loop 2300 (CLM whose CLM01 is the claim number) and its service lines, up to
the next claim, hierarchical level or the end of the transaction set. 835: the claim payment
(CLP whose CLP01 is the claim number) and its service lines, up to the next CLP, LX, PLB or SE.
"""

from __future__ import annotations

from ptbill.x12 import X12Error, split_text

_END_837 = frozenset({"CLM", "HL", "SE"})
_END_835 = frozenset({"CLP", "LX", "PLB", "SE"})


def _cut(text: str, start_id: str, claim_number: str, ends: frozenset[str]) -> list[str]:
    try:
        segments = split_text(text)
    except X12Error:
        return []
    out: list[str] = []
    inside = False
    for e in segments:
        sid = e[0]
        if inside and sid in ends:
            inside = False
        if sid == start_id and len(e) > 1 and e[1] == claim_number:
            inside = True
        if inside:
            out.append("*".join(e) + "~")
    return out


def claim_segments_837(text: str, claim_number: str) -> list[str]:
    return _cut(text, "CLM", claim_number, _END_837)


def claim_segments_835(text: str, claim_number: str) -> list[str]:
    return _cut(text, "CLP", claim_number, _END_835)
