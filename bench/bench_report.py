"""The report and the dashboard on a big ledger: what `ptbill report`, `GET /api/v1/reports`
and the workbench's dashboard compute on each call (every claim's figures, every patient's
balance), against an anchor in the same run: reading the rows they are made from (every
claim, claim payment and adjustment, fetched as tuples).

    python bench/bench_report.py                # 20,000 visits
    python bench/bench_report.py --visits 40000
    python bench/bench_report.py --quick        # 2,000 visits
    python bench/bench_report.py --before OTHER/src   # that code measured too, same ledger

Builds a SQLite ledger (generated visits imported, submitted in one 837P, answered by the
simulated payer, posted), then times in one process, best of --repeat runs: the anchor, the
patients' balances alone (`balances`), the report without the patients' money (a biller's
dashboard), the whole report (the manager's dashboard, the report API), and `ptbill report
--json` end to end in a fresh process. Writes nothing but a temporary directory, removed at
the end. With --before, each step is measured with that copy's code too (in a fresh process,
on the same ledger, alternating with this copy's).
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
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import posted_ledger  # noqa: E402

AS_OF = dt.date(2025, 5, 15)  # after the simulated payer's decisions: patients owe


def _best(fn: Any, repeat: int) -> tuple[float, float]:
    """(wall, CPU) of the fastest of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs)


def measure(url: str, repeat: int) -> dict[str, Any]:
    from ptbill.ledger.balances import balances
    from ptbill.ledger.db import Ledger
    from ptbill.reports.report import build_report

    ledger = Ledger(url, read_only=True)

    def anchor() -> None:
        with ledger.transaction() as s:
            conn = s.connection()
            for table in ("claims", "claim_payments", "adjustments"):
                conn.exec_driver_sql(f"SELECT * FROM {table}").fetchall()  # noqa: S608

    def step(fn: Any) -> Any:
        def run() -> None:
            with ledger.transaction() as s:
                fn(s)

        return run

    out: dict[str, Any] = {}
    with ledger.transaction() as s:
        out["claims"] = s.connection().exec_driver_sql("SELECT count(*) FROM claims").scalar()
        owed = balances(s, AS_OF)
        out["patients"] = len(owed)
        out["owe"] = sum(1 for p in owed.values() if p.balance > 0)
    out["anchor"] = _best(anchor, repeat)
    out["balances"] = _best(step(lambda s: balances(s, AS_OF)), repeat)
    out["report, no patients"] = _best(
        step(lambda s: build_report(s, AS_OF, patients=False, clinics=False)), repeat
    )
    out["report"] = _best(step(lambda s: build_report(s, AS_OF)), repeat)
    return out


def _measured(url: str, repeat: int, src: str | None) -> dict[str, Any]:
    """measure() in a fresh process, with `src` (another copy's code) first on its path."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_report; "
        "print(json.dumps(bench_report.measure(sys.argv[2], int(sys.argv[3]))))"
    )
    here = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, url, str(repeat)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _cli(url: str, src: str | None) -> float:
    """`ptbill report --json` end to end: wall seconds of a fresh process."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    cli = [sys.executable, "-m", "ptbill", "--db", url, "report", "--json"]
    started = time.perf_counter()
    subprocess.run([*cli, "--as-of", str(AS_OF)], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def _show(name: str, r: dict[str, Any], cli: float) -> None:
    by_wall, by_cpu = r["anchor"]
    print(f"  {name}")
    for key in ("anchor", "balances", "report, no patients", "report"):
        wall, cpu = r[key]
        print(
            f"    {key:<22} wall {wall:6.3f} s  cpu {cpu:6.3f} s  "
            f"{wall / by_wall:4.1f}x the anchor by wall, {cpu / by_cpu:4.1f}x by CPU"
        )
    print(f"    {'ptbill report --json':<22} wall {cli:6.3f} s  (a fresh process)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N (in-process steps)")
    parser.add_argument("--quick", action="store_true", help="2,000 visits")
    parser.add_argument("--before", default=None, help="another copy's src folder: measured too")
    args = parser.parse_args(argv)
    if args.quick:
        args.visits = 2000
    tmp = Path(tempfile.mkdtemp(prefix="ptbill-bench-report-"))
    try:
        url, _, _ = posted_ledger(tmp, args.visits)
        codes = [("this copy", None)]
        if args.before:
            codes.insert(0, ("before: " + args.before, args.before))
        results = {name: (_measured(url, args.repeat, src), _cli(url, src)) for name, src in codes}
        first = next(iter(results.values()))[0]
        print(
            f"{args.visits:,} visits: {first['claims']:,} claims, {first['patients']:,} patients "
            f"({first['owe']:,} owe) as of {AS_OF}; best of {args.repeat}"
        )
        for name, (r, cli) in results.items():
            _show(name, r, cli)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
