"""A demo ledger for the workbench: generated visits run through the whole claim loop
(import, submit, a simulated payer's 999/277CA/835), plus one demo user per role.

The tests, the load benchmark and `make demo` use it. Dates come from the generated visits and
the simulated payer, never the clock.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.config import load_config
from ptbill.demo.generator import generate
from ptbill.ledger.acks import apply_acks
from ptbill.ledger.importer import import_files
from ptbill.ledger.submit import submit
from ptbill.payer_sim import simulate
from ptbill.remit.post import post_text
from ptbill.web.accounts import add_user, create_token
from ptbill.web.db import open_database
from ptbill.web.models import ROLES, User
from ptbill.x12 import read_277ca, read_999

DEMO_PASSWORD = "ptbill-demo"  # printed by `make demo`; a demo database holds invented people
WHO = "demo"


@dataclass(frozen=True)
class DemoLedger:
    url: str
    visits_path: Path
    remit_835: str  # the simulated payer's 835 (posted only when asked)
    as_of: dt.date  # the day the 835 was paid: the ledger's latest date once it is posted


def build_demo_ledger(
    url: str,
    folder: Path,
    *,
    visits: int = 200,
    seed: int = 7,
    start: dt.date = dt.date(2026, 2, 2),
    days: int = 15,
    post: bool = True,
) -> DemoLedger:
    """Generate `visits` visits, import them, submit the ready claims, apply the simulated
    payer's 999 and 277CA, and (when `post`) post its 835."""
    folder.mkdir(parents=True, exist_ok=True)
    config = load_config(None)
    path = folder / "visits.jsonl"
    docs = generate(visits, seed, start, days)
    path.write_text("".join(json.dumps(v) + "\n" for v in docs), encoding="utf-8")
    last_dos = max(dt.date.fromisoformat(v["date_of_service"]) for v in docs)
    db = open_database(url)
    sessions = db.sessions
    try:
        with sessions.begin() as s:
            import_files(s, [str(path)], as_of=last_dos, config=config, who=WHO)
        sent_on = last_dos + dt.timedelta(days=1)
        with sessions.begin() as s:
            text = submit(s, config, as_of=sent_on, who=WHO, file_name="demo-1.837").text
        answer = simulate(text, config, received=sent_on)
        with sessions.begin() as s:
            apply_acks(
                s,
                read_999(_stream(answer.ack_999)),
                as_of=sent_on,
                who=WHO,
                file_name="demo-1.999",
                content=answer.ack_999,
            )
            apply_acks(
                s,
                read_277ca(_stream(answer.ack_277)),
                as_of=sent_on,
                who=WHO,
                file_name="demo-1.277",
                content=answer.ack_277,
            )
        assert answer.remit_835 is not None and answer.paid_on is not None
        if post:
            with sessions.begin() as s:
                post_text(s, answer.remit_835, "demo-1.835", who=WHO, config=config, as_of=None)
    finally:
        db.dispose()
    return DemoLedger(url, path, answer.remit_835, answer.paid_on)


def _stream(text: str):  # noqa: ANN202 (a text stream for the readers)
    import io

    return io.StringIO(text)


def ensure_demo_users(sessions: sessionmaker[Session]) -> dict[str, str]:
    """One user per role, named after it, with the demo password; returns role -> API token
    (a new token each call)."""
    tokens = {}
    with sessions.begin() as s:
        for role in ROLES:
            if s.scalar(select(User.id).where(User.name == role)) is None:
                add_user(s, role, role, DEMO_PASSWORD)
            tokens[role] = create_token(s, role)
    return tokens


def demo_hint(db: str, port: int = 8000) -> str:
    """What `make demo` prints at its end: how to open the workbench on the demo database."""
    return (
        f"Open the workbench: .venv/bin/ptbill --db {db} serve --port {port}\n"
        f"  then http://127.0.0.1:{port}/ and log in as biller (or admin, viewer) with the "
        f"password {DEMO_PASSWORD}"
    )
