"""The 835 reader, pinned: what it made of some 1,300 damaged remittances before its hot loop was
rewritten (issue #12), it must still make of them, payment for payment and error for error.

The seed is `remit_every_segment.835`: two payments, every segment the reader knows at every
level it may stand (header, payer and payee, LX/TS3, claim, service line, PLB). The damage:
each segment dropped, duplicated, swapped with the next, or moved three places on, SE01
counting again (in both payments: in the second, each unchanged CAS, DTM, SVC, AMT and LQ text
was read in the first, so where a repeat stands is checked again); in the first payment, each
element emptied, replaced by "X", or the segment cut before it. Each outcome in the golden file
is a digest of every field of every payment read (before any error), then the error as
rendered (segment number, id, element and problem). The golden file was written by the reader
before the rewrite:

    .venv/bin/python -m tests.x12.test_read_835_golden > tests/x12/data/remit_every_segment.golden

Write it again only for a change that means to change what the reader reads, and say so.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from ptbill.x12.read_835 import read_835
from ptbill.x12.synthetic import synthetic_835
from tests.x12.helpers import DATA
from tests.x12.pyx12_check import pyx12_errors
from tests.x12.remit_outcome import outcome

SEED = (DATA / "remit_every_segment.835").read_text()
GOLDEN = DATA / "remit_every_segment.golden"
TERMINATOR = "~\n"


def damaged(seed: str) -> Iterator[tuple[str, str]]:
    """(label, text) for every damage the module's docstring lists."""
    segments = seed.split(TERMINATOR)[:-1]
    sets = [i for i, s in enumerate(segments) if s.startswith(("ST*", "SE*"))]
    first = range(sets[0], sets[1] + 1)
    both = range(sets[0], sets[3] + 1)

    def text(segs: list[str], recount: bool = True) -> str:
        """The interchange, each SE01 made to count its set again (when `recount`): a wrong
        count would hide what the reader made of the set."""
        if recount:
            segs = segs.copy()
            start = 0
            for k, s in enumerate(segs):
                if s.startswith("ST*"):
                    start = k
                elif s.startswith("SE*"):
                    segs[k] = "*".join(["SE", str(k - start + 1), *s.split("*")[2:]])
        return TERMINATOR.join(segs) + TERMINATOR

    for i in both:
        sid = segments[i].split("*")[0]
        yield f"{i} {sid} drop", text(segments[:i] + segments[i + 1 :])
        yield f"{i} {sid} duplicate", text(segments[: i + 1] + segments[i:])
        swapped = segments.copy()
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        yield f"{i} {sid} swap", text(swapped)
        moved = segments.copy()
        moved.insert(i + 3, moved.pop(i))
        yield f"{i} {sid} move", text(moved)
    for i in first:
        elements = segments[i].split("*")
        for j in range(1, len(elements)):
            name = f"{i} {elements[0]}{j:02d}"
            for label, new in (("empty", ""), ("X", "X")):
                if elements[j] != new:
                    changed = segments.copy()
                    changed[i] = "*".join([*elements[:j], new, *elements[j + 1 :]])
                    yield f"{name} {label}", text(changed, recount=False)
            cut = segments.copy()
            cut[i] = "*".join(elements[:j])
            yield f"{name} cut", text(cut, recount=False)


def cases() -> Iterator[tuple[str, str]]:
    yield "seed", SEED
    yield from damaged(SEED)
    # A larger remittance: reversals, denials with remark codes, provider adjustments.
    yield "synthetic 600 claims", synthetic_835(600, claims_per_payment=150, seed=7)


CASES = dict(cases())


def golden() -> dict[str, str]:
    lines = GOLDEN.read_text().splitlines()
    return dict(line.split("\t", 1) for line in lines)


def test_the_seed_is_a_valid_835_read_without_imbalance():
    assert pyx12_errors(SEED) == []
    payments = list(read_835(io.StringIO(SEED)))
    assert len(payments) == 2 and all(p.imbalances == [] for p in payments)
    # Every kind of object and every optional field is there to be pinned.
    claim = payments[0].claims[0]
    assert claim.references and claim.amounts and claim.quantities and claim.outpatient
    assert claim.coverage_expiration and claim.statement_end and claim.received
    line = claim.lines[0]
    assert line.original and line.original_units and line.service_end and line.remarks
    assert line.references and line.amounts and line.quantities and line.allowed
    assert payments[0].summaries and payments[0].provider_adjustments
    assert payments[0].claims[1].inpatient and payments[0].claims[2].is_reversal


@pytest.mark.parametrize("memo", [True, False], ids=["memo", "no memo"])
def test_every_damage_reads_as_it_did(memo):
    # With no memo every segment is read as for the first time; with it, a repeated text
    # applies what its first reading found, and must come to what a first reading would.
    expected = golden()
    assert sorted(expected) == sorted(CASES), "the damage list changed: write the golden again"
    different = [
        f"{label}: {found!r}, was {expected[label]!r}"
        for label, text in CASES.items()
        if (found := outcome(text, memo)) != expected[label]
    ]
    assert different == [], "\n".join(different[:20])


def test_the_golden_file_holds_errors_and_payments():
    # The damage reaches the checks: many cases fail, with many different messages.
    outcomes = list(golden().values())
    errors = {o.split("| ", 1)[1] for o in outcomes if "| " in o}
    assert len(errors) > 300
    assert sum("| " not in o for o in outcomes) > 500


if __name__ == "__main__":
    for label, text in CASES.items():
        print(f"{label}\t{outcome(text)}")
