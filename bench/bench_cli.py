"""The commands people run, end to end as a user runs them (a child process, output to a
file), against their anchors measured in the same run (issue #19's goals):

- `ptbill remit` of a synthetic 835 (ptbill.x12.synthetic, 100,000 claims): --json, --jsonl,
  --format csv and the summary for people, against the 835 reader alone in a child process
  (`read_835` of the same file, every claim counted). Goal: --json at least 10 MB/s (oxedi's
  parse, the issue's anchor, is not available here: half its ~20 MB/s), and the summary no
  slower than twice --json.
- `ptbill scrub --json` and `--jsonl` of 50,000 generated visits, each its own patient, as of
  the demo month's end, against `json.loads` of every line of the same file. Goal: at least
  5,000 visits/s, within 5x of json.loads, peak memory at most 300 MB.

    .venv/bin/python bench/bench_cli.py [--claims 100000] [--visits 50000] [--quick]
        [--only scrub|remit] [--before SRC] [--repeat N]

`--before SRC` runs the scrub commands on another copy of ptbill's source too (SRC: the `src`
folder of, say, `git archive main`), with this interpreter, in the same run: each "before" row
beside its "after". Both copies are compiled to bytecode first, as an install is, so that no
run compiles its modules again where the environment says not to write bytecode
(PYTHONDONTWRITEBYTECODE, about 0.1 s of every command's start).

`--repeat N` runs each scrub row N times, the rows alternated, and keeps the run of least wall
time (on a shared host, the one the others' work slowed least).

Each command runs with `--workers 1` (one process) and by default (worker processes for a
big input, ptbill.cli.parallel). Rates and ratios are given by wall time and by CPU time (of
the child and its workers together: the host is shared, so wall time says as much about the
other work on it). Peak memory: the child's own (VmHWM), and the child's and its workers'
summed, sampled every 50 ms (RSS counts the pages they share in each; PSS splits them).
Files go to a temporary folder, removed after.
The duplicates goal (3,000 copies of one visit) is bench/bench_duplicates.py's.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import ptbill
from ptbill.demo.generator import generate
from ptbill.x12.synthetic import synthetic_835
from timed_child import TreeMemory

# The child's own high-water mark (VmHWM, KB: ru_maxrss would carry the parent's peak over
# through fork and exec on Linux) and CPU seconds, its workers' included (they are waited for
# before it ends), on stderr as it ends. The memory of the child and its workers together is
# sampled from outside (TreeMemory).
_REPORT = (
    "    r = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    c = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    hwm = next(x.split()[1] for x in open('/proc/self/status') if x.startswith('VmHWM:'))\n"
    "    cpu = r.ru_utime + r.ru_stime + c.ru_utime + c.ru_stime\n"
    "    print('RSS', hwm, cpu, file=sys.stderr)\n"
)
CLI = (
    "import resource, runpy, sys\n"
    "sys.argv = ['ptbill', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('ptbill', run_name='__main__')\n"
    "finally:\n" + _REPORT
)
READER = (
    "import resource, sys\n"
    "from ptbill.x12.read_835 import read_835\n"
    "try:\n"
    "    print(sum(len(p.claims) for p in read_835(sys.argv[1])))\n"
    "finally:\n" + _REPORT
)


class Run(NamedTuple):
    """A child's wall and CPU seconds (its workers' CPU included), its own peak (MB), and the
    peak of its and its workers' memory summed (RSS, shared pages counted in each process, and
    PSS, shared pages split; sampled every 50 ms), MB."""

    wall: float
    cpu: float
    own: float
    rss: float
    pss: float
    out_mb: float = 0.0  # what it wrote


def _child(script: str, args: list[str], out: Path, src: str | None = None) -> Run:
    """A child running `script` with `args`, stdout to `out` (`src`: the ptbill source it
    imports, else this checkout's). Another copy keeps its ICD-10-CM index in a cache folder
    of its own (beside `out`): the cache file is keyed by the module's path, so the two copies
    run in turn would each make the index again (about 0.1 s of every run) for the other."""
    cache = str(out.parent / "cache-before")
    env = dict(os.environ, PYTHONPATH=src, XDG_CACHE_HOME=cache) if src else None
    t0 = time.perf_counter()
    with out.open("wb") as f, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", script, *args], stdout=f, stderr=err, text=True, env=env
        )
        with TreeMemory(child.pid) as tree:
            code = child.wait()
        seconds = time.perf_counter() - t0
        err.seek(0)
        said = err.read()
    if code not in (0, 1):
        raise SystemExit(f"{args} failed: {said[-2000:]}")
    rss = [line for line in said.splitlines() if line.startswith("RSS ")][-1].split()
    own = int(rss[1]) / 1024
    return Run(seconds, float(rss[2]), own, tree.rss, tree.pss, out.stat().st_size / 1e6)


def _row(name: str, run: Run, rate: str) -> None:
    size = run.out_mb
    print(
        f"  {name:<28} wall {run.wall:6.2f} s  cpu {run.cpu:6.2f} s  {rate}  "
        f"peak {run.own:4,.0f} MB own, {run.rss:4,.0f} MB RSS / {run.pss:4,.0f} MB PSS in all"
        f"  out {size:6.1f} MB"
    )
    sys.stdout.flush()


def bench_remit(claims: int, seed: int, folder: Path) -> None:
    path, out = folder / "big.835", folder / "out"
    path.write_text(synthetic_835(claims, seed=seed))
    mb = path.stat().st_size / 1e6
    print(f"remit: {claims:,} claims, {mb:.1f} MB (synthetic 835, seed {seed})")
    run = _child(READER, [str(path)], out)
    _row("anchor: read_835 alone", run, f"{mb / run.cpu:5.1f} MB/s")
    timed: dict[str, float] = {}
    for name, extra in (
        ("remit --json", ["--json"]),
        ("remit --jsonl", ["--jsonl"]),
        ("remit --format csv", ["--format", "csv"]),
        ("remit (summary)", []),
        ("remit --claims (piped)", ["--claims"]),
    ):
        run = _child(CLI, ["remit", str(path), *extra], out)
        timed[name] = run.cpu
        _row(name, run, f"{mb / run.cpu:5.1f} MB/s")
    print(
        f"  by CPU time: remit --json {mb / timed['remit --json']:.1f} MB/s (goal >= 10); "
        f"summary {timed['remit (summary)'] / timed['remit --json']:.2f}x --json (goal <= 2)"
    )


def _compiled(src: Path) -> None:
    """A copy of ptbill's source compiled to bytecode (its __pycache__ folders, as pip would)."""
    compileall.compile_dir(src / "ptbill", quiet=1)


_JSON_LOADS = """
import json, sys, time
t0, c0 = time.perf_counter(), time.process_time()
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
print(time.perf_counter() - t0, time.process_time() - c0)
"""


def _json_loads(path: Path) -> Run:
    """`json.loads` of every line of the file, timed inside a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _JSON_LOADS, str(path)], capture_output=True, text=True, check=True
    )
    wall, cpu = map(float, done.stdout.split())
    return Run(wall, cpu, 0, 0, 0)


def bench_scrub(
    n: int, seed: int, folder: Path, before: str | None = None, repeat: int = 1
) -> None:
    path, out = folder / "visits.jsonl", folder / "out"
    with path.open("w") as f:
        for i, visit in enumerate(generate(n, seed)):
            visit["patient"]["id"] = f"P-{i:07d}"  # each its own patient
            f.write(json.dumps(visit) + "\n")
    mb = path.stat().st_size / 1e6
    # The anchor in a fresh process of its own, the best of `repeat` runs: measured here, after
    # the generator had filled this process's heap, it took 1.05 s where a fresh process took
    # 0.70-0.75 (2026-12-07), flattering every ratio by a third.
    anchor = min((_json_loads(path) for _ in range(repeat)), key=lambda r: r.wall)
    print(f"scrub: {n:,} visits, {mb:.1f} MB of JSON Lines (demo generator, seed {seed})")
    print(
        f"  {'anchor: json.loads a line':<28} wall {anchor.wall:6.2f} s  cpu {anchor.cpu:6.2f} s"
        f"  {n / anchor.wall:6,.0f} visits/s by wall, {n / anchor.cpu:6,.0f} by CPU"
    )
    rows: list[tuple[str, list[str], str | None]] = []
    for name in ("--json", "--jsonl"):
        args = ["scrub", name, "--as-of", "2025-03-31", str(path)]
        rows += [(f"before: scrub {name}", args, before)] if before else []
        rows += [
            (f"scrub {name} --workers 1", [*args, "--workers", "1"], None),
            (f"scrub {name}", args, None),  # the default: workers for a big input
        ]
    # Each row run `repeat` times, the rows alternated; the run of least wall time kept (on a
    # shared host, the one least slowed by the others' work).
    timed: dict[str, Run] = {}
    for _ in range(repeat):
        for label, argv, src in rows:
            run = _child(CLI, argv, out, src)
            if label not in timed or run.wall < timed[label].wall:
                timed[label] = run
    for label, _, _ in rows:
        run = timed[label]
        rate = (
            f"{n / run.wall:6,.0f}/s {run.wall / anchor.wall:4.1f}x by wall, "
            f"{n / run.cpu:6,.0f}/s {run.cpu / anchor.cpu:4.1f}x by CPU"
        )
        _row(label, run, rate)
    run = timed["scrub --json"]
    print(
        f"  scrub --json: {n / run.wall:,.0f} visits/s by wall, {n / run.cpu:,.0f} by CPU "
        f"(goal >= 5,000); {run.wall / anchor.wall:.1f}x json.loads by wall, "
        f"{run.cpu / anchor.cpu:.1f}x by CPU (goal <= 5); peak {run.rss:,.0f} MB RSS, "
        f"{run.pss:,.0f} MB PSS, parent and workers together (goal <= 300)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--visits", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="5,000 claims and visits: a smoke run")
    ap.add_argument("--only", choices=("scrub", "remit"), help="one of the two benches")
    ap.add_argument("--before", help="another copy's src folder: its scrub rows too")
    ap.add_argument("--repeat", type=int, default=1, help="scrub rows: best wall of N runs")
    args = ap.parse_args(argv)
    claims, visits = (5_000, 5_000) if args.quick else (args.claims, args.visits)
    _compiled(Path(ptbill.__file__).parents[1])
    if args.before:
        _compiled(Path(args.before))
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "scrub":
            bench_remit(claims, args.seed, Path(tmp))
        if args.only != "remit":
            bench_scrub(visits, args.seed, Path(tmp), args.before, args.repeat)


if __name__ == "__main__":
    main()
