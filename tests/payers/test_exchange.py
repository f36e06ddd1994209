"""The clearinghouse exchange: a local folder mailbox and a real OpenSSH server (tests.payers.sshd)
with the simulated payer on the other side. Each file applies exactly once; one bad file stops
nothing; a connection dropped mid-transfer loses nothing and applies nothing twice; a wrong
password is a clear error."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ptbill.config.profiles import Clearinghouse, Config
from ptbill.exchange.mailbox import RemoteFile
from ptbill.exchange.run import Interrupted, run_exchange
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.db import Ledger
from ptbill.ledger.eligibility import ledger_visits
from ptbill.ledger.eligibility import request as eligibility_request
from ptbill.payer_sim.eligibility import answer_270
from ptbill.payer_sim.mailbox import serve
from ptbill.x12.envelope import InterchangeSettings
from ptbill.x12.tr3 import check
from ptbill.x12.tr3_guides import GUIDES
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
from tests.x12.pyx12_check import assert_valid

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
    # What the clearinghouse received, byte for byte: the 837P valid to pyx12, the 270 to its
    # TR3 (pyx12 has no 5010 270 map).
    sent = {p.name[:3]: p.read_text() for p in (root / house.outbound.strip("/")).iterdir()}
    assert sorted(sent) == ["270", "837"]
    assert_valid(sent["837"])
    assert check(sent["270"], GUIDES["270"]) == []
    served = serve(root, house, config, received=RECEIVED)
    assert len(served.answered) == 2
    answers = {p.suffix: p.read_text() for p in (root / house.inbound[0].strip("/")).iterdir()}
    assert sorted(answers) == [".271", ".277", ".835", ".999"]
    # The payer's 835 and 999 to pyx12 (its 005010X214 277CA map refuses the TR3's own
    # example, so the 277CA is left to ptbill's reader).
    for suffix in (".835", ".999"):
        assert_valid(answers[suffix])
    assert check(answers[".271"], GUIDES["271"]) == []
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


def test_a_server_without_openssh_posix_rename_is_served_by_the_plain_rename(
    ledger: Ledger, config: Config, tmp_path: Path, sshd: SshServer
) -> None:
    """A server that does not offer OpenSSH's posix-rename extension (it answers "operation
    unsupported", as other SFTP servers than OpenSSH may): the upload's rename and the
    archive's move use SFTP's own rename, which needs no extension (neither target exists),
    instead of failing every run."""
    import paramiko

    def unsupported(self: object, old: str, new: str) -> None:
        raise OSError("Operation unsupported")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paramiko.SFTPClient, "posix_rename", unsupported)
        test_an_sftp_mailbox_cycle(ledger, config, tmp_path, sshd)


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


# --- what a billing company meets in the inbox ------------------------------------------------


def _answered(ledger: Ledger, config: Config, tmp_path: Path, sshd: SshServer) -> Path:
    """The claims and a 270 sent through the server and answered by the simulated payer: its
    inbound folder holds a 999, a 277CA, a 271 and an 835, not yet taken."""
    _ledger_with_work(ledger, config, tmp_path)
    assert run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO).status == "ok"
    local = config.clearinghouses["ch"].model_copy(
        update={"outbound": "to-payer", "inbound": ("from-payer",), "archive": "archive"}
    )
    serve(sshd.root, local, config, received=RECEIVED)
    return sshd.root / "from-payer"


def _era(inbound: Path) -> Path:
    (era,) = inbound.glob("*.835")
    return era


def test_a_file_the_server_is_still_writing_waits_for_the_next_run(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    """An 835 taken while the clearinghouse is still writing it (it ends before its IEA) is
    neither applied nor set aside: it stays in the mailbox, and the run after it is whole
    posts it, once. The stored names are the mailbox's, not the run's temporary files."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'half.db'}")
    try:
        config = _config(config, sshd.house())
        inbound = _answered(ledger, config, tmp_path, sshd)
        era = _era(inbound)
        whole = era.read_text()
        era.write_text(whole[: len(whole) // 2])
        first = run_exchange(ledger, config, as_of=PAID, who=WHO)
        (waiting,) = [o for o in first.outcomes if o.action == "apply" and o.file == str(era)]
        assert waiting.outcome == "waiting" and "next run" in waiting.detail, waiting
        assert first.status == "ok", first.as_json()
        assert era.exists() and _count(ledger, m.Payment) == 0
        with ledger.transaction() as s:
            assert s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "exchange")).all() == []
        era.write_text(whole)  # the server is done
        second = run_exchange(ledger, config, as_of=PAID, who=WHO)
        assert second.status == "ok" and second.count("apply", "ok") == 1, second.as_json()
        assert _count(ledger, m.Payment) == 1 and not era.exists()
        with ledger.transaction() as s:
            names = s.scalars(select(m.Remittance.file_name)).all()
            names += s.scalars(select(m.Acknowledgement.file_name)).all()
        assert len(names) == 3 and all(n.startswith(str(inbound)) for n in names), names
    finally:
        ledger.close()


