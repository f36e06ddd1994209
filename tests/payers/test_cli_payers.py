"""The commands: eligibility request/read/apply/list, status request/read, exchange run/runs,
with --json, exit statuses and clear errors (never a traceback)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.config import load_config
from ptbill.config.profiles import bundled_demo_config_text
from ptbill.payer_sim.eligibility import EligibilitySim, answer_270
from tests.ledger.helpers import DOS, commercial_visit, medicare_visit, write_visits


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), obj={})
    return result.exit_code, result.stdout, result.stderr


def test_eligibility_through_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1"), commercial_visit("V-2")])
    code, out, _ = _run("--db", db, "import", visits, "--as-of", "2025-03-10")
    assert code == 0, out
    code, out, err = _run(
        "--db",
        db,
        "eligibility",
        "request",
        "--date",
        DOS.isoformat(),
        "-o",
        str(tmp_path / "d.270"),
        "--as-of",
        DOS.isoformat(),
        "--json",
    )
    assert code == 0, err
    assert len(json.loads(out)["items"]) == 2
    sim = EligibilitySim(scenarios={"XYH123456789": "inactive"})
    text = answer_270((tmp_path / "d.270").read_text(), load_config(None), sim, number=2, when=DOS)
    (tmp_path / "d.271").write_text(text)
    code, out, _ = _run("eligibility", "read", str(tmp_path / "d.271"), "--json")
    people = json.loads(out)
    assert code == 1  # someone's coverage is inactive
    assert sorted(p["active"] for p in people) == [False, True]
    assert {"member_id", "plan_begin", "visits_remaining", "therapy_amount_applied"} <= set(
        people[0]
    )
    code, out, _ = _run(
        "--db",
        db,
        "eligibility",
        "apply",
        str(tmp_path / "d.271"),
        "--as-of",
        DOS.isoformat(),
        "--json",
    )
    assert code == 0 and json.loads(out)["blocked_claims"] == ["V-2"]
    code, out, err = _run("--db", db, "eligibility", "apply", str(tmp_path / "d.271"))
    assert code == 0 and f"already applied on {DOS} (inbound file #" in out, err
    assert out.endswith("; nothing was changed\n")
    code, out, _ = _run("--db", db, "eligibility", "list", "--patient", "P-9", "--json")
    assert code == 0 and json.loads(out)[0]["active"] is False
    code, out, _ = _run("--db", db, "worklist", "--kind", "eligibility", "--json")
    assert [w["category"] for w in json.loads(out)] == ["coverage_inactive"]


def test_claim_status_and_exchange_commands(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    assert _run("--db", db, "import", visits, "--as-of", "2025-03-10")[0] == 0
    assert (
        _run("--db", db, "submit", "-o", str(tmp_path / "c.837"), "--as-of", "2025-03-10")[0] == 0
    )
    code, out, _ = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "s.276"), "--as-of", "2025-03-20"
    )
    assert code == 0 and "nothing written" in out  # inside the payer's 30 days
    later = (dt.date(2025, 3, 10) + dt.timedelta(days=30)).isoformat()
    code, out, _ = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "s.276"), "--as-of", later, "--json"
    )
    assert code == 0 and [i["claim_id"] for i in json.loads(out)["items"]] == ["V-1"]
    (tmp_path / "bad.277").write_text("not x12")
    code, _, err = _run("--db", db, "status", "read", str(tmp_path / "bad.277"))
    assert code == 2 and "not an X12 interchange" in err
    config = tmp_path / "clinic.toml"
    config.write_text(bundled_demo_config_text() + '\n[clearinghouses.box]\nlocal = "box"\n')
    code, out, _ = _run(
        "--config", str(config), "--db", db, "exchange", "run", "--as-of", later, "--json"
    )
    summary = json.loads(out)
    assert code == 0 and summary["uploaded"] == 2  # the 837P and the 276
    assert sorted(p.name for p in (tmp_path / "box" / "inbound").iterdir()) == [
        "276-000000002.x12",
        "837-000000001.x12",
    ]
    code, out, _ = _run("--db", db, "exchange", "runs", "--json")
    assert code == 0 and json.loads(out)[0]["status"] == "ok"
    code, _, err = _run("--db", db, "exchange", "run", "--watch", "soon")
    assert code == 2 and "--watch" in err


def test_a_277_about_claims_the_ledger_does_not_hold_says_so(tmp_path: Path) -> None:
    """A 277 applied to the wrong ledger (or about another office's claims) matches none of
    its claims: the command says how many matched no claim, as the workbench's page does,
    rather than "0 work item(s)" alone."""
    from ptbill.payer_sim.status import answer_276

    db = f"sqlite:///{tmp_path / 'l.db'}"
    visits = write_visits(tmp_path / "v.jsonl", [medicare_visit("V-1")])
    assert _run("--db", db, "import", visits, "--as-of", "2025-03-10")[0] == 0
    assert (
        _run("--db", db, "submit", "-o", str(tmp_path / "c.837"), "--as-of", "2025-03-10")[0] == 0
    )
    asked = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "s.276"), "--as-of", "2025-04-10"
    )
    assert asked[0] == 0, asked
    answer = answer_276((tmp_path / "s.276").read_text(), {}, number=3, when=dt.date(2025, 4, 11))
    (tmp_path / "s.277").write_text(answer)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    code, out, _ = _run(
        "--db", other, "status", "read", str(tmp_path / "s.277"), "--as-of", "2025-04-11"
    )
    assert code == 0 and "1 matching no claim in this ledger" in " ".join(out.split()), out


def test_a_watch_waits_out_a_database_that_fails_after_its_first_run(tmp_path: Path) -> None:
    config = tmp_path / "clinic.toml"
    config.write_text(bundled_demo_config_text() + '\n[clearinghouses.box]\nlocal = "box"\n')
    db_file = tmp_path / "l.db"
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    argv = [sys.executable, "-m", "ptbill", "--config", str(config), "--db", f"sqlite:///{db_file}"]
    with out.open("w") as o, err.open("w") as e:
        watch = subprocess.Popen([*argv, "exchange", "run", "--watch", "1s"], stdout=o, stderr=e)
    try:

        def seen(path: Path, text: str, times: int = 1) -> None:
            deadline = time.monotonic() + 60
            while path.read_text().count(text) < times:
                assert watch.poll() is None, err.read_text()  # still watching
                assert time.monotonic() < deadline, (out.read_text(), err.read_text())
                time.sleep(0.1)

        seen(out, "exchange run #1")
        db_file.rename(tmp_path / "kept.db")
        db_file.mkdir()  # a database that cannot be opened, for a while
        seen(err, "the run did not happen: database:")
        assert "Traceback" not in err.read_text()
        db_file.rmdir()
        (tmp_path / "kept.db").rename(db_file)
        seen(out, "exchange run #", times=2)  # and it goes on
    finally:
        watch.kill()
        watch.wait()


def test_a_watch_whose_database_never_opens_stops_at_once(tmp_path: Path) -> None:
    (tmp_path / "l.db").mkdir()
    code, _, err = _run(
        "--db", f"sqlite:///{tmp_path / 'l.db'}", "exchange", "run", "--watch", "1s"
    )
    assert code == 2 and "cannot open" in err and "Traceback" not in err


def test_a_watch_waits_out_a_run_going_and_stops_cleanly_when_told(tmp_path: Path) -> None:
    """`exchange run --watch` as a service: a tick while another run is going is refused and
    said (the watch goes on, and runs at its next tick once that run ended); SIGTERM while it
    waits between runs (`systemctl stop`) ends it with 0, saying so, not "Aborted!" with 1,
    which left the service failed after every stop."""
    import os
    import signal
    import socket

    from ptbill.exchange.lease import LEASE, utc_now
    from ptbill.ledger import payer_models as pm
    from ptbill.ledger.db import Ledger

    config = tmp_path / "clinic.toml"
    config.write_text(bundled_demo_config_text() + '\n[clearinghouses.box]\nlocal = "box"\n')
    db = f"sqlite:///{tmp_path / 'l.db'}"
    now = utc_now()
    with Ledger(db) as ledger, ledger.transaction() as s:
        s.add(
            pm.ExchangeLease(
                clearinghouse="box",
                token="w" * 32,
                who="web:biller",
                host=socket.gethostname(),
                pid=os.getpid(),  # alive: this test's process
                started_at=now,
                expires_at=now + LEASE,
            )
        )
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    argv = [sys.executable, "-m", "ptbill", "--config", str(config), "--db", db]
    with out.open("w") as o, err.open("w") as e:
        watch = subprocess.Popen([*argv, "exchange", "run", "--watch", "2s"], stdout=o, stderr=e)
    try:

        def seen(path: Path, text: str) -> None:
            deadline = time.monotonic() + 60
            while text not in path.read_text():
                assert watch.poll() is None, err.read_text()  # still watching
                assert time.monotonic() < deadline, (out.read_text(), err.read_text())
                time.sleep(0.1)

        seen(err, "refused: a run of the clearinghouse box is going since")
        assert "exchange run #" not in out.read_text()
        with Ledger(db) as ledger, ledger.transaction() as s:
            s.delete(s.get(pm.ExchangeLease, "box"))
        seen(out, "exchange run #1")
        watch.send_signal(signal.SIGTERM)  # at once: it waits 2 s for its next run
        assert watch.wait(60) == 0, err.read_text()
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()
    said = err.read_text()
    assert "stopped while waiting for the next run" in said and "Aborted" not in said, said


def test_the_payer_commands_held_to_a_clinic(tmp_path: Path) -> None:
    """A billing company's command line for one clinic (--clinic, as worklist and submit have
    it): it asks about that clinic's patients and claims only, and an answer about another
    clinic's is refused whole (nothing of it kept)."""
    from ptbill.payer_sim.status import answer_276

    db = f"sqlite:///{tmp_path / 'l.db'}"
    elm = medicare_visit("V-1", patient="P-1")
    oak = medicare_visit("V-2", patient="P-2", clinic="oak-avenue-pt")
    visits = write_visits(tmp_path / "v.jsonl", [elm, oak])
    assert _run("--db", db, "import", visits, "--as-of", "2025-03-10")[0] == 0
    assert (
        _run("--db", db, "submit", "-o", str(tmp_path / "c.837"), "--as-of", "2025-03-10")[0] == 0
    )
    oak_only = ("--clinic", "oak-avenue-pt")

    code, out, err = _run(
        "--db", db, "eligibility", "request", "--date", DOS.isoformat(),
        "-o", str(tmp_path / "d.270"), "--json", *oak_only,
    )  # fmt: skip
    assert code == 0, err
    assert [i["visit_id"] for i in json.loads(out)["items"]] == ["V-2"]
    # Sent under Oak's own account (ISA06), not the first configured clinic's.
    assert (tmp_path / "d.270").read_text().split("*")[6].strip() == "OAKAV001"
    code, _, err = _run(
        "--db", db, "eligibility", "request", visits, "-o", str(tmp_path / "e.270"), *oak_only
    )
    assert code == 2 and "--clinic" in err and not (tmp_path / "e.270").exists()

    later = "2025-04-10"
    code, out, err = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "s.276"), "--as-of", later,
        "--json", *oak_only,
    )  # fmt: skip
    assert code == 0, err
    assert [i["claim_id"] for i in json.loads(out)["items"]] == ["V-2"]
    assert (tmp_path / "s.276").read_text().split("*")[6].strip() == "OAKAV001"
    code, _, err = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "t.276"), "--claim", "V-1",
        *oak_only,
    )  # fmt: skip
    assert code == 2 and "no claim 'V-1' at oak-avenue-pt" in " ".join(err.split())
    assert not (tmp_path / "t.276").exists()

    # A 277 about the other clinic's claim (V-2 was asked about above): refused whole for one
    # clinic, so that it is applied, not "already applied", without --clinic.
    code, _, err = _run(
        "--db", db, "status", "request", "-o", str(tmp_path / "elm.276"), "--as-of", later
    )
    assert code == 0, err
    answer = answer_276((tmp_path / "elm.276").read_text(), {}, number=3, when=dt.date(2025, 4, 11))
    (tmp_path / "s.277").write_text(answer)
    code, _, err = _run("--db", db, "status", "read", str(tmp_path / "s.277"), *oak_only)
    assert code == 2 and "clinics outside those you act for" in " ".join(err.split())
    code, out, err = _run("--db", db, "status", "read", str(tmp_path / "s.277"), "--json")
    assert code == 0 and [c["claim_id"] for c in json.loads(out)["claims"]] == ["V-1"], err

    # A 271 about the elm patient: refused for oak, applied for elm, listed for elm only.
    elm_only = ("--clinic", "elm-street-pt")
    code, _, err = _run(
        "--db", db, "eligibility", "request", "--date", DOS.isoformat(),
        "-o", str(tmp_path / "elm.270"), *elm_only,
    )  # fmt: skip
    assert code == 0, err
    text = answer_270((tmp_path / "elm.270").read_text(), load_config(None), EligibilitySim(),
                      number=5, when=DOS)  # fmt: skip
    (tmp_path / "elm.271").write_text(text)
    code, _, err = _run("--db", db, "eligibility", "apply", str(tmp_path / "elm.271"), *oak_only)
    assert code == 2 and "clinics outside those you act for" in " ".join(err.split())
    code, _, err = _run("--db", db, "eligibility", "apply", str(tmp_path / "elm.271"), *elm_only)
    assert code == 0, err
    code, out, _ = _run("--db", db, "eligibility", "list", "--json", *oak_only)
    assert code == 0 and json.loads(out) == []
    code, out, _ = _run("--db", db, "eligibility", "list", "--json", *elm_only)
    assert code == 0 and [c["patient"] for c in json.loads(out)] == ["P-1"]
    code, _, err = _run("--db", db, "status", "request", "-o", "x.276", "--clinic", "no-such")
    assert code == 2 and "no clinic 'no-such'" in err


def test_a_sigterm_as_the_watch_closes_its_ledger_stops_it_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`systemctl stop` landing as a run's database connection closes: the interrupt used to
    be raised inside the driver's close, where the connection pool swallowed it with a
    traceback in the log, and the watch ended with exit 2 saying that nothing was done. It
    is held until the ledger is closed, then stops the watch as between runs."""
    import os
    import signal

    from ptbill.ledger.db import Ledger

    config = tmp_path / "clinic.toml"
    config.write_text(bundled_demo_config_text() + '\n[clearinghouses.box]\nlocal = "box"\n')
    close = Ledger.close

    def close_while_stopped(self: Ledger) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        close(self)

    monkeypatch.setattr(Ledger, "close", close_while_stopped)
    code, out, err = _run(
        "--config", str(config), "--db", f"sqlite:///{tmp_path / 'l.db'}",
        "exchange", "run", "--watch", "1h",
    )  # fmt: skip
    assert code == 0, err
    assert "exchange run #1" in out and "stopped while waiting for the next run" in err
    assert "Traceback" not in err and "nothing was sent" not in err
