"""`make demo`: one day of the bundled demo clinic, generated, coded and summarised.

Writes the day's visits to out/demo/visits.jsonl (the same file `ptbill code` reads) and prints
what a biller would look at: the day by payer, the lines and units billed, the modifiers the
payers require, the services that earned no unit and why, and one visit explained in full.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ptbill.cli.coding_cmds import code_files, render_coded
from ptbill.demo.generator import generate

DAY = dt.date(2026, 3, 2)
VISITS = 60
SEED = 2026


def main() -> None:
    console = Console(highlight=False)
    out = Path("out/demo")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "visits.jsonl"
    visits = generate(VISITS, SEED, start=DAY, days=1)
    path.write_text("".join(json.dumps(v) + "\n" for v in visits), encoding="utf-8")
    coded = code_files((str(path),), None)

    console.rule(f"[bold]Elm Street PT, {DAY}: {len(coded)} visits coded[/]")
    console.print(f"visits written to {path}; re-run with: .venv/bin/ptbill code {path}\n")

    by_payer = Table("Payer", "Method", "Visits", "Lines billed", "Units", "Charges",
                     title="The day by payer", title_justify="left")
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

    codes = Counter()
    mods = Counter()
    for c in coded:
        for x in c.billed_lines:
            codes[x.code] += x.units
            mods.update(m for m in x.modifiers)
    console.print("units by code: " + ", ".join(f"{k} x{v}" for k, v in codes.most_common()))
    console.print("modifiers:     " + ", ".join(f"{k} {v}" for k, v in mods.most_common()))

    unbilled = [(c.visit_id, x) for c in coded for x in c.lines if x.units == 0]
    console.print(f"\n[bold]{len(unbilled)} documented service(s) earned no unit:[/]")
    for visit_id, x in unbilled[:8]:
        console.print(f"  {visit_id} {x.code}: {x.reason}")

    example = max(coded, key=lambda c: (len(c.billed_lines), c.visit_id))
    console.print("\n[bold]One visit explained line by line:[/]")
    render_coded(example)


if __name__ == "__main__":
    main()
