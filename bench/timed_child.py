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
