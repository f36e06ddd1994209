"""Fuzzing the readers: valid 835, 999/TA1 and 277CA files, cut, with segments duplicated,
dropped or swapped, delimiters and numbers corrupted, noise inserted. A reader either reads
the result or raises X12Error, never anything else (no IndexError, ValueError,
decimal.InvalidOperation...), and what it reads renders as JSON."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptbill.cli.common import _default
from ptbill.cli.remit_json import payment_json
from ptbill.cli.x12_cmds import acknowledgments_json, claim_acks_json
from ptbill.x12.envelope import functional_group_of
from ptbill.x12.errors import X12Error
from ptbill.x12.read_277ca import read_277ca
from ptbill.x12.read_835 import read_835
from ptbill.x12.read_999 import read_999
from ptbill.x12.synthetic import synthetic_835
from tests.x12.helpers import DATA
from tests.x12.remit_outcome import outcome

REMITS = [(DATA / "remit_basic.835").read_text(), synthetic_835(8, claims_per_payment=4, seed=2)]
ACKS = [(DATA / "ack_partial.999").read_text(), (DATA / "ack_rejected_interchange.ta1").read_text()]
CLAIM_ACKS = [(DATA / "claims_ack.277").read_text()]
DELIMITERS = "*:~^|>\n"
NOISE = "*:~^0123456789.-E+ _NaNx\n\r\t\x00é"
FUZZ = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _segments(text: str) -> list[str]:
    return text.split("~\n")


def _mutate(data: st.DataObject, text: str) -> str:
    segs = _segments(text)
    op = data.draw(
        st.sampled_from(
            ["cut", "duplicate", "drop", "swap", "delimiter", "number", "noise", "element"]
        )
    )
    index = st.integers(0, len(segs) - 1)
    if op == "cut":
        return text[: data.draw(st.integers(0, len(text)))]
    if op == "duplicate":
        i = data.draw(index)
        segs.insert(i, segs[i])
    elif op == "drop":
        del segs[data.draw(index)]
    elif op == "swap":
        i, j = data.draw(index), data.draw(index)
        segs[i], segs[j] = segs[j], segs[i]
    elif op in ("delimiter", "number"):
        wanted = DELIMITERS if op == "delimiter" else "0123456789"
        spots = [k for k, c in enumerate(text) if c in wanted]
        if not spots:
            return text
        k = data.draw(st.sampled_from(spots))
        new = data.draw(st.sampled_from(NOISE + DELIMITERS) | st.just(""))
        return text[:k] + new + text[k + 1 :]
    elif op == "noise":
        k = data.draw(st.integers(0, len(text)))
        return text[:k] + data.draw(st.text(alphabet=NOISE, max_size=6)) + text[k:]
    else:  # replace one element of one segment with noise
        i = data.draw(index)
        elements = segs[i].split("*")
        j = data.draw(st.integers(0, len(elements) - 1))
        elements[j] = data.draw(st.text(alphabet=NOISE, max_size=12))
        segs[i] = "*".join(elements)
    return "~\n".join(segs)


def _fuzz(data: st.DataObject, seeds: list[str], read: Callable[[str], Any]) -> None:
    text = data.draw(st.sampled_from(seeds))
    for _ in range(data.draw(st.integers(1, 3))):
        text = _mutate(data, text)
    try:
        functional_group_of(io.StringIO(text))
        result = read(text)
    except X12Error as e:
        assert e.problem and str(e)
        return
    json.dumps(result, default=_default)


@FUZZ
@given(st.data())
def test_835_reader_only_raises_its_own_error(data):
    _fuzz(data, REMITS, lambda t: [payment_json(p) for p in read_835(io.StringIO(t))])


@FUZZ
@given(st.data())
def test_999_reader_only_raises_its_own_error(data):
    _fuzz(data, ACKS, lambda t: acknowledgments_json(read_999(io.StringIO(t))))


@FUZZ
@given(st.data())
def test_277ca_reader_only_raises_its_own_error(data):
    _fuzz(data, CLAIM_ACKS, lambda t: claim_acks_json(read_277ca(io.StringIO(t))))


@FUZZ
@given(st.data())
def test_835_repeated_segments_read_as_a_first_reading_would(data):
    # The reader reads each distinct CAS, DTM, SVC, AMT and LQ text once per file and applies
    # the repeats: with no memo at all, the same payments and the same error.
    text = data.draw(st.sampled_from(REMITS))
    for _ in range(data.draw(st.integers(1, 3))):
        text = _mutate(data, text)
    assert outcome(text, memo=False) == outcome(text)
