"""The 270/271 codes a PT biller meets, in plain words (our own wording; the values are X12's,
005010X279A1): EB01 benefit information, EB03 service types, EB04 insurance types, EB06 time
periods, EB09 quantity qualifiers, AAA03 reject reasons and AAA04 follow-up actions.
A code missing here is still reported, with its value.
"""

from __future__ import annotations

# EB01: what an EB segment says.
BENEFIT_INFORMATION = {
    "1": "active coverage",
    "2": "active: full risk capitation",
    "3": "active: services capitated",
    "4": "active: services capitated to primary care physician",
    "5": "active: pending investigation",
    "6": "inactive",
    "7": "inactive: pending eligibility update",
    "8": "inactive: pending investigation",
    "A": "co-insurance",
    "B": "co-payment",
    "C": "deductible",
    "CB": "coverage basis",
    "D": "benefit description",
    "E": "exclusions",
    "F": "limitations",
    "G": "out of pocket (stop loss)",
    "H": "unlimited",
    "I": "non-covered",
    "J": "cost containment",
    "K": "reserve",
    "L": "primary care provider",
    "M": "pre-existing condition",
    "MC": "managed care coordinator",
    "N": "services restricted to the provider named",
    "O": "not deemed a medical necessity",
    "P": "benefit disclaimer",
    "Q": "second surgical opinion required",
    "R": "other or additional payer",
    "S": "prior year(s) history",
    "T": "card(s) reported lost or stolen",
    "U": "contact the entity named for eligibility or benefit information",
    "V": "cannot process",
    "W": "other source of data",
    "X": "health care facility",
    "Y": "spend down",
}
ACTIVE = frozenset({"1", "2", "3", "4", "5"})
INACTIVE = frozenset({"6", "7", "8"})

# EB03 / EQ01: the service types a PT clinic asks about and meets.
SERVICE_TYPES = {
    "1": "medical care",
    "30": "health benefit plan coverage",
    "33": "chiropractic",
    "98": "professional (physician) visit, office",
    "A4": "psychiatric",
    "AD": "occupational therapy",
    "AE": "physical medicine",
    "AF": "speech therapy",
    "BZ": "physician visit, office: sick",
    "MH": "mental health",
    "PT": "physical therapy",
    "UC": "urgent care",
}
# Service types whose benefits are a PT visit's, most specific first.
PT_SERVICE_TYPES = ("PT", "AE")

# EB04: the kind of insurance.
INSURANCE_TYPES = {
    "12": "Medicare secondary: working aged beneficiary or spouse with employer group plan",
    "13": "Medicare secondary: end-stage renal disease beneficiary in the coordination period",
    "14": "Medicare secondary: no-fault insurance, including auto, is primary",
    "15": "Medicare secondary: workers' compensation",
    "16": "Medicare secondary: public health service or other federal agency",
    "41": "Medicare secondary: black lung",
    "42": "Medicare secondary: veterans administration",
    "43": "Medicare secondary: disabled beneficiary under 65 with large group plan",
    "47": "Medicare secondary: other liability insurance is primary",
    "C1": "commercial",
    "CO": "consolidated omnibus budget reconciliation act (COBRA)",
    "CP": "Medicare conditionally primary",
    "D": "disability",
    "EP": "exclusive provider organization",
    "GP": "group policy",
    "HM": "health maintenance organization (HMO)",
    "HN": "HMO Medicare risk",
    "IP": "individual policy",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "MH": "Medigap Part A",
    "MI": "Medigap Part B",
    "MP": "Medicare primary",
    "OT": "other",
    "PR": "preferred provider organization (PPO)",
    "PS": "point of service (POS)",
    "QM": "qualified Medicare beneficiary",
    "SP": "supplemental policy",
    "WC": "workers' compensation",
}
MEDICARE_SECONDARY = frozenset({"12", "13", "14", "15", "16", "41", "42", "43", "47"})
MEDICARE = frozenset({"MA", "MB", "MP", "CP", "QM", "HN"})

