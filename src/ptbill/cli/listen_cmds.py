"""`ptbill listen --mllp HOST:PORT`: the live HL7 v2 listener, storing each accepted message
in the ledger as one import."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from ptbill.cli.clock import today
from ptbill.cli.common import err, user_errors
from ptbill.cli.ledger_cmds import _day, who
from ptbill.cli.scrub_cmds import DATE
from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError
from ptbill.intake.mllp import Listener, Store, serve

ADDRESS = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[^:]+):(?P<port>\d{1,5})$")


def ledger_store(
    db: str | None, config: Config, day: Callable[[Visit], dt.date], actor: str
) -> Store:
    """Store one visit in the ledger as one import (one transaction: all of it or nothing),
    scrubbed as of `day(visit)`: the listener runs for days, so "today" is asked per message."""
    from ptbill.ledger.db import Ledger
    from ptbill.ledger.importer import import_files

    ledger = Ledger(db)  # open while the listener runs (a transaction per message)

    def store(visit: Visit, control_id: str) -> None:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"mllp-{control_id or visit.visit_id}")[:80]
        with tempfile.TemporaryDirectory(prefix="ptbill-mllp-") as folder:
            path = Path(folder) / f"{name}.json"
            path.write_text(visit.model_dump_json(exclude_unset=True), encoding="utf-8")
            with ledger.transaction() as session:
                import_files(
                    session,
                    [str(path)],
                    as_of=day(visit),
                    config=config,
                    who=actor,
                    fmt="json",
                )

    return store


def _print_json(control_id: str, ack: str, visit_id: str | None, problem: str) -> None:
    line = {"control_id": control_id, "ack": ack, "visit_id": visit_id, "problem": problem}
    click.echo(json.dumps(line), nl=True)
    sys.stdout.flush()


def parse_address(value: str) -> tuple[str, int]:
    m = ADDRESS.match(value)
    if not m or not 0 < int(m.group("port")) < 65536:
        raise InputError(
            file="command line", visit_id=None, field="--mllp",
            problem=f"{value!r} is not HOST:PORT", fix="write e.g. --mllp 127.0.0.1:2575",
        )  # fmt: skip
    return m.group("host").strip("[]"), int(m.group("port"))


@click.command("listen")
@click.option("--mllp", "address", required=True, help="Listen for HL7 v2 over MLLP on HOST:PORT.")
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Scrub date of the stored visits. Default: the day each message arrives, in its "
    "clinic's time zone.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="One JSON line on stdout per message answered: control_id, ack, visit_id, problem.",
)
@click.pass_context
@user_errors
def listen(ctx: click.Context, address: str, as_of: dt.datetime | None, as_json: bool) -> None:
    """Receive DFT^P03 charge messages over MLLP and store each in the ledger as one import,
    answering AA (stored), AE with the reason (refused) or AR (unreadable). Ctrl-C or SIGTERM
    stops it."""
    host, port = parse_address(address)
    config = load_config(ctx.obj.get("config"))
    fixed = _day(as_of)

    def day(visit: Visit) -> dt.date:
        return fixed or today(ctx, config, visit.clinic)

    store = ledger_store(ctx.obj.get("db") or os.environ.get("PTBILL_DB"), config, day, who())
    listener = Listener(config, store, heard=_print_json if as_json else None)

    async def run() -> None:
        server = await serve(listener, host, port)
        # SIGTERM (`systemctl stop`) stops it as Ctrl-C does: the port closed, the tally said.
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        err.print(f"listening for HL7 v2 (MLLP) on {host}:{port}; Ctrl-C or SIGTERM stops")
        async with server:
            await stop.wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as e:
        raise InputError(
            file="command line", visit_id=None, field="--mllp",
            problem=f"cannot listen on {host}:{port} ({e.strerror})", fix="choose a free port",
        ) from None  # fmt: skip
    t = listener.tally
    err.print(f"stopped: {t.accepted} stored, {t.refused} refused, {t.unreadable} unreadable")
