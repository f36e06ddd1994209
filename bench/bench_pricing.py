"""Pricing throughput: price N generated, already coded visits under their payer profiles,
against coding the same visits (the anchor, measured in the same run). Prints visits/s, the
ratio and peak memory.

Visits are dated in 2025 (the bundled RVUs' year). A temporary data folder holds a synthetic
contract fee schedule for each fee-schedule payer, so every payer's visits are priced.

    .venv/bin/python bench/bench_pricing.py [--visits 50000] [--seed 7] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="5,000 visits: a smoke run")
    args = ap.parse_args(argv)
    n = 5_000 if args.quick else args.visits

    with tempfile.TemporaryDirectory() as folder:
        from ptbill.coding import code_visit, resolve
        from ptbill.config import load_config
        from ptbill.demo.generator import generate
        from ptbill.intake import validate_visits
        from ptbill.pricing import price_visit
        from ptbill.reference.catalog import catalog
        from ptbill.reference.importers.fees import import_fee_schedule
        from ptbill.reference.snapshot import take_snapshot

        visits = validate_visits(list(generate(n, args.seed, start=dt.date(2025, 3, 3))), "bench")
        fees = os.path.join(folder, "fees.csv")
        with open(fees, "w", encoding="utf-8") as f:
            f.write(
                "code,modifier,allowed\n"
                + "".join(f"{code},,{40 + i % 30}.00\n" for i, code in enumerate(sorted(catalog())))
            )
        for key, profile in load_config().payers.items():
            if profile.pricing == "fee_schedule":
                import_fee_schedule(Path(folder), key, Path(fees))
        config = load_config().with_reference(take_snapshot(folder))
        contexts = [resolve(v, config, "bench") for v in visits]
        t0 = time.perf_counter()
        coded = [
            code_visit(v, c.profile, c.chargemaster, c.locality, c.reference)
            for v, c in zip(visits, contexts, strict=True)
        ]
        code_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        priced = [
            price_visit(cv, c.profile, c.billing_provider, reference=c.reference)
            for cv, c in zip(coded, contexts, strict=True)
        ]
        price_s = time.perf_counter() - t0

    lines = sum(len(p.lines) for p in priced)
    unpriced = sum(1 for p in priced if not p.complete)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"visits: {n:,} ({lines:,} billed lines; {unpriced:,} visits not fully priced)")
    print(f"anchor  coding  : {code_s:6.2f} s  {n / code_s:9,.0f} visits/s")
    print(f"pricing         : {price_s:6.2f} s  {n / price_s:9,.0f} visits/s")
    print(f"pricing / coding time ratio: {price_s / code_s:.2f}")
    print(f"peak RSS        : {peak_mb:,.0f} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
