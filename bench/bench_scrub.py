"""Scrub throughput: code and scrub N generated visits in memory, against parsing the same
visits from JSON Lines (the anchors, measured in the same run). Prints visits/s, the ratios and
peak memory; writes nothing.

    .venv/bin/python bench/bench_scrub.py [--visits 100000] [--seed 7] [--quick]

Anchors: `json.loads` of every line alone, and the intake (`parse_documents` +
`validate_visits`: JSON plus the visit-format validation every command pays). The ICD-10-CM
index is read once per process (ptbill.scrub.icd10_index, a fraction of a second); that
one-time cost is measured apart and kept out of the throughput.
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
from ptbill.scrub import icd10, scrub_batch


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="10,000 visits: a smoke run")
    args = ap.parse_args(argv)
    n = 10_000 if args.quick else args.visits

    lines = [json.dumps(v) for v in generate(n, args.seed)]
    text = "\n".join(lines)

    t0 = time.perf_counter()
    icd10.dx("M17.11")
    icd_s = time.perf_counter() - t0

    with batch():
        t0 = time.perf_counter()
        for line in lines:
            json.loads(line)
        loads_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        visits = validate_visits(parse_documents(text, "bench"), "bench")
        parse_s = time.perf_counter() - t0

        config = load_config()
        contexts = [resolve(v, config, "bench") for v in visits]
        t0 = time.perf_counter()
        coded = [
            code_visit(v, ctx.profile, ctx.chargemaster, ctx.locality)
            for v, ctx in zip(visits, contexts, strict=True)
        ]
        code_s = time.perf_counter() - t0

        items = list(zip(visits, coded, contexts, strict=True))
        as_of = max(v.date_of_service for v in visits)
        t0 = time.perf_counter()
        results = scrub_batch(items, as_of)
        scrub_s = time.perf_counter() - t0

    both = code_s + scrub_s
    blocked = sum(r.blocked for r in results)
    findings = sum(len(r.findings) for r in results)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"visits: {n:,} ({len(text) / 1e6:.1f} MB of JSON Lines); {blocked:,} blocked, "
        f"{findings:,} findings"
    )
    print(f"one-time ICD-10-CM load        : {icd_s:6.2f} s (not in the figures below)")
    print(f"anchor  json.loads per line    : {loads_s:6.2f} s  {n / loads_s:9,.0f} visits/s")
    print(f"anchor  parse+validate (intake): {parse_s:6.2f} s  {n / parse_s:9,.0f} visits/s")
    print(f"coding                         : {code_s:6.2f} s  {n / code_s:9,.0f} visits/s")
    print(f"scrubbing                      : {scrub_s:6.2f} s  {n / scrub_s:9,.0f} visits/s")
    print(f"coding + scrubbing             : {both:6.2f} s  {n / both:9,.0f} visits/s")
    print(f"code+scrub / parse+validate    : {both / parse_s:.2f}")
    print(f"code+scrub / json.loads        : {both / loads_s:.2f}")
    print(f"peak RSS                       : {peak_mb:,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
