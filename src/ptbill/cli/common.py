"""What every command shares: input errors exit 2 with a message, never a traceback; the
settings `ptbill` resolved (--config, --db, --data) and the run's configuration."""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click
import orjson

from ptbill.config import Config, load_config
from ptbill.errors import AlreadyApplied, InputError, InputErrors
from ptbill.reference.snapshot import take_snapshot
from ptbill.reference.store import data_folder

if TYPE_CHECKING:
    from rich.console import Console


class LazyConsole:
    """A rich Console made when first used: rich's import is about an eighth of the start of
    a command that prints nothing for people (`scrub --json`: 180M instructions of 1,360M).
    Its attributes are the console's; `console` is the console itself, for what needs one
    (rich's progress bar enters it as a context manager)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


# Messages are never wrapped by rich, on stdout as on stderr: a terminal wraps them itself, and
# a script reading them through a pipe (rich's 80 columns) would find a long path or a count cut
# over lines. Tables keep their width (print_table splits a wide one; no cell is cut).
out = LazyConsole(highlight=False, soft_wrap=True)
err = LazyConsole(stderr=True, highlight=False, soft_wrap=True)


def escape(text: str) -> str:
    """rich's markup escaped in `text` (rich imported when first needed: see LazyConsole)."""
    from rich.markup import escape

    return escape(text)


EXIT_OK, EXIT_FOUND, EXIT_INPUT = 0, 1, 2


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our input errors into a clear message on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputErrors as e:
            for error in e.errors[:50]:
                err.print(f"[red]error:[/] {escape(error.render())}", markup=True, soft_wrap=True)
            if len(e.errors) > 50:
                err.print(f"... and {len(e.errors) - 50} more errors")
            sys.exit(EXIT_INPUT)
        except InputError as e:
            err.print(f"[red]error:[/] {escape(e.render())}", markup=True, soft_wrap=True)
            sys.exit(EXIT_INPUT)

    return wrapper


def applied_before(e: AlreadyApplied, as_json: bool) -> None:
    """An answer file (999, 277CA, 271, 277) applied before: done, nothing changed, said with
    its date as `post` says a payment posted before; the command exits 0 (a nightly script
    going over a mailbox folder again is not failing)."""
    if as_json:
        print_json(e.as_json())
    else:
        out.print(f"{escape(e.file)}: {e.said}", soft_wrap=True)


class FileReadTwice(click.Path):
    """An input file a command reads more than once (all of it checked before anything is
    printed or stored, then read again): a pipe (`/dev/stdin`, a shell's `<(...)`) reads once,
    so it is refused by name rather than met as an empty file or an illegal seek."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return path  # the command names a file that cannot be read
        if not stat.S_ISREG(mode):
            self.fail(
                f"{click.format_filename(path)} is a pipe or a device, not a file: this command "
                "reads its input more than once (it checks all of it before it prints or stores "
                "anything). "
                "Fix: save it to a file first (... > FILE) and give that file",
                param,
                ctx,
            )
        return path


def unwritable(path: str | Path, e: OSError) -> InputError:
    """The error for an output file that cannot be written (its folder missing, no
    permission, the disk full): named, never a traceback."""
    return InputError(
        str(path),
        f"cannot write the file ({e.strerror})",
        "check that the folder exists and is writable",
    )


def _default(value: Any) -> Any:
    """What orjson does not know: decimals as strings (money is a decimal string), anything
    with an isoformat (a time)."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_bytes(value: Any, *, pretty: bool = True) -> bytes:
    """JSON as `json.dumps(value, indent=2)` writes it (or compact, one line), by orjson."""
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    return orjson.dumps(value, default=_default, option=option)


def binary_stdout() -> IO[bytes]:
    """The binary stream under sys.stdout (click's test runner gives one too), after the text
    layer is flushed so that nothing printed before comes after."""
    sys.stdout.flush()
    return sys.stdout.buffer


def print_json(data: Any) -> None:
    """One JSON document, e.g. a command's summary."""
    stream = binary_stdout()
    stream.write(json_bytes(data) + b"\n")
    stream.flush()


def settings_of(ctx: click.Context) -> dict[str, Any]:
    """What `ptbill` resolved from its options and the environment (empty for a command
    invoked on its own)."""
    return ctx.find_root().obj or {}


def data_dir(ctx: click.Context) -> Path:
    """The reference data folder: --data, $PTBILL_DATA, else ~/.local/share/ptbill."""
    return data_folder(settings_of(ctx).get("data"))


def profiles(ctx: click.Context) -> Config:
    """The configuration (--config): its clinics, time zones and payer profiles, without the
    reference data a command's coding reads (run_config)."""
    return load_config(settings_of(ctx).get("config"))


def run_config(ctx: click.Context) -> Config:
    """The configuration (--config) over a snapshot of the reference data folder taken now:
    what the command's coding, scrubbing and pricing read. Their ICD-10-CM index is kept in
    the user's cache folder for the next command (ptbill.scrub.icd10_index)."""
    from ptbill.scrub.icd10_index import keep_index_in  # here: the commands that scrub

    cache = settings_of(ctx).get("cache")
    keep_index_in(Path(cache) / "ptbill" if cache else None)
    return profiles(ctx).with_reference(take_snapshot(data_dir(ctx)))


# The bulk form of the actions on claims (ptbill.cli.ledger_cmds.run_bulk_command).
from_stdin_option = click.option(
    "--from-stdin",
    "from_stdin",
    is_flag=True,
    help="Act on every claim id read from standard input, one a line (`ptbill worklist "
    "--format ids`), each claim in its own transaction; exit 1 unless every one was done.",
)


def one_claim(claim: str | None, from_stdin: bool) -> str | None:
    """The CLAIM argument, or None with --from-stdin (exactly one of them)."""
    if bool(claim) == from_stdin:
        raise click.UsageError("give one CLAIM, or --from-stdin (not both)")
    return claim
