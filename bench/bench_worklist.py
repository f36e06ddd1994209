"""The work queue at a billing company's scale: the CPU time a request of the work queue page
and of its API costs the server, with 10,000 open work items (2,500+ blocked claims) and with
25,000; and a bulk write-off of a whole group, per claim.

    .venv/bin/python bench/bench_worklist.py [--items 10000 25000] [--requests 40] [--quick]
    .venv/bin/python bench/bench_worklist.py --db postgresql+psycopg://USER:PW@/DB?host=...
        (PostgreSQL: an empty database you can spare -- its public schema is dropped first)

The ledger: a demo ledger (4,000 generated visits through import, submission, the simulated
payer's answers and the 835 posted), then open work items added until there are N: copies of
its own open items (blocked claims by rule, denials by reason, rejections, underpayments),
spread over its claims in a shuffled order, due from 60 days before to 120 days after the
business date. `ptbill serve --workers 1` serves it on 127.0.0.1; each endpoint is asked
`--requests` times, one request in flight, after a warm-up; the figures are the server
process's CPU time (user + system, psutil) over those requests divided by their number and,
on PostgreSQL, the same of the database's backends serving them, the wall-clock p50 and p95,
and the answer's size. On PostgreSQL the ledger is analysed after the items are added (as
autovacuum would be soon after such a load; SQLite has no such statistics unless asked). The
anchor is GET /healthz (the server and its framework, no ptbill work). The bulk write-off acts
on every claim of the blocked group with the most claims, through POST /api/v1/worklist/bulk
(each claim its own transaction). Nothing is written outside a temporary folder it removes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy import create_engine, func, insert, select, text

from bench_ledger import _reset_postgres
from bench_web import _cpu_seconds, _free_port, _serve
from ptbill.demo.workbench import build_demo_ledger, ensure_demo_users
from ptbill.ledger import models as m
from ptbill.ledger.dates import latest_date
from ptbill.ledger.db import Ledger
from ptbill.web.db import open_database

ENDPOINTS = {
    "GET /healthz (anchor)": "/healthz",
    "page: the queue, 100 items": "/worklist",
    "page: blocked, due in 30 days": "/worklist?kind=blocked&due=30d",
    "page: grouped by rule": "/worklist?view=groups&by=rule",
    "page: grouped by reason": "/worklist?view=groups&by=reason",
    "API: 200 items": "/api/v1/worklist?limit=200",
    "API: a payer's denials": "/api/v1/worklist?kind=denial&payer=commercial&limit=50",
    "API: groups by rule": "/api/v1/worklist/groups?by=rule",
    "API: groups by payer": "/api/v1/worklist/groups?by=payer",
}
# A copy takes every column of its template but these, set for each copy.
PER_COPY = frozenset(
    [
        "id",
        "claim_id",
        "reference",
        "visit_id",
        "due_date",
        "status",
        "created_on",
        "closed_on",
        "resolution",
    ]
)
COPIED = [c for c in m.WorkItem.__table__.columns if c.name not in PER_COPY]


def _flood(url: str, total: int, seed: int = 11) -> tuple[int, dt.date]:
    """Open work items added until there are `total`; returns how many were added."""
    rng = random.Random(seed)
    with Ledger(url) as ledger, ledger.transaction() as s:
        day = latest_date(s)
        assert day is not None
        have = s.scalar(select(func.count()).where(m.WorkItem.status == "open")) or 0
        templates = [
            row._asdict()
            for row in s.execute(
                select(*COPIED).where(m.WorkItem.status == "open", m.WorkItem.claim_id.is_not(None))
            )
        ]
        claims = list(s.execute(select(m.Claim.id, m.Claim.claim_number)).all())
        rng.shuffle(claims)
        rows = []
        for n in range(max(total - have, 0)):
            claim_id, number = claims[n % len(claims)]  # spread over every claim
            rows.append(
                {
                    **templates[n % len(templates)],
                    "claim_id": claim_id,
                    "reference": number,
                    "visit_id": number,
                    "due_date": day + dt.timedelta(days=rng.randint(-60, 120)),
                    "status": "open",
                    "created_on": day - dt.timedelta(days=rng.randint(0, 90)),
                }
            )
        for i in range(0, len(rows), 5000):
            s.execute(insert(m.WorkItem), rows[i : i + 5000])
        if s.bind.dialect.name == "postgresql":
            s.execute(text("ANALYZE"))  # as autovacuum would, soon after such a load
    return len(rows), day


class Cpu:
    """CPU seconds of the server's process tree and, on PostgreSQL, of the database's client
    backends of this database (not this process's own): a request's cost on both sides."""

    def __init__(self, pid: int, url: str | None) -> None:
        self.pid = pid
        self.engine = create_engine(url) if url else None

    def now(self) -> tuple[float, dict[int, float]]:
        backends: dict[int, float] = {}
        if self.engine is not None:
            with self.engine.connect() as conn:
                pids = conn.execute(text(_BACKENDS)).scalars().all()
            for pid in pids:
                with contextlib.suppress(psutil.Error):
                    t = psutil.Process(pid).cpu_times()
                    backends[pid] = t.user + t.system
        return _cpu_seconds(self.pid), backends

    def since(self, before: tuple[float, dict[int, float]]) -> tuple[float, float]:
        """(server, database) CPU seconds since `before` (a backend that closed meanwhile is
        not counted: the server's pool keeps its connections)."""
        server, backends = self.now()
        db = sum(v - before[1].get(pid, 0.0) for pid, v in backends.items())
        return server - before[0], db


_BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


def _measure(client: httpx.Client, cpu: Cpu, path: str, n: int) -> tuple[float, ...]:
    """(server CPU ms, database CPU ms a request; wall p50 and p95 ms; answer bytes) of `n`
    requests of `path`."""
    for _ in range(3):
        client.get(path).raise_for_status()  # warm
    walls, size = [], 0
    before = cpu.now()
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        walls.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        size = len(r.content)
    server, db = cpu.since(before)
    p95 = statistics.quantiles(walls, n=20)[-1] if n > 1 else walls[0]
    return server * 1000 / n, db * 1000 / n, statistics.median(walls), p95, size


def _bulk(client: httpx.Client, cpu: Cpu) -> str:
    groups = client.get("/api/v1/worklist/groups?by=rule&kind=blocked").json()["groups"]
    group = max(groups, key=lambda g: g["claims"])
    body = {
        "action": "writeoff",
        "reason": "bench: written off in bulk",
        "filter": group["filter"],
        "expect": {"count": group["count"], "version": group["version"]},
    }
    before, t0 = cpu.now(), time.perf_counter()
    r = client.post("/api/v1/worklist/bulk", json=body, timeout=600)
    wall, (server, db) = time.perf_counter() - t0, cpu.since(before)
    r.raise_for_status()
    done = max(r.json()["done"], 1)
    return (
        f"bulk write-off of the group {group['filter']} ({group['count']} items on "
        f"{group['claims']} claims): {done} done in {wall:.2f} s, server CPU {server:.2f} s "
        f"({server * 1000 / done:.1f} ms a claim), database CPU {db:.2f} s "
        f"({db * 1000 / done:.1f} ms a claim)"
    )


def run_one(url: str, folder: Path, total: int, requests: int, workers: int) -> None:
    added, day = _flood(url, total)
    database = open_database(url)
    tokens = ensure_demo_users(database.sessions)
    database.dispose()
    port = _free_port()
    server = _serve(url, port, tokens["biller"], workers)
    cpu = Cpu(server.pid, url if url.startswith("postgresql") else None)
    try:
        headers = {"Authorization": f"Bearer {tokens['biller']}"}
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120
        ) as client:
            whole = client.get("/api/v1/worklist?limit=1").json()
            blocked = client.get("/api/v1/worklist?kind=blocked&limit=1").json()
            print(
                f"\n{whole['total']:,} open items on {whole['claims']:,} claims, "
                f"{blocked['total']:,} of them blocked items on {blocked['claims']:,} claims "
                f"({added:,} added to the demo ledger's own), as of {day}"
            )
            print(
                f"{'endpoint':<32}{'server CPU ms':>14}{'db CPU ms':>10}{'p50 ms':>9}"
                f"{'p95 ms':>9}{'bytes':>10}"
            )
            for name, path in ENDPOINTS.items():
                server_ms, db_ms, p50, p95, size = _measure(client, cpu, path, requests)
                print(
                    f"{name:<32}{server_ms:>14.1f}{db_ms:>10.1f}{p50:>9.1f}{p95:>9.1f}{size:>10,}"
                )
            print(_bulk(client, cpu))
    finally:
        if cpu.engine is not None:
            cpu.engine.dispose()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, nargs="+", default=[10000, 25000])
    ap.add_argument("--requests", type=int, default=40, help="requests an endpoint")
    ap.add_argument("--visits", type=int, default=4000, help="visits in the demo ledger")
    ap.add_argument("--db", default=None, help="a PostgreSQL URL (default: a SQLite file)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 200 visits, 1,000 items")
    args = ap.parse_args(argv)
    visits, sizes, requests = (
        (200, [1000], 5) if args.quick else (args.visits, sorted(args.items), args.requests)
    )
    print(
        f"{'PostgreSQL' if args.db else 'SQLite'}; ptbill serve --workers 1 on 127.0.0.1; "
        f"{requests} requests an endpoint, one at a time; this machine has {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="ptbill-bench-worklist-") as tmp:
        folder = Path(tmp)
        for total in sizes:
            url = args.db or f"sqlite:///{folder / f'ledger-{total}.db'}"
            if args.db:
                _reset_postgres(args.db)
            t0 = time.perf_counter()
            build_demo_ledger(url, folder, visits=visits, seed=7, days=20)
            print(f"(demo ledger of {visits} visits built in {time.perf_counter() - t0:.1f} s)")
            run_one(url, folder, total, requests, 1)
    load = os.getloadavg()
    print(f"\nload average (1/5 min): {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
