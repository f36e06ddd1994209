"""The clearinghouse exchange: a local folder mailbox and a real OpenSSH server (tests.payers.sshd)
with the simulated payer on the other side. Each file applies exactly once; one bad file stops
nothing; a connection dropped mid-transfer loses nothing and applies nothing twice; a wrong
password is a clear error."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import func, select

from ptbill.config.profiles import Clearinghouse, Config
from ptbill.exchange.run import run_exchange
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.payer_sim.eligibility import answer_270
from ptbill.payer_sim.mailbox import serve
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.write_270 import EligibilityInquiry, Person, write_270
from tests.ledger.helpers import (
    DOS,
    SUBMIT_DAY,
    WHO,
    import_and_submit,
    medicare_visit,
    write_visits,
)
from tests.payers.sshd import SshServer

RECEIVED = SUBMIT_DAY + dt.timedelta(days=1)
PAID = RECEIVED + dt.timedelta(days=30)


def _config(config: Config, house: Clearinghouse) -> Config:
    return config.model_copy(update={"clearinghouses": {"ch": house}})


def _ledger_with_work(ledger: Ledger, config: Config, tmp_path: Path) -> None:
    visits = [medicare_visit(f"V-{i}", f"P-{i}") for i in range(1, 4)]
    import_and_submit(ledger, config, write_visits(tmp_path / "v.jsonl", visits))
    with ledger.transaction() as s:
        eligibility_request(s, config, ledger_visits(s, DOS), as_of=SUBMIT_DAY, file_name="x.270")


def _count(ledger: Ledger, model: type[m.Base]) -> int:
    with ledger.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _cycle(ledger: Ledger, config: Config, root: Path, house: Clearinghouse) -> None:
    """Send, let the payer answer, take the answers in; then check what the ledger holds."""
    first = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert first.status == "ok", first.as_json()
    assert sorted(o.kind for o in first.outcomes if o.action == "upload") == ["270", "837"]
    served = serve(root, house, config, received=RECEIVED)
    assert len(served.answered) == 2
    second = run_exchange(ledger, config, as_of=PAID, who=WHO)
    assert second.status == "ok", second.as_json()
    applied = sorted(o.kind for o in second.outcomes if o.action == "apply")
    assert applied == ["271", "277CA", "835", "999"]
    assert second.count("archive", "ok") == 4
    with ledger.transaction() as s:
        states = set(s.scalars(select(m.Claim.state)))
        assert states <= {"paid", "partially_paid", "denied"}, states
        assert len(s.scalars(select(pm.EligibilityCheck)).all()) == 3, second.as_json()
        events = s.scalars(select(pm.ExchangeEvent.action)).all()
        assert events.count("apply") == 4 and events.count("upload") == 2
    third = run_exchange(ledger, config, as_of=PAID, who=WHO)
    assert third.status == "ok" and third.outcomes == []


def test_a_local_mailbox_cycle_applies_each_file_once(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    root = tmp_path / "mailbox"
    house = Clearinghouse(local=str(root), inbound=("outbound",), outbound="inbound")
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    _cycle(ledger, config, root, house)
    # The same 835 downloaded again, and a file that is not X12.
    archived = next((root / "archive").glob("*.835"))
    shutil.copy(archived, root / "outbound" / "again.835")
    (root / "outbound" / "report.pdf").write_bytes(b"%PDF-1.4 a clearinghouse report")
    before = _count(ledger, m.Payment)
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    outcomes = {o.file.rsplit("/", 1)[-1]: o.outcome for o in run.outcomes if o.action == "apply"}
    assert outcomes == {"again.835": "duplicate", "report.pdf": "set_aside"}
    assert run.status == "problems" and _count(ledger, m.Payment) == before
    with ledger.transaction() as s:
        (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "exchange"))
        assert item.reference == "report.pdf" and "not an X12 file" in item.detail
    assert not list((root / "outbound").iterdir())  # both archived


def test_an_sftp_mailbox_cycle(
    ledger: Ledger, config: Config, tmp_path: Path, sshd: SshServer
) -> None:
    house = sshd.house()
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    # The simulated payer works the folders behind the server.
    local = house.model_copy(
        update={"outbound": "to-payer", "inbound": ("from-payer",), "archive": "archive"}
    )
    _cycle(ledger, config, sshd.root, local)


def _big_271(n: int, config: Config) -> str:
    """A 271 answering n patients (some 200 kB: a transfer of many chunks)."""
    inquiries = [
        EligibilityInquiry(
            f"T{i}",
            "ACME HEALTH",
            "ACME1",
            "ELM STREET PT",
            "1234567893",
            "37-1234567",
            f"W{i:06d}",
            Person("Doe", f"Jo{i}", dt.date(1970, 1, 1), "F"),
            None,
            DOS,
            ("30", "PT"),
        )
        for i in range(n)
    ]
    settings = InterchangeSettings("ELMST001", "CH", 7, 7, dt.datetime(2025, 3, 1))
    return answer_270(write_270(inquiries, settings), config, number=8, when=DOS)


def test_a_connection_dropped_mid_transfer_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'drop.db'}")
    try:
        config = _config(config, sshd.house())
        inbound = sshd.root / "from-payer"
        text = _big_271(600, config)
        assert len(text) > 150_000
        (inbound / "a.271").write_text(text)
        dropped: list[int] = []

        def drop(event: str, done: int) -> None:
            if event == "download" and not dropped and 0 < done < len(text):
                dropped.append(sshd.drop_connections())

        first = run_exchange(ledger, config, as_of=DOS, who=WHO, hook=drop)
        assert dropped and dropped[0] > 0
        assert first.status == "failed" and "next run" in first.outcomes[-1].detail
        assert _count(ledger, pm.InboundFile) == 0 and _count(ledger, pm.EligibilityCheck) == 0
        assert (inbound / "a.271").exists()  # still in the mailbox
        second = run_exchange(ledger, config, as_of=DOS, who=WHO)
        assert second.status == "ok" and second.count("apply", "ok") == 1
        assert _count(ledger, pm.EligibilityCheck) == 600
        # The same file sent again is not applied again.
        (inbound / "b.271").write_text(text)
        third = run_exchange(ledger, config, as_of=DOS, who=WHO)
        assert [o.outcome for o in third.outcomes if o.action == "apply"] == ["duplicate"]
        assert _count(ledger, pm.EligibilityCheck) == 600
    finally:
        ledger.close()


def test_a_wrong_password_is_a_clear_error(
    tmp_path: Path, config: Config, sshd: SshServer, monkeypatch: object
) -> None:
    import os

    os.environ["PTBILL_TEST_CH_PASSWORD"] = "not-the-password-42"
    try:
        house = sshd.house(key_file=None, password_env="PTBILL_TEST_CH_PASSWORD")
        ledger = Ledger(f"sqlite:///{tmp_path / 'pw.db'}")
        try:
            run = run_exchange(ledger, _config(config, house), as_of=DOS, who=WHO)
        finally:
            ledger.close()
    finally:
        del os.environ["PTBILL_TEST_CH_PASSWORD"]
    (outcome,) = run.outcomes
    assert run.status == "failed" and outcome.action == "connect"
    assert "authentication failed" in outcome.detail
    assert "PTBILL_TEST_CH_PASSWORD" in outcome.detail
    assert "not-the-password-42" not in outcome.detail
