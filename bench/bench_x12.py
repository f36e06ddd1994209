"""X12 throughput: reading a generated 835 with ptbill's streaming reader against pyx12 (the
anchor, run in the same process on the first claims of the same generated remittance, since
pyx12 reads at well under 1 MB/s), the peak memory of a streaming read (a child process), and
writing 837P claims against serialising the same claims as JSON (anchor).

    .venv/bin/python bench/bench_x12.py [--claims 200000] [--pyx12-claims 5000] [--runs 5]
                                        [--quick] [--against REV]

`--against REV` also reads the file with the 835 reader of git revision REV (its read_835.py
loaded beside today's other modules), the two reads alternating in this process, and prints
their CPU times: a change to the reader is judged on that, not across runs.

Writes its files to a temporary folder and removes them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import importlib.util
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyx12.error_handler
import pyx12.params
import pyx12.x12context

from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.domain.visit import Visit
from ptbill.x12.claim import Claim, claim_from_visit
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.read_835 import read_835
from ptbill.x12.synthetic import synthetic_835
from ptbill.x12.writer_837p import Receiver, write_837p

# VmHWM, the high-water mark of this process's own memory (ru_maxrss would carry over the
# parent's peak through fork and exec on Linux).
_PEAK_SCRIPT = """
import sys
from ptbill.x12.read_835 import read_835
def hwm():
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
base = hwm()
claims = sum(len(p.claims) for p in read_835(sys.argv[1]))
print(claims, base, hwm())
"""


def _read_ours(path: Path, runs: int) -> tuple[int, list[float], list[float]]:
    """Claims read, and the wall and CPU seconds of each of `runs` reads, sorted. The machine
    is shared: the median and the best wall time are printed, and the CPU time (which does not
    count the time other processes hold the cores)."""
    walls, cpus = [], []
    claims = 0
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        claims = sum(len(p.claims) for p in read_835(path))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return claims, sorted(walls), sorted(cpus)


def _reader_at(rev: str, folder: Path) -> Callable[[Path], Iterable[Any]]:
    """read_835 as git revision `rev` has it (its read_835.py beside today's other modules)."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{rev}:src/ptbill/x12/read_835.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = folder / "read_835_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("read_835_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.read_835  # type: ignore[no-any-return]


def _alternate(
    path: Path, readers: dict[str, Callable[[Path], Iterable[Any]]], runs: int
) -> list[str]:
    """CPU seconds of each reader's reads of `path`, the readers taking turns (the order
    swapped every round) after one warm read each, so that both see the same machine: the
    lines to print."""
    for read in readers.values():
        sum(len(p.claims) for p in read(path))
    cpus: dict[str, list[float]] = {name: [] for name in readers}
    for i in range(runs):
        for name in sorted(readers, reverse=i % 2 == 1):
            gc.collect()
            c0 = time.process_time()
            sum(len(p.claims) for p in readers[name](path))
            cpus[name].append(time.process_time() - c0)
    medians = {name: statistics.median(times) for name, times in cpus.items()}
    lines = [
        f"  {name:<24}: CPU {medians[name]:6.2f} s (median of {runs}; "
        f"{min(times):.2f} to {max(times):.2f})"
        for name, times in cpus.items()
    ]
    before, now = medians.values()
    return [*lines, f"  now / before CPU time     : {now / before:.3f}"]


def _read_pyx12(path: Path) -> tuple[int, float]:
    """pyx12's reading API: walk the claim loops (2100) and take CLP01, CLP03 and CLP04."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    t0 = time.perf_counter()
    reader = pyx12.x12context.X12ContextReader(
        pyx12.params.params(), pyx12.error_handler.errh_null(), str(path)
    )
    claims = 0
    for node in reader.iter_segments("2100"):
        if node.id == "2100":
            node.get_value("CLP01"), node.get_value("CLP03"), node.get_value("CLP04")
            claims += 1
    return claims, time.perf_counter() - t0


def _peak_read(path: Path) -> tuple[int, float, float]:
    """Claims read, and peak RSS in MB after imports and after the read, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, str(path)], check=True, capture_output=True, text=True
    )
    claims, base, peak = (int(x) for x in done.stdout.split())
    return claims, base / 1024, peak / 1024


def _visits() -> list[Visit]:
    base = {
        "date_of_service": "2026-03-02",
        "payer": "medicare",
        "clinic": "elm-street-pt",
        "patient": {
            "id": "P-1",
            "first_name": "Ann",
            "last_name": "Lee",
            "birth_date": "1951-04-09",
            "sex": "F",
            "address": {"line1": "12 Elm St", "city": "Springfield", "state": "IL", "zip": "62701"},
        },
        "subscriber": {"member_id": "1EG4TE5MK73", "relationship": "self"},
        "rendering_provider": {"npi": "1234567893", "first_name": "Maya", "last_name": "Ortiz"},
        "referring_provider": {"npi": "1245319599", "first_name": "Sam", "last_name": "Nguyen"},
        "diagnoses": ["M17.11", "M25.561"],
    }
    services = [
        [{"code": "97110", "minutes": 24}, {"code": "97140", "minutes": 13}],
        [
            {"code": "97110", "minutes": 38},
            {"code": "97530", "minutes": 15},
            {"code": "97112", "minutes": 10},
        ],
        [{"code": "97161", "minutes": 30}],
        [{"code": "97116", "minutes": 23}, {"code": "G0283"}],
    ]
    return [
        Visit.model_validate({**base, "visit_id": f"T-{i}", "services": s})
        for i, s in enumerate(services)
    ]