def test_a_file_cut_short_for_good_is_set_aside_on_the_second_look(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    """A file that still ends before its IEA on the next run is not being written: it is set
    aside, with a work item naming it as the mailbox has it (not a temporary file)."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'cut.db'}")
    try:
        config = _config(config, sshd.house())
        inbound = _answered(ledger, config, tmp_path, sshd)
        era = _era(inbound)
        era.write_text(era.read_text()[:-200])
        run_exchange(ledger, config, as_of=PAID, who=WHO)
        again = run_exchange(ledger, config, as_of=PAID, who=WHO)
        (o,) = [o for o in again.outcomes if o.action == "apply"]
        assert o.outcome == "set_aside" and again.status == "problems", again.as_json()
        with ledger.transaction() as s:
            (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "exchange"))
        assert str(era) in item.detail and "ptbill-exchange-" not in item.detail, item.detail
        assert "the whole 835" in item.detail and _count(ledger, m.Payment) == 0, item.detail
    finally:
        ledger.close()


def test_a_file_growing_while_downloaded_waits_and_the_others_go_on(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    """A file the server appends to while it is downloaded is not the file listed: it waits
    for the next run, and the files after it are taken in this one."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'grow.db'}")
    try:
        config = _config(config, sshd.house())
        inbound = _answered(ledger, config, tmp_path, sshd)
        first = sorted(inbound.iterdir())[0]
        whole = first.read_text()
        first.write_text(whole[:-40])
        grown: list[bool] = []

        def grow(event: str, done: int) -> None:
            if event == "download" and not grown:
                grown.append(True)
                first.write_text(whole)

        run = run_exchange(ledger, config, as_of=PAID, who=WHO, hook=grow)
        (o,) = [o for o in run.outcomes if o.file.endswith(first.name)]
        assert o.outcome == "waiting" and "changed" in o.detail, run.as_json()
        assert run.count("apply", "ok") == 3 and first.exists(), run.as_json()
        again = run_exchange(ledger, config, as_of=PAID, who=WHO)
        assert again.count("apply", "ok") == 1 and again.status == "ok", again.as_json()
    finally:
        ledger.close()


