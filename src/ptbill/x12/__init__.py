"""X12 for ptbill: 837P claims out; 835 remittances, 999 and 277CA acknowledgments in.

A pure core: functions of their inputs (no clock, no database). Readers raise only X12Error.
"""

from ptbill.x12.claim import Claim, ClaimLine, claim_from_visit, claims_from_visits
from ptbill.x12.envelope import InterchangeSettings, functional_group_of
from ptbill.x12.errors import X12Error
from ptbill.x12.read_277ca import ClaimAcknowledgment, read_277ca
from ptbill.x12.read_835 import read_835
from ptbill.x12.read_999 import Acknowledgments, read_999
from ptbill.x12.remittance import (
    RemittanceAdjustment,
    RemittanceAdvice,
    RemittanceClaim,
    ServicePayment,
)
from ptbill.x12.tokenizer import Delimiters, split_text
from ptbill.x12.writer_837p import Receiver, write_837p

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
    "read_277ca",
    "read_835",
    "read_999",
    "split_text",
    "write_837p",
]