def _claims(n: int) -> list[Claim]:
    config = load_config()
    templates = []
    for v in _visits():
        ctx = resolve(v, config, "bench")
        templates.append(
            claim_from_visit(v, code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality), ctx)
        )
    out = []
    for i in range(n):
        t = templates[i % len(templates)]
        claim_id = f"V-{i:07d}"
        lines = tuple(
            dataclasses.replace(line, control_number=f"{claim_id}-{k}")
            for k, line in enumerate(t.lines, start=1)
        )
        out.append(dataclasses.replace(t, claim_id=claim_id, lines=lines))
    return out


def bench_837p(n: int) -> None:
    claims = _claims(n)
    submitter = load_config().clinic("elm-street-pt").submitter
    settings = InterchangeSettings("ELMST001", "CLEARHOUSE", 1, 1, dt.datetime(2026, 3, 5, 10))
    t0 = time.perf_counter()
    text = write_837p(claims, settings, submitter, Receiver("CLEARINGHOUSE", "CLEARHOUSE"))
    write_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    json.dumps([dataclasses.asdict(c) for c in claims], default=str)
    json_s = time.perf_counter() - t0
    print(
        f"837P write  {n:,} claims ({len(text) / 1e6:.1f} MB): {write_s:6.2f} s "
        f"{n / write_s:9,.0f} claims/s"
    )
    print(
        f"anchor JSON of the same claims    : {json_s:6.2f} s {n / json_s:9,.0f} claims/s "
        f"(837P / JSON speed {json_s / write_s:.2f})"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=200_000)
    ap.add_argument("--pyx12-claims", type=int, default=5_000)
    ap.add_argument("--write-claims", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5, help="reads of each file (median shown)")
    ap.add_argument("--quick", action="store_true", help="20,000 claims: a smoke run")
    ap.add_argument("--against", metavar="REV", help="also read with the reader of git REV")
    args = ap.parse_args(argv)
    claims = 20_000 if args.quick else args.claims
    slice_claims = min(1_000 if args.quick else args.pyx12_claims, claims)
    write_claims = 5_000 if args.quick else args.write_claims

    with tempfile.TemporaryDirectory() as tmp:
        full, head = Path(tmp) / "full.835", Path(tmp) / "head.835"
        full.write_text(synthetic_835(claims, seed=args.seed))
        # The same generator and seed: the first claims are those of the full file.
        head.write_text(synthetic_835(slice_claims, seed=args.seed))
        full_mb, head_mb = full.stat().st_size / 1e6, head.stat().st_size / 1e6

        n_full, walls, cpus = _read_ours(full, args.runs)
        n_head, head_walls, _ = _read_ours(head, args.runs)
        n_pyx12, pyx12_head = _read_pyx12(head)
        assert n_full == claims and n_head == n_pyx12 == slice_claims
        n_peak, base_mb, peak_mb = _peak_read(full)
        against: list[str] = []
        if args.against:
            readers = {f"before ({args.against})": _reader_at(args.against, Path(tmp))}
            readers["now"] = read_835
            against = _alternate(full, readers, args.runs)

    ours_full, ours_head = statistics.median(walls), statistics.median(head_walls)
    print(
        f"835: {claims:,} claims, {full_mb:.1f} MB (synthetic, seed {args.seed}); "
        f"load average at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"ptbill read, whole file   : {ours_full:6.2f} s {full_mb / ours_full:7.1f} MB/s "
        f"{claims / ours_full:9,.0f} claims/s (median of {args.runs} reads)"
    )
    print(
        f"  best read / CPU time    : {walls[0]:6.2f} s {full_mb / walls[0]:7.1f} MB/s; "
        f"CPU {statistics.median(cpus):.2f} s {full_mb / statistics.median(cpus):7.1f} MB/s "
        f"(median)"
    )
    print(f"first {slice_claims:,} claims ({head_mb:.1f} MB):")
    print(f"  ptbill read             : {ours_head:6.2f} s {head_mb / ours_head:7.1f} MB/s")
    print(f"  anchor pyx12 read       : {pyx12_head:6.2f} s {head_mb / pyx12_head:7.2f} MB/s")
    print(f"  ptbill / pyx12 speed    : {pyx12_head / ours_head:.0f}x")
    print(
        f"  whole-file ptbill MB/s / pyx12 MB/s: "
        f"{(full_mb / ours_full) / (head_mb / pyx12_head):.0f}x"
    )
    print(
        f"streaming read peak RSS   : {peak_mb:,.0f} MB ({base_mb:,.0f} MB after imports; "
        f"{n_peak:,} claims, child process)"
    )
    if against:
        print(f"the whole file read by the 835 reader of {args.against} and this one, in turns:")
        print("\n".join(against))
    bench_837p(write_claims)
    print(
        f"bench peak RSS            : "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
