"""X12 for ptbill: 837P claims out; 835 remittances, 999 and 277CA acknowledgments in.

A pure core: functions of their inputs (no clock, no database). Readers raise only X12Error.

The names below are loaded when first used (PEP 562), so that a command importing one
submodule (e.g. the file-kind check every input goes through) does not build every reader's
models: `scrub` starts some 0.02 s sooner. The readers are their modules' functions
(`from ptbill.x12.read_835 import read_835`): a package attribute of a submodule's name is
that submodule once it is imported.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ptbill.x12.claim import Claim, ClaimLine, claim_from_visit, claims_from_visits
    from ptbill.x12.envelope import InterchangeSettings, functional_group_of
    from ptbill.x12.errors import X12Error
    from ptbill.x12.read_277ca import ClaimAcknowledgment
    from ptbill.x12.read_999 import Acknowledgments
    from ptbill.x12.remittance import (
        RemittanceAdjustment,
        RemittanceAdvice,
        RemittanceClaim,
        ServicePayment,
    )
    from ptbill.x12.tokenizer import Delimiters, split_text
    from ptbill.x12.writer_837p import Receiver, write_837p

_HOME = {
    "Acknowledgments": "read_999",
    "Claim": "claim",
    "ClaimAcknowledgment": "read_277ca",
    "ClaimLine": "claim",
    "Delimiters": "tokenizer",
    "InterchangeSettings": "envelope",
    "Receiver": "writer_837p",
    "RemittanceAdjustment": "remittance",
    "RemittanceAdvice": "remittance",
    "RemittanceClaim": "remittance",
    "ServicePayment": "remittance",
    "X12Error": "errors",
    "claim_from_visit": "claim",
    "claims_from_visits": "claim",
    "functional_group_of": "envelope",
    "split_text": "tokenizer",
    "write_837p": "writer_837p",
}

__all__ = [
    "Acknowledgments",
    "Claim",
    "ClaimAcknowledgment",
    "ClaimLine",
    "Delimiters",
    "InterchangeSettings",
    "Receiver",
    "RemittanceAdjustment",
    "RemittanceAdvice",
    "RemittanceClaim",
    "ServicePayment",
    "X12Error",
    "claim_from_visit",
    "claims_from_visits",
    "functional_group_of",
    "split_text",
    "write_837p",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # found once
    return value
