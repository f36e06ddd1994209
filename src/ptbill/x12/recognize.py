"""What an X12 file is, from its content: the envelope's functional group (GS01), version
(GS08) and transaction set (ST01), read from the head of the file. A 277 is a claim
acknowledgment (277CA, 005010X214) or a claim status response (005010X212) by its version; an
interchange holding only a TA1 is an interchange acknowledgment.
"""

from __future__ import annotations

import io

from ptbill.x12.errors import X12Error
from ptbill.x12.tokenizer import SegmentReader

KINDS = ("999", "TA1", "277CA", "277", "271", "835", "837", "270", "276")
_BY_GROUP = {"FA": "999", "HB": "271", "HP": "835", "HC": "837", "HS": "270", "HR": "276"}
HEAD = 1 << 14


def recognize(head: str) -> str:
    """The kind of the interchange whose text starts with `head` (one of KINDS). X12Error when
    it is not X12, or an X12 kind ptbill does not take in."""
    reader = SegmentReader(io.StringIO(head), chunk_size=HEAD)
    sep = reader.delimiters.element
    seen_ta1 = False
    for batch in reader.batches():
        for raw in batch[:40]:
            e = raw.split(sep)
            if e[0] == "TA1":
                seen_ta1 = True
            elif e[0] == "GS":
                group = e[1] if len(e) > 1 else ""
                version = e[8] if len(e) > 8 else ""
                if group == "HN":
                    return "277CA" if version.startswith("005010X214") else "277"
                if group in _BY_GROUP:
                    return _BY_GROUP[group]
                raise X12Error(
                    f"functional group {group!r} is not one ptbill takes in", element="GS01"
                )
        break
    if seen_ta1:
        return "TA1"
    raise X12Error("no functional group (GS) and no TA1 in the head of the interchange")
