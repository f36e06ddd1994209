"""Export and backup benchmark: `ptbill export` of each kind of row, and `ptbill backup`, from
ledgers of two sizes (generated visits imported, submitted, answered by the simulated payer
and posted), each in a process of its own so that its peak memory (max RSS) is its own.

    python bench/bench_export.py                 # 5,000 and 50,000 visits
    python bench/bench_export.py --visits 2000 20000
    python bench/bench_export.py --quick         # 500 and 5,000 visits

The export streams its rows, so its peak memory should stay flat while the ledger grows ten
times. SQLite only. Writes nothing but a temporary directory, removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from bench_ledger import _in_child, _timed, posted_ledger  # noqa: E402


def phase_export(url: str, what: str, out: str) -> dict[str, Any]:
    from ptbill.ledger.db import Ledger
    from ptbill.reports.export import ExportQuery, write

    def run() -> int:
        with (
            Ledger(url, read_only=True) as ledger,
            ledger.transaction() as s,
            open(out, "w", encoding="utf-8", newline="") as f,
        ):
            return write(s, ExportQuery(what), "csv", f)  # type: ignore[arg-type]

    count, wall, cpu = _timed(run)
    return {
        "count": count,
        "wall": wall,
        "cpu": cpu,
        "peak_mb": _peak(),
        "bytes": Path(out).stat().st_size,
    }


def phase_backup(url: str, out: str) -> dict[str, Any]:
    from ptbill.ledger.backup import backup

    done, wall, cpu = _timed(lambda: backup(url, out))
    return {"count": done.bytes, "wall": wall, "cpu": cpu, "peak_mb": _peak()}


def _peak() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[5000, 50_000])
    parser.add_argument("--quick", action="store_true", help="500 and 5,000 visits")
    args = parser.parse_args(argv)
    if args.quick:
        args.visits = [500, 5000]
    tmp = Path(tempfile.mkdtemp(prefix="ptbill-bench-export-"))
    try:
        for n in args.visits:
            base = tmp / str(n)
            base.mkdir()
            url, _, _ = posted_ledger(base, n)
            size = (base / "ledger.db").stat().st_size
            print(f"{n:,} visits: ledger {size / 2**20:,.0f} MB")
            for what in ("claims", "payments", "adjustments", "work-items"):
                r = _in_child(phase_export, url, what, str(base / f"{what}.csv"))
                print(
                    f"  export {what:<12} {r['count']:>9,} rows {r['bytes'] / 2**20:7.1f} MB "
                    f"{r['wall']:6.2f} s {r['count'] / r['wall']:9,.0f} rows/s (per CPU second "
                    f"{r['count'] / r['cpu']:7,.0f})  peak {r['peak_mb']:5.0f} MB"
                )
            r = _in_child(phase_backup, url, str(base / "backup.db"))
            print(
                f"  backup {r['count'] / 2**20:,.0f} MB in {r['wall']:.2f} s, peak "
                f"{r['peak_mb']:.0f} MB"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
