"""The synthetic 835 generator used by the fuzz tests and the benchmark."""

from __future__ import annotations

import io
import tracemalloc

from ptbill.x12.read_835 import read_835
from ptbill.x12.synthetic import synthetic_835
from tests.x12.pyx12_check import pyx12_errors


def test_synthetic_835_is_valid_and_balanced():
    text = synthetic_835(60, claims_per_payment=25, seed=3)
    assert pyx12_errors(text) == []
    payments = list(read_835(io.StringIO(text)))
    assert [len(p.claims) for p in payments] == [25, 25, 10]
    assert all(p.imbalances == [] for p in payments)


def test_the_same_seed_gives_the_same_file():
    assert synthetic_835(20, seed=5) == synthetic_835(20, seed=5)
    assert synthetic_835(20, seed=5) != synthetic_835(20, seed=6)


def _peak(text: str) -> int:
    stream = io.StringIO(text)  # made before measuring: it holds the whole text
    tracemalloc.start()
    try:
        for _ in read_835(stream):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_memory_does_not_grow_with_the_file():
    # Three times the payments, about the same peak: the text is read in 1 MB chunks and
    # payments are let go as they are read (both files span several chunks).
    small = synthetic_835(8_000, claims_per_payment=100, seed=1)
    large = synthetic_835(24_000, claims_per_payment=100, seed=1)
    small_peak, large_peak = _peak(small), _peak(large)
    assert large_peak < small_peak * 1.25
    assert large_peak < 20_000_000
