"""CARC and RARC codes a PT clinic meets, and the CAS adjustment groups, in plain words (our own
paraphrases; the code values are X12's, billing-rules.md R-2 [X12-CARC] [CODINGAHEAD-CARC]). A
code missing here is still reported, with its value."""

from __future__ import annotations

CARC = {
    "1": "the amount went to the patient's deductible",
    "2": "the patient's coinsurance share",
    "3": "the patient's copayment",
    "4": "a modifier is missing or does not fit the procedure",
    "5": "the procedure code or bill type does not fit the place of service",
    "11": "the diagnosis does not fit the procedure",
    "15": "the authorization number is missing or invalid",
    "16": "the claim lacks information or has a billing error (the remark code says which)",
    "18": "an exact duplicate of a claim or line already processed",
    "22": "another payer may cover this (coordination of benefits)",
    "23": "the payment was reduced by what another payer paid",
    "26": "the service was before the coverage started",
    "27": "the service was after the coverage ended",
    "29": "the time limit for filing has passed",
    "31": "the patient cannot be identified as our insured",
    "45": "the charge exceeds the fee schedule or contracted amount",
    "50": "the payer does not consider the service medically necessary",
    "59": "reduced under the multiple procedure rules",
    "96": "a non-covered charge (the remark code says why)",
    "97": "paid as part of another service already adjudicated (bundled)",
    "109": "not covered by this payer; send it to the right payer",
    "119": "the benefit maximum for the period has been reached",
    "125": "a submission or billing error (the remark code says which)",
    "150": "the information given does not support this level of service",
    "151": "the information given does not support this many services or this frequency",
    "167": "the diagnosis is not covered",
    "170": "not paid when performed or billed by this type of provider",
    "181": "the procedure code was invalid on the date of service",
    "185": "the rendering provider is not eligible to perform the service",
    "197": "the prior authorization, precertification or notification is missing",
    "198": "the authorized number of visits or services was exceeded",
    "204": "the service is not covered under the patient's current benefit plan",
    "226": "the information the payer asked for was not given, or was not enough",
    "234": "the procedure is not paid separately (the remark code says why)",
    "236": "this code, or code and modifier, is not allowed with another service that day "
    "under the NCCI edits",
    "252": "an attachment or other documentation is required",
    "253": "sequestration: the federal reduction of the payment",
}

RARC = {
    "M15": "separately billed services and tests were bundled: they are part of another service",
    "M51": "the procedure code is missing, incomplete or invalid",
    "M76": "the diagnosis is missing, incomplete or invalid",
    "M80": "not covered when performed during the same session as another service",
    "MA130": "the claim is unprocessable: correct the information and submit it as new",
    "N115": "decided under a local coverage determination (LCD)",
    "N130": "consult the plan's benefit documents for coverage",
    "N20": "not paid separately with another service on the same day",
    "N211": "this service cannot be appealed",
    "N290": "the rendering provider's identifier is missing, incomplete or invalid",
    "N362": "the number of days or units exceeds what is acceptable",
    "N386": "decided under a national coverage determination (NCD)",
    "N54": "the claim information is not consistent with the pre-certified or authorized services",
    "N657": "this should be billed with the appropriate code for these services",
    "MA01": "you may appeal if you disagree: see the appeal rights",
}


def carc_words(code: str) -> str:
    return CARC.get(code) or f"adjustment reason {code} (not in ptbill's short list)"


def rarc_words(code: str) -> str:
    return RARC.get(code) or f"remark {code} (not in ptbill's short list)"


GROUPS = {
    "CO": "contractual obligation: the clinic may not bill the patient for it",
    "PR": "patient responsibility: the patient owes it",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal",
}
