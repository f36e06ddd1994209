"""Intake from each format: the demo visits written as ptbill JSON Lines, a FHIR R4 Bundle,
HL7 v2 DFT^P03 messages and a CSV charge export, then each read back into validated `Visit`
objects (ptbill.intake.read_visits), timed against the JSON intake of the same visits (the
anchor, measured in the same run). Goal: each format within 2x the anchor.

Also measured, on a subset (they are slow): FHIR with every resource validated by the
fhir.resources R4B models (`validate="full"`), and python-hl7's own parser on the messages.

    .venv/bin/python bench/bench_intake.py            # 50,000 visits
    .venv/bin/python bench/bench_intake.py --quick    # 5,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from typing import Any

from ptbill.bulk import batch
from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.domain.visit import Visit
from ptbill.intake import csv_charges, fhir, fhir_export, hl7v2, hl7v2_export, read_visits


def timed(label: str, fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    return took, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true")
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
    del visits
    print(
        f"{n:,} visits; sizes: " + ", ".join(f"{k} {len(t) / 1e6:.1f} MB" for k, t in texts.items())
    )
    anchor = 0.0
    for fmt, text in texts.items():
        with batch():
            took, got = timed(fmt, lambda fmt=fmt, text=text: read_visits(text, fmt, fmt, config))
        assert len(got) == n, (fmt, len(got))
        del got
        if fmt == "json":
            anchor = took
        rate = f"{n / took:8,.0f} visits/s"
        print(f"{fmt:5} {took:7.2f} s  {rate}  {took / anchor:5.2f}x the JSON intake")
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
