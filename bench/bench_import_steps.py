"""Where an import's time goes: CPU per visit of each step of `ptbill.ledger.importer`, one
process, SQLite in a temporary directory.

    python bench/bench_import_steps.py            # 100,000 generated visits
    python bench/bench_import_steps.py --quick    # 10,000

Each step is timed by wrapping it (time.process_time); the anchor is the whole import's CPU
time in the same run. Writes nothing but its temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AS_OF = dt.date(2025, 4, 1)
SEED = 2026

# (object, attribute, label): nested steps are indented and not added to the total.
STEPS = [
    ("precompute", "_finish", "read, validate, stored text and hash"),
    ("_Run", "_existing", "visits already stored"),
    ("_Run", "_refs", "reference ids"),
    ("_Run", "_process", "code, scrub, price (and derive)"),
    ("importer", "compute", "  of which code, scrub, price, stored form"),
    ("importer", "same_day_history", "  of which same-day history"),
    ("_Run", "_episode_refs", "plan and authorization ids"),
    ("_Run", "_write", "write the rows"),
]


def _wrap(owner: Any, name: str, label: str, spent: collections.Counter[str]) -> None:
    inner: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    setattr(owner, name, timed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 visits")
    n = 10_000 if parser.parse_args(argv).quick else 100_000

    import ptbill.ledger.importer as importer
    import ptbill.ledger.precompute as precompute
    from ptbill.config import load_config
    from ptbill.demo.generator import generate
    from ptbill.ledger.db import Ledger

    owners = {"precompute": precompute, "importer": importer, "_Run": importer._Run}  # noqa: SLF001
    spent: collections.Counter[str] = collections.Counter()
    for owner, name, label in STEPS:
        _wrap(owners[owner], name, label, spent)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "visits.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for v in generate(n, SEED, start=dt.date(2025, 3, 3), days=20):
                f.write(json.dumps(v, separators=(",", ":")) + "\n")
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'ledger.db'}")
        wall, cpu = time.perf_counter(), time.process_time()
        with ledger.transaction() as s:
            importer.import_files(
                s, [str(path)], as_of=AS_OF, config=load_config(None), who="bench"
            )
            before_commit = time.process_time()
        spent["commit"] = time.process_time() - before_commit
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        ledger.close()
    print(f"import of {n:,} visits: {wall:.1f} s wall, {cpu:.1f} s CPU, {n / cpu:,.0f}/CPU s")
    print("CPU per visit, by step (the anchor: the whole import, last line):")
    for label in [label for _, _, label in STEPS] + ["commit"]:
        print(f"  {label:44s} {spent[label] * 1e6 / n:7.1f} us")
    counted = sum(v for k, v in spent.items() if not k.startswith("  "))
    print(f"  {'the rest (batching, summary)':44s} {(cpu - counted) * 1e6 / n:7.1f} us")
    print(f"  {'all':44s} {cpu * 1e6 / n:7.1f} us")


if __name__ == "__main__":
    main()
