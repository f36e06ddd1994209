"""Talking to payers: reading 271s, and one exchange run applying 100 inbound files.

    .venv/bin/python bench/bench_payers.py [--patients 20000] [--visits 1000] [--quick]

1. 271 reading: a 271 the simulated payer wrote for `--patients` patients, read
   (ptbill.x12.read_271), read and summarised (ptbill.x12.benefits.read_people, detail=False:
   what `eligibility apply` reads), and summarised with every EB in words (what `eligibility
   read --json` prints), with the 835 reader on an 835 of about as many bytes as the anchor of
   the same run (the machine's speed at that moment); wall and CPU time, best of `--runs`.
   `eligibility apply`'s work in process (apply_271 into a new SQLite ledger). End to end:
   `ptbill eligibility read FILE --json` as a process (start-up, reading, summary, JSON
   written to /dev/null; wall, CPU and peak memory) against `ptbill remit FILE.835 --json`
   on the anchor's 835. Goal: >= 10 MB/s.
2. Exchange: `--visits` visits imported and submitted in 25 submissions, the simulated payer's
   999, 277CA and 835 for each and 25 271s (40 patients each) in a local mailbox: 100 files of
   mixed types taken in by one `run_exchange`: download, recognise, apply, archive, each in its
   own transaction. Goal: < 30 s.

Writes its files to a temporary folder and removes them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ptbill.config import load_config
from ptbill.config.profiles import Clearinghouse
from ptbill.demo.generator import generate
from ptbill.exchange.run import run_exchange
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import apply_271
from ptbill.ledger.importer import import_files
from ptbill.ledger.submit import submit
from ptbill.payer_sim import simulate
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270, sample_270
from ptbill.x12.benefits import read_people
from ptbill.x12.read_271 import read_271
from ptbill.x12.read_835 import read_835
from ptbill.x12.synthetic import synthetic_835
from timed_child import timed_command

DAY = dt.date(2026, 3, 2)


def big_271(patients: int, number: int = 2) -> str:
    sim = EligibilitySim(inactive_rate=0.1, limit_rate=0.1, not_found_rate=0.05)
    return answer_270(sample_270(patients, DAY), load_config(None), sim, number=number, when=DAY)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_271(patients: int, runs: int) -> dict[str, float]:
    text = big_271(patients)
    size = len(text.encode()) / 1e6
    per_claim = len(synthetic_835(1000)) / 1000
    claims = max(1, int(len(text) / per_claim))
    remit = synthetic_835(claims)  # the machine's speed: the 835 reader on as many bytes
    steps: dict[str, Callable[[], object]] = {
        "anchor_835": lambda: sum(len(p.claims) for p in read_835(io.StringIO(remit))),
        "read": lambda: read_271(io.StringIO(text)),
        # What `eligibility apply` reads (read_people, detail=False) and what `eligibility
        # read --json` builds (every EB in words).
        "read_and_summarize": lambda: read_people(text, "big.271", detail=False),
        "read_summarize_detail": lambda: read_people(text, "big.271"),
    }
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in steps}
    for _ in range(runs):
        for name, step in steps.items():
            times[name].append(_timed(step))
    assert len(read_people(text, "big.271")) == patients
    mb_835 = len(remit.encode()) / 1e6
    out: dict[str, float] = {"mb_271": round(size, 2), "mb_835": round(mb_835, 2)}
    out["patients"] = patients
    for name, measured in times.items():
        wall, cpu = min(w for w, _ in measured), min(c for _, c in measured)
        mb = mb_835 if name == "anchor_835" else size
        out[f"{name}_mb_per_s"] = round(mb / wall, 1)
        out[f"{name}_cpu_mb_per_s"] = round(mb / cpu, 1)
    for name in steps:
        if name != "anchor_835":
            out[f"{name}_x_anchor_cpu"] = round(
                out[f"{name}_cpu_mb_per_s"] / out["anchor_835_cpu_mb_per_s"], 2
            )
    return {**out, **apply_271_once(text), **end_to_end(text, remit, runs)}


def apply_271_once(text: str) -> dict[str, float]:
    """`eligibility apply`'s work in process: the 271 applied to a new SQLite ledger (no
    inquiry matches: each answer is looked up by member id), one transaction."""
    with tempfile.TemporaryDirectory() as work:
        ledger = Ledger(f"sqlite:///{Path(work) / 'apply.db'}")
        try:
            with ledger.transaction() as s:
                wall, cpu = _timed(lambda: apply_271(s, text, "big.271", as_of=DAY, who="bench"))
        finally:
            ledger.close()
    mb = len(text.encode()) / 1e6
    return {
        "apply_s": round(wall, 2),
        "apply_cpu_s": round(cpu, 2),
        "apply_mb_per_s": round(mb / wall, 1),
    }


def _command(args: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of one `ptbill` process (exit 1: someone inactive)."""
    return timed_command([sys.executable, "-m", "ptbill", *args])


