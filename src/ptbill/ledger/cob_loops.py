"""A next-payer claim's earlier-payer loops as its version stores them (claim_versions.cob_loops).

`ptbill.ledger.secondary` builds each next-payer claim's loops 2320/2330A/2330B and its lines'
2430s from the decision the claim is made from, to check that they balance; it keeps them, as
the 837P writes them, with the version. `ptbill submit` then writes them as they are, without
reading the decisions again. The ledger stays the source of truth: a version whose decision
changes (a reversal, ptbill.ledger.secondary.Advance.follow) or whose lines are coded again
gets NULL, and submit builds its loops from the decisions in force, as it did before.

The text is JSON: `{"2320": [segment, ...], "2430": {"LINE NUMBER": [segment, ...]}}`, the
segments without terminators (ptbill.x12.writer_837p: loop_2320, loop_2430).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson

from ptbill.x12.cob import LineAdjudication, OtherPayer
from ptbill.x12.writer_837p import loop_2320, loop_2430

Loops = tuple[tuple[str, ...], dict[int, tuple[str, ...]]]  # the 2320s, each line's 2430s


class Encoder:
    """Makes the stored text of next-payer claims' loops. One earlier payer's decisions on
    lines repeat across a run's claims (one 835's date, fee-schedule amounts, shared
    adjustments): each distinct line adjudication's 2430 is written once (a bounded memo)."""

    def __init__(self) -> None:
        self.written: dict[LineAdjudication, list[str]] = {}

    def line(self, a: LineAdjudication) -> list[str]:
        found = self.written.get(a)
        if found is None:
            if len(self.written) >= 65536:
                self.written.clear()
            found = self.written[a] = loop_2430(a)
        return found

    def __call__(
        self, others: Iterable[OtherPayer], lines: Mapping[int, Iterable[LineAdjudication]]
    ) -> str:
        """The stored text of these loops (`lines`: each line's adjudications by number)."""
        line = self.line
        return orjson.dumps(
            {
                "2320": [s for other in others for s in loop_2320(other)],
                "2430": {str(n): [s for a in ads for s in line(a)] for n, ads in lines.items()},
            }
        ).decode()


def decode(text: str) -> Loops:
    data = orjson.loads(text)
    return tuple(data["2320"]), {int(n): tuple(s) for n, s in data["2430"].items()}
