"""Duplicates: one visit copied N times into one run (an export sent again and again), through
`ptbill scrub --json` as a user runs it, against N distinct visits through the same command (the
anchor, measured in the same run). Prints seconds, JSON bytes a visit, peak memory and whether
every copy is flagged once; writes only to a temporary folder.

    .venv/bin/python bench/bench_duplicates.py [--copies 3000] [--seed 7] [--quick]

Cases: the copies under the visit's own id (an export sent twice), and renumbered (each copy
with its own visit id: every copy is another visit of the same patient on the same day billing
the same codes, the case that was quadratic: one finding per other copy).
Goals (issue #19): 3,000 copies in under 30 s, under 3 KB of JSON a visit, under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ptbill.demo.generator import generate

# Runs the CLI in a child process and reports the child's own peak RSS (KB) on stderr.
CHILD = (
    "import resource, runpy, sys\n"
    "sys.argv = ['ptbill', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('ptbill', run_name='__main__')\n"
    "finally:\n"
    "    print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def _scrub(path: Path, out: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (KB) of `ptbill scrub --json path > out`."""
    t0 = time.perf_counter()
    with out.open("w") as f:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, "scrub", "--json", str(path)],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
        )
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"ptbill scrub failed: {done.stderr[-2000:]}")
    rss = [line for line in done.stderr.splitlines() if line.startswith("RSS ")]
    return seconds, int(rss[-1].split()[1])


def _case(name: str, visits: list[dict[str, Any]], folder: Path, dup: bool) -> None:
    path, out = folder / f"{name}.json", folder / f"{name}.out.json"
    path.write_text(json.dumps(visits))
    seconds, rss_kb = _scrub(path, out)
    results = json.loads(out.read_text())
    size = out.stat().st_size
    findings = sum(len(r["findings"]) for r in results)
    flagged = [sum(f["rule"] == "DUP-IN-BATCH" for f in r["findings"]) for r in results]
    print(
        f"{name:<22} {len(visits):>6,} visits {seconds:7.2f} s  {len(visits) / seconds:7,.0f}"
        f" visits/s  {size / len(visits):7,.0f} B/visit  {rss_kb / 1024:7,.0f} MB"
        f"  {findings:>7,} findings"
        + (f"  every copy flagged once: {'yes' if set(flagged) == {1} else 'NO'}" if dup else "")
    )
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="300 copies: a smoke run")
    args = ap.parse_args(argv)
    n = 300 if args.quick else args.copies

    distinct = list(generate(n, args.seed))
    one = distinct[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _case("anchor: distinct", distinct, folder, dup=False)
        _case("copies, same id", [one] * n, folder, dup=True)
        renumbered = [{**one, "visit_id": f"{one['visit_id']}-{i}"} for i in range(n)]
        _case("copies, renumbered", renumbered, folder, dup=True)


if __name__ == "__main__":
    main()
