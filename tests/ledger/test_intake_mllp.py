"""The MLLP listener, driven by a real MLLP client (python-hl7's) over loopback: AA stores the
visit, AE refuses a message with the reason and stores nothing of it, AR answers a message it
cannot read; the listener goes on after each."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hl7.mllp import open_hl7_connection
from sqlalchemy import func, select

from ptbill.cli.listen_cmds import ledger_store
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.intake import hl7v2_export
from ptbill.intake.mllp import Listener, serve
from ptbill.ledger import models as m
from ptbill.ledger.db import Ledger
from tests.factories import timed, visit_dict


def _message(visit_id: str, payer: str = "medicare") -> str:
    d = visit_dict(timed("97110", 24), timed("97140", 13, body_region="right knee"))
    d.update(visit_id=visit_id, payer=payer, total_timed_minutes=37)
    visit = Visit.model_validate(d)
    return hl7v2_export.write_message(visit, 1, _config())


def _config() -> Config:
    from ptbill.config import load_config

    return load_config(None)


async def _exchange(port: int, texts: list[bytes]) -> list[str]:
    reader, writer = await open_hl7_connection("127.0.0.1", port, encoding="utf-8")
    answers = []
    for text in texts:
        writer.writeblock(text)
        await writer.drain()
        block = await asyncio.wait_for(reader.readblock(), timeout=30)
        answers.append(block.decode("utf-8"))
    writer.close()
    return answers


def _msa(ack: str) -> list[str]:
    msa = next(s for s in ack.split("\r") if s.startswith("MSA"))
    return msa.split("|")


def _visits(url: str) -> list[str]:
    with Ledger(url) as ledger, ledger.transaction() as s:
        return sorted(s.scalars(select(m.Visit.visit_id)).all())


def test_the_listener_acks_and_stores_each_message(db_url: str, config: Config) -> None:
    good = _message("V-MLLP-1")
    unknown_payer = good.replace("V-MLLP-1", "V-MLLP-2").replace(
        "|medicare|medicare|", "|ACME-X|ACME-X|"
    )
    second = _message("V-MLLP-3")
    store = ledger_store(db_url, config, lambda _visit: dt.date(2026, 3, 10), "mllp-test")
    heard: list[tuple[str, str, str | None, str]] = []
    listener = Listener(config, store, heard=lambda *a: heard.append(a))

    async def run() -> list[str]:
        server = await serve(listener, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            answers = await _exchange(
                port,
                [good.encode(), unknown_payer.encode(), b"this is not HL7", second.encode()],
            )
        return answers

    answers: list[Any] = asyncio.run(run())
    stored, refused, unreadable, again = (_msa(a) for a in answers)
    assert stored[1] == "AA" and stored[2] == "DEMO00000001"
    assert refused[1] == "AE"
    assert "'ACME-X' is not recognised" in refused[3] and "IN1" in refused[3]
    assert unreadable[1] == "AR"
    assert again[1] == "AA"  # the listener went on after the refusals
    assert _visits(db_url) == ["V-MLLP-1", "V-MLLP-3"]
    assert [(h[1], h[2]) for h in heard] == [
        ("AA", "V-MLLP-1"),
        ("AE", None),
        ("AR", None),
        ("AA", "V-MLLP-3"),
    ]  # what `ptbill listen --json` prints, one line each
    assert "'ACME-X' is not recognised" in heard[1][3]
    assert (listener.tally.accepted, listener.tally.refused, listener.tally.unreadable) == (2, 1, 1)
    with Ledger(db_url) as ledger, ledger.transaction() as s:
        assert s.scalar(select(func.count()).select_from(m.Claim)) == 2


def test_a_message_the_ledger_refuses_is_answered_ae_and_nothing_is_stored(
    db_url: str, config: Config
) -> None:
    """The ledger's own refusal (here: a visit of a clinic the configuration lacks) rolls the
    message's import back and answers AE with the reason."""
    elsewhere = Visit.model_validate({**visit_dict(timed("97110", 24)), "clinic": "nowhere"})
    store = ledger_store(db_url, config, lambda v: v.date_of_service, "mllp-test")
    listener = Listener(config, lambda visit, cid: store(elsewhere, cid))
    ack = asyncio.run(listener.answer(_message("V-MLLP-9")))
    assert _msa(ack)[1] == "AE" and "no clinic 'nowhere'" in ack
    assert _visits(db_url) == []


@contextmanager
def _listening(db: str, *options: str) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`ptbill listen` as a clinic runs it: a process on a free loopback port, stopped by Ctrl-C."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptbill", "--db", db, *options, "listen",
         "--mllp", f"127.0.0.1:{port}", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None and proc.stdout is not None
        assert "listening" in proc.stderr.readline()
        yield port, proc
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_ptbill_listen_answers_over_loopback_and_prints_json(tmp_path: Path) -> None:
    """The command itself, as a clinic runs it: a process listening on a loopback port."""
    db = f"sqlite:///{tmp_path / 'listen.db'}"
    with _listening(db, "--today", "2026-03-10") as (port, proc):
        [answer] = asyncio.run(_exchange(port, [_message("V-CLI-1").encode()]))
        assert _msa(answer)[1] == "AA"
        assert proc.stdout is not None
        line = json.loads(proc.stdout.readline())
        assert line == {
            "control_id": "DEMO00000001",
            "ack": "AA",
            "visit_id": "V-CLI-1",
            "problem": "",
        }
    assert _visits(db) == ["V-CLI-1"]


def test_ptbill_listen_scrubs_each_message_as_of_the_day_it_arrives(tmp_path: Path) -> None:
    """Without --as-of a message is scrubbed as of today (here frozen a year and a day after
    its date of service: past Medicare's 12-month filing limit, 42 CFR 424.44), not as of its
    own date of service, where every claim would be timely."""
    visit = Visit.model_validate(visit_dict(timed("97110", 24)))
    late = visit.date_of_service.replace(year=visit.date_of_service.year + 1) + dt.timedelta(1)
    db = f"sqlite:///{tmp_path / 'listen.db'}"
    with _listening(db, "--today", late.isoformat()) as (port, _proc):
        [answer] = asyncio.run(_exchange(port, [_message("V-LATE-1").encode()]))
        assert _msa(answer)[1] == "AA"  # stored: a late claim is work, not a refusal
    with Ledger(db) as ledger, ledger.transaction() as s:
        version = s.scalars(select(m.ClaimVersion)).one()
        rules = {f["category"] for f in json.loads(version.findings_json)}
    assert version.scrub_status == "blocked" and "timely_filing" in rules


def test_ptbill_listen_stops_on_sigterm_as_on_ctrl_c(tmp_path: Path) -> None:
    """`systemctl stop` sends SIGTERM: the listener stops as Ctrl-C stops it, saying what it
    stored (it was killed without a word, its tally lost), and exits 0."""
    db = f"sqlite:///{tmp_path / 'listen.db'}"
    with _listening(db, "--today", "2026-03-10") as (port, proc):
        [answer] = asyncio.run(_exchange(port, [_message("V-TERM-1").encode()]))
        assert _msa(answer)[1] == "AA"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr is not None
        said = proc.stderr.read()
        assert "stopped: 1 stored, 0 refused, 0 unreadable" in said and "Traceback" not in said
    assert _visits(db) == ["V-TERM-1"]
