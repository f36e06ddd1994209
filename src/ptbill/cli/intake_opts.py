"""The `--from` option of every command that reads visits, and the notice of a format
recognised from the content."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ptbill.cli.common import err
from ptbill.intake.detect import FORMATS


def from_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--from",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="The files' format: ptbill's visit JSON, FHIR R4 JSON, HL7 v2 DFT^P03 or CSV "
        "charges. Default: recognised from each file's content (a notice on stderr says which).",
    )(fn)


def notify(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)
