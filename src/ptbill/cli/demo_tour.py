"""`ptbill demo` (`make demo`): the demo clinic end to end on an embedded SQLite database.

1. One clinic day generated and coded, with one visit explained line by line.
2. The whole claim loop on a month of visits (ptbill.demo.loop): import (code, price, scrub),
   submit an 837P, the simulated payer's 999/277CA and 835s, posting, the worklist and the
   report.
3. How to open the workbench on the demo database.

Files land in the output folder (out/demo/ by default); the database is its ptbill.db, made
anew each run. The demo's data and steps are ptbill.demo's; this module only shows them.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ptbill.cli.coding_cmds import code_files, render_coded
from ptbill.cli.common import out as stdout
from ptbill.cli.ledger_cmds import render_report
from ptbill.config import load_config
from ptbill.demo.exchange import exchange_cycle
from ptbill.demo.generator import generate
from ptbill.demo.loop import AS_OF, CODING_DAY, SEED, run_loop
from ptbill.demo.workbench import demo_hint, ensure_demo_users
from ptbill.ledger.db import Ledger


def coding_day(console: Console, out: Path) -> None:
    path = out / "day.jsonl"
    visits = generate(60, SEED, start=CODING_DAY, days=1)
    path.write_text("".join(json.dumps(v) + "\n" for v in visits), encoding="utf-8")
    coded = code_files((str(path),), load_config(None))
    console.rule(f"[bold]1. Elm Street PT, {CODING_DAY}: {len(coded)} visits coded[/]")
    console.print(
        f"(re-run with: .venv/bin/ptbill code {path}; scrub it with .venv/bin/ptbill scrub {path})"
    )
    by_payer = Table(
        "Payer", "Method", "Visits", "Lines billed", "Units", "Charges", title_justify="left"
    )
    rows: dict[str, list] = {}
    for c in coded:
        r = rows.setdefault(c.payer, [c.unit_method, 0, 0, 0, Decimal(0)])
        r[1] += 1
        r[2] += len(c.billed_lines)
        r[3] += sum(x.units for x in c.billed_lines)
        r[4] += c.total_charge
    for payer, (method, n, lines, units, charge) in sorted(rows.items()):
        by_payer.add_row(payer, method.upper(), str(n), str(lines), str(units), f"${charge:,}")
    console.print(by_payer)
    mods = Counter(m for c in coded for x in c.billed_lines for m in x.modifiers)
    console.print("modifiers: " + ", ".join(f"{k} {v}" for k, v in mods.most_common()))
    unbilled = sum(1 for c in coded for x in c.lines if x.units == 0)
    console.print(f"{unbilled} documented service(s) earned no unit (each with its reason)")
    example = max(coded, key=lambda c: (len(c.billed_lines), c.visit_id))
    console.print("\nOne visit explained:")
    render_coded(example)


def remove_sqlite(db_path: Path) -> None:
    """A SQLite database gone with the files SQLite keeps beside it: a workbench still open on
    the last demo's database keeps its write-ahead log, which a new database of the same name
    would take for its own ("disk I/O error"); that workbench goes on showing the old database
    until restarted."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)


def claim_loop(console: Console, out: Path) -> str:
    db_path = out / "ptbill.db"
    remove_sqlite(db_path)
    db = f"sqlite:///{db_path}"
    console.rule("[bold]2. A month of claims: import, submit, payer answers, posting[/]")
    started = time.perf_counter()
    result = run_loop(db, out, AS_OF)
    console.print(
        f"done in {time.perf_counter() - started:.1f} s; files in {out}/: "
        + ", ".join(sorted(Path(p).name for p in result["files"].values()))
    )
    for step, what in result["steps"].items():
        if isinstance(what, dict):
            shown = ", ".join(
                f"{k} {v:,.2f}" if isinstance(v, Decimal) else f"{k} {v}"
                for k, v in what.items()
                if isinstance(v, int | str | Decimal) and len(str(v)) < 40
            )
            console.print(f"  {step}: {shown}")
    after_primary(console, result)
    items = result["worklist"]
    console.print(f"\n[bold]Worklist: {len(items)} open item(s)[/]")
    kinds = Counter((w["kind"], w["category"]) for w in items)
    for (kind, category), n in kinds.most_common():
        console.print(f"  {n:4d}  {kind:<12} {category or ''}")
    for w in items[:5]:
        carc = f" CARC {w['carc']}" if w["carc"] else ""
        console.print(
            f"  e.g. {w['claim_id']}: {w['kind']} {w['category'] or ''}{carc} "
            f"-> {w['action']} by {w['due_date']}"
        )
    console.print()
    render_report(result["report"])
    with Ledger(db) as ledger:
        ensure_demo_users(ledger.sessions)
    return db


def after_primary(console: Console, result: dict) -> None:
    """Secondary claims, crossovers, patient payments and statements."""
    steps = result["steps"]
    first = steps.get("post-1", {}).get("next_payers", {})
    console.print("\n[bold]After the primary payer[/]")
    second, crossed = steps.get("secondary-835", {}), steps.get("crossover-835", {})
    console.print(
        f"  {len(first.get('secondary', []))} claim(s) went on to a Medigap plan: "
        f"{steps.get('secondary', {}).get('claims', 0)} submitted (secondary.837), "
        f"{second.get('claims', 0)} paid ${second.get('paid_total', 0):,.2f}"
    )
    console.print(
        f"  {len(first.get('crossover', []))} claim(s) Medicare crossed over to Medicaid: "
        f"{crossed.get('claims', 0)} paid ${crossed.get('paid_total', 0):,.2f} (crossover.835)"
    )
    corrected = steps.get("post-2", {}).get("next_payers", {}).get("corrected", [])
    if corrected:
        console.print(
            f"  {len(corrected)} secondary claim(s) corrected after Medicare reversed its payment"
        )
    paid = steps.get("patient-payments", {})
    console.print(
        f"  {paid.get('patients', 0)} patient(s) paid ${paid.get('paid', 0):,.2f} at the desk"
    )
    st = steps.get("statements", {})
    console.print(
        f"  {st.get('statements', 0)} statement(s) printed for ${st.get('balance', 0):,.2f} due: "
        f"{result['files'].get('statements.pdf', '-')} and the mail vendor's "
        f"{result['files'].get('statements.csv', '-')}"
    )


def mailbox_cycle(console: Console, db: str, out: Path) -> None:
    console.rule("[bold]3. The clearinghouse mailbox: one exchange cycle[/]")
    done = exchange_cycle(db, out, AS_OF)
    console.print(
        f"asked eligibility for {done['inquiries']} patient(s) of {done['eligibility_day']} and "
        f"the status of {done['status_requests']} claim(s); the payer answered "
        f"{', '.join(done['served'].written) or 'nothing'} into {out}/mailbox"
    )
    for run in (done["sent"], done["taken"]):
        console.print(f"exchange run #{run.run_id}: {run.status}")
        for o in run.outcomes:
            console.print("  " + o.line(), markup=False)
    console.print(f"(again: .venv/bin/ptbill --db {out}/ptbill.db exchange runs)")


def run_demo(out: Path) -> None:
    console = stdout.console  # messages unwrapped when piped, as every command's
    out.mkdir(parents=True, exist_ok=True)
    coding_day(console, out)
    db = claim_loop(console, out)
    mailbox_cycle(console, db, out)
    console.rule("[bold]4. The biller's workbench[/]")
    console.print(demo_hint(db))
