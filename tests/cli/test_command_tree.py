"""Every command a user can name is there when the CLI starts fresh: `ptbill` imports a
command's module only when the command is asked for (ptbill.cli.main.COMMANDS), so a group
whose subcommands another module added was missing them in a real run (`ptbill reference
import pfs`, which the README shows, was "No such command" while every in-process test, having
imported every module, saw it)."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from ptbill.cli.main import COMMANDS, cli

# The command paths under one top-level command, in a fresh interpreter (only ptbill.cli.main
# imported, as the `ptbill` script does).
_TREE = """
import json, sys, click
from ptbill.cli.main import cli
def walk(ctx, cmd, path):
    yield " ".join(path)
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            yield from walk(ctx, cmd.get_command(ctx, name), [*path, name])
ctx = click.Context(cli)
print(json.dumps(sorted(walk(ctx, cli.get_command(ctx, sys.argv[1]), [sys.argv[1]]))))
"""


def _walk(ctx: click.Context, cmd: click.Command, path: list[str]) -> list[str]:
    out = [" ".join(path)]
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None, path
            out += _walk(ctx, sub, [*path, name])
    return out


def test_each_groups_subcommands_are_there_in_a_fresh_run() -> None:
    ctx = click.Context(cli)
    groups = [n for n in COMMANDS if isinstance(cli.get_command(ctx, n), click.Group)]
    assert "reference" in groups
    for name in groups:
        every = sorted(_walk(ctx, cli.get_command(ctx, name), [name]))  # type: ignore[arg-type]
        fresh = subprocess.run(
            [sys.executable, "-c", _TREE, name], capture_output=True, text=True, check=True
        )
        assert json.loads(fresh.stdout) == every, name


def test_the_readmes_reference_imports_are_commands() -> None:
    fresh = subprocess.run(
        [sys.executable, "-m", "ptbill", "reference", "import", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for kind in ("ncci-ptp", "ncci-mue", "pfs", "gpci", "zip-locality", "fees"):
        assert f"  {kind} " in fresh.stdout, kind
