"""Reading an acknowledgment file of whichever kind it is: 999 (with any TA1), TA1 alone or
277CA, told by its envelope."""

from __future__ import annotations

import os

from ptbill.x12.envelope import identify
from ptbill.x12.kinds import KIND_277CA, KIND_999, KIND_TA1, WrongKind
from ptbill.x12.read_277ca import ClaimAcknowledgment, read_277ca
from ptbill.x12.read_999 import Acknowledgments, read_999

ANY_ACK = "a 999, 277CA or TA1 acknowledgment"


def read_ack(
    path: str | os.PathLike[str], warnings: list[str] | None = None
) -> Acknowledgments | list[ClaimAcknowledgment]:
    """A 999 or TA1 file as Acknowledgments, a 277CA as its transaction sets. A file of
    another kind raises WrongKind (naming it); a damaged one X12Error."""
    found, number = identify(path)
    if found is KIND_277CA:
        return read_277ca(path, warnings)
    if found is None or found in (KIND_999, KIND_TA1):
        return read_999(path, warnings)  # None: the 999 reader says what is wrong
    # A 997 or a 277 status response share their GS01 with the 999 and the 277CA: GS08 tells.
    element = "GS08" if found.label in ("997", "277") else "GS01"
    raise WrongKind(found, ANY_ACK, element=element).located(number, "GS")
