"""A demo ledger built once per run (generated visits through import, submit and a simulated
payer), copied for every test that changes it; one user and API token per role."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ptbill.demo.workbench import DEMO_PASSWORD, DemoLedger, build_demo_ledger, ensure_demo_users
from ptbill.web import WebSettings, create_app
from ptbill.web.db import open_database
from ptbill.web.jobs import JobContext, run_queued

VISITS = 160
SEED = 7


@dataclass(frozen=True)
class Templates:
    pending: Path  # submitted and acknowledged; the 835 not posted yet
    posted: Path  # the same with the 835 posted
    demo: DemoLedger
    tokens: dict[str, str]  # user name (a role's, or elm-biller, oak-biller) -> API token
    visits: list[dict[str, Any]]  # the generated visits, as written


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    folder = tmp_path_factory.mktemp("web-ledger")
    pending = folder / "pending.db"
    demo = build_demo_ledger(f"sqlite:///{pending}", folder, visits=VISITS, seed=SEED, post=False)
    db = open_database(f"sqlite:///{pending}")
    tokens = ensure_demo_users(db.sessions)
    db.dispose()
    posted = folder / "posted.db"
    shutil.copyfile(pending, posted)
    from ptbill.config import load_config
    from ptbill.remit.post import post_text

    db = open_database(f"sqlite:///{posted}")
    for n, remit in enumerate(demo.remits, start=1):
        with db.sessions.begin() as s:
            post_text(s, remit, f"demo-{n}.835", who="demo", config=load_config(None), as_of=None)
    db.dispose()
    visits = [json.loads(line) for line in demo.visits_path.read_text().splitlines()]
    return Templates(pending, posted, demo, tokens, visits)


@dataclass
class Workbench:
    app: FastAPI
    client: TestClient
    db: Path
    tokens: dict[str, str]
    templates: Templates

    def as_role(self, role: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}

    def get(self, url: str, role: str | None = "viewer", **kw: Any) -> Any:
        return self.client.get(url, headers=self.as_role(role), **kw)

    def post(self, url: str, role: str | None = "biller", **kw: Any) -> Any:
        return self.client.post(url, headers=self.as_role(role), **kw)

    def sessions(self) -> Any:
        return self.app.state.sessions

    def login(self, role: str, password: str = DEMO_PASSWORD) -> Any:
        """Log this client in through the form (cookie session); returns the response."""
        self.client.cookies.clear()
        form = self.client.get("/login")
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        return self.client.post(
            "/login",
            data={"username": role, "password": password, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )

    @contextmanager
    def signed_in(self, role: str) -> Iterator[None]:
        """Logged in as `role` for the block, then anonymous again (a shared workbench's
        client must not stay logged in for the next test)."""
        self.login(role)
        try:
            yield
        finally:
            self.client.cookies.clear()

    def run_jobs(self) -> list[int]:
        """Run the queued jobs now, in the test's thread (the test client starts no
        in-process worker: the app's lifespan does not run)."""
        state = self.app.state
        return run_queued(state.sessions, JobContext(state.config, state.settings))

    def job(self, response: Any, role: str | None = "viewer") -> dict[str, Any]:
        """The job a 202 answered, after running the queued jobs."""
        assert response.status_code == 202, response.text
        self.run_jobs()
        return self.get(response.headers["location"], role=role).json()

    def job_page(self, response: Any) -> Any:
        """The page of the job an upload form queued (the form redirects to it), once the
        queued jobs have run."""
        assert response.status_code == 200, response.text[:800]
        assert response.url.path.startswith("/jobs/"), response.url
        self.run_jobs()
        return self.client.get(response.url.path)

    def csrf(self) -> str:
        page = self.client.get("/claims")
        return page.text.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]


MakeBench = Callable[..., Workbench]


@pytest.fixture
def make_bench(templates: Templates, tmp_path: Path) -> Iterator[MakeBench]:
    made: list[Workbench] = []

    def make(which: str = "posted", **settings: Any) -> Workbench:
        db = tmp_path / f"{which}-{len(made)}.db"
        shutil.copyfile(getattr(templates, which), db)
        # The clock frozen on the demo's last business day (the 835's payment date).
        settings.setdefault("today", templates.demo.as_of)
        app = create_app(WebSettings(db=f"sqlite:///{db}", **settings))
        bench = Workbench(
            app, TestClient(app, base_url="http://127.0.0.1"), db, templates.tokens, templates
        )
        made.append(bench)
        return bench

    yield make
    for bench in made:
        bench.client.close()
        bench.app.state.db.dispose()


@pytest.fixture
def bench(make_bench: MakeBench) -> Workbench:
    """The workbench on a copy of the posted demo ledger."""
    return make_bench("posted")


@pytest.fixture(scope="session")
def shared_bench(
    templates: Templates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workbench]:
    """One workbench for read-only tests (they must not change the ledger)."""
    db = tmp_path_factory.mktemp("web-shared") / "shared.db"
    shutil.copyfile(templates.posted, db)
    app = create_app(WebSettings(db=f"sqlite:///{db}", today=templates.demo.as_of))
    client = TestClient(app, base_url="http://127.0.0.1")
    yield Workbench(app, client, db, templates.tokens, templates)
    client.close()
    app.state.db.dispose()