# EB06: the period an amount or quantity is for.
TIME_PERIODS = {
    "6": "hour",
    "7": "day",
    "13": "24 hours",
    "21": "years",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}
YEARLY = frozenset({"21", "22", "23", "25"})
YEAR_TO_DATE = "24"
REMAINING = frozenset({"29", "33"})

# EB09: what EB10 counts.
QUANTITIES = {
    "99": "quantity used",
    "CA": "covered: actual",
    "CE": "covered: estimated",
    "DY": "days",
    "HS": "hours",
    "M2": "maximum",
    "MN": "month",
    "P6": "number of services or procedures",
    "QA": "quantity approved",
    "VS": "visits",
    "YY": "years",
}
VISITS = frozenset({"VS", "P6"})
USED = "99"

# AAA03: why the payer could not answer.
REJECT_REASONS = {
    "04": "authorized quantity exceeded",
    "15": "required application data missing",
    "33": "input errors",
    "35": "out of network",
    "41": "authorization or access restrictions",
    "42": "unable to respond at current time",
    "43": "invalid or missing provider identification",
    "44": "invalid or missing provider name",
    "45": "invalid or missing provider specialty",
    "46": "invalid or missing provider phone number",
    "47": "invalid or missing provider state",
    "48": "invalid or missing referring provider identification number",
    "49": "provider is not the primary care physician",
    "50": "provider ineligible for inquiries",
    "51": "provider not on file",
    "52": "service dates not within provider plan enrollment",
    "53": "inquired benefit inconsistent with provider type",
    "54": "inappropriate product or service id qualifier",
    "55": "inappropriate product or service id",
    "56": "inappropriate date",
    "57": "invalid or missing date(s) of service",
    "58": "invalid or missing date of birth",
    "60": "date of birth follows date(s) of service",
    "61": "date of death precedes date(s) of service",
    "62": "date of service not within allowable inquiry period",
    "63": "date of service in the future",
    "64": "invalid or missing patient id",
    "65": "invalid or missing patient name",
    "66": "invalid or missing patient gender code",
    "67": "patient not found",
    "68": "duplicate patient id number",
    "69": "inconsistent with patient's age",
    "70": "inconsistent with patient's gender",
    "71": "patient birth date does not match that on the payer's file",
    "72": "invalid or missing subscriber/insured id",
    "73": "invalid or missing subscriber/insured name",
    "74": "invalid or missing subscriber/insured gender code",
    "75": "subscriber/insured not found",
    "76": "duplicate subscriber/insured id number",
    "77": "subscriber found, patient not found",
    "78": "subscriber/insured not in the group/plan identified",
    "79": "invalid participant identification",
    "80": "no response received: transaction terminated",
    "97": "invalid or missing provider address",
    "T4": "payer name or identifier missing",
}
# AAA04: what the payer allows next.
FOLLOW_UPS = {
    "C": "correct and resubmit",
    "N": "resubmission not allowed",
    "P": "resubmit the original transaction",
    "R": "resubmission allowed",
    "S": "do not resubmit; the payer asked a third party",
    "W": "wait 30 days and resubmit",
    "X": "wait 10 days and resubmit",
    "Y": "do not resubmit; the payer will respond again shortly",
}
# Reject reasons that mean: nobody by that id or name (the member id or name is wrong).
NOT_FOUND = frozenset({"67", "72", "73", "75", "76", "77", "78"})

# DTP01 dates of a 271 that bound the plan or the eligibility.
PLAN_DATES = {"291": "plan", "346": "plan begin", "347": "plan end"}
ELIGIBILITY_DATES = {"307": "eligibility", "356": "eligibility begin", "357": "eligibility end"}

# NM101 of 2120C: who the other payer or entity is.
RELATED_ENTITIES = {
    "PRP": "primary payer",
    "SEP": "secondary payer",
    "TTP": "tertiary payer",
    "PR": "payer",
    "P3": "primary care provider",
    "1P": "provider",
    "IL": "insured or subscriber",
    "GP": "gateway provider",
    "VN": "vendor",
    "X3": "utilization management organization",
}
