"""One command run in a child process, timed: wall and CPU seconds and its own peak memory."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def timed_command(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MB) of `args` run to the end, its output thrown away; exit 0 or 1
    (1: some visit blocked, someone inactive) or an AssertionError with its stderr's tail. The
    peak is /usr/bin/time's: a child this (large) process starts would report this process's
    pages as its own maximum resident set."""
    with tempfile.NamedTemporaryFile("r") as peak, tempfile.TemporaryFile() as err:
        wall = time.perf_counter()
        child = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, *args],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=env,
        )
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - wall
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise AssertionError(args, code, err.read()[-500:])
        kilobytes = int(peak.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, kilobytes / 1024


class TreeMemory:
    """Samples, every 50 ms, the memory of a process (`root`, else this one) and its children
    (workers): the peak of their summed PSS (shared pages split between the processes that
    share them) and of their summed RSS (shared pages counted in each: an upper bound), MB."""

    def __init__(self, root: int | None = None) -> None:
        import threading

        self.root = root or os.getpid()
        self.pss = self.rss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            pss = rss = 0.0
            for pid in [self.root, *_children(self.root)]:
                try:
                    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                        for line in f:
                            if line.startswith(("Pss:", "Rss:")):
                                kb = int(line.split()[1]) / 1024
                                pss, rss = (pss + kb, rss) if line[0] == "P" else (pss, rss + kb)
                except OSError:
                    continue  # a worker that just ended
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []
