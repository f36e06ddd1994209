"""Ledger benchmark: import (code + scrub + price) of generated visits and posting the 835 the
simulated payer answers, on SQLite and, when a server is given, PostgreSQL.

    python bench/bench_ledger.py            # 100,000 visits (about 88,000 claims posted)
    python bench/bench_ledger.py --quick    # 5,000 visits, a smoke run
    python bench/bench_ledger.py --pg postgresql+psycopg://USER:PW@HOST/DB   # default:
                                            # $PTBILL_BENCH_PG, else $PTBILL_TEST_PG

Each phase runs in its own process, so its peak memory (max RSS) is its own. Anchors measured
in the same run: the core pipeline alone (validate + code + scrub + price, no database) for the
import, and reading the 835 alone (ptbill.x12.read_835) for posting. The PostgreSQL database's
public schema is dropped and made again. Goals (issue #5): import >= 2,000 visits/s and posting
>= 5,000 claims/s on SQLite, memory < 300 MB. Writes nothing but a temporary directory,
removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from timed_child import TreeMemory

AS_OF = dt.date(2025, 4, 1)  # the demo's visits are in March 2025: PFS 2025 prices them
RECEIVED = dt.date(2025, 4, 2)
SEED = 2026


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _progress(label: str, total: int) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "  " + label,
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


# --- phases (each in a child process) ------------------------------------------------------


def phase_generate(path: str, n: int) -> dict[str, Any]:
    from ptbill.demo.generator import generate

    def run() -> int:
        visits = generate(n, SEED, start=dt.date(2025, 3, 3), days=20)
        with open(path, "w", encoding="utf-8") as f:
            for v in visits:
                f.write(json.dumps(v, separators=(",", ":")) + "\n")
        return len(visits)

    count, wall, cpu = _timed(run)
    return {"count": count, "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_anchor_pipeline(path: str, n: int) -> dict[str, Any]:
    """The core alone on the first n visits: validate, code, scrub, price (no database)."""
    from ptbill.config import load_config
    from ptbill.domain.visit import Visit
    from ptbill.ledger.prepare import Contexts, Prepared, Prices, compute, source_of
    from ptbill.scrub import Batch

    with open(path, encoding="utf-8") as f:
        lines = [next(f) for _ in range(n)]
    contexts = Contexts(load_config(None))
    warm = Visit.model_validate_json(lines[0])  # load reference data outside the timing
    compute(Prepared(warm, *source_of(warm)), contexts.of(warm, path), Prices(AS_OF), None)
    prices = Prices(AS_OF)

    def run() -> int:
        for start in range(0, n, 1000):
            visits = [Visit.model_validate_json(x) for x in lines[start : start + 1000]]
            batch = Batch(visits)
            for v in visits:
                compute(Prepared(v, *source_of(v)), contexts.of(v, path), prices, batch)
        return n

    count, wall, cpu = _timed(run)
    return {"count": count, "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_import(url: str, path: str, n: int, workers: int) -> dict[str, Any]:
    from ptbill.config import load_config
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.importer import import_files

    config = load_config(None)
    ledger = Ledger(url)

    def run() -> Any:
        with _progress("import", n) as bar, ledger.transaction() as s:
            task = bar.add_task("import", total=n)
            return import_files(
                s,
                [path],
                as_of=AS_OF,
                config=config,
                who="bench",
                progress=lambda k: bar.advance(task, k),
                workers=workers,
            )

    # Sampling the process tree costs the sampled process CPU (the kernel walks its pages for
    # smaps_rollup): only done where there are workers to add up.
    tree = TreeMemory()
    with tree if workers else contextlib.nullcontext():
        summary, wall, cpu = _timed(run)
    ledger.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "count": summary.read,
        "wall": wall,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "ready": summary.ready,
        "blocked": len(summary.blocked),
        "workers_cpu": children.ru_utime + children.ru_stime,
        "worker_peak_mb": children.ru_maxrss / 1024,
        "tree_pss_mb": tree.pss,
        "tree_rss_mb": tree.rss,
    }


def phase_submit(url: str, out: str) -> dict[str, Any]:
    from ptbill.config import load_config
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.submit import submit

    config = load_config(None)
    ledger = Ledger(url)

    def run() -> Any:
        with ledger.transaction() as s:
            return submit(s, config, as_of=AS_OF, who="bench", file_name=out)

    result, wall, cpu = _timed(run)
    Path(out).write_text(result.text, encoding="ascii")
    ledger.close()
    return {"count": len(result.claims), "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_payer(claims_837: str, remit: str) -> dict[str, Any]:
    from ptbill.config import load_config
    from ptbill.payer_sim import SimConfig, simulate

    text = Path(claims_837).read_text(encoding="ascii")
    out, wall, cpu = _timed(
        lambda: simulate(
            text, load_config(None), SimConfig(seed=SEED, reject_rate=0), received=RECEIVED
        )
    )
    Path(remit).write_text(out.remit_835 or "", encoding="ascii")
    return {"count": len(out.decisions), "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_read_835(remit: str) -> dict[str, Any]:
    from ptbill.x12.read_835 import read_835

    count, wall, cpu = _timed(lambda: sum(len(p.claims) for p in read_835(remit)))
    return {"count": count, "wall": wall, "cpu": cpu, "peak_mb": _peak_mb()}


def phase_post(url: str, remit: str) -> dict[str, Any]:
    from ptbill.config import load_config
    from ptbill.ledger.db import Ledger
    from ptbill.remit.post import post_file

    config = load_config(None)
    ledger = Ledger(url)

    def run() -> Any:
        with ledger.transaction() as s:
            return post_file(s, remit, who="bench", config=config)

    summary, wall, cpu = _timed(run)
    ledger.close()
    return {
        "count": summary.claims,
        "wall": wall,
        "cpu": cpu,
        "peak_mb": _peak_mb(),
        "matched": summary.matched,
    }


def _child(conn: Any, fn: Any, args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as e:  # report it in the parent
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def _in_child(fn: Any, *args: Any) -> dict[str, Any]:
    """Run a phase in a fresh interpreter, so that its peak memory is its own."""
    context = mp.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, fn, args))
    process.start()
    child.close()
    status, value = parent.recv()
    process.join()
    if status != "ok":
        raise SystemExit(f"{fn.__name__} failed: {value}")
    return value


def posted_ledger(tmp: Path, visits: int) -> tuple[str, str, str]:
    """A SQLite ledger in `tmp` with `visits` generated visits imported, submitted in one
    837P, answered by the simulated payer and posted, each phase in a fresh interpreter:
    (its URL, the 837P's path, the 835's path)."""
    url = f"sqlite:///{tmp / 'ledger.db'}"
    jsonl, claims, remit = (str(tmp / x) for x in ("v.jsonl", "c.837", "r.835"))
    _in_child(phase_generate, jsonl, visits)
    _in_child(phase_import, url, jsonl, visits, 0)
    _in_child(phase_submit, url, claims)
    _in_child(phase_payer, claims, remit)
    _in_child(phase_post, url, remit)
    return url, claims, remit


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


# --- report --------------------------------------------------------------------------------


def _line(name: str, r: dict[str, Any], unit: str, anchor: dict[str, Any] | None = None) -> str:
    rate = r["count"] / r["wall"] if r["wall"] else 0.0
    cpu = r["count"] / r["cpu"] if r["cpu"] else 0.0
    text = (
        f"  {name:<26} {r['count']:>8,} {unit:<7} {r['wall']:7.1f} s {rate:9,.0f}/s "
        f"(per CPU second {cpu:9,.0f})  peak {r['peak_mb']:5.0f} MB"
    )
    if anchor is not None and anchor["wall"]:
        text += f"  = {rate / (anchor['count'] / anchor['wall']):.2f} x anchor"
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 visits")
    parser.add_argument("--visits", type=int, default=None)
    parser.add_argument(
        "--pg", default=os.environ.get("PTBILL_BENCH_PG") or os.environ.get("PTBILL_TEST_PG")
    )
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="also import with this many worker processes (SQLite; 0: skip)",
    )
    args = parser.parse_args(argv)
    n = args.visits or (5000 if args.quick else 100_000)
    tmp = Path(tempfile.mkdtemp(prefix="ptbill-bench-"))
    try:
        visits, claims_837, remit = str(tmp / "v.jsonl"), str(tmp / "c.837"), str(tmp / "r.835")
        print(f"ledger benchmark: {n:,} generated visits, {os.cpu_count()} CPU(s)")
        gen = _in_child(phase_generate, visits, n)
        print(_line("generate (not timed)", gen, "visits"))
        pipeline = _in_child(phase_anchor_pipeline, visits, min(n, 5000))
        print(_line("anchor: core pipeline", pipeline, "visits"))
        dbs = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
        if args.pg and not args.no_pg:
            dbs.append(("postgresql", args.pg))
        results: dict[str, dict[str, Any]] = {}
        with_workers: dict[str, Any] | None = None
        reader = None
        for name, url in dbs:
            if name == "postgresql":
                _reset_postgres(url)
            imp = _in_child(phase_import, url, visits, n, 0)
            print(_line(f"{name}: import", imp, "visits", pipeline))
            if name == "sqlite" and args.workers:
                # the same import with worker processes, into a database of its own
                url_w = f"sqlite:///{tmp / 'bench-workers.db'}"
                imp_w = _in_child(phase_import, url_w, visits, n, args.workers)
                print(_line(f"  with {args.workers} workers", imp_w, "visits", pipeline))
                with_workers = imp_w
                print(
                    f"  {'':<26} workers' CPU {imp_w['workers_cpu']:.1f} s, each <= "
                    f"{imp_w['worker_peak_mb']:.0f} MB; all processes: peak PSS "
                    f"{imp_w['tree_pss_mb']:.0f} MB (summed RSS {imp_w['tree_rss_mb']:.0f} MB)"
                )
            sub = _in_child(phase_submit, url, claims_837)
            print(_line(f"{name}: submit (837P)", sub, "claims"))
            if reader is None:
                payer = _in_child(phase_payer, claims_837, remit)
                print(_line("payer simulator", payer, "claims"))
                reader = _in_child(phase_read_835, remit)
                print(_line("anchor: read the 835", reader, "claims"))
            post = _in_child(phase_post, url, remit)
            print(_line(f"{name}: post the 835", post, "claims", reader))
            results[name] = {"import": imp, "post": post}
        sq = results["sqlite"]
        imp_rate = sq["import"]["count"] / sq["import"]["wall"]
        post_rate = sq["post"]["count"] / sq["post"]["wall"]
        # the import's memory is its whole process tree's (its workers' too)
        peak = max(
            max(r["import"]["tree_pss_mb"], r["import"]["peak_mb"], r["post"]["peak_mb"])
            for r in results.values()
        )
        print(
            f"goals on SQLite: import {imp_rate:,.0f}/s (>= 2,000: "
            f"{'met' if imp_rate >= 2000 else 'NOT met'}), posting {post_rate:,.0f}/s "
            f"(>= 5,000: {'met' if post_rate >= 5000 else 'NOT met'}); peak memory "
            f"{peak:.0f} MB (< 300: {'met' if peak < 300 else 'NOT met'})"
        )
        if with_workers is not None:
            print(
                f"  import with {args.workers} workers: "
                f"{with_workers['count'] / with_workers['wall']:,.0f}/s, all processes "
                f"{with_workers['tree_pss_mb']:.0f} MB"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
