"""Workbench load: `ptbill serve --workers 4` on a SQLite demo ledger, driven by locust at a
steady ~100 requests/s on loopback. Prints p50/p95/p99 latency, throughput and failures for the
scrub endpoint (POST /api/v1/scrub, one generated visit a request) and the work queue page
(GET /worklist), against the anchor measured in the same run (GET /healthz: the server and
locust alone, no ptbill work); and the server's peak memory. Writes nothing outside a
temporary folder it removes.

    .venv/bin/python bench/bench_web.py [--visits 1000] [--rate 100] [--seconds 20] [--quick]

Issue #7's goal: scrub p95 < 50 ms at 100 requests/s with 4 workers.

    .venv/bin/python bench/bench_web.py --tenancy [--visits 1000] [--quick]

Issue #15's: what scoping costs. The same visits in a ledger of one clinic and in a ledger of
20 clinics with 50 users (each a biller of two clinics); the read endpoints' CPU p50/p95, one
request in flight, the readers taking turns. Like with like (the same role on the same rows):
the biller of the one clinic against a biller of all 20 clinics, and a company-wide manager
(no scope) in each ledger. Goal: the 20-clinic p95 within 20% of the single-clinic figure.
Also printed: the biller of all 20 against an admin (no scope, the same pages as a biller's)
on the same ledger, what the scope's predicates cost on the same rows; and a biller of 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.demo.generator import generate
from ptbill.demo.workbench import build_demo_ledger, ensure_demo_users
from ptbill.scrub.identifiers import npi_check_digit
from ptbill.web.db import open_database

# Locust users, each paced to PACE requests a second. They start 0.618 of a period apart (the
# golden ratio spreads their beats over the period), so that requests arrive spread out, not in
# bursts of users on the same beat. Few users keep locust's own overhead small.
PACE = 10.0

LOCUSTFILE = """
import itertools, json, os
from locust import constant_throughput, task
from locust.contrib.fasthttp import FastHttpUser

VISITS = json.load(open(os.environ["BENCH_VISITS"]))
CYCLE = itertools.cycle(VISITS)
HEADERS = {"Authorization": "Bearer " + os.environ["BENCH_TOKEN"]}
TARGET = os.environ["BENCH_TARGET"]
PACE = float(os.environ["BENCH_PACE"])


class Biller(FastHttpUser):
    wait_time = constant_throughput(PACE)

    @task
    def one(self):
        if TARGET == "scrub":
            self.client.post("/api/v1/scrub", data=json.dumps(next(CYCLE)), headers={
                **HEADERS, "Content-Type": "application/json"}, name="scrub")
        elif TARGET == "worklist":
            self.client.get("/worklist", headers=HEADERS, name="worklist")
        else:
            self.client.get("/healthz", name="healthz")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MemoryWatch(threading.Thread):
    """Peak RSS of the server's process tree (the uvicorn supervisor and its workers)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            self.stop.wait(0.2)


def serve_args(port: int, workers: int = 4) -> list[str]:
    """`ptbill serve` with `workers` uvicorn workers on 127.0.0.1:`port`."""
    return ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]


def _serve(db: Path | str, port: int, token: str, workers: int = 4) -> subprocess.Popen[bytes]:
    """`ptbill serve` with `workers` workers, once it answers for this ledger (a token of this
    ledger accepted: not some other server that holds the port)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ptbill",
            "--db",
            str(db),
            *serve_args(port, workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"ptbill serve exited ({proc.returncode}): is port {port} taken?")
        try:
            r = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/claims?limit=1",
                timeout=1,
                headers={"Authorization": f"Bearer {token}"},
            )
            if r.status_code == 200:
                return proc
            if r.status_code == 401:
                os.killpg(proc.pid, signal.SIGKILL)
                raise SystemExit(f"another server answers on port {port}")
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise SystemExit("ptbill serve did not start")
        time.sleep(0.3)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process tree so far."""
    total = 0.0
    root = psutil.Process(pid)
    for p in (root, *root.children(recursive=True)):
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def locust_command(
    locustfile: Path, users: int, rate: float, seconds: int, port: int, csv_prefix: Path
) -> list[str]:
    """A headless locust run of `users` started at `rate` a second, for `seconds`, against
    127.0.0.1:`port`, its figures in `csv_prefix`_stats.csv (and _failures.csv)."""
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--headless",
        "-u",
        str(users),
        "-r",
        f"{rate:.3f}",
        "-t",
        f"{seconds}s",
        "--host",
        f"http://127.0.0.1:{port}",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--stop-timeout",
        "5",
    ]


def _locust(
    folder: Path,
    port: int,
    target: str,
    rate: float,
    seconds: int,
    token: str,
    visits: Path,
    server_pid: int,
) -> dict[str, float]:
    prefix = folder / target
    users = max(1, round(rate / PACE))
    env = {
        **os.environ,
        "BENCH_TARGET": target,
        "BENCH_TOKEN": token,
        "BENCH_VISITS": str(visits),
        "BENCH_PACE": str(PACE),
    }
    server_cpu = _cpu_seconds(server_pid)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        locust_command(folder / "locustfile.py", users, PACE / 0.618, seconds, port, prefix),
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    server_cpu = _cpu_seconds(server_pid) - server_cpu
    with open(f"{prefix}_stats.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == target)
    return {
        "requests": float(row["Request Count"]),
        "failures": float(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
        "mean": float(row["Average Response Time"]),
        "server_cpu": server_cpu / seconds,
        "locust_cpu": locust_cpu / seconds,
    }


def _warm(port: int, token: str, visits: list[dict]) -> int:
    """Every worker loads its reference data at start; a few requests of each kind make sure
    the first measured ones are not the first served. Returns the blocked claims the work
    queue page lists."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as c:
        for v in visits[:40]:
            c.post("/api/v1/scrub", json=v).raise_for_status()
            c.get("/worklist").raise_for_status()
        claims: set[str] = set()
        offset: int | None = 0
        while offset is not None:  # the API pages its lists
            page = c.get(f"/api/v1/worklist?kind=blocked&limit=200&offset={offset}").json()
            claims |= {i["claim_id"] for i in page["items"]}
            offset = page["next_offset"]
    return len(claims)


