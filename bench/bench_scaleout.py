"""Scale-out, shown: PostgreSQL as the system of record, 4 stateless API processes and 2 job
workers on this machine, loaded by 50 billers of 20 clinics while a large import runs as a job
(issue #14, "Scale-out, shown not claimed"). Loopback and a Unix socket only; every loop is
bounded; not part of `make test`.

    .venv/bin/python bench/bench_scaleout.py [--big 20000] [--seconds 90] [--db URL]
    .venv/bin/python bench/bench_scaleout.py --big 100000 --seconds 120   # the issue's run

1. PostgreSQL: a cluster of its own in a temporary folder (initdb and pg_ctl as the postgres
   user, as .ci/run does; a Unix socket, no TCP; PostgreSQL's default max_connections, 100),
   or `--db URL` (its public schema is DROPPED).
2. A ledger of 20 clinics (the bundled configuration's two and 18 copies with their own keys
   and NPIs): `--base` demo visits imported, submitted and acknowledged; each clinic's 835
   from the simulated payer kept unposted. 50 billers (biller of one clinic each, 2-3 a
   clinic) and an admin, each with an API token.
3. `ptbill serve --workers 4` (uvicorn) on 127.0.0.1 with the in-process worker off
   (PTBILL_JOB_WORKER=0), and 2 `ptbill worker` processes.
4. The admin uploads `--big` visits of every clinic (POST /api/v1/visits: a job); then
   locust runs `--seconds` (at most 120) of 50 billers, each browsing the work queue (page and
   API), the claims and the jobs, uploading their clinic's 835 (POST /api/v1/remittances: a
   job; the first upload of a clinic's 835 posts it, later ones post nothing: each of its
   payments was posted before, by design) and importing small visit files of their clinic
   (POST /api/v1/visits: a job).
5. During the load it samples PostgreSQL's connections, lock waits and oldest transaction
   and the load average each second; it counts the CPU time of the API processes, the
   workers and PostgreSQL. It waits (bounded) for the queued jobs, then prints locust's
   p50/p95/p99, failures (a 503, or no answer in CLIENT_TIMEOUT) and throughput per request
   kind, and every job's wait and run time, from the jobs table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import create_engine, text

from ptbill.config import load_config
from ptbill.config.profiles import bundled_demo_config_text
from ptbill.demo.generator import generate
from ptbill.scrub.identifiers import npi_check_digit

sys.path.insert(0, str(Path(__file__).parent))
from bench_ledger import _reset_postgres  # noqa: E402
from bench_web import locust_command, serve_args  # noqa: E402

CLINICS = 20
BILLERS = 50
MAX_SECONDS = 120
JOB_WAIT = 1200  # seconds the run waits for the queued jobs after the load
CLIENT_TIMEOUT = 30  # seconds locust waits for an answer (its default is 60): then an error
# PostgreSQL's default: the API processes' pools (4 x 2 x PTBILL_WEB_THREADS), the workers'
# (2 x 5) and a command's (5) fit under it with room to spare.
MAX_CONNECTIONS = 100

LOCUSTFILE = r"""
import itertools, json, os, random
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

BILLERS = json.load(open(os.environ["BENCH_BILLERS"]))  # [{token, clinic, remit}]
NEXT = itertools.count()