def test_a_file_named_in_capitals_is_taken(tmp_path: Path, config: Config, sshd: SshServer) -> None:
    """Clearinghouses name files in capitals as often as not: `*.835` and `*.x12` patterns
    take ERA.X12 (it is not left in the mailbox, unseen, run after run)."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'caps.db'}")
    try:
        config = _config(config, sshd.house(patterns=("*.x12", "*.999", "*.277", "*.271")))
        inbound = _answered(ledger, config, tmp_path, sshd)
        era = _era(inbound)
        era.rename(inbound / "ERA.X12")
        run = run_exchange(ledger, config, as_of=PAID, who=WHO)
        assert run.count("apply", "ok") == 4 and _count(ledger, m.Payment) == 1, run.as_json()
    finally:
        ledger.close()


def test_a_file_too_large_is_set_aside_unread_and_the_others_go_on(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    """A file over the clearinghouse's `max_file_mb` (a stray export of gigabytes would take
    the run's memory, run after run) is not downloaded: set aside with a work item saying its
    size, archived; the other files are taken."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'big.db'}")
    try:
        config = _config(config, sshd.house(max_file_mb=0.01))
        inbound = _answered(ledger, config, tmp_path, sshd)
        (inbound / "dump.x12").write_bytes(b"ISA" + b"x" * 20_000)
        run = run_exchange(ledger, config, as_of=PAID, who=WHO)
        (o,) = [o for o in run.outcomes if o.action == "apply" and o.file.endswith("dump.x12")]
        assert o.outcome == "set_aside" and "20,003 bytes" in o.detail, o
        dump = str(inbound / "dump.x12")
        assert [o.action for o in run.outcomes if o.file == dump] == ["apply", "archive"]
        assert run.count("apply", "ok") == 4 and run.status == "problems"
        assert (sshd.root / "archive" / "dump.x12").exists()
        with ledger.transaction() as s:
            (item,) = s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "exchange"))
        assert item.reference == "dump.x12" and "max_file_mb" in item.detail
    finally:
        ledger.close()


def test_a_key_that_cannot_be_used_or_an_unknown_server_is_named(
    tmp_path: Path, config: Config, sshd: SshServer
) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        missing = tmp_path / "no_such_key"
        house = sshd.house(key_file=str(missing))
        (o,) = run_exchange(ledger, _config(config, house), as_of=DOS, who=WHO).outcomes
        assert "key file" in o.detail and str(missing) in o.detail, o.detail
        empty = tmp_path / "known_hosts"
        empty.write_text("")
        house = sshd.house(known_hosts=str(empty))
        (o,) = run_exchange(ledger, _config(config, house), as_of=DOS, who=WHO).outcomes
        assert "host key" in o.detail and str(empty) in o.detail and "ssh-keyscan" in o.detail
        garbage = tmp_path / "not_a_key"
        garbage.write_text("hello, not a key\n")
        house = sshd.house(key_file=str(garbage))
        (o,) = run_exchange(ledger, _config(config, house), as_of=DOS, who=WHO).outcomes
        assert "not a private key" in o.detail and str(garbage) in o.detail, o.detail
        house = sshd.house(key_file=None)  # and no password either
        (o,) = run_exchange(ledger, _config(config, house), as_of=DOS, who=WHO).outcomes
        assert "key_file, password_env or password_file" in o.detail, o.detail
    finally:
        ledger.close()


def test_a_file_no_clearinghouse_takes_is_said_not_left_silently(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """The only clearinghouse takes files for receiver OTHERCH (its receiver_id) while the
    clinic's files are addressed to DEMOCH01 (its receiver, ISA08): nothing is sent, and each
    run says which files go nowhere and how to fix it, instead of an 'ok' run."""
    root = tmp_path / "mailbox"
    house = Clearinghouse(
        local=str(root), inbound=("outbound",), outbound="inbound", receiver_id="OTHERCH"
    )
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    run = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    held = [o for o in run.outcomes if o.action == "upload"]
    assert sorted(o.kind for o in held) == ["270", "837"]
    assert {o.outcome for o in held} == {"set_aside"} and run.status == "problems"
    assert all("DEMOCH01" in o.detail and "receiver_id" in o.detail for o in held)
    assert not (root / "inbound").exists() or not list((root / "inbound").iterdir())


def _answered_locally(
    ledger: Ledger, config: Config, tmp_path: Path, *folders: str
) -> tuple[Config, Path]:
    """As _answered, through a local folder mailbox (inbound `outbound` and any `folders`):
    the config and the mailbox's root."""
    root = tmp_path / "mailbox"
    house = Clearinghouse(local=str(root), inbound=("outbound", *folders), outbound="inbound")
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    assert run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO).status == "ok"
    serve(root, house.model_copy(update={"inbound": ("outbound",)}), config, received=RECEIVED)
    return config, root


