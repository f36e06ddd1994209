"""Denial classification: an 835 adjustment (group code + CARC, with its RARCs) -> a category,
a recommended action and the deadline for it (billing-rules.md R-1..R-3, C-8, C-10).

Categories: the nine of issue #5 -- `ncci_bundling`, `medical_necessity`, `authorization`,
`eligibility`, `timely_filing`, `duplicate`, `documentation`, `benefit_maximum`, `contractual`
-- plus `patient_responsibility` (PR deductible, coinsurance, copay: the ordinary patient
share), `non_covered` (CARC 96, 204) and `other` (a combination not in the table: it goes to the
work queue for a person to read, R-3).

Actions (R-3): `correct_and_resubmit`, `reopen`, `appeal_with_records`, `write_off`,
`bill_patient`, `informational`, and `review` for `other`.

Deadlines:
- appeal_with_records: the payer profile's `appeal_days` from the initial determination (the
  835's date); Medicare's redetermination window is 120 days (medicare.toml, NGS-APPEALS);
- reopen: Medicare reopens within one year of the initial determination (C-10,
  NORIDIAN-REOPEN); other payers within `appeal_days`;
- correct_and_resubmit: for a processed claim, `appeal_days` from the determination; for a
  claim the payer could not process (rejected, or CO-16 with MA130) the timely-filing limit
  from the date of service, which such a claim does not stop (C-8);
- write_off, bill_patient, review: 30 days from the determination (ptbill's own housekeeping
  default: nothing in the rules sets it).

A Medicare line denied as not covered (CARC 96, 204), or past the therapy threshold without
KX (119), may be billed to the patient only with an ABN on file (modifier GA); without one
(GZ, or no GA) the patient may not be billed, whoever the 835 gives the amount to: the clinic
writes it off (billing-rules: CARC 96 and 119, the ABN route, M-6; Medicare Claims Processing
Manual ch. 30 §40.3). `ABN_REASONS` and `without_abn` say when; `no_abn` is the work item's
classification then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, replace
from functools import cache
from typing import Protocol

from ptbill.reference.adjustment_codes import carc_words, rarc_words

CATEGORIES = (
    "ncci_bundling",
    "medical_necessity",
    "authorization",
    "eligibility",
    "timely_filing",
    "duplicate",
    "documentation",
    "benefit_maximum",
    "contractual",
    "patient_responsibility",
    "non_covered",
    "other",
)
ACTIONS = (
    "correct_and_resubmit",
    "reopen",
    "appeal_with_records",
    "write_off",
    "bill_patient",
    "informational",
    "review",
)
NOT_DENIALS = frozenset({"contractual", "patient_responsibility"})
ABN_ON_FILE, NO_ABN = "GA", "GZ"
ABN_REASONS = frozenset({"96", "204", "119"})  # the patient's on Medicare only with an ABN
HOUSEKEEPING_DAYS = 30
MEDICARE_REOPENING_DAYS = 365
UNPROCESSABLE = frozenset({"MA130"})

# CARC -> (category, action, advice). Group-specific exceptions are in `classify`.
_TABLE: dict[str, tuple[str, str, str]] = {
    "45": ("contractual", "informational", "the contracted reduction; nothing to do"),
    "59": (
        "contractual",
        "informational",
        "the multiple procedure reduction (MPPR); nothing "
        "to do unless it was taken on the wrong unit",
    ),
    "253": ("contractual", "informational", "sequestration; nothing to do"),
    "23": ("contractual", "informational", "the other payer's payment; nothing to do"),
    "42": ("contractual", "informational", "over the maximum allowable fee; nothing to do"),
    "94": ("contractual", "informational", "processed in excess of charges"),
    "131": ("contractual", "informational", "a claim-specific negotiated discount"),
    "1": ("patient_responsibility", "bill_patient", "bill the patient (deductible)"),
    "2": ("patient_responsibility", "bill_patient", "bill the patient (coinsurance)"),
    "3": ("patient_responsibility", "bill_patient", "bill the patient (copayment)"),
    "97": (
        "ncci_bundling",
        "write_off",
        "the service is bundled into another one: do not bill it separately; write the line off",
    ),
    "234": (
        "ncci_bundling",
        "write_off",
        "not paid separately: remove or combine the line; write it off",
    ),
    "236": (
        "ncci_bundling",
        "correct_and_resubmit",
        "an NCCI pair edit: if the services were "
        "distinct (separate time blocks or regions, M-17), add 59/X and send a corrected "
        "claim; if not, write the line off",
    ),
    "50": (
        "medical_necessity",
        "appeal_with_records",
        "check the diagnosis and pointers; if "
        "they are right, appeal with the plan of care and treatment notes",
    ),
    "55": ("medical_necessity", "appeal_with_records", "appeal with the records"),
    "56": ("medical_necessity", "appeal_with_records", "appeal with the records"),
    "150": (
        "medical_necessity",
        "appeal_with_records",
        "appeal with the records that support the level of service",
    ),
    "151": (
        "medical_necessity",
        "appeal_with_records",
        "verify the units; appeal with the treatment notes showing the minutes",
    ),
    "167": (
        "medical_necessity",
        "appeal_with_records",
        "check the diagnosis coding; appeal with the records if it is right",
    ),
    "11": (
        "medical_necessity",
        "correct_and_resubmit",
        "point the line at the diagnosis it treats and send a corrected claim",
    ),
    "15": (
        "authorization",
        "correct_and_resubmit",
        "add the valid authorization number and send a corrected claim",
    ),
    "197": (
        "authorization",
        "appeal_with_records",
        "get a retroactive authorization if the payer allows it, then appeal with it",
    ),
    "198": (
        "authorization",
        "appeal_with_records",
        "ask for more authorized visits and appeal with the approval",
    ),
    "22": (
        "eligibility",
        "correct_and_resubmit",
        "bill the primary payer first, then this one with the primary's payment",
    ),
    "26": (
        "eligibility",
        "correct_and_resubmit",
        "verify the coverage dates and bill the payer that covered the date",
    ),
    "27": (
        "eligibility",
        "correct_and_resubmit",
        "verify the coverage dates and bill the payer that covered the date",
    ),
    "31": (
        "eligibility",
        "correct_and_resubmit",
        "verify the member id and name against the card and send a corrected claim",
    ),
    "109": ("eligibility", "correct_and_resubmit", "send the claim to the right payer"),
    "170": ("eligibility", "review", "check the rendering provider's enrollment with the payer"),
    "185": ("eligibility", "review", "check the rendering provider's enrollment with the payer"),
    "29": (
        "timely_filing",
        "write_off",
        "filed too late: write off unless an exception applies "
        "(proof of timely filing, a payer error) (C-8)",
    ),
    "18": (
        "duplicate",
        "reopen",
        "do not send it again: check the original claim; if it was "
        "wrong, ask for a reopening or send a replacement (C-10)",
    ),
    "16": (
        "documentation",
        "correct_and_resubmit",
        "add or fix what the remark code names and send a corrected claim (not an appeal)",
    ),
    "125": (
        "documentation",
        "correct_and_resubmit",
        "fix the billing error the remark code names and send a corrected claim",
    ),
    "4": (
        "documentation",
        "correct_and_resubmit",
        "add or fix the modifier (GP, KX, CQ, 59/X) and send a corrected claim",
    ),
    "5": (
        "documentation",
        "correct_and_resubmit",
        "fix the place of service and send a corrected claim",
    ),
    "181": ("documentation", "correct_and_resubmit", "use a code valid on the date of service"),
    "226": ("documentation", "appeal_with_records", "send the records the payer asked for"),
    "252": ("documentation", "appeal_with_records", "send the required documentation"),
    "119": (
        "benefit_maximum",
        "correct_and_resubmit",
        "if the therapy is medically necessary "
        "and documented, add KX and send a corrected claim; otherwise the patient is "
        "liable only with a valid ABN (M-3, M-6)",
    ),
    "96": (
        "non_covered",
        "write_off",
        "a non-covered service: the patient is liable only with "
        "a valid advance notice; else write it off",
    ),
    "204": (
        "non_covered",
        "write_off",
        "not covered by the patient's plan: bill the patient only if the contract allows",
    ),
}


@dataclass(frozen=True, slots=True)
class Classification:
    category: str
    action: str
    advice: str
    plain: str  # the adjustment in plain words

    @property
    def is_denial(self) -> bool:
        return self.category not in NOT_DENIALS


@cache
def classify(group: str, carc: str, rarc: str | None = None) -> Classification:
    """The category and action of one adjustment."""
    category, action, advice = _TABLE.get(
        carc, ("other", "review", "a combination ptbill does not know: read the codes and decide")
    )
    if group == "PR" and (category == "non_covered" or carc == "119"):
        action = "bill_patient"
        advice = f"{advice} (the payer assigned it to the patient)"
    if group in ("CO", "PI", "OA") and category == "patient_responsibility":
        category, action = "other", "review"
        advice = "a patient-share reason under a non-patient group: ask the payer"
    plain = carc_words(carc)
    if rarc:
        plain += f"; {rarc_words(rarc)}"
    return Classification(category, action, advice, plain)


def without_abn(medicare: bool, modifiers: Collection[str]) -> bool:
    """A line of a Medicare claim with no ABN on file (GZ, or no GA): a non-covered amount on
    it may not be billed to the patient."""
    return medicare and (NO_ABN in modifiers or ABN_ON_FILE not in modifiers)


def no_abn(c: Classification) -> Classification:
    """An adjustment of ABN_REASONS the payer gave the patient (PR-96, PR-204, PR-119) on a
    line with no ABN on file: the clinic's to write off, never the patient's to pay."""
    return replace(
        c,
        action="write_off",
        advice="the patient may be billed for it only with an ABN on file, and there is none "
        "(GZ, or no GA): write it off",
    )


def due_date(
    action: str,
    *,
    medicare: bool,
    appeal_days: int,
    timely_filing_days: int,
    date_of_service: dt.date,
    determined_on: dt.date,
    processed: bool = True,
) -> dt.date:
    """The deadline for acting on a classified adjustment (module docstring)."""
    if action == "appeal_with_records":
        return determined_on + dt.timedelta(days=appeal_days)
    if action == "reopen":
        days = MEDICARE_REOPENING_DAYS if medicare else appeal_days
        return determined_on + dt.timedelta(days=days)
    if action == "correct_and_resubmit":
        if not processed:
            return date_of_service + dt.timedelta(days=timely_filing_days)
        return determined_on + dt.timedelta(days=appeal_days)
    return determined_on + dt.timedelta(days=HOUSEKEEPING_DAYS)


class PayerWindows(Protocol):
    """What due_date reads of a payer (the ledger's payers row)."""

    medicare: bool
    appeal_days: int
    timely_filing_days: int


def payer_due_date(
    action: str,
    payer: PayerWindows,
    *,
    date_of_service: dt.date,
    determined_on: dt.date,
    processed: bool = True,
) -> dt.date:
    """due_date under the payer's own windows."""
    return due_date(
        action,
        medicare=payer.medicare,
        appeal_days=payer.appeal_days,
        timely_filing_days=payer.timely_filing_days,
        date_of_service=date_of_service,
        determined_on=determined_on,
        processed=processed,
    )


# 277CA status codes (STC01-2) -> the category of a front-end rejection.
_REJECTION = {
    "97": "eligibility",
    "164": "eligibility",
    "33": "eligibility",
    "54": "duplicate",
    "78": "duplicate",
}


def rejection_category(status_codes: list[str]) -> str:
    """`eligibility`, `duplicate`, or `claim_data` (missing or invalid claim information)."""
    for code in status_codes:
        if code in _REJECTION:
            return _REJECTION[code]
    return "claim_data"
