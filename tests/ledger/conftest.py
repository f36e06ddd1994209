"""Fixtures for the ledger tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from PTBILL_TEST_PG (a postgresql+psycopg:// URL; .ci/run starts a server and
sets it). Without it the PostgreSQL variants are skipped; CI always sets it. Each test gets an
empty database: a new SQLite file, or the PostgreSQL database's public schema dropped and
created again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.ledger.db import Ledger

PG_ENV = "PTBILL_TEST_PG"


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set (CI sets it: see .ci/run)")
    _reset_postgres(url)
    return url


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    led = Ledger(db_url)
    yield led
    led.close()


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(None)
