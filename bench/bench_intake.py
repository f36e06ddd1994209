"""Intake from each format: the demo visits written as ptbill JSON Lines, a FHIR R4 Bundle,
HL7 v2 DFT^P03 messages and a CSV charge export, then each read back, timed against the JSON
intake of the same visits (the anchor, measured in the same run). Goal (#17): each format
within 2x the anchor.

Three measures, each over interleaved rounds (json, fhir, hl7, csv, then again), the best round
of each format kept; CPU time beside wall time, since the wall clock of a shared host moves
with the other work on it:

- the readers in process: `ptbill.intake.read_visits` into validated `Visit` objects, each
  read in a new process that reads the text first (its peak memory: what the reading added
  to that); and the FHIR Bundle by the generic reader alone (`fhir.read_generic`, which reads
  the files the typed one declines);
- with --cli, end to end through the CLI: `ptbill scrub --from FMT --as-of ... --json FILE`
  in a new process per run (start-up, configuration, reading, coding, scrubbing, output);
- with --import, `ptbill --db NEW.db import --from FMT --as-of ... --json FILE` into a new
  SQLite ledger per run (reading, coding, pricing, scrubbing, storing), as a biller takes a
  file in. Both give each run's peak memory (its process's maximum resident set).

Also measured, on a subset (they are slow): FHIR with every resource validated by the
fhir.resources R4B models (`validate="full"`), and python-hl7's own parser on the messages.

    .venv/bin/python bench/bench_intake.py                  # 50,000 visits, in process
    .venv/bin/python bench/bench_intake.py --cli --rounds 2 # and end to end through the CLI
    .venv/bin/python bench/bench_intake.py --quick          # 5,000
    .venv/bin/python bench/bench_intake.py --cli --import --no-in-process --no-slow --rounds 1
    .venv/bin/python bench/bench_intake.py --cli --import --cli-formats json,fhir --rounds 1
    # and another checkout's code in the same rounds (before/after, labelled FMT@base):
    .venv/bin/python bench/bench_intake.py --quick --cli --import --no-in-process --no-slow \
        --baseline /tmp/main-src   # e.g. `git archive main src | tar -x -C /tmp/main-src/..`
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ptbill.bulk import batch
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.domain.visit import Visit
from ptbill.intake import csv_charges, fhir, fhir_export, hl7v2, hl7v2_export, read_visits
from timed_child import timed_command


def timed(label: str, fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    return took, result


Times = dict[str, list[tuple[float, ...]]]  # format -> (wall, CPU[, peak MB]) of each round


def rounds(formats: list[str], count: int, run: Callable[[str], tuple[float, ...]]) -> Times:
    out: Times = {fmt: [] for fmt in formats}
    for _ in range(count):
        for fmt in formats:
            out[fmt].append(run(fmt))
    return out


def report(title: str, n: int, times: Times) -> None:
    """The best round of each format, and its ratio to the JSON anchor's best round (of the
    same code: FMT@base against json@base)."""
    print(f"{title} (best of {len(times['json'])} rounds)")
    for fmt, runs in times.items():
        anchor = times["json" + fmt[fmt.find("@") :] if "@" in fmt else "json"]
        wall0, cpu0 = (min(t[i] for t in anchor) for i in (0, 1))
        wall, cpu = min(t[0] for t in runs), min(t[1] for t in runs)
        peak = f"peak {max(t[2] for t in runs):6,.0f} MB   " if len(runs[0]) > 2 else ""
        print(
            f"  {fmt:12} wall {wall:7.2f} s {wall / wall0:5.2f}x   CPU {cpu:7.2f} s "
            f"{cpu / cpu0:5.2f}x   {peak}{n / cpu:7,.0f} visits/CPU-s   "
            f"(all rounds' CPU: {', '.join(f'{t[1]:.2f}' for t in runs)})"
        )


# One read in a new process: the text from its file, then read under batch() as the CLI reads;
# its wall and CPU time and the peak memory the reading added (VmHWM less VmRSS before it).
_ONE_READ = """
import json, sys, time
from ptbill.bulk import batch
from ptbill.config import load_config
from ptbill.intake import fhir, read_visits

def memory(field):
    with open("/proc/self/status") as f:
        return int(next(x for x in f if x.startswith(field + ":")).split()[1]) / 1024

path, fmt = sys.argv[1:]
config = load_config(None)
with open(path, encoding="utf-8", newline="") as f:
    text = f.read()
