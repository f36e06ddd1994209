"""What every command shares: input errors exit 2 with a message, never a traceback."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from ptbill.errors import InputError, InputErrors

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

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


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_default))