def _one_at_a_time(
    port: int, token: str, visits: list[dict], n: int = 200
) -> dict[str, tuple[float, float]]:
    """p50 and p95 (ms) of each endpoint with one request in flight: the cost of a request
    without queueing, the floor the loaded figures are read against."""
    headers = {"Authorization": f"Bearer {token}"}
    calls = {
        "healthz": lambda c, i: c.get("/healthz"),
        "scrub": lambda c, i: c.post("/api/v1/scrub", json=visits[i % len(visits)]),
        "worklist": lambda c, i: c.get("/worklist"),
    }
    out = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as c:
        for name, call in calls.items():
            times = []
            for i in range(n):
                t0 = time.perf_counter()
                call(c, i).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            out[name] = (times[n // 2], times[int(n * 0.95)])
    return out


# The reads every biller makes, measured for the tenancy figures.
READS = ("/", "/worklist", "/claims", "/api/v1/claims", "/api/v1/patients?q=a", "/api/v1/reports")

# Who reads, in which ledger: (ledger's clinics, user). The goal compares like with like: the
# same role on the same rows, one ledger of one clinic against one of 20 (the first two
# rows, and the manager's two). A manager reads pages without the forms of a change (the
# work queue's bulk actions, its write-off buttons), so only a role that writes compares
# with a biller: the 20-clinic admin (no scope) against the biller of all 20 is what the
# scope's predicates cost on the same rows. The biller of 2 is a biller's usual lot.
READERS = {
    "one clinic, its biller": (1, "all"),
    "20 clinics, biller of all 20": (20, "all"),
    "one clinic, manager (no scope)": (1, "boss"),
    "20 clinics, manager (no scope)": (20, "boss"),
    "20 clinics, admin (no scope)": (20, "chief"),
    "20 clinics, biller of 2": (20, "biller00"),
}
GOALS = (
    ("20 clinics, biller of all 20", "one clinic, its biller"),
    ("20 clinics, manager (no scope)", "one clinic, manager (no scope)"),
)


def _clinics(n: int) -> Config:
    """The bundled configuration with `n` clinics like its first (own keys and NPIs)."""
    config = load_config(None)
    first = config.clinics[sorted(config.clinics)[0]]
    clinics = {}
    for i in range(n):
        base = f"15{i:07d}"
        key = f"clinic-{i:02d}"
        npi = base + str(npi_check_digit(base))
        clinics[key] = first.model_copy(update={"key": key, "npi": npi, "name": f"Clinic {i}"})
    return config.model_copy(update={"clinics": clinics})


def _tenancy_users(db: Path) -> dict[str, str]:
    """50 billers of two clinics each (of one, in a ledger of one clinic), a biller of every
    clinic, a manager and an admin: their tokens."""
    from sqlalchemy import select

    from ptbill.ledger.models import Clinic
    from ptbill.web.accounts import add_user, create_token

    database = open_database(f"sqlite:///{db}")
    try:
        with database.sessions.begin() as s:
            ids = s.scalars(select(Clinic.id).order_by(Clinic.key)).all()
            for i in range(50):
                pair = [ids[i % len(ids)], ids[(i + 7) % len(ids)]]
                add_user(s, f"biller{i:02d}", "biller", "bench password", sorted(set(pair)))
            add_user(s, "all", "biller", "bench password", list(ids))
            add_user(s, "boss", "manager", "bench password")
            add_user(s, "chief", "admin", "bench password")
            return {n: create_token(s, n) for n in ("biller00", "all", "boss", "chief")}
    finally:
        database.dispose()


def _ledger_counts(db: Path) -> dict[str, Any]:
    """What a ledger holds, to show the two compare like with like."""
    from sqlalchemy import func, select

    from ptbill.ledger import models as lm

    database = open_database(f"sqlite:///{db}")
    try:
        with database.sessions() as s:

            def count(model: Any, *where: Any) -> int:
                return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

            states = s.execute(select(lm.Claim.state, func.count()).group_by(lm.Claim.state))
            return {
                "clinics": count(lm.Clinic),
                "patients": count(lm.Patient),
                "visits": count(lm.Visit),
                "claims": count(lm.Claim),
                "claims by state": dict(sorted((state, n) for state, n in states)),
                "claim payments": count(lm.ClaimPayment),
                "open work items": count(lm.WorkItem, lm.WorkItem.status == "open"),
            }
    finally:
        database.dispose()


def _reads(apps: dict[int, Any], tokens: dict[int, dict[str, str]], n: int) -> dict[str, Any]:
    """p50 and p95 of the CPU milliseconds each read costs each reader, served in this
    process (the CPU time of the request, not the wall time: the machine is shared, and
    waiting on other work is not what scoping costs), after a warm-up. The readers take turns
    request by request, so that a change in the machine's load falls on all of them alike."""
    from fastapi.testclient import TestClient

    clients = {}
    for who, (ledger, user) in READERS.items():
        headers = {"Authorization": f"Bearer {tokens[ledger][user]}"}
        clients[who] = TestClient(apps[ledger], base_url="http://127.0.0.1", headers=headers)
    out: dict[str, dict[str, tuple[float, float]]] = {who: {} for who in READERS}
    for url in READS:
        for c in clients.values():
            for _ in range(5):
                c.get(url).raise_for_status()
        times: dict[str, list[float]] = {who: [] for who in READERS}
        for _ in range(n):
            for who, c in clients.items():
                t0 = time.process_time()
                c.get(url).raise_for_status()
                times[who].append((time.process_time() - t0) * 1000)
        for who, t in times.items():
            t.sort()
            out[who][url] = (t[n // 2], t[int(n * 0.95)])
    for c in clients.values():
        c.close()
    return out


def tenancy(visits: int, n: int) -> None:
    """Issue #15's figures (see the module's doc)."""
    from ptbill.web import WebSettings, create_app

    with tempfile.TemporaryDirectory(prefix="ptbill-bench-tenancy-") as tmp:
        apps, tokens = {}, {}
        for clinics in (1, 20):
            folder = Path(tmp) / f"c{clinics}"
            db = folder / "bench.db"
            config = _clinics(clinics)
            build_demo_ledger(
                f"sqlite:///{db}", folder, visits=visits, seed=7, days=20, config=config
            )
            tokens[clinics] = _tenancy_users(db)
            print(f"ledger of {clinics} clinic(s): {_ledger_counts(db)}", flush=True)
            apps[clinics] = create_app(WebSettings(db=f"sqlite:///{db}"))
            apps[clinics].state.config = config
        try:
            figures = _reads(apps, tokens, n)
        finally:
            for app in apps.values():
                app.state.db.dispose()
    print(f"{visits} visits; {n} requests a read, in this process, the readers in turn; CPU ms")
    print(f"{'who':<32}" + "".join(f"{u[:20]:>21}" for u in READS))
    for who, reads in figures.items():
        print(f"{who:<32}" + "".join(f"{reads[u][0]:>10.1f} /{reads[u][1]:>7.1f} " for u in READS))
    print("(p50 / p95)")
    worst = 0.0
    for scoped, base in GOALS:
        ratios = {u: figures[scoped][u][1] / figures[base][u][1] for u in READS}
        worst = max(worst, *ratios.values())
        print(f"p95 {scoped} / {base}: " + ", ".join(f"{u} {r:.2f}" for u, r in ratios.items()))
    verdict = "met" if worst <= 1.2 else "NOT met"
    print(f"worst read, like with like: {worst:.2f} (goal <= 1.20: {verdict})")
    scoped, unscoped = (
        figures[f"20 clinics, {w}"] for w in ("biller of all 20", "admin (no scope)")
    )
    print(
        "p95 on the same rows and pages, biller of all 20 / admin (the scope's predicates): "
        + ", ".join(f"{u} {scoped[u][1] / unscoped[u][1]:.2f}" for u in READS)
    )
    load = os.getloadavg()
    print(f"machine load average (1/5 min): {load[0]:.1f} / {load[1]:.1f} on {os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tenancy", action="store_true", help="issue #15's figures (scoping)")
    ap.add_argument("--visits", type=int, default=1000, help="visits in the demo ledger")
    ap.add_argument("--rate", type=float, default=100.0, help="requests a second")
    ap.add_argument("--seconds", type=int, default=20, help="length of each measured phase")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 200 visits, 5 s phases")
    args = ap.parse_args(argv)
    n, seconds = (200, 5) if args.quick else (args.visits, args.seconds)
    if args.tenancy:
        tenancy(n, 40 if args.quick else 200)
        return

    with tempfile.TemporaryDirectory(prefix="ptbill-bench-web-") as tmp:
        folder = Path(tmp)
        db = folder / "bench.db"
        t0 = time.perf_counter()
        build_demo_ledger(f"sqlite:///{db}", folder, visits=n, seed=7, days=20)
        database = open_database(f"sqlite:///{db}")
        token = ensure_demo_users(database.sessions)["viewer"]
        database.dispose()
        build_s = time.perf_counter() - t0
        scrub_visits = generate(500, 11)
        visits_file = folder / "scrub-visits.json"
        visits_file.write_text(json.dumps(scrub_visits), encoding="utf-8")
        (folder / "locustfile.py").write_text(LOCUSTFILE, encoding="utf-8")

        port = _free_port()
        server = _serve(db, port, token)
        watch = MemoryWatch(server.pid)
        watch.start()
        try:
            blocked = _warm(port, token, scrub_visits)
            alone = _one_at_a_time(port, token, scrub_visits)
            results = {
                target: _locust(
                    folder, port, target, args.rate, seconds, token, visits_file, server.pid
                )
                for target in ("healthz", "scrub", "worklist")
            }
        finally:
            watch.stop.set()
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # the server's own process group
                server.wait()

    print(
        f"demo ledger: {n} visits ({blocked} blocked claims on the work queue page), built in "
        f"{build_s:.1f} s; 4 uvicorn workers on 127.0.0.1; locust {round(args.rate / PACE)} "
        f"users at {PACE:g} req/s each ({args.rate:g} req/s) for {seconds} s a phase"
    )
    print(
        "one request at a time (ms): "
        + ", ".join(f"{k} p50 {v[0]:.1f} p95 {v[1]:.1f}" for k, v in alone.items())
    )
    print(
        f"{'endpoint':<22}{'requests':>9}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'p95/anchor':>12}{'server CPU':>12}{'locust CPU':>12}"
    )
    anchor = results["healthz"]["p95"] or 1.0
    names = {
        "healthz": "GET /healthz (anchor)",
        "scrub": "POST /api/v1/scrub",
        "worklist": "GET /worklist",
    }
    for target, r in results.items():
        print(
            f"{names[target]:<22}{r['requests']:>9.0f}{r['failures']:>6.0f}{r['rps']:>8.1f}"
            f"{r['p50']:>8.0f}{r['p95']:>8.0f}{r['p99']:>8.0f}{r['p95'] / anchor:>12.1f}"
            f"{r['server_cpu']:>11.2f}c{r['locust_cpu']:>11.2f}c"
        )
    print(
        f"(CPU in cores: seconds of CPU a second of the phase; this machine has {os.cpu_count()})"
    )
    load = os.getloadavg()
    print(
        f"machine load average during the run (1/5 min): {load[0]:.1f} / {load[1]:.1f} on "
        f"{os.cpu_count()} CPUs: anything above the server's and locust's CPU is other work"
    )
    goal = "met" if results["scrub"]["p95"] < 50 else "NOT met"
    print(f"goal scrub p95 < 50 ms at {args.rate:g} req/s: {goal}")
    print(
        f"peak memory: server (supervisor + 4 workers) {watch.peak / 2**20:.0f} MB; "
        f"this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
