"""X12 codes in plain words (our own wording; the code values are X12's).

Small tables of the codes a PT biller meets: claim status in an 835, adjustment groups,
999 error codes (IK3, IK4, IK5, AK9, TA1) and 277CA claim status categories and the common
claim status codes. A code missing here is still reported, with its value.
"""

from __future__ import annotations

# CLP02: what the payer did with the claim.
CLAIM_STATUS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary and forwarded to another payer",
    "20": "processed as secondary and forwarded to another payer",
    "21": "processed as tertiary and forwarded to another payer",
    "22": "reversal of an earlier payment",
    "23": "not this payer's claim; forwarded to another payer",
    "25": "priced as a predetermination only; no payment",
}
REVERSAL = "22"

# CAS01: who carries an adjustment.
ADJUSTMENT_GROUPS = {
    "CO": "contractual obligation (written off, not billed to the patient)",
    "PR": "patient responsibility",
    "OA": "other adjustment",
    "PI": "payer-initiated reduction",
    "CR": "correction or reversal (4010 only)",
}

# BPR04: how the money moved.
PAYMENT_METHODS = {
    "ACH": "electronic funds transfer (ACH)",
    "CHK": "paper check",
    "BOP": "financial institution option",
    "FWT": "federal reserve wire transfer",
    "NON": "no payment (remittance only)",
}
PAYMENT_HANDLING = frozenset({"C", "D", "H", "I", "P", "U", "X"})

# IK5 / AK9: the verdict on a transaction set or a functional group.
ACK_STATUS = {
    "A": "accepted",
    "E": "accepted with errors",
    "P": "partially accepted",
    "R": "rejected",
    "M": "rejected: message authentication failed",
    "W": "rejected: failed validity tests",
    "X": "rejected: content could not be analysed after decryption",
}
ACCEPTED_ACK = frozenset({"A", "E"})

# IK304: what is wrong with a segment.
SEGMENT_ERRORS = {
    "1": "unknown segment id",
    "2": "segment not expected here",
    "3": "a required segment is missing",
    "4": "a loop repeats more often than allowed",
    "5": "a segment repeats more often than allowed",
    "6": "segment does not belong in this transaction set",
    "7": "segment out of order",
    "8": "segment has element errors (see below)",
    "I4": "segment the guide marks 'not used' is present",
    "I6": "a segment the guide requires in this situation is missing",
    "I7": "a loop occurs fewer times than the guide requires",
    "I8": "a segment occurs fewer times than the guide requires",
    "I9": "a segment the guide excludes in this situation is present",
}

# IK403: what is wrong with an element.
ELEMENT_ERRORS = {
    "1": "a required element is missing",
    "2": "an element required by another element's presence is missing",
    "3": "too many elements",
    "4": "value too short",
    "5": "value too long",
    "6": "invalid character",
    "7": "code value not allowed",
    "8": "invalid date",
    "9": "invalid time",
    "10": "elements that exclude each other are both present",
    "12": "too many repetitions",
    "13": "too many components",
    "I6": "code value not used by this implementation guide",
    "I9": "an element the guide requires in this situation is missing",
    "I10": "element the guide marks 'not used' is present",
    "I11": "fewer repetitions than the guide requires",
    "I12": "value does not match the pattern the guide requires",
    "I13": "an element the guide excludes in this situation is present",
}

# IK502-IK506: what is wrong with a transaction set as a whole.
TRANSACTION_ERRORS = {
    "1": "transaction set type not supported",
    "2": "the SE trailer is missing",
    "3": "ST02 and SE02 control numbers differ",
    "4": "SE01 segment count is wrong",
    "5": "one or more segments in error",
    "6": "transaction set id missing or invalid",
    "7": "transaction set control number missing or invalid",
    "18": "transaction set outside a functional group",
    "19": "implementation guide reference (ST03) invalid",
    "23": "transaction set control number repeated within the group",
    "I5": "one or more segments break implementation guide rules",
    "I6": "implementation guide not supported",
}

