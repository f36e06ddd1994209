"""Today is the default as-of date: the clock in the clinic's time zone (frozen here), the
same in the CLI and the web."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from ptbill.cli import clock
from ptbill.cli.main import cli
from ptbill.config.profiles import _build, bundled_demo_config_text
from ptbill.demo.workbench import ensure_demo_users
from ptbill.errors import InputError
from ptbill.web import WebSettings, create_app
from ptbill.web.jobs import JobContext, run_queued
from tests.ledger.helpers import medicare_visit, write_visits

# 03:30 UTC on May 2nd: still May 1st in Chicago and Denver, already May 2nd in Tokyo.
INSTANT = dt.datetime(2026, 5, 2, 3, 30, tzinfo=dt.UTC)


class _Clock(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _Clock:  # type: ignore[override]
        return INSTANT.astimezone(tz)  # type: ignore[return-value]


def test_today_is_read_in_the_clinic_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ptbill.cli.clock.dt.datetime", _Clock)
    data = tomllib.loads(bundled_demo_config_text())
    data["timezone"] = "Asia/Tokyo"
    data["clinics"]["den"] = {**data["clinics"]["elm-street-pt"], "timezone": "America/Denver"}
    config = _build(data, "test.toml")
    ctx = click.Context(cli, obj={"today": None})
    assert clock.today(ctx, config, "den") == dt.date(2026, 5, 1)
    assert clock.today(ctx, config) == dt.date(2026, 5, 2)  # the company's
    assert clock.today(ctx, config, "elm-street-pt") == dt.date(2026, 5, 2)
    ctx.obj["today"] = dt.date(2026, 1, 5)  # ptbill --today / PTBILL_TODAY
    assert clock.today(ctx, config, "den") == dt.date(2026, 1, 5)
    assert clock.as_of_or_today(ctx, dt.datetime(2025, 3, 3), config) == dt.date(2025, 3, 3)


def test_a_time_zone_that_is_not_one_is_refused() -> None:
    with pytest.raises(InputError) as e:
        _build({"timezone": "Mars/Olympus"}, "test.toml")
    assert "IANA" in e.value.render()


def test_the_cli_and_the_web_agree_on_what_is_overdue(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    visits = write_visits(
        tmp_path / "v.jsonl", [medicare_visit("V-1", diagnoses=[]), medicare_visit("V-2")]
    )
    env = {"PTBILL_TODAY": "2025-03-10"}
    r = CliRunner(env=env).invoke(cli, ["--db", str(db), "import", visits], obj={})
    assert r.exit_code == 0, r.output
    # Months later, with no --as-of anywhere: both ask the (frozen) clock.
    later = {"PTBILL_TODAY": "2026-06-01"}  # past the blocked claim's filing deadline
    r = CliRunner(env=later).invoke(cli, ["--db", str(db), "worklist", "--json"], obj={})
    cli_items = {x["claim_id"]: x["overdue"] for x in json.loads(r.output)}
    assert cli_items["V-1"] is True
    app = create_app(WebSettings(db=f"sqlite:///{db}", today=dt.date(2026, 6, 1)))
    token = ensure_demo_users(app.state.sessions)["viewer"]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        body = client.get("/api/v1/worklist", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["as_of"] == "2026-06-01"
    assert {x["claim_id"]: x["overdue"] for x in body["items"]} == cli_items
    app.state.db.dispose()


def _tokyo_with_denver(tmp_path: Path) -> tuple[Path, str, str]:
    """A configuration whose company is in Tokyo and whose Elm Street clinic is in Denver;
    a visit file of Elm's alone, and one of both clinics."""
    text = bundled_demo_config_text().replace(
        'timezone = "America/Chicago"', 'timezone = "Asia/Tokyo"', 1
    )
    text = text.replace(
        "[clinics.elm-street-pt]\n", '[clinics.elm-street-pt]\ntimezone = "America/Denver"\n', 1
    )
    config = tmp_path / "c.toml"
    config.write_text(text)
    elm = write_visits(tmp_path / "elm.jsonl", [medicare_visit("V-1")])
    both = write_visits(
        tmp_path / "both.jsonl",
        [medicare_visit("V-2"), medicare_visit("V-3", patient="P-3", clinic="oak-avenue-pt")],
    )
    return config, elm, both


def test_import_works_as_of_today_in_its_one_clinics_time_zone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Import reads the clock once its input is checked: in the zone of the input's only clinic
    (Denver: still May 1st), else the company's (Tokyo: May 2nd), as scrub does."""
    monkeypatch.setattr("ptbill.cli.clock.dt.datetime", _Clock)
    config, elm, both = _tokyo_with_denver(tmp_path)
    for visits, day in ((elm, "2026-05-01"), (both, "2026-05-02")):
        args = ["--config", str(config), "--db", str(tmp_path / "l.db"), "import", visits]
        r = CliRunner().invoke(cli, [*args, "--json"], obj={})
        assert r.exit_code == 0, r.output
        assert json.loads(r.output)["as_of"] == day


def test_a_web_import_works_as_of_the_same_day_as_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Near midnight the clinic's day and the company's differ: the workbench's import (the
    API's and, through the same job, the page's) and its scrub of a visit take the day the
    command line takes, today in the zone of the file's only clinic (Denver: still May 1st),
    else the company's (Tokyo: already May 2nd)."""
    monkeypatch.setattr("ptbill.cli.clock.dt.datetime", _Clock)
    monkeypatch.setattr("ptbill.web.settings.dt.datetime", _Clock)
    config, elm, both = _tokyo_with_denver(tmp_path)
    app = create_app(WebSettings(db=f"sqlite:///{tmp_path / 'web.db'}", config=str(config)))
    token = ensure_demo_users(app.state.sessions)["admin"]
    admin = {"Authorization": f"Bearer {token}"}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        for visits, day in ((elm, "2026-05-01"), (both, "2026-05-02")):
            args = ["--config", str(config), "--db", str(tmp_path / "l.db"), "import", visits]
            r = CliRunner().invoke(cli, [*args, "--json"], obj={})
            assert r.exit_code == 0, r.output
            assert json.loads(r.output)["as_of"] == day
            with open(visits, "rb") as f:
                queued = client.post("/api/v1/visits", headers=admin, files={"file": f})
            assert queued.status_code == 202, queued.text
            run_queued(app.state.sessions, JobContext(app.state.config, app.state.settings))
            job = client.get(queued.headers["location"], headers=admin).json()
            assert job["state"] == "done", job
            assert job["result"]["as_of"] == day
        # A visit scrubbed as given (nothing stored): its clinic's today too, as `ptbill scrub`.
        visit = json.loads(Path(elm).read_text().splitlines()[0])
        r = CliRunner().invoke(cli, ["--config", str(config), "scrub", elm], obj={})
        assert "1 visit as of 2026-05-01 (today in America/Denver)" in r.output, r.output
        scrubbed = client.post("/api/v1/scrub", headers=admin, json=visit)
        assert scrubbed.status_code == 200, scrubbed.text
        assert scrubbed.json()["as_of"] == "2026-05-01"
    app.state.db.dispose()
