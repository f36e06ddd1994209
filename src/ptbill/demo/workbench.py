"""A demo ledger for the workbench: generated visits of two clinics run through the whole claim
loop (import, submit, a simulated payer's 999/277CA/835, by the demo loop's own steps:
ptbill.demo.loop), plus one demo user per role and a biller of each clinic.

The tests, the load benchmark and `make demo` use it. Dates come from the generated visits and
the simulated payer, never the clock.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.demo.generator import generate
from ptbill.demo.loop import WHO, answer_claims, post_remit
from ptbill.ledger.db import Ledger
from ptbill.ledger.importer import import_files
from ptbill.ledger.models import Clinic
from ptbill.ledger.scope import ensure_clinics, scope_of
from ptbill.ledger.submit import submit
from ptbill.web.accounts import add_user, create_token
from ptbill.web.models import User
from ptbill.web.settings import CLINIC_ROLES, COMPANY_ROLES

DEMO_PASSWORD = "ptbill-demo"  # printed by `make demo`; a demo database holds invented people


@dataclass(frozen=True)
class DemoLedger:
    url: str
    visits_path: Path
    remits: tuple[str, ...]  # each clinic's 835 from the simulated payer (posted when asked)
    as_of: dt.date  # the day the 835s were paid: the ledger's latest date once posted

    @property
    def remit_835(self) -> str:
        """The first clinic's 835."""
        return self.remits[0]


def _spread(docs: list[dict], keys: list[str]) -> None:
    """The patients (and all their visits) dealt to the clinics in turn."""
    patients = sorted({d["patient"]["id"] for d in docs})
    clinic = {p: keys[i % len(keys)] for i, p in enumerate(patients)}
    for d in docs:
        d["clinic"] = clinic[d["patient"]["id"]]


def build_demo_ledger(
    url: str,
    folder: Path,
    *,
    visits: int = 200,
    seed: int = 7,
    start: dt.date = dt.date(2026, 2, 2),
    days: int = 15,
    post: bool = True,
    clinics: Sequence[str] | None = None,
    config: Config | None = None,
) -> DemoLedger:
    """Generate `visits` visits, their patients dealt to the configuration's clinics (the
    bundled one's two); then for each clinic in turn (of `clinics`, in that order; default:
    all, by key) import its visits, submit its ready claims (an 837P), apply the simulated
    payer's 999 and 277CA and (when `post`) post its 835. A clinic's rows are all made before
    the next clinic's: a ledger of the first clinic alone gives them the same ids."""
    folder.mkdir(parents=True, exist_ok=True)
    config = config or load_config(None)
    docs = generate(visits, seed, start, days)
    _spread(docs, sorted(config.clinics))
    keys = list(clinics) if clinics is not None else sorted({d["clinic"] for d in docs})
    kept = [d for d in docs if d["clinic"] in keys]

    def write(name: str, text: str) -> str:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    path = Path(write("visits.jsonl", _lines(kept)))
    last_dos = max(dt.date.fromisoformat(v["date_of_service"]) for v in docs)
    sent_on = last_dos + dt.timedelta(days=1)
    remits: list[str] = []
    paid_on = last_dos
    with Ledger(url) as ledger:
        for n, key in enumerate(keys, start=1):
            part = write(f"visits-{key}.jsonl", _lines(v for v in kept if v["clinic"] == key))
            with ledger.transaction() as s:
                import_files(s, [part], as_of=last_dos, config=config, who=WHO)
            with ledger.transaction() as s:
                scope = scope_of(s, [key])
                text = submit(
                    s, config, as_of=sent_on, who=WHO, file_name=f"demo-{n}.837", scope=scope
                ).text
            if not text:
                continue
            answer, _ = answer_claims(ledger, config, text, write, f"demo-{n}", received=sent_on)
            assert answer.remit_835 is not None and answer.paid_on is not None
            remits.append(answer.remit_835)
            paid_on = max(paid_on, answer.paid_on)
            if post:
                post_remit(ledger, config, write, f"demo-{n}.835", answer.remit_835)
    return DemoLedger(url, path, tuple(remits), paid_on)


def _lines(visits: Iterable[dict]) -> str:
    return "".join(json.dumps(v) + "\n" for v in visits)


def demo_users(session: Session) -> dict[str, tuple[str, list[int]]]:
    """The demo's users: name -> (role, clinic ids). One per role (the clinic roles at every
    clinic), and a biller of each clinic alone, named after the clinic's first word."""
    clinics = dict(session.execute(select(Clinic.key, Clinic.id).order_by(Clinic.key)).all())
    users: dict[str, tuple[str, list[int]]] = {r: (r, []) for r in COMPANY_ROLES}
    users |= {r: (r, list(clinics.values())) for r in CLINIC_ROLES}
    users |= {f"{key.split('-')[0]}-biller": ("biller", [cid]) for key, cid in clinics.items()}
    return users


def ensure_demo_users(sessions: sessionmaker[Session]) -> dict[str, str]:
    """The demo users (`demo_users`), with the demo password; returns name -> API token (a new
    token each call)."""
    tokens = {}
    with sessions.begin() as s:
        config = load_config(None)
        ensure_clinics(s, config, sorted(config.clinics))  # an empty ledger has them too
        for name, (role, clinic_ids) in demo_users(s).items():
            if s.scalar(select(User.id).where(User.name == name)) is None:
                add_user(s, name, role, DEMO_PASSWORD, clinic_ids)
            tokens[name] = create_token(s, name)
    return tokens


def demo_hint(db: str, port: int = 8000) -> str:
    """What `make demo` prints at its end: how to open the workbench on the demo database."""
    return (
        f"Open the workbench: .venv/bin/ptbill --db {db} serve --port {port}\n"
        f"  then http://127.0.0.1:{port}/ and log in as elm-biller or oak-biller (one clinic "
        f"each), biller, viewer, manager or admin, with the password {DEMO_PASSWORD}"
    )