# AK905-AK909: what is wrong with a functional group as a whole.
GROUP_ERRORS = {
    "1": "functional group type not supported",
    "2": "functional group version not supported",
    "3": "the GE trailer is missing",
    "4": "GS06 and GE02 control numbers differ",
    "5": "GE01 transaction set count is wrong",
    "6": "group control number is malformed",
    "19": "group control number repeated within the interchange",
}
SECURITY_ERROR = "security or encryption problem"

# TA105: what is wrong with the interchange envelope itself.
INTERCHANGE_NOTES = {
    "000": "no error",
    "001": "ISA13 and IEA02 control numbers differ",
    "002": "control standard not supported",
    "003": "control version not supported",
    "004": "invalid segment terminator",
    "005": "invalid sender id qualifier",
    "006": "invalid sender id",
    "007": "invalid receiver id qualifier",
    "008": "invalid receiver id",
    "009": "receiver id unknown",
    "014": "invalid interchange date",
    "015": "invalid interchange time",
    "018": "invalid interchange control number",
    "020": "invalid test/production indicator",
    "021": "IEA01 group count is wrong",
    "022": "invalid control structure",
    "023": "the file ends too early",
    "024": "invalid content (for example a bad GS)",
    "025": "interchange control number already used",
    "026": "invalid element separator",
    "027": "invalid component separator",
}

# STC01-1 (and STC10-1, STC11-1): the category of a 277CA status.
STATUS_CATEGORIES = {
    "A0": "forwarded to another entity",
    "A1": "received (not yet accepted for adjudication)",
    "A2": "accepted into adjudication",
    "A3": "returned as unprocessable: rejected",
    "A4": "not found",
    "A5": "split on acceptance into adjudication",
    "A6": "rejected: information missing",
    "A7": "rejected: information invalid",
    "A8": "rejected: related fields disagree",
    "E0": "no response possible: error in the submitted data",
    "E1": "no response possible: payer system unavailable",
    "E2": "no response possible: information holder not responding",
    "E3": "correction required: related fields disagree",
    "E4": "trading partner agreement requirement not met",
    "P0": "pending",
    "P1": "pending: in process",
    "P2": "pending: in review",
    "P3": "pending: information requested",
    "P4": "pending: payer administrative hold",
    "F0": "finalized",
    "F1": "finalized: paid",
    "F2": "finalized: denied",
    "D0": "search found nothing",
}
ACCEPTED_CATEGORIES = frozenset({"A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "E0", "E3", "E4"})

# STC01-2: the claim status codes a PT clinic sees most on a 277CA (the list has ~800).
STATUS_CODES = {
    "0": "no further status available electronically",
    "1": "see the remittance advice",
    "3": "adjudicated; awaiting the payment cycle",
    "16": "forwarded to the entity named",
    "19": "received by the entity named",
    "20": "accepted for processing",
    "21": "information missing or invalid (the next code says which)",
    "24": "the entity is not approved to submit electronically",
    "35": "claim not found",
    "54": "duplicate of a claim already processed",
    "78": "duplicate of a claim awaiting processing",
    "97": "patient not found as eligible with this entity",
    "116": "claim sent to the wrong payer",
    "128": "the entity's tax id",
    "145": "the entity's specialty or taxonomy code",
    "164": "the entity's contract or member number",
    "187": "date(s) of service",
    "453": "procedure code modifier(s)",
    "500": "the entity's postal (ZIP) code",
    "507": "HCPCS/CPT procedure code",
    "562": "the entity's NPI",
}

# STC01-3 and NM101: who is meant.
ENTITIES = {
    "40": "receiver",
    "41": "submitter",
    "82": "rendering provider",
    "85": "billing provider",
    "87": "pay-to provider",
    "DN": "referring provider",
    "IL": "subscriber",
    "QC": "patient",
    "PR": "payer",
    "77": "service location",
    "DQ": "supervising provider",
}


def describe(table: dict[str, str], code: str, what: str) -> str:
    """The plain words for a code, or a line that still shows the code."""
    return table.get(code) or f"{what} {code} (not in ptbill's short list)"