def end_to_end(text: str, remit: str, runs: int) -> dict[str, float]:
    """`ptbill eligibility read --json` and, as the anchor, `ptbill remit --json`: best of
    `runs` processes each, alternated so that both see the same host."""
    with tempfile.TemporaryDirectory() as work:
        f271, f835 = Path(work) / "big.271", Path(work) / "big.835"
        f271.write_text(text)
        f835.write_text(remit)
        startup = [_command(["--version"]) for _ in range(runs)]
        times: dict[str, list[tuple[float, float, float]]] = {"271": [], "835": []}
        for _ in range(runs):
            times["271"].append(_command(["eligibility", "read", str(f271), "--json"]))
            times["835"].append(_command(["remit", str(f835), "--json"]))
    mb = {"271": len(text.encode()) / 1e6, "835": len(remit.encode()) / 1e6}
    out = {
        "cli_startup_s": round(min(w for w, _, _ in startup), 2),
        "cli_startup_cpu_s": round(min(c for _, c, _ in startup), 2),
    }
    for kind, label in (("271", "cli_271_read_json"), ("835", "cli_835_remit_json")):
        wall = min(w for w, _, _ in times[kind])
        cpu = min(c for _, c, _ in times[kind])
        out[f"{label}_s"] = round(wall, 2)
        out[f"{label}_mb_per_s"] = round(mb[kind] / wall, 1)
        out[f"{label}_cpu_s"] = round(cpu, 2)
        out[f"{label}_cpu_mb_per_s"] = round(mb[kind] / cpu, 1)
        out[f"{label}_peak_mb"] = round(max(p for _, _, p in times[kind]))
    return out


def bench_exchange(visits: int, work: Path) -> dict[str, float]:
    """25 submissions of a 25th of the visits each; the payer's 999, 277CA and 835 for each,
    and 25 271s: 100 files taken in by one run."""
    config = load_config(None)
    generated = generate(visits, 7, start=DAY, days=5)
    ledger = Ledger(f"sqlite:///{work / 'bench.db'}")
    submit_day = DAY + dt.timedelta(days=10)
    received = submit_day + dt.timedelta(days=1)
    inbound = work / "box" / "outbound"
    inbound.mkdir(parents=True)
    for n in range(25):
        path = work / f"visits-{n}.jsonl"
        path.write_text("".join(json.dumps(v) + "\n" for v in generated[n::25]))
        with ledger.transaction() as s:
            import_files(s, [str(path)], as_of=submit_day, config=config, who="bench")
        with ledger.transaction() as s:
            sent = submit(s, config, as_of=submit_day, who="bench", file_name=f"{n}.837")
        if not sent.text:
            continue
        answers = simulate(sent.text, config, received=received, number=100 + n)
        for kind, text in (("999", answers.ack_999), ("277", answers.ack_277)):
            (inbound / f"{n:02d}.{kind}").write_text(text)
        if answers.remit_835:
            (inbound / f"{n:02d}.835").write_text(answers.remit_835)
        (inbound / f"{n:02d}.271").write_text(big_271(40, 200 + n))
    files = len(list(inbound.iterdir()))
    house = Clearinghouse(local=str(work / "box"))
    bench_config = config.model_copy(update={"clearinghouses": {"ch": house}})
    t = time.perf_counter()
    run = run_exchange(ledger, bench_config, as_of=received, who="bench")
    elapsed = time.perf_counter() - t
    ledger.close()
    summary = run.as_json()
    return {
        "files": files,
        "applied": summary["applied"],
        "duplicates": summary["duplicates"],
        "set_aside": summary["set_aside"],
        "failed": summary["failed"],
        "seconds": round(elapsed, 2),
        "files_per_s": round(files / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--visits", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only-271", action="store_true", help="Skip the exchange run.")
    args = parser.parse_args()
    if args.quick:
        args.patients, args.visits, args.runs = 2000, 200, 1
    print("load average:", os.getloadavg(), flush=True)
    print("271 reading:", bench_271(args.patients, args.runs), flush=True)
    print("load average:", os.getloadavg(), flush=True)
    if args.only_271:
        return
    with tempfile.TemporaryDirectory() as work:
        print("exchange run:", bench_exchange(args.visits, Path(work)), flush=True)


if __name__ == "__main__":
    main()
