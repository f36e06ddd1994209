"""Peak memory of the ledger's batch commands at two input sizes, so that growth shows
(issue #19: import of 100,000 visits, submit and the payer simulator at most 300 MB each).

    .venv/bin/python bench/bench_memory.py                 # 20,000 and 100,000 visits, SQLite
    .venv/bin/python bench/bench_memory.py --quick         # 2,000 and 10,000 visits
    .venv/bin/python bench/bench_memory.py --pg URL        # PostgreSQL too (its schema remade)

Per size: generated visits of the demo clinic (March 2025, seed 2026, as bench_ledger.py) are
imported with `ptbill import`, the ready claims submitted with `ptbill submit`, and the 837P
answered by the simulated payer (`ptbill.payer_sim.answer_files`: the 999, 277CA and 835 as
files, what the demo's mailbox does; the simulator has no command of its own). Each runs in a
child process as a user runs it; its peak is the child's own high-water mark (VmHWM). CPU and
wall seconds are printed beside (the host is shared). The last column is the growth from the
small size to the large one, per 10,000 visits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_cli import _REPORT, CLI  # the child's peak (VmHWM) and CPU seconds, on stderr
from bench_ledger import _reset_postgres

AS_OF = "2025-04-01"  # the demo's visits are in March 2025: PFS 2025 prices them
SEED = 2026

PAYER = (
    "import datetime as dt, resource, sys\n"
    "from pathlib import Path\n"
    "from ptbill.config import load_config\n"
    "from ptbill.payer_sim import SimConfig, answer_files\n"
    "try:\n"
    "    out = answer_files(Path(sys.argv[1]), Path(sys.argv[2]), load_config(None),\n"
    f"        SimConfig(seed={SEED}, reject_rate=0), received=dt.date(2025, 4, 2))\n"
    "    print(out.claims)\n"
    "finally:\n" + _REPORT
)


def _child(script: str, args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MB of a child running `script` with `args`."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    found = [x for x in done.stderr.splitlines() if x.startswith("RSS ")]
    if done.returncode != 0 or not found:
        raise SystemExit(f"{args[:2]} failed ({done.returncode}): {done.stderr[-2000:]}")
    _, kb, cpu = found[-1].split()
    return wall, float(cpu), int(kb) / 1024


def _generate(path: Path, n: int) -> None:
    from ptbill.demo.generator import generate

    with path.open("w", encoding="utf-8") as f:
        for v in generate(n, SEED, start=dt.date(2025, 3, 3), days=20):
            f.write(json.dumps(v, separators=(",", ":")) + "\n")


def run_size(folder: Path, n: int, db: str, url: str) -> dict[str, tuple[float, float, float]]:
    visits, claims = folder / f"v{n}.jsonl", folder / f"c{n}-{db}.837"
    if not visits.exists():
        _generate(visits, n)
    if db == "postgresql":
        _reset_postgres(url)
    else:
        url = str(folder / f"ledger{n}.db")
    base = ["--db", url, "--today", AS_OF]
    answers = folder / f"answers{n}-{db}"
    answers.mkdir(exist_ok=True)
    out = {"import": _child(CLI, [*base, "import", str(visits), "--quiet"])}
    out["submit"] = _child(CLI, [*base, "submit", "-o", str(claims)])
    out["payer simulator"] = _child(PAYER, [str(claims), str(answers)])
    remit = answers / f"{claims.stem}.835"
    print(
        f"  {n:,} visits: 837P {claims.stat().st_size / 1e6:.1f} MB, "
        f"835 {remit.stat().st_size / 1e6:.1f} MB"
    )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 visits")
    parser.add_argument("--sizes", type=int, nargs=2, default=None, metavar="N")
    parser.add_argument("--pg", default=None, help="also on this PostgreSQL database (remade)")
    args = parser.parse_args(argv)
    small, large = args.sizes or ((2_000, 10_000) if args.quick else (20_000, 100_000))
    print(f"memory of the batch commands, {small:,} and {large:,} visits; load {os.getloadavg()}")
    folder = Path(tempfile.mkdtemp(prefix="ptbill-mem-"))
    dbs = [("sqlite", "")] + ([("postgresql", args.pg)] if args.pg else [])
    try:
        for db, url in dbs:
            first = run_size(folder, small, db, url)
            second = run_size(folder, large, db, url)
            print(f"{db}:")
            for name in first:
                (w1, c1, p1), (w2, c2, p2) = first[name], second[name]
                growth = (p2 - p1) / ((large - small) / 10_000)
                print(
                    f"  {name:<16} {small:>7,}: {p1:5.0f} MB (cpu {c1:6.1f} s, wall {w1:6.1f} s)"
                    f"  {large:>7,}: {p2:5.0f} MB (cpu {c2:6.1f} s, wall {w2:6.1f} s)"
                    f"  {growth:+5.1f} MB per 10k visits"
                )
            sys.stdout.flush()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