class Biller(FastHttpUser):
    wait_time = between(1, 3)
    # A biller gives up on an answer after this long: a timeout counts as an error.
    network_timeout = connection_timeout = float(os.environ["BENCH_CLIENT_TIMEOUT"])

    def on_start(self):
        self.n = next(NEXT)
        me = BILLERS[self.n % len(BILLERS)]
        self.headers = {"Authorization": "Bearer " + me["token"]}
        self.clinic, self.remit = me["clinic"], me["remit"]
        self.visits = json.load(open(me["visits"]))
        self.uploads = 0

    @task(6)
    def work_queue_page(self):
        self.client.get("/worklist", headers=self.headers, name="GET /worklist (page)")

    @task(6)
    def work_queue_api(self):
        self.client.get("/api/v1/worklist?limit=50", headers=self.headers,
                        name="GET /api/v1/worklist")

    @task(4)
    def claims(self):
        self.client.get("/api/v1/claims?limit=50&offset=%d" % random.randrange(0, 200, 50),
                        headers=self.headers, name="GET /api/v1/claims")

    @task(2)
    def jobs(self):
        self.client.get("/api/v1/jobs?limit=20", headers=self.headers, name="GET /api/v1/jobs")

    @task(1)
    def upload_835(self):
        with self.client.post("/api/v1/remittances", headers=self.headers,
                              files={"file": ("payer.835", self.remit.encode())},
                              name="POST /api/v1/remittances (job)",
                              catch_response=True) as r:
            if r.status_code != 202:
                r.failure("status %d" % r.status_code)

    @task(1)
    def import_visits(self):
        # Ten visits of this biller's clinic, with ids no one else uses.
        self.uploads += 1
        tag = "U%02d-%d-" % (self.n, self.uploads)
        lines = []
        for v in self.visits[:10]:
            v = dict(v, visit_id=tag + v["visit_id"])
            lines.append(json.dumps(v))
        body = ("\n".join(lines) + "\n").encode()
        with self.client.post("/api/v1/visits", headers=self.headers,
                              files={"file": ("visits.jsonl", body)},
                              name="POST /api/v1/visits (job)", catch_response=True) as r:
            if r.status_code != 202:
                r.failure("status %d" % r.status_code)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- PostgreSQL ------------------------------------------------------------------------------


