"""Every pricing test gets its own empty data folder: no test reads or writes the user's
imported releases."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "ptbill-data"
    monkeypatch.setenv("PTBILL_DATA", str(folder))
    return folder