base = memory("VmRSS")
with batch():
    wall, cpu = time.perf_counter(), time.process_time()
    if fmt == "fhir-generic":  # the reader of the files the typed FHIR reader declines
        got = fhir.read_generic(text, path, config)
    else:
        got = read_visits(text, path, fmt, config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
print(json.dumps([len(got), wall, cpu, memory("VmHWM") - base]))
"""


def _env(fmt: str, baseline: str | None) -> tuple[str, dict[str, str] | None]:
    """A format's file name, and for FMT@base the environment that runs the baseline's code."""
    name, _, base = fmt.partition("@")
    return name, ({**os.environ, "PYTHONPATH": baseline} if base and baseline else None)


def in_process(folder: Path, n: int, baseline: str | None) -> Callable[[str], tuple[float, ...]]:
    """Each read in a new process (so that its peak memory is its own)."""

    def run(fmt: str) -> tuple[float, ...]:
        name, env = _env(fmt, baseline)
        path = folder / ("fhir" if name == "fhir-generic" else name)
        args = [sys.executable, "-c", _ONE_READ, str(path), name]
        done = subprocess.run(args, check=True, capture_output=True, env=env)
        got, wall, cpu, peak = json.loads(done.stdout)
        assert got == n, (fmt, got)
        return wall, cpu, peak

    return run


def through_cli(
    folder: Path, as_of: str, baseline: str | None
) -> Callable[[str], tuple[float, ...]]:
    ptbill = str(Path(sys.executable).with_name("ptbill"))

    def run(fmt: str) -> tuple[float, ...]:
        name, env = _env(fmt, baseline)
        args = [ptbill, "scrub", "--from", name, "--as-of", as_of, "--json", str(folder / name)]
        return timed_command(args, env)

    return run


def through_import(
    folder: Path, as_of: str, baseline: str | None
) -> Callable[[str], tuple[float, ...]]:
    ptbill = str(Path(sys.executable).with_name("ptbill"))

    def run(fmt: str) -> tuple[float, ...]:
        name, env = _env(fmt, baseline)
        ledger = folder / f"{name}.db"
        ledger.unlink(missing_ok=True)
        args = [ptbill, "--db", str(ledger), "import", "--from", name, "--as-of", as_of]
        return timed_command([*args, "--json", "--quiet", str(folder / name)], env)

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli", action="store_true", help="also end to end through the CLI")
    parser.add_argument("--import", dest="imports", action="store_true", help="and the import")
    parser.add_argument("--no-in-process", action="store_true", help="only the commands")
    parser.add_argument(
        "--cli-formats", default="json,fhir,hl7,csv", help="the formats the commands read"
    )
    parser.add_argument(
        "--baseline",
        metavar="SRC",
        help="also run every format with the code in SRC (e.g. a `git archive main src` "
        "unpacked): FMT@base, in the same rounds, each against its own JSON anchor",
    )
    parser.add_argument("--no-slow", action="store_true", help="not the slow paths on a subset")
    parser.add_argument("--subset", type=int, default=2_000, help="visits for the slow paths")
    args = parser.parse_args()
    n = 5_000 if args.quick else args.visits
    config = load_config(None)
    docs = generate(n, 7, dt.date(2025, 3, 3), 60, 0.12)
    visits = [Visit.model_validate(d) for d in docs]
    texts = {
        "json": "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in docs),
        "fhir": fhir_export.write(visits, config),
        "hl7": hl7v2_export.write(visits, config),
        "csv": csv_charges.write(visits, config),
    }
    as_of = (max(v.date_of_service for v in visits) + dt.timedelta(days=30)).isoformat()
    del visits
    print(
        f"{n:,} visits; sizes: " + ", ".join(f"{k} {len(t) / 1e6:.1f} MB" for k, t in texts.items())
    )
    formats = list(texts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for fmt, text in texts.items():
            (folder / fmt).write_text(text, encoding="utf-8", newline="")
        based = [f"{f}@base" for f in formats] if args.baseline else []
        if not args.no_in_process:
            inside = in_process(folder, n, args.baseline)
            readers = [*formats, "fhir-generic", *based]
            report("read_visits in process", n, rounds(readers, args.rounds, inside))
        commands = args.cli_formats.split(",")
        commands += [f"{f}@base" for f in commands] if args.baseline else []
        if args.cli:
            cli = through_cli(folder, as_of, args.baseline)
            report(f"ptbill scrub --as-of {as_of}", n, rounds(commands, args.rounds, cli))
        if args.imports:
            stored = through_import(folder, as_of, args.baseline)
            report(f"ptbill import --as-of {as_of}", n, rounds(commands, args.rounds, stored))
    if args.no_slow:
        return
    sub = args.subset
    small = [Visit.model_validate(d) for d in docs[:sub]]
    sub_json = "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in docs[:sub])
    with batch():
        base, _ = timed("json", lambda: read_visits(sub_json, "json", "json", config))
        bundle = fhir_export.write(small, config)
        full, _ = timed("full", lambda: fhir.read(bundle, "fhir", config, validate="full"))
        models, _ = timed(
            "models", lambda: fhir.validate_models(fhir.parse(bundle, "fhir"), "fhir")
        )
    print(
        f"FHIR validate='full' on {sub:,} visits: {full:6.2f} s, {full / base:5.1f}x the JSON "
        f"intake (the R4B models alone: {models:6.2f} s, {models / full:.0%} of it)"
    )
    import hl7

    messages = hl7v2_export.write(small, config).split("\r\n")[:-1]
    took, _ = timed("python-hl7", lambda: [hl7.parse(m) for m in messages])
    mine, _ = timed("split", lambda: [hl7v2.split(m.split("\r"), "m") for m in messages])
    print(
        f"python-hl7 hl7.parse of {sub:,} messages: {took:6.2f} s ({took / base:5.1f}x the JSON "
        f"intake of the same visits); ptbill's split: {mine:6.2f} s"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