class Postgres:
    """A throw-away cluster in `root` (a Unix socket there, no TCP), run by the postgres user
    when this runs as root (initdb refuses root)."""

    def __init__(self, root: Path) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise SystemExit("no PostgreSQL here (apt-get install postgresql), or give --db URL")
        self.bin, self.root = found[-1].parent, root
        self.data = root / "data"

    def _as_owner(self, *cmd: str) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
            line = " ".join(f"'{c}'" for c in cmd)
            subprocess.run(["su", "postgres", "-s", "/bin/sh", "-c", line], check=True)
        else:
            subprocess.run(list(cmd), check=True)

    def start(self) -> str:
        self._as_owner(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"
        )
        options = f"-k {self.root} -c listen_addresses= -c max_connections={MAX_CONNECTIONS}"
        self._as_owner(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            options,
            "start",
        )
        admin = create_engine(
            f"postgresql+psycopg://postgres@/postgres?host={self.root}",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text("CREATE ROLE ptbill LOGIN PASSWORD 'ptbill'"))
            conn.execute(text("CREATE DATABASE bench OWNER ptbill"))
        admin.dispose()
        return f"postgresql+psycopg://ptbill:ptbill@/bench?host={self.root}"

    def postmaster(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        self._as_owner(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")


# --- the ledger ------------------------------------------------------------------------------


def _config_file(path: Path) -> list[str]:
    """The bundled configuration with 18 more clinics like its first (own keys, NPIs and
    names): 20 in all. Their keys."""
    toml = bundled_demo_config_text()
    start = toml.index("[clinics.elm-street-pt]")
    end = toml.index("[clinics.oak-avenue-pt]")
    block = toml[start:end]
    extra = []
    for i in range(CLINICS - 2):
        base = f"16{i:07d}"
        npi = base + str(npi_check_digit(base))
        copy = block.replace("[clinics.elm-street-pt", f"[clinics.bench-{i:02d}")
        copy = re.sub(r'(?m)^npi = "\d+"', f'npi = "{npi}"', copy, count=1)
        copy = re.sub(r'(?m)^name = "[^"]*"', f'name = "Bench Clinic {i:02d}"', copy, count=1)
        extra.append(copy)
    path.write_text(toml[:end] + "".join(extra) + toml[end:], encoding="utf-8")
    keys = sorted(load_config(str(path)).clinics)
    assert len(keys) == CLINICS, keys
    return keys


def _ledger(url: str, folder: Path, config_path: Path, keys: list[str], base: int) -> Any:
    from ptbill.demo.workbench import build_demo_ledger

    config = load_config(str(config_path))
    return build_demo_ledger(url, folder, visits=base, seed=7, days=20, post=False, config=config)


def _users(url: str, keys: list[str], remits: dict[str, str], folder: Path) -> tuple[str, Path]:
    """50 billers of one clinic each and an admin; the billers' file for locust, the admin's
    token."""
    from sqlalchemy import select

    from ptbill.ledger.models import Clinic
    from ptbill.web.accounts import add_user, create_token
    from ptbill.web.db import open_database

    database = open_database(url)
    billers = []
    try:
        with database.sessions.begin() as s:
            ids = dict(s.execute(select(Clinic.key, Clinic.id)).all())
            add_user(s, "boss", "admin", "bench password")
            admin = create_token(s, "boss")
            for i in range(BILLERS):
                key = keys[i % len(keys)]
                add_user(s, f"biller{i:02d}", "biller", "bench password", [ids[key]])
                visits = folder / f"small-{key}.json"
                if not visits.exists():
                    visits.write_text(json.dumps(_visits_of(key, 10, 100 + i)), "utf-8")
                billers.append(
                    {
                        "token": create_token(s, f"biller{i:02d}"),
                        "clinic": key,
                        "remit": remits.get(key, ""),
                        "visits": str(visits),
                    }
                )
    finally:
        database.dispose()
    path = folder / "billers.json"
    path.write_text(json.dumps(billers), encoding="utf-8")
    return admin, path


def _visits_of(key: str, n: int, seed: int) -> list[dict[str, Any]]:
    """n generated visits of one clinic, their patients and ids its own."""
    docs = generate(n, seed)
    for d in docs:
        d["clinic"] = key
        d["patient"]["id"] = f"{key}-{d['patient']['id']}"
        d["visit_id"] = f"{key}-{d['visit_id']}"
    return docs


def _big_file(path: Path, keys: list[str], n: int) -> None:
    """n visits dealt to the clinics by patient, with ids of their own."""
    docs = generate(n, 99)
    patients = sorted({d["patient"]["id"] for d in docs})
    clinic = {p: keys[i % len(keys)] for i, p in enumerate(patients)}
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            d["clinic"] = clinic[d["patient"]["id"]]
            d["patient"]["id"] = "BIG-" + d["patient"]["id"]
            d["visit_id"] = "BIG-" + d["visit_id"]
            f.write(json.dumps(d) + "\n")


# --- the processes -----------------------------------------------------------------------------


def _ptbill(url: str, config: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    # The large import is one upload: the upload limit raised for it (PTBILL_MAX_UPLOAD_MB).
    env = {
        **os.environ,
        "PTBILL_JOB_WORKER": "0",
        "PTBILL_CONFIG": str(config),
        "PTBILL_MAX_UPLOAD_MB": "400",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ptbill", "--db", url, "--config", str(config), *args],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _wait_up(port: int, token: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ptbill serve exited ({proc.returncode})")
        try:
            r = httpx.get(
                f"http://127.0.0.1:{port}/api/v1/jobs?limit=1",
                headers={"Authorization": f"Bearer {token}"},
                timeout=2,
            )
            if r.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("ptbill serve did not start in 120 s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


class Watch:
    """Samples, once a second while the load runs: PostgreSQL's client connections, those
    waiting for a lock, the oldest open transaction, and the machine's load average."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, pool_size=1, max_overflow=0)
        self.samples: list[tuple[int, int, float, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = text(
            "SELECT count(*) FILTER (WHERE backend_type = 'client backend'), "
            "count(*) FILTER (WHERE wait_event_type = 'Lock'), "
            "coalesce(extract(epoch FROM max(now() - xact_start) FILTER "
            "(WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())), 0) "
            "FROM pg_stat_activity"
        )
        while not self.stop.wait(1.0):
            with self.engine.connect() as conn:
                clients, locked, oldest = conn.execute(query).one()
            self.samples.append((int(clients), int(locked), float(oldest), os.getloadavg()[0]))

    @classmethod
    @contextlib.contextmanager
    def over(cls, url: str) -> Iterator[Watch]:
        """Sampling for the length of the block."""
        watch = cls(url)
        watch.thread.start()
        try:
            yield watch
        finally:
            watch.stop.set()
            watch.thread.join(timeout=10)
            watch.engine.dispose()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        clients, locked, oldest, load = zip(*self.samples, strict=True)
        return (
            f"PostgreSQL client connections max {max(clients)} (of {MAX_CONNECTIONS}), "
            f"waiting on a lock max {max(locked)} (seconds with any: "
            f"{sum(1 for n in locked if n)} of {len(locked)}), oldest transaction max "
            f"{max(oldest):.1f} s; load average (1 min) mean {sum(load) / len(load):.1f} "
            f"max {max(load):.1f}"
        )


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its descendants, living and reaped."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
    except psutil.NoSuchProcess:
        pass
    return total


def _cpu(groups: dict[str, list[int]]) -> dict[str, float]:
    return {name: sum(_cpu_seconds(pid) for pid in pids) for name, pids in groups.items()}


def _locust(
    folder: Path, port: int, billers: Path, seconds: int
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    env = {**os.environ, "BENCH_BILLERS": str(billers), "BENCH_CLIENT_TIMEOUT": str(CLIENT_TIMEOUT)}
    (folder / "locustfile.py").write_text(LOCUSTFILE, encoding="utf-8")
    subprocess.run(
        locust_command(folder / "locustfile.py", BILLERS, 10, seconds, port, folder / "load"),
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "locust.log").open("wb"),
        timeout=seconds + 60,
    )
    with open(folder / "load_stats.csv", newline="") as f:
        stats = list(csv.DictReader(f))
    with open(folder / "load_failures.csv", newline="") as f:
        return stats, list(csv.DictReader(f))


def _jobs(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, kind, state, attempts, created_at, started_at, finished_at, "
                "done_count, total_count, errors, result FROM jobs ORDER BY id"
            )
        ).mappings()
        out = [dict(r) for r in rows]
    engine.dispose()
    return out


def _wait_jobs(url: str, deadline: float) -> list[dict[str, Any]]:
    while True:
        jobs = _jobs(url)
        if all(j["state"] in ("done", "failed", "cancelled") for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            return jobs
        time.sleep(2)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _report(
    rows: list[dict[str, str]],
    failures: list[dict[str, str]],
    jobs: list[dict[str, Any]],
    big_id: int,
    args: Any,
) -> None:
    print(
        f"\n{CLINICS} clinics, {BILLERS} billers (locust FastHttpUser, 1-3 s between requests), "
        f"{args.seconds} s, client timeout {CLIENT_TIMEOUT} s; 4 uvicorn API workers "
        f"({os.environ.get('PTBILL_WEB_THREADS', '8')} request threads each) and 2 ptbill "
        f"workers on PostgreSQL (max_connections {MAX_CONNECTIONS})"
    )
    print(
        f"{'request':<34}{'requests':>9}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'max ms':>9}"
    )
    for r in rows:
        print(
            f"{r['Name']:<34}{r['Request Count']:>9}{r['Failure Count']:>6}"
            f"{float(r['Requests/s']):>8.1f}{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}"
            f"{float(r['Max Response Time']):>9.0f}"
        )
    big = next(j for j in jobs if j["id"] == big_id)
    print(
        f"\nbig import (job {big_id}): {big['state']}, {big['done_count']}/{big['total_count']} "
        f"visits, attempts {big['attempts']}, "
        + (
            f"ran {(big['finished_at'] - big['started_at']).total_seconds():.0f} s"
            if big["finished_at"] and big["started_at"]
            else "not finished"
        )
    )
    for kind in ("import", "post"):
        small = [j for j in jobs if j["kind"] == kind and j["id"] != big_id]
        if not small:
            continue
        states: dict[str, int] = {}
        for j in small:
            why = j["state"]
            if j["state"] == "failed" and "already" in str(j["errors"]):
                why = "failed: already posted (by design)"
            elif j["state"] == "done" and '"posted":false' in str(j.get("result") or ""):
                why = "done: nothing new, posted before (by design)"
            states[why] = states.get(why, 0) + 1
        waits = [
            (j["started_at"] - j["created_at"]).total_seconds() for j in small if j["started_at"]
        ]
        runs = [
            (j["finished_at"] - j["started_at"]).total_seconds()
            for j in small
            if j["finished_at"] and j["started_at"]
        ]
        print(
            f"{kind} jobs of the billers: {len(small)}, {states}; queued before a worker took "
            f"it p50 {_pct(waits, 0.5):.1f} s p95 {_pct(waits, 0.95):.1f} s max "
            f"{max(waits, default=0):.1f} s; ran p50 {_pct(runs, 0.5):.2f} s p95 "
            f"{_pct(runs, 0.95):.2f} s"
        )
    for j in jobs:
        if j["state"] == "failed" and "already" not in str(j["errors"]):
            print(f"job {j['id']} ({j['kind']}) failed: {str(j['errors'])[:300]}")
    for f in failures:
        print(
            f"request failures: {f['Occurrences']} x {f['Method']} {f['Name']}: {f['Error'][:200]}"
        )
    load = os.getloadavg()
    print(f"machine load average (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", type=int, default=20_000, help="visits of the large import job")
    ap.add_argument("--base", type=int, default=2_000, help="visits of the ledger at start")
    ap.add_argument("--seconds", type=int, default=90, help=f"load (at most {MAX_SECONDS})")
    ap.add_argument("--db", default=None, help="an existing PostgreSQL (its schema DROPPED)")
    args = ap.parse_args(argv)
    args.seconds = min(args.seconds, MAX_SECONDS)
    with tempfile.TemporaryDirectory(prefix="ptbill-scaleout-") as tmp:
        folder = Path(tmp)
        pg = None
        if args.db:
            url = args.db
            _reset_postgres(url)
        else:
            # Its own folder in /tmp: the postgres user cannot enter this run's private one.
            pg = Postgres(Path(tempfile.mkdtemp(prefix="ptbill-scaleout-pg-")))
            url = pg.start()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            t0 = time.perf_counter()
            config = folder / "clinics.toml"
            keys = _config_file(config)
            demo = _ledger(url, folder / "demo", config, keys, args.base)
            # The demo's 835s, one a clinic, in the clinics' order.
            remits = dict(zip(sorted(keys), demo.remits, strict=False))
            admin, billers = _users(url, keys, remits, folder)
            big = folder / "big.jsonl"
            _big_file(big, keys, args.big)
            print(
                f"ledger of {args.base} visits, {CLINICS} clinics: {time.perf_counter() - t0:.0f} s"
            )

            port = _free_port()
            server = _ptbill(url, config, *serve_args(port), log=folder / "serve.log")
            workers = [
                _ptbill(url, config, "worker", "--poll", "0.5", log=folder / f"w{n}.log")
                for n in range(2)
            ]
            procs += [server, *workers]
            groups = {"4 API processes": [server.pid], "2 job workers": [w.pid for w in workers]}
            if pg is not None:
                groups["PostgreSQL"] = [pg.postmaster()]
            _wait_up(port, admin, server)
            with httpx.Client(
                base_url=f"http://127.0.0.1:{port}",
                headers={"Authorization": f"Bearer {admin}"},
                timeout=300,
            ) as c:
                t1 = time.perf_counter()
                r = c.post("/api/v1/visits", files={"file": ("big.jsonl", big.read_bytes())})
                assert r.status_code == 202, r.text[:500]
                big_id = r.json()["id"]
                print(
                    f"big import of {args.big} visits queued as job {big_id}: answered 202 in "
                    f"{time.perf_counter() - t1:.1f} s ({big.stat().st_size / 2**20:.0f} MB)"
                )
            cpu = [_cpu(groups)]
            t2 = time.monotonic()
            with Watch.over(url) as watch:
                rows, failures = _locust(folder, port, billers, args.seconds)
            cpu.append(_cpu(groups))
            t3 = time.monotonic()
            jobs = _wait_jobs(url, time.monotonic() + JOB_WAIT)
            cpu.append(_cpu(groups))
            t4 = time.monotonic()
            _report(rows, failures, jobs, big_id, args)
            print(watch.summary() + " (during the load)")
            for name in groups:
                print(
                    f"CPU of {name}: {cpu[1][name] - cpu[0][name]:.0f} s in the "
                    f"{t3 - t2:.0f} s of load, {cpu[2][name] - cpu[1][name]:.0f} s in the "
                    f"{t4 - t3:.0f} s after it until the jobs ended"
                )
        finally:
            _stop(procs)
            if pg is not None:
                pg.stop()
                shutil.rmtree(pg.root, ignore_errors=True)


if __name__ == "__main__":
    main()
