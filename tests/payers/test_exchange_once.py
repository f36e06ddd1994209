"""The exchange sends each file exactly once, even when runs overlap or die: one run of a
clearinghouse at a time (a second is refused, a dead one's lease is taken over), and a run
killed at any step of an upload (a real process, SIGKILL) is reconciled by the next run, on a
local folder mailbox and a real OpenSSH server, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from ptbill.cli.main import cli
from ptbill.config.profiles import Clearinghouse, Config, bundled_demo_config_text
from ptbill.exchange import mailbox
from ptbill.exchange.lease import LEASE, Lease, RunGoing, utc_now
from ptbill.exchange.run import run_exchange
from ptbill.ledger import models as m
from ptbill.ledger import payer_models as pm
from ptbill.ledger.db import Ledger
from tests.ledger.helpers import SUBMIT_DAY, WHO
from tests.payers.sshd import SshServer
from tests.payers.test_exchange import _config, _ledger_with_work

ROOT = Path(__file__).resolve().parents[2]


def _house(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> tuple[Clearinghouse, Path]:
    """The clearinghouse and the folder its outbound files land in."""
    if where == "sftp":
        sshd: SshServer = request.getfixturevalue("sshd")
        house = sshd.house()
        return house, Path(house.outbound)
    root = tmp_path / "mailbox"
    return Clearinghouse(
        local=str(root), inbound=("outbound",), outbound="inbound"
    ), root / "inbound"


def _victim(db_url: str, house: Clearinghouse, step: str, *flag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.payers.exchange_victim",
            db_url,
            house.model_dump_json(),
            step,
            *flag,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _submission(ledger: Ledger) -> tuple[str, str]:
    """The 837's name in the mailbox and its text."""
    with ledger.transaction() as s:
        sub = s.scalars(select(m.Submission)).one()
        return f"837-{sub.interchange_control_number:09d}.x12", sub.content


@pytest.mark.parametrize("where", ["local", "sftp"])
@pytest.mark.parametrize("step", ["sending", "placed", "renamed", "taken"])
def test_a_run_killed_at_any_step_of_an_upload_sends_it_once(
    ledger: Ledger,
    db_url: str,
    config: Config,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    where: str,
    step: str,
) -> None:
    """kill -9 between the upload's steps: before it is recorded whole (`sending`), before its
    rename (`placed`), after the rename and before its record (`renamed`, the window that sent
    an 837 twice), and that with the clearinghouse taking the file before the next run
    (`taken`: neither it nor its temporary copy is there; placed whole and gone, it was renamed,
    since only the rename takes the temporary copy away). The next run takes the dead run's
    lease over at once (its process is gone), closes its row as failed, and each file reaches
    the clearinghouse exactly once."""
    house, outbox = _house(where, tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    name, text = _submission(ledger)
    dead = _victim(db_url, house, "renamed" if step == "taken" else step)
    _, err = dead.communicate(timeout=120)
    assert dead.returncode == -signal.SIGKILL, err
    with ledger.transaction() as s:
        (row,) = s.scalars(select(pm.Upload))
        assert (row.kind, row.state) == ("837", "sending" if step == "sending" else "placed")
        dead_run = s.scalars(select(pm.ExchangeRun)).one()
        assert dead_run.status == "running" and dead_run.who == "cron"
    left = sorted(p.name for p in outbox.iterdir())
    assert left == ([name] if step in ("renamed", "taken") else [f".{name}.part"])
    if step == "taken":
        (outbox / name).unlink()

    again = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert again.status == "ok", again.as_json()
    took = again.outcomes[0]
    assert took.action == "run" and f"run #{dead_run.id} by cron" in took.detail, took
    assert "no longer exists" in took.detail
    uploads = {o.kind: o for o in again.outcomes if o.action == "upload"}
    sent = uploads["837"].detail
    if step == "renamed":
        assert "found whole in the mailbox" in sent and "not sent again" in sent
    elif step == "taken":
        assert "the clearinghouse has taken it since" in sent and "not sent again" in sent
    else:
        assert sent.startswith(f"sent as {name}") and " again: " in sent, sent
    there = sorted(p.name for p in outbox.iterdir())
    assert there == sorted([uploads["270"].file.rsplit("/", 1)[-1], *[name][: step != "taken"]])
    if step != "taken":
        assert (outbox / name).read_text() == text
    with ledger.transaction() as s:
        assert set(s.scalars(select(pm.Upload.state))) == {"sent"}
        assert s.scalar(select(func.count()).select_from(pm.Upload)) == 2
        closed = s.get(pm.ExchangeRun, dead_run.id)
        assert closed is not None and closed.status == "failed"
        last = json.loads(closed.detail)[-1]
        assert "stopped without finishing" in last["detail"], last
        assert s.scalar(select(func.count()).select_from(pm.ExchangeLease)) == 0
    assert run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO).outcomes == []


