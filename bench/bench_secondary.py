"""After the primary pays: claims to the next payer made from the posted 835s and written as
837P, and a run of patient statements (PDF batch, one PDF per patient, CSV), on SQLite or
PostgreSQL, in one process.

    python bench/bench_secondary.py            # 46,000 visits: about 20,000 next-payer claims
    python bench/bench_secondary.py --quick    # 5,000, a smoke run
    python bench/bench_secondary.py --db postgresql+psycopg://USER:PW@/DB?host=...
                                               # on PostgreSQL (its public schema dropped)
    python bench/bench_secondary.py --quick --profile   # cProfile of the next-payer steps
    valgrind --tool=callgrind --instr-atstart=no python bench/bench_secondary.py \
        --visits 1000 --callgrind     # instructions of the two steps: one dump each

Set-up, timed but not the subject: generate, import, submit and post the simulated payer's
835 (without what follows a posting), then give each patient a second coverage (Medicare
patients a Medigap plan, the others a commercial plan). Timed:

- statements: every patient who owes (the primary's coinsurance, copay or deductible);
- next payers (ptbill.ledger.secondary.advance): a claim to the second coverage for every
  decided primary that left the patient a share, scrubbed and balanced;
- submit: those claims as one 837P with loops 2320/2330/2430 read from the 835;
- anchor: the same run's submit of the primary claims (claims/s).

Goals (issue #18): secondary claims for 20,000 posted primaries at >= 5,000 claims/s (made and
written: both phases); statements for 10,000 patients, PDF batch, under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_ledger import _reset_postgres

AS_OF = dt.date(2025, 4, 1)
RECEIVED = dt.date(2025, 4, 2)
POSTED = RECEIVED + dt.timedelta(days=14)
SEED = 2026


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PROFILE: list[Any] = []  # --profile: one cProfile.Profile over the timed next-payer steps
CALLGRIND: list[bool] = []  # --callgrind: instructions counted in the next-payer steps only


def _callgrind(*args: str) -> None:
    """Tell the callgrind running this process (callgrind_control: instrumentation, dumps)."""
    if CALLGRIND:
        subprocess.run(
            ["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True
        )


def _timed(fn: Any, profiled: bool = False, step: str = "") -> tuple[Any, float, float]:
    if profiled:  # counted from here (what came before goes to a dump of its own)
        _callgrind("--instr=on")
        _callgrind(f"--dump=before {step}")
    wall, cpu = time.perf_counter(), time.process_time()
    if profiled and PROFILE:
        PROFILE[0].enable()
    value = fn()
    if profiled and PROFILE:
        PROFILE[0].disable()
    took = time.perf_counter() - wall, time.process_time() - cpu
    if profiled:
        _callgrind(f"--dump={step}")
    return value, *took


def _line(name: str, count: int, unit: str, wall: float, cpu: float) -> str:
    rate = count / wall if wall else 0.0
    per_cpu = count / cpu if cpu else 0.0
    return (
        f"  {name:<34} {count:>8,} {unit:<9} {wall:7.2f} s {rate:9,.0f}/s "
        f"(per CPU second {per_cpu:9,.0f})  peak {_peak_mb():5.0f} MB"
    )


KEPT = ("claims", "claim_versions", "claim_lines", "texts", "audit_log", "work_items")
KEPT += ("submissions", "submission_claims", "patient_coverages", "counters")


def _keep(to: Path, ledger: Any, primary: str, secondary: str, tmp: Path) -> None:
    """--keep: the 837Ps and the rows of the tables the steps write (but the audit's clock
    time; the run's temporary directory named TMP), in id order, one line a row."""
    from sqlalchemy import select

    from ptbill.ledger.models import Base

    to.mkdir(parents=True, exist_ok=True)
    (to / "primary.837").write_text(primary, encoding="ascii")
    (to / "secondary.837").write_text(secondary, encoding="ascii")
    with ledger.transaction() as s, open(to / "rows.txt", "w", encoding="utf-8") as f:
        for name in KEPT:
            table = Base.metadata.tables[name]
            cols = [c for c in table.columns if c.name != "recorded_at"]
            key = table.c.id if "id" in table.c else cols[0]
            for row in s.execute(select(*cols).order_by(key)):
                f.write(f"{name} {tuple(row)!r}\n".replace(str(tmp), "TMP"))


def main(argv: list[str] | None = None) -> None:
    from sqlalchemy import select

    from ptbill.config import load_config
    from ptbill.demo.generator import generate
    from ptbill.domain.visit import Subscriber
    from ptbill.ledger import coverages
    from ptbill.ledger import models as m
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.importer import import_files
    from ptbill.ledger.secondary import advance
    from ptbill.ledger.states import DECIDED
    from ptbill.ledger.submit import submit
    from ptbill.payer_sim import SimConfig, simulate
    from ptbill.remit.post import post_file
    from ptbill.reports.statements import run_statements

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 visits")
    parser.add_argument("--visits", type=int, default=None)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the next-payer steps (top 30 printed)"
    )
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="under valgrind --tool=callgrind --instr-atstart=no: count the next-payer steps",
    )
    parser.add_argument(
        "--keep",
        default=None,
        help="a directory: the two 837Ps and the ledger's rows after the steps written there "
        "(to compare two runs: cmp)",
    )
    args = parser.parse_args(argv)
    if args.callgrind:
        CALLGRIND.append(True)
    if args.profile:
        import cProfile

        PROFILE.append(cProfile.Profile())
    n = args.visits or (5000 if args.quick else 46_000)
    config = load_config(None)
    tmp = Path(tempfile.mkdtemp(prefix="ptbill-bench-secondary-"))
    try:
        print(f"after-the-primary benchmark: {n:,} generated visits")
        visits = generate(n, SEED, start=dt.date(2025, 3, 3), days=20)
        path = tmp / "v.jsonl"
        path.write_text("".join(json.dumps(v) + "\n" for v in visits), encoding="utf-8")
        if args.db:
            _reset_postgres(args.db)
        ledger = Ledger(args.db or f"sqlite:///{tmp / 'bench.db'}")
        print(f"  on {ledger.engine.dialect.name}")
        started = time.perf_counter()
        with ledger.transaction() as s:
            import_files(s, [str(path)], as_of=AS_OF, config=config, who="bench")
        print(f"  set-up: import {time.perf_counter() - started:.1f} s")

        def submit_all(day: dt.date, name: str) -> Any:
            with ledger.transaction() as s:
                return submit(s, config, as_of=day, who="bench", file_name=name)

        first, wall, cpu = _timed(lambda: submit_all(AS_OF, "primary.837"))
        print(_line("anchor: submit the primaries", len(first.claims), "claims", wall, cpu))
        sim = SimConfig(seed=SEED, reject_rate=0, recoup_rate=0)
        answer = simulate(first.text, config, sim, received=RECEIVED)
        remit = tmp / "r.835"
        remit.write_text(answer.remit_835 or "", encoding="ascii")
        started = time.perf_counter()
        with ledger.transaction() as s:  # config None: what follows a posting is timed below
            post_file(s, str(remit), who="bench", config=None)
        print(f"  set-up: post the 835 {time.perf_counter() - started:.1f} s")

        out = tmp / "statements"

        def statements() -> Any:
            with ledger.transaction() as s:
                return run_statements(s, config, as_of=POSTED, who="bench", out_dir=out)

        run, wall, cpu = _timed(statements)
        batch = Path(run.files[0]).stat().st_size / 1e6 if run.files else 0.0
        print(
            _line("statements (PDF batch, each, CSV)", len(run.statements), "patients", wall, cpu)
        )
        print(f"    batch {batch:.1f} MB, {len(run.files) - 2:,} patient PDFs")

        started = time.perf_counter()
        with ledger.transaction() as s:
            rows = s.execute(
                select(m.Claim.patient_id, m.Payer.key, m.Claim.id, m.Claim.state)
                .join(m.Payer, m.Payer.id == m.Claim.payer_id)
                .order_by(m.Claim.id)  # the same order on every run and database
            ).all()
            decided = [cid for _, _, cid, state in rows if state in {str(x) for x in DECIDED}]
            firsts = {pid: key for pid, key, _, _ in rows}
            for pid, key in firsts.items():
                second = "medigap" if key == "medicare" else "commercial"
                if key in ("medicaid", second):
                    continue
                coverages.record(
                    s,
                    patient_pk=pid,
                    profile=config.payers[second],
                    subscriber=Subscriber(member_id=f"SEC{pid:08d}"),
                    rank=2,
                    start=dt.date(2025, 1, 1),
                    source="bench",
                )
        print(f"  set-up: second coverages {time.perf_counter() - started:.1f} s")

        def next_payers() -> Any:
            with ledger.transaction() as s:
                return advance(s, config, decided, as_of=POSTED, who="bench")

        made, wall_a, cpu_a = _timed(next_payers, profiled=True, step="make")
        count = len(made.secondary) + len(made.blocked)
        print(_line("next payers: make the claims", count, "claims", wall_a, cpu_a))
        sent, wall_s, cpu_s = _timed(
            lambda: submit_all(POSTED, "secondary.837"), profiled=True, step="submit"
        )
        print(_line("next payers: submit (837P)", len(sent.claims), "claims", wall_s, cpu_s))
        print(
            _line("next payers: both", len(sent.claims), "claims", wall_a + wall_s, cpu_a + cpu_s)
        )
        if args.keep:
            _keep(Path(args.keep), ledger, first.text, sent.text, tmp)
        ledger.close()
        if PROFILE:
            import pstats

            pstats.Stats(PROFILE[0]).sort_stats("cumulative").print_stats(30)
            pstats.Stats(PROFILE[0]).sort_stats("tottime").print_stats(30)
            pstats.Stats(PROFILE[0]).print_callees("chunk|make|scrub|claim_for")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
