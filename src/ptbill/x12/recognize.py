"""What an X12 file is, from its content: the envelope's functional group (GS01), version
(GS08) and transaction set (ST01), read from the head of the file. A 277 is a claim
acknowledgment (277CA, 005010X214) or a claim status response (005010X212) by its version; an
interchange holding only a TA1 is an interchange acknowledgment.
"""

from __future__ import annotations

import io

from ptbill.x12.errors import X12Error
from ptbill.x12.kinds import (
    KIND_270,
    KIND_271,
    KIND_276,
    KIND_277,
    KIND_277CA,
    KIND_835,
    KIND_837P,
    KIND_999,
    KIND_TA1,
    FileKind,
    kind_of_group,
)
from ptbill.x12.tokenizer import SegmentReader

HEAD = 1 << 14
# What a file may be, by the label recognize() gives, and its kind (ptbill.x12.kinds): an 837
# of any variant as ptbill's own 837P; 837, 270 and 276 are ptbill's own outbound files.
FILE_KINDS: dict[str, FileKind] = {
    "837" if k.label.startswith("837") else k.label: k
    for k in (
        KIND_835,
        KIND_999,
        KIND_TA1,
        KIND_277CA,
        KIND_277,
        KIND_271,
        KIND_837P,
        KIND_270,
        KIND_276,
    )
}


def recognize(head: str) -> str:
    """The kind of the interchange whose text starts with `head` (a key of FILE_KINDS).
    X12Error when it is not X12, or an X12 kind ptbill does not take in."""
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
                kind = kind_of_group(group, e[8] if len(e) > 8 else "")
                label = "837" if kind and kind.label.startswith("837") else kind and kind.label
                if label in FILE_KINDS:
                    return label
                what = f"{kind.what}, which" if kind else f"functional group {group!r}:"
                raise X12Error(f"{what} ptbill does not take in", element="GS01")
        break
    if seen_ta1:
        return "TA1"
    raise X12Error("no functional group (GS) and no TA1 in the head of the interchange")
