"""The ledger's batch commands do not hold their input (issue #19): what the import, the 837P
submission and the simulated payer allocate at their peak grows by less than a kilobyte or
two a visit from 1,000 to 4,000 visits.

Each size runs in a child process of its own (the memos of one run would hide another's
growth): generated visits imported, the ready claims submitted, the 837P answered by the
simulated payer (`answer_files`, as the demo's mailbox does), each step's peak measured by
tracemalloc (Python's allocations: exact, where the process's RSS moves with the allocator).
A transaction set holds at most 100 claims here (5,000 in use), so that the larger input is
more sets, not larger ones, as at scale. Holding the input costs several kilobytes a visit:
the submission used to keep every set's segments and the rows to write (3.5 KB a visit more
at its peak), the simulator every decision and the whole text of its answers (7 KB).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

_MEASURE = """
import datetime as dt, gc, json, sys, tracemalloc
from pathlib import Path
from ptbill.cli.ledger_cmds import write_text
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.ledger import submit as submitting
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.payer_sim import SimConfig, answer_files

folder, n = Path(sys.argv[1]), int(sys.argv[2])
submitting.MAX_CLAIMS_PER_SET = 100
visits = folder / "visits.jsonl"
with visits.open("w") as f:
    for v in generate(n, 2026, start=dt.date(2025, 3, 3), days=20):
        f.write(json.dumps(v) + "\\n")
config, as_of = load_config(None), dt.date(2025, 4, 1)
peaks = {}

def measure(name, step):
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    out = step()
    peaks[name] = tracemalloc.get_traced_memory()[1] - base
    return out

def submit(ledger):
    with ledger.transaction() as s:
        text = submitting.submit(s, config, as_of=as_of, who="test", file_name="c.837").text
    write_text(folder / "c.837", text)  # as `ptbill submit` writes it: a piece at a time

tracemalloc.start()
with Ledger(f"sqlite:///{folder / 'ledger.db'}") as ledger:
    def load():
        with ledger.transaction() as s:
            import_files(s, [str(visits)], as_of=as_of, config=config, who="test")
    measure("import", load)
    measure("submit", lambda: submit(ledger))
answered = measure(
    "payer simulator",
    lambda: answer_files(folder / "c.837", folder, config, SimConfig(seed=1), received=as_of),
)
print(json.dumps({"claims": answered.claims, "peaks": peaks}))
"""


def _peaks(folder: Path, visits: int) -> tuple[int, dict[str, int]]:
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(folder), str(visits)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.splitlines()[-1])
    return found["claims"], found["peaks"]


@pytest.fixture(scope="module")
def peaks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("batch-memory")
    return {"small": _peaks(folder / "small", 1_000), "large": _peaks(folder / "large", 4_000)}


@pytest.mark.parametrize(
    ("step", "per_visit"),
    [
        # The import's memos (prices, findings, texts) fill as new kinds of visit come (5.6 KB
        # a visit here, 1.7 KB from 4,000 to 8,000 visits): holding the visits would cost
        # over 15 KB each.
        ("import", 8_000),
        # The interchange's text is kept once, to be stored whole (about 520 bytes a claim):
        # 0.8 KB a visit in all; 3.5 KB before.
        ("submit", 2_000),
        # 1.8 KB a visit here (0.65 KB from 4,000 to 8,000: memos); 7 KB before.
        ("payer simulator", 3_500),
    ],
)
def test_batch_memory_does_not_grow_with_the_input(
    peaks: dict[str, tuple[int, dict[str, int]]], step: str, per_visit: int
) -> None:
    (small_claims, small), (large_claims, large) = peaks["small"], peaks["large"]
    assert large_claims > 3 * small_claims > 2_000  # the payer answered every claim sent
    grown = large[step] - small[step]
    bound = per_visit * 3_000
    assert grown < bound, f"{step}: {grown:,} bytes more at its peak for 3,000 more visits"
