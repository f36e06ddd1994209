"""One generated clinic shared by the demo tests (generating and validating it once)."""

from __future__ import annotations

from typing import Any

import pytest

from ptbill.demo.generator import generate

N = 2000
SEED = 2026


@pytest.fixture(scope="session")
def visits() -> list[dict[str, Any]]:
    return generate(N, SEED)
