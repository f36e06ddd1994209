"""A real OpenSSH server for the tests (Debian's openssh-server; .ci/run installs it).

Each test gets its own sshd on a free loopback port, with a throwaway host key, a throwaway
client key in an authorized_keys file and a configuration file, all in the test's temporary
folder. The server runs as the user running the tests and lets only that user in (key or
password, PAM off). Skipped, saying why, only when sshd is not installed.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ptbill.config.profiles import Clearinghouse

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


@dataclass
class SshServer:
    port: int
    user: str
    client_key: Path
    known_hosts: Path
    root: Path  # the folder the mailbox lives in
    process: subprocess.Popen[bytes]

    def house(self, **overrides: object) -> Clearinghouse:
        values: dict[str, object] = {
            "name": "test clearinghouse",
            "host": "127.0.0.1",
            "port": self.port,
            "user": self.user,
            "key_file": str(self.client_key),
            "known_hosts": str(self.known_hosts),
            "outbound": str(self.root / "to-payer"),
            "inbound": (str(self.root / "from-payer"),),
            "archive": str(self.root / "archive"),
            "timeout_seconds": 10,
        }
        values.update(overrides)
        return Clearinghouse(**values)  # type: ignore[arg-type]

    def drop_connections(self) -> int:
        """Kill the server's per-connection processes (the listener stays): a connection
        dropped mid-transfer. Returns how many were killed."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        todo, killed = list(children.get(self.process.pid, [])), 0
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        return killed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshServer]:
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH server (sshd) is not installed: apt-get install openssh-server")
    base = tmp_path / "sshd"
    root = tmp_path / "mailbox"
    for folder in (base, root, root / "to-payer", root / "from-payer", root / "archive"):
        folder.mkdir(parents=True)
    _keygen(base / "host_key")
    _keygen(base / "client_key")
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    user = getpass.getuser()
    port = _free_port()
    config = base / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {base / 'host_key'}",
                "PidFile none",
                "UsePAM no",
                "StrictModes no",
                f"PermitRootLogin {'yes' if os.geteuid() == 0 else 'no'}",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                f"AuthorizedKeysFile {base / 'authorized_keys'}",
                f"AllowUsers {user}",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
    log = open(base / "sshd.log", "wb")  # noqa: SIM115
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=log, stdout=log)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                process.kill()
                raise RuntimeError(
                    "sshd did not start: " + (base / "sshd.log").read_text(errors="replace")
                ) from None
            time.sleep(0.05)
    host_key = (base / "host_key.pub").read_text().split()
    known = base / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key[0]} {host_key[1]}\n")
    server = SshServer(port, user, base / "client_key", known, root, process)
    try:
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