@pytest.fixture(params=["local", "sftp"])
def answered(
    request: pytest.FixtureRequest, config: Config, tmp_path: Path
) -> Iterator[tuple[Ledger, Config, Path]]:
    """A ledger (SQLite: the mailbox is what these try) whose answers wait in the inbound
    folder (beside the archive) of a local folder mailbox, or of the SFTP server: the ledger,
    the config and that folder."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'own.db'}")
    try:
        if request.param == "sftp":
            sshd: SshServer = request.getfixturevalue("sshd")
            config = _config(config, sshd.house())
            yield ledger, config, _answered(ledger, config, tmp_path, sshd)
        else:
            config, root = _answered_locally(ledger, config, tmp_path)
            yield ledger, config, root / "outbound"
    finally:
        ledger.close()


def _exchange_items(ledger: Ledger) -> list[m.WorkItem]:
    with ledger.transaction() as s:
        return list(s.scalars(select(m.WorkItem).where(m.WorkItem.kind == "exchange")))


def test_a_zip_or_binary_file_is_set_aside_and_the_others_go_on(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """A zip (its bytes hold NULs, which PostgreSQL's text refuses) is set aside like any file
    that is not X12, with its work item; the run goes on to the answers after it."""
    config, root = _answered_locally(ledger, config, tmp_path)
    (root / "outbound" / "000-era.zip").write_bytes(b"PK\x03\x04\x14\x00\x00\x00 ISA*00\x00\xff")
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    (o,) = [o for o in run.outcomes if o.action == "apply" and o.file.endswith(".zip")]
    assert o.outcome == "set_aside" and "not an X12 file" in o.detail, o
    assert run.count("apply", "ok") == 4 and run.status == "problems", run.as_json()
    assert _count(ledger, m.Payment) == 1
    (item,) = _exchange_items(ledger)
    assert item.reference == "000-era.zip" and "outbound/000-era.zip" in item.detail
    assert not list((root / "outbound").iterdir())


def test_two_bad_files_of_one_name_in_two_folders_are_each_named(
    ledger: Ledger, config: Config, tmp_path: Path
) -> None:
    """`ERR.835` in two inbound folders are two files: each set aside gets its own work item
    naming its folder (the second was folded into the first's, and never named)."""
    config, root = _answered_locally(ledger, config, tmp_path, "outbound2")
    (root / "outbound2").mkdir(exist_ok=True)
    (root / "outbound" / "ERR.835").write_text("<html>502 Bad Gateway</html>")
    (root / "outbound2" / "ERR.835").write_text("<html>503 Service Unavailable</html>")
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    assert run.count("apply", "set_aside") == 2 and run.count("apply", "ok") == 4
    details = sorted(i.detail.split(" from ")[0] for i in _exchange_items(ledger))
    assert details == ["outbound/ERR.835", "outbound2/ERR.835"], details
    archived = sorted(p.name for p in (root / "archive").glob("ERR.835*"))
    assert archived == ["ERR.835", "ERR.835.2"]
    # The same path set aside again while its item is open: no second item.
    (root / "outbound" / "ERR.835").write_text("<html>504 Gateway Timeout</html>")
    assert run_exchange(ledger, config, as_of=PAID, who=WHO).count("apply", "set_aside") == 1
    assert len(_exchange_items(ledger)) == 2


def _interrupt_on_the_835(monkeypatch: pytest.MonkeyPatch, how: Callable[[], None]) -> None:
    import ptbill.exchange.run as exchange_run

    def post_text(*args: object, **kwargs: object) -> None:
        how()

    monkeypatch.setattr(exchange_run, "post_text", post_text)


def _ctrl_c() -> None:
    raise KeyboardInterrupt


def test_a_run_interrupted_midway_says_so_and_the_next_does_the_rest_once(
    ledger: Ledger, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while the 835 is posted: the files before it stay applied and archived, the 835
    is not half-posted and stays in the mailbox; the run's row says it was interrupted (not
    `running` for ever); the next run applies the 835 and the 999, each once."""
    config, root = _answered_locally(ledger, config, tmp_path)
    with monkeypatch.context() as patch:
        _interrupt_on_the_835(patch, _ctrl_c)
        with pytest.raises(Interrupted) as stopped:
            run_exchange(ledger, config, as_of=PAID, who=WHO)
    summary = stopped.value.summary
    assert summary.status == "failed" and summary.count("apply", "ok") == 2
    assert "interrupted" in summary.outcomes[-1].detail, summary.as_json()
    with ledger.transaction() as s:
        row = s.get(pm.ExchangeRun, summary.run_id)
        assert row is not None and row.status == "failed" and row.applied == 2
    assert _count(ledger, m.Payment) == 0
    left = sorted(p.suffix for p in (root / "outbound").iterdir())
    assert left == [".835", ".999"]
    again = run_exchange(ledger, config, as_of=PAID, who=WHO)
    assert sorted(o.kind for o in again.outcomes if o.action == "apply") == ["835", "999"]
    assert again.status == "ok" and _count(ledger, m.Payment) == 1, again.as_json()
    assert run_exchange(ledger, config, as_of=PAID, who=WHO).outcomes == []


def test_sigterm_ends_the_command_like_ctrl_c(
    ledger: Ledger, db_url: str, config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ptbill exchange run` stopped by SIGTERM (a service manager, a cron timeout) records
    what it did and says so, as with Ctrl-C; it is not killed between a file's apply and its
    record. (A guard handler catches SIGTERM here if the command does not.)"""
    import os
    import signal

    from click.testing import CliRunner

    from ptbill.cli.main import cli
    from ptbill.config.profiles import bundled_demo_config_text

    _, root = _answered_locally(ledger, config, tmp_path)
    toml = tmp_path / "clinic.toml"
    toml.write_text(
        bundled_demo_config_text()
        + f'\n[clearinghouses.ch]\nlocal = "{root}"\ninbound = ["outbound"]\n'
        'outbound = "inbound"\n'
    )

    def unhandled(*_: object) -> None:
        raise AssertionError("SIGTERM reached no handler of the command")

    guard = signal.signal(signal.SIGTERM, unhandled)
    try:
        _interrupt_on_the_835(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGTERM))
        args = [
            "--config",
            str(toml),
            "--db",
            db_url,
            "exchange",
            "run",
            "--as-of",
            PAID.isoformat(),
        ]
        result = CliRunner().invoke(cli, [*args, "--json"], obj={})
        assert signal.getsignal(signal.SIGTERM) is unhandled  # put back
    finally:
        signal.signal(signal.SIGTERM, guard)
    assert result.exit_code == 2, (result.output, result.exception)
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and data["applied"] == 2
    assert "interrupted" in data["outcomes"][-1]["detail"]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("where", ["local", "sftp"])
def test_a_file_grown_past_its_listed_size_is_not_read_on(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A file listed small (under max_file_mb) that has grown to megabytes by its download
    (the clearinghouse still writing a huge file) is not the file listed: the download stops
    just past the listed size, never taking the rest into memory or over the wire, and says
    it changed (the run leaves it waiting; the next run sees its size)."""
    import tracemalloc

    from ptbill.exchange.mailbox import FileChanged, open_mailbox

    if where == "sftp":
        sshd: SshServer = request.getfixturevalue("sshd")
        house, inbound = sshd.house(), sshd.root / "from-payer"
    else:
        house = Clearinghouse(local=str(tmp_path / "box"), inbound=("in",), outbound="out")
        inbound = tmp_path / "box" / "in"
    moved: list[int] = []
    box = open_mailbox(house, hook=lambda event, done: moved.append(done))
    try:
        inbound.mkdir(parents=True, exist_ok=True)
        (inbound / "era.835").write_bytes(b"ISA" + b"*" * 997)
        (listed,) = box.inbound()
        (inbound / "era.835").write_bytes(b"ISA" + b"*" * (8 << 20))
        tracemalloc.start()
        try:
            with pytest.raises(FileChanged, match="changed while it was downloaded"):
                box.download(listed, tmp_path / "copy.835")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        box.close()
    assert peak < 2 << 20, f"{peak:,} bytes taken into memory"
    assert max(moved, default=0) < 1 << 20, f"{max(moved):,} bytes downloaded"
    assert not list(tmp_path.glob("*copy.835*"))


def test_a_file_name_not_in_utf8_is_taken_and_named(
    answered: tuple[Ledger, Config, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file named in Latin-1 (`caf\\xe9.835`, from a Windows system) among the answers: the
    listing does not fail on it (SFTP's listing failed whole, run after run), it is read, set
    aside and named with U+FFFD for its bad byte, and the good files are applied."""
    import os

    ledger, config, inbound = answered
    archive = inbound.parent / "archive"
    (inbound / os.fsdecode(b"caf\xe9.835")).write_text("<html>not found</html>")
    archive.mkdir(exist_ok=True)  # and one in the archive, put there by another tool
    (archive / os.fsdecode(b"old\xe9.835")).write_text("")
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    assert run.count("apply", "ok") == 4, run.as_json()
    (o,) = [o for o in run.outcomes if o.action == "apply" and o.outcome == "set_aside"]
    assert o.file.endswith("caf\ufffd.835"), o
    assert not list(inbound.iterdir()) and (archive / "caf\ufffd.835").exists()
    (item,) = _exchange_items(ledger)
    assert item.reference == "caf\ufffd.835"


def test_a_file_gone_between_listing_and_download_waits_and_the_others_go_on(
    answered: tuple[Ledger, Config, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file listed, then moved away before its download (another run, the clearinghouse's
    own clean-up) is said, and the run goes on to the other files (the local folder's was a
    traceback, SFTP's ended the run)."""
    import ptbill.exchange.mailbox as mailbox

    ledger, config, inbound = answered
    local = config.clearinghouses["ch"].local
    box_class: type = mailbox.LocalMailbox if local else mailbox.SftpMailbox
    listing = box_class.inbound

    def inbound_then_gone(self: object) -> list[mailbox.RemoteFile]:
        files = listing(self)
        _era(inbound).unlink()
        return files

    monkeypatch.setattr(box_class, "inbound", inbound_then_gone)
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    (o,) = [o for o in run.outcomes if o.file.endswith(".835")]
    assert o.outcome == "waiting" and "no longer" in o.detail, run.as_json()
    assert run.count("apply", "ok") == 3 and run.status == "ok", run.as_json()
    assert run.as_json()["downloaded"] == 3  # not the one that was not there


def test_a_file_another_run_archived_first_ends_nothing(
    answered: tuple[Ledger, Config, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at once (a cron run still going when the next starts) both take the 835: the
    one that archives it second finds it gone, says so, and goes on to the 999 after it (it
    ended the run as failed)."""
    import ptbill.exchange.run as exchange_run

    ledger, config, inbound = answered
    era = _era(inbound)
    apply = exchange_run._Run.apply

    def apply_then_taken(self: exchange_run._Run, local: Path, f: RemoteFile) -> bool:
        done = apply(self, local, f)
        if f.name == era.name:
            era.rename(tmp_path / "taken-by-the-other-run.835")
        return done

    monkeypatch.setattr(exchange_run._Run, "apply", apply_then_taken)
    run = run_exchange(ledger, config, as_of=PAID, who=WHO)
    (o,) = [o for o in run.outcomes if o.action == "archive" and o.file.endswith(".835")]
    assert "another run" in o.detail, o
    assert run.count("apply", "ok") == 4 and run.status == "ok", run.as_json()
