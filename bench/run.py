"""`make bench`: run every bench/bench_*.py in turn (pass --quick for smoke runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failed = 0
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        failed |= subprocess.call([sys.executable, str(script), *sys.argv[1:]])
    return failed


if __name__ == "__main__":
    sys.exit(main())
