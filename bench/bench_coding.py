"""Coding throughput: code N generated visits in memory, against parsing the same visits from
JSON (the anchor, measured in the same run). Prints visits/s, the ratio and peak memory.

    .venv/bin/python bench/bench_coding.py [--visits 100000] [--seed 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

from ptbill.bulk import batch
from ptbill.coding import code_visit, resolve
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.intake import parse_documents, validate_visits


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="10,000 visits: a smoke run")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.visits

    text = "\n".join(json.dumps(v) for v in generate(n, args.seed))
    # Both phases run as the CLI runs them: inside ptbill.bulk.batch() (no GC pauses).
    with batch():
        t0 = time.perf_counter()
        visits = validate_visits(parse_documents(text, "bench"), "bench")
        parse_s = time.perf_counter() - t0

        config = load_config()
        contexts = [resolve(v, config, "bench") for v in visits]
        t0, c0 = time.perf_counter(), time.process_time()
        coded = [
            code_visit(v, c.profile, c.chargemaster, c.locality)
            for v, c in zip(visits, contexts, strict=True)
        ]
        code_s = time.perf_counter() - t0
        code_cpu = time.process_time() - c0
    lines = sum(len(c.lines) for c in coded)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"visits: {n:,} ({len(text) / 1e6:.1f} MB of JSON Lines), {lines:,} coded lines")
    print(f"anchor  parse+validate JSON: {parse_s:6.2f} s  {n / parse_s:9,.0f} visits/s")
    print(f"coding  (in memory)        : {code_s:6.2f} s  {n / code_s:9,.0f} visits/s")
    print(f"coding, CPU time only      : {code_cpu:6.2f} s  {n / code_cpu:9,.0f} visits/s")
    print(f"coding / parse time ratio  : {code_s / parse_s:.2f}")
    print(f"peak RSS                   : {peak_mb:,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
