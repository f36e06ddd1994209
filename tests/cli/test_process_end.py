"""The `ptbill` process's end: what is alive when a command ends is left to the process's
exit, not collected again by the interpreter (ptbill.cli.main._leave)."""

from __future__ import annotations

import gc
import sys

import pytest

from ptbill.cli.main import main


@pytest.mark.parametrize("argv", [["--version"], ["no-such-command"]])
def test_a_command_end_leaves_the_heap_to_the_exit(
    monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["ptbill", *argv])
    # The test process's dataclasses left as they are (ptbill.cli.code_cache has tests of its own).
    monkeypatch.setattr("ptbill.cli.main.keep_compiled_code", lambda: None)
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit):
            main()
        assert gc.get_freeze_count() > 0  # whether it ended well or not
    finally:
        gc.unfreeze()  # the test process's own heap collected as before