def test_another_file_of_the_same_name_is_not_overwritten_nor_taken_for_this_one(
    ledger: Ledger, config: Config, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An upload_name that is not unique (no {control}): a file of that name the clearinghouse
    has not taken yet was counted as this one, sent (and this one lost). It is neither
    overwritten nor counted; once the clearinghouse takes it, the next run sends this one."""
    house, outbox = _house("local", tmp_path, request)
    house = house.model_copy(update={"upload_name": "{kind}.x12"})
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    _, text = _submission(ledger)
    outbox.mkdir(parents=True)
    (outbox / "837.x12").write_text("an earlier 837 the clearinghouse has not taken yet")
    run = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    (o,) = [o for o in run.outcomes if o.kind == "837"]
    assert o.outcome == "failed" and "another file named 837.x12" in o.detail, o
    assert "{control}" in o.detail and run.status == "problems"
    assert (outbox / "837.x12").read_text().startswith("an earlier 837")
    (outbox / "837.x12").unlink()
    again = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert [o.kind for o in again.outcomes if o.action == "upload"] == ["837"]
    assert (outbox / "837.x12").read_text() == text


def _toml(tmp_path: Path, house: Clearinghouse) -> Path:
    toml = tmp_path / "clinic.toml"
    toml.write_text(
        bundled_demo_config_text()
        + f'\n[clearinghouses.ch]\nlocal = "{house.local}"\ninbound = ["outbound"]\n'
        'outbound = "inbound"\n'
    )
    return toml


def test_a_second_run_while_one_is_going_is_refused_and_does_nothing(
    ledger: Ledger, db_url: str, config: Config, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A cron run (a real process) is going; a run asked for meanwhile, here and by another
    process (`ptbill exchange run`), is refused: it says which run is going since when and by
    whom, records no run and sends nothing; `exchange runs` shows the one going. Once it ends,
    the next run goes, with nothing left to send."""
    house, outbox = _house("local", tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    flag = tmp_path / "go-on"
    going = _victim(db_url, house, "hold", str(flag))
    try:
        assert going.stdout is not None and going.stdout.readline().strip() == "holding"
        with ledger.transaction() as s:
            first = s.scalars(select(pm.ExchangeRun)).one()
        with pytest.raises(RunGoing) as refused:
            run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
        said = str(refused.value)
        assert said.startswith(f"run #{first.id} of the clearinghouse ch is going since ")
        assert f"by cron ({socket.gethostname()}, process {going.pid})" in said
        assert "this run was not started and did nothing" in said
        args = ["--config", str(_toml(tmp_path, house)), "--db", db_url, "exchange"]
        cli_run = subprocess.run(
            [sys.executable, "-m", "ptbill", *args, "run", "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli_run.returncode == 2, cli_run.stderr
        answer = json.loads(cli_run.stdout)
        assert answer["status"] == "refused" and answer["running"]["run_id"] == first.id
        assert answer["running"]["pid"] == going.pid and answer["running"]["who"] == "cron"
        shown = CliRunner().invoke(cli, [*args, "runs", "--json"], obj={})
        (row,) = json.loads(shown.stdout)
        assert row["status"] == "running" and row["going"]["detail"].startswith("going since ")
        text = CliRunner().invoke(cli, [*args, "runs"], obj={}).stdout
        assert f"#{first.id} " in text and "running (going since " in text, text
        with ledger.transaction() as s:
            assert s.scalar(select(func.count()).select_from(pm.ExchangeRun)) == 1
            assert s.scalar(select(func.count()).select_from(pm.ExchangeEvent)) == 0
    finally:
        flag.touch()
        _, err = going.communicate(timeout=120)
    assert going.returncode == 0, err
    after = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert after.status == "ok" and after.outcomes == [], after.as_json()
    assert len(list(outbox.iterdir())) == 2


def test_two_runs_starting_together_one_goes(db_url: str, ledger: Ledger) -> None:
    """Two runs asking for the lease at the same moment, each on its own connection: one gets
    it, the other is refused; released, it is free again. Five times over."""
    ledgers = [Ledger(db_url), Ledger(db_url)]
    try:
        for _ in range(5):
            got, refused = _race(ledgers)
            assert (len(got), len(refused)) == (1, 1)
            got[0].release()
    finally:
        for own in ledgers:
            own.close()


def _race(ledgers: list[Ledger]) -> tuple[list[Lease], list[RunGoing]]:
    gate = threading.Barrier(len(ledgers))
    got: list[Lease] = []
    refused: list[RunGoing] = []

    def take(own: Ledger) -> None:
        gate.wait()
        try:
            got.append(Lease(own, "ch", "cron", utc_now))
        except RunGoing as e:
            refused.append(e)

    threads = [threading.Thread(target=take, args=(own,)) for own in ledgers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return got, refused


def _held_elsewhere(ledger: Ledger, expires: dt.datetime) -> int:
    """A run of `ch` going on another machine (its process cannot be looked at from here),
    renewed until `expires`: its run's id."""
    with ledger.transaction() as s:
        run = pm.ExchangeRun(clearinghouse="ch", run_on=SUBMIT_DAY, who="timer", status="running")
        s.add(run)
        s.flush()
        s.add(
            pm.ExchangeEvent(
                run_id=run.id, action="upload", file="x", kind="270", outcome="ok", detail="sent"
            )
        )
        s.add(
            pm.ExchangeLease(
                clearinghouse="ch",
                token="t" * 32,
                run_id=run.id,
                who="timer",
                host="another-machine",
                pid=os.getpid(),
                started_at=expires - LEASE,
                expires_at=expires,
            )
        )
        return run.id


def test_a_run_on_another_machine_is_taken_over_only_once_its_lease_expired(
    ledger: Ledger, config: Config, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    house, _ = _house("local", tmp_path, request)
    config = _config(config, house)
    other = _held_elsewhere(ledger, utc_now() + dt.timedelta(minutes=5))
    with pytest.raises(RunGoing, match="another-machine"):
        run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    with ledger.transaction() as s:
        lease = s.get(pm.ExchangeLease, "ch")
        assert lease is not None
        lease.expires_at = utc_now() - dt.timedelta(minutes=1)
    run = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert run.status == "ok" and "showed no sign of life since" in run.outcomes[0].detail
    with ledger.transaction() as s:
        closed = s.get(pm.ExchangeRun, other)
        assert closed is not None and (closed.status, closed.uploaded) == ("failed", 1)
        assert s.get(pm.ExchangeLease, "ch") is None


def test_a_run_whose_lease_was_taken_over_stops(
    ledger: Ledger, config: Config, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A run that showed no sign of life for longer than the lease (its clock here jumps) and
    was taken over stops at its next step, saying so: two runs never work at once."""
    house, _ = _house("local", tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    start = utc_now()
    ticks = iter(range(100))

    def clock() -> dt.datetime:
        return start + next(ticks) * (LEASE + dt.timedelta(minutes=1))

    real = mailbox.LocalMailbox.upload

    def upload(self: mailbox.LocalMailbox, name: str, data: bytes, placed: object) -> str:
        with ledger.transaction() as s:  # another run took it over meanwhile
            lease = s.get(pm.ExchangeLease, "ch")
            assert lease is not None
            lease.token = "u" * 32
        return real(self, name, data, placed)  # type: ignore[arg-type]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mailbox.LocalMailbox, "upload", upload)
        run = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO, clock=clock)
    assert run.status == "failed" and run.count("upload", "ok") == 1, run.as_json()
    assert "another run took the clearinghouse ch over" in run.outcomes[-1].detail


def test_sigterm_as_a_run_starts_leaves_nothing_held(
    ledger: Ledger,
    db_url: str,
    config: Config,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM just after the lease was taken (before any file): exit 2 saying nothing was
    done (it said "Aborted!" with 1, a file's problem), the lease given back, and the run's row
    closed as failed by the next run, which sends everything once."""
    house, outbox = _house("local", tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    guard = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        monkeypatch.setattr(
            Lease, "started", lambda self, run_id: os.kill(os.getpid(), signal.SIGTERM)
        )
        args = ["--config", str(_toml(tmp_path, house)), "--db", db_url, "exchange", "run"]
        result = CliRunner().invoke(cli, args, obj={})
    finally:
        signal.signal(signal.SIGTERM, guard)
    monkeypatch.undo()
    assert result.exit_code == 2, (result.output, result.exception)
    assert "interrupted as the run was starting" in result.stderr
    assert "Aborted" not in result.output and "Traceback" not in result.output
    with ledger.transaction() as s:
        assert s.get(pm.ExchangeLease, "ch") is None
    again = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
    assert (
        again.outcomes[0].action == "run" and "ended without saying so" in again.outcomes[0].detail
    )
    assert again.count("upload", "ok") == 2 and len(list(outbox.iterdir())) == 2


def test_a_drop_folder_that_cannot_be_read_back_is_judged_by_size(
    ledger: Ledger,
    db_url: str,
    config: Config,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    """An outbound folder the clearinghouse lets us write and list but not read (a drop box):
    a killed run's file is known by its size, which is this file's, so it is recorded as
    sent, not sent again (reading it back failed the run, every run); one of another size is
    another file, not overwritten."""
    import paramiko

    house, outbox = _house("sftp", tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    name, _ = _submission(ledger)
    _victim(db_url, house, "renamed").communicate(timeout=120)

    def denied(self: object, path: str, out: object, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paramiko.SFTPClient, "getfo", denied)
        again = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
        (o,) = [o for o in again.outcomes if o.kind == "837"]
        assert o.outcome == "ok" and "found in the mailbox at its size" in o.detail, o
        assert "not sent again" in o.detail and again.status == "ok"
        with ledger.transaction() as s:
            s.execute(pm.Upload.__table__.delete())  # as if it had not been recorded
        (outbox / name).write_text("shorter")
        other = run_exchange(ledger, config, as_of=SUBMIT_DAY, who=WHO)
        failed = [o for o in other.outcomes if o.outcome == "failed"]
        assert [o.kind for o in failed] == ["837"] and "another file named" in failed[0].detail
    assert (outbox / name).read_text() == "shorter"


def test_a_run_whose_process_died_is_shown_stopped_not_going(
    ledger: Ledger, db_url: str, config: Config, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Before the next run takes its lease over, `exchange runs` says a killed run stopped
    without finishing (its process is gone), not that it is going."""
    house, _ = _house("local", tmp_path, request)
    config = _config(config, house)
    _ledger_with_work(ledger, config, tmp_path)
    _victim(db_url, house, "placed").communicate(timeout=120)
    args = ["--config", str(_toml(tmp_path, house)), "--db", db_url, "exchange", "runs"]
    (row,) = json.loads(CliRunner().invoke(cli, [*args, "--json"], obj={}).stdout)
    assert row["status"] == "running" and row["going"]["since"] is None
    assert row["going"]["detail"].startswith("stopped without finishing"), row
    one = CliRunner().invoke(cli, [*args, "--run", str(row["id"])], obj={})
    assert one.exit_code == 0 and "stopped without finishing" in one.stdout, one.output
