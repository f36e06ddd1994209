"""Writing X12 837P professional claims, 005010X222A1.

A pure function: claims and the interchange settings in, X12 text out. Claims are grouped
under their billing provider (2000A); each claim gets its own subscriber loop (2000B) and, when
the patient is not the subscriber, a patient loop (2000C). Transaction sets hold at most
`claims_per_set` claims (the guide advises at most 5000) and are numbered 0001, 0002...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ptbill.config.profiles import Submitter
from ptbill.domain.visit import Address, BillingProvider
from ptbill.x12.claim import Claim, ClaimLine, ClaimProvider, Person
from ptbill.x12.cob import MAX_CAS_REASONS, CobAdjustment, LineAdjudication, OtherPayer
from ptbill.x12.envelope import CLAIM, InterchangeSettings, segment, write_interchange
from ptbill.x12.values import NOT_TEXT, format_amount, format_date, remember

MAX_CLAIMS_PER_SET = 5000
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True, slots=True)
class Receiver:
    """1000B: who receives the interchange (a clearinghouse or the payer)."""

    name: str
    id: str


def clean(value: str, limit: int) -> str:
    """Free text as X12 carries it: upper case ASCII, no delimiters, at most `limit` long."""
    return _cleaned(value)[:limit]


def _cleaned(value: str) -> str:
    if value.isascii():  # most names and addresses: NFKD leaves ASCII as it is
        text = value.upper()
        if "  " not in text and NOT_TEXT.search(text) is None:
            return text.strip()
    else:
        text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    return _SPACES.sub(" ", NOT_TEXT.sub(" ", text)).strip()


# Names, addresses and payers repeat across a transaction set's claims (a patient's visits,
# the clinic's providers, the payers): the set's loops clean each text once. Kept only while
# a set is written (names and addresses are patient data: transaction_body empties it), bounded.
_CLEANED: dict[str, str] = {}
_CLEANED_SIZE = 20_000


def _clean_once(value: str, limit: int) -> str:
    """clean, for the loops of a set being written."""
    try:
        return _CLEANED[value][:limit]
    except KeyError:
        pass
    return remember(_CLEANED, value, _cleaned(value), _CLEANED_SIZE)[:limit]


def format_units(units: Decimal) -> str:
    """A unit count as X12 writes it: no exponent, no trailing zeros (2, 1.5)."""
    text = f"{units:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _digits(value: str) -> str:
    return "".join(filter(str.isdigit, value))


# The segments each claim and service line has are written whole, as `segment` would join
# them (trailing empty elements dropped): a claim file has some 20 of them a claim.


def _address(a: Address) -> list[str]:
    line1, line2 = _clean_once(a.line1, 55), _clean_once(a.line2 or "", 55)
    return [
        f"N3*{line1}*{line2}".rstrip("*"),
        f"N4*{_clean_once(a.city, 30)}*{a.state}*{_digits(a.zip)}".rstrip("*"),
    ]


def _person(entity: str, p: Person, id_qualifier: str = "", ident: str = "") -> str:
    last, first = _clean_once(p.last, 60), _clean_once(p.first, 35)
    return f"NM1*{entity}*1*{last}*{first}****{id_qualifier}*{ident}".rstrip("*")


def _provider_name(entity: str, p: ClaimProvider) -> str:
    return _person(entity, Person(p.last, p.first, None, None, None), "XX", p.npi)


def _demographics(p: Person) -> str:
    if p.birth_date is None or p.sex is None:
        raise ValueError("birth date and sex are required for DMG")
    return f"DMG*D8*{format_date(p.birth_date)}*{p.sex}".rstrip("*")


def loop_1000(submitter: Submitter, receiver: Receiver) -> list[str]:
    """1000A submitter (with its EDI contact) and 1000B receiver."""
    return [
        segment(
            "NM1",
            "41",
            "2",
            _clean_once(submitter.name, 60),
            "",
            "",
            "",
            "",
            "46",
            _clean_once(submitter.id, 80),
        ),
        segment("PER", "IC", _clean_once(submitter.contact, 60), "TE", _digits(submitter.phone)),
        segment(
            "NM1",
            "40",
            "2",
            _clean_once(receiver.name, 60),
            "",
            "",
            "",
            "",
            "46",
            _clean_once(receiver.id, 80),
        ),
    ]


def loop_2000a(hl: int, billing: BillingProvider, pay_to: Address | None) -> list[str]:
    """2000A billing provider level, 2010AA billing provider, 2010AB pay-to when different."""
    out = [
        segment("HL", str(hl), "", "20", "1"),
        segment("PRV", "BI", "PXC", billing.taxonomy),
        segment("NM1", "85", "2", _clean_once(billing.name, 60), "", "", "", "", "XX", billing.npi),
        *_address(billing.address),
        segment("REF", "EI", _digits(billing.tax_id)),
    ]
    if pay_to is not None and pay_to != billing.address:
        out += [segment("NM1", "87", "2"), *_address(pay_to)]
    return out


def loop_2000b(hl: int, parent: int, claim: Claim) -> list[str]:
    """2000B subscriber level (SBR), 2010BA subscriber, 2010BB payer."""
    self_pay = claim.patient is None
    relationship = "18" if self_pay else ""
    out = [
        f"HL*{hl}*{parent}*22*{0 if self_pay else 1}",
        f"SBR*{claim.sequence}*{relationship}*{claim.group_number or ''}******"
        f"{claim.filing_indicator}".rstrip("*"),
        _person("IL", claim.subscriber, "MI", claim.member_id),
    ]
    if claim.subscriber.address is not None:
        out += _address(claim.subscriber.address)
    if self_pay:
        out.append(_demographics(claim.subscriber))
    payer_name, payer_id = _clean_once(claim.payer_name, 60), _clean_once(claim.payer_id, 80)
    out.append(f"NM1*PR*2*{payer_name}*****PI*{payer_id}".rstrip("*"))
    return out


def loop_2000c(hl: int, parent: int, claim: Claim) -> list[str]:
    """2000C patient level and 2010CA patient, when the patient is not the subscriber."""
    patient = claim.patient
    if patient is None or patient.address is None:
        raise ValueError("the patient loop needs a patient with an address")
    return [
        f"HL*{hl}*{parent}*23*0",
        f"PAT*{claim.relationship}".rstrip("*"),
        _person("QC", patient),
        *_address(patient.address),
        _demographics(patient),
    ]


def loop_2300(claim: Claim) -> list[str]:
    """2300 claim (CLM, REF, HI) and its 2310A referring, 2310B rendering and 2310D
    supervising providers."""
    facility = f"{claim.place_of_service}:B:{claim.frequency_code}"
    out = [f"CLM*{claim.claim_id}*{format_amount(claim.total_charge)}***{facility}*Y*A*Y*Y"]
    if claim.prior_authorization:
        out.append(segment("REF", "G1", claim.prior_authorization))
    if claim.frequency_code in ("7", "8"):
        if not claim.original_claim_id:
            raise ValueError(
                f"claim {claim.claim_id}: frequency {claim.frequency_code} "
                "needs the original claim id"
            )
        out.append(segment("REF", "F8", claim.original_claim_id))
    codes = [("ABK" if i == 0 else "ABF") + ":" + d for i, d in enumerate(claim.diagnoses)]
    out.append(segment("HI", *codes))
    if claim.referring is not None:
        out.append(_provider_name("DN", claim.referring))
    if claim.rendering is not None:
        out.append(_provider_name("82", claim.rendering))
        out.append(segment("PRV", "PE", "PXC", claim.rendering.taxonomy or claim.billing.taxonomy))
    if claim.supervising is not None:
        out.append(_provider_name("DQ", claim.supervising))
    for other in claim.other_payers:
        out += loop_2320(other)
    return out


def _cas(adjustments: Sequence[CobAdjustment]) -> list[str]:
    """The CAS segments of some adjustments: one per group (in the order first seen), six
    reasons at most in each (a group with more continues in another), each reason's quantity
    empty. Written whole: the 2320 and every 2430 of a next payer's claim have some."""
    by_group: dict[str, list[str]] = {}
    for a in adjustments:
        reason = f"{a.reason}*{format_amount(a.amount)}"  # an amount is never empty
        found = by_group.get(a.group)
        if found is None:
            by_group[a.group] = [reason]
        else:
            found.append(reason)
    out = []
    for group, reasons in by_group.items():
        for i in range(0, len(reasons), MAX_CAS_REASONS):
            out.append(f"CAS*{group}*" + "**".join(reasons[i : i + MAX_CAS_REASONS]))
    return out


def loop_2320(other: OtherPayer) -> list[str]:
    """2320 other subscriber information (an earlier payer's decision on the claim), 2330A
    other subscriber and 2330B other payer (ptbill.x12.cob)."""
    last, first = _clean_once(other.subscriber_last, 60), _clean_once(other.subscriber_first, 35)
    out = [
        f"SBR*{other.sequence}*{other.relationship}*{other.group_number or ''}******"
        f"{other.filing_indicator}".rstrip("*"),
        *_cas(other.adjustments),
        f"AMT*D*{format_amount(other.paid)}",
        f"AMT*EAF*{format_amount(other.patient_liability)}",
        "OI***Y*P**Y",
        f"NM1*IL*1*{last}*{first}****MI*{other.member_id}".rstrip("*"),
    ]
    if other.subscriber_address is not None:
        out += _address(other.subscriber_address)
    out.append(f"NM1*PR*2*{_clean_once(other.payer_name, 60)}*****PI*{other.payer_id}".rstrip("*"))
    if other.claim_control_number:
        out.append(f"REF*F8*{_clean_once(other.claim_control_number, 50)}".rstrip("*"))
    return out


def loop_2430(a: LineAdjudication) -> list[str]:
    """2430 line adjudication: what one earlier payer paid and adjusted on the line."""
    procedure = ":".join(("HC", a.code, *a.modifiers))
    paid, units = format_amount(a.paid), format_units(a.units)
    return [
        f"SVD*{a.payer_id}*{paid}*{procedure}**{units}".rstrip("*"),
        *_cas(a.adjustments),
        f"DTP*573*D8*{format_date(a.adjudicated_on)}",
    ]


# A set's 2430 loops repeat: the same payer's decision on the same code, amounts and date
# (2,114 next-payer claims: 5,629 loops, 288 distinct). Each distinct one is written once a set
# (emptied with _CLEANED), by value: its amounts' texts are their values' (format_amount), the
# units' too but for a negative zero (hence its sign in the key).
_WRITTEN_2430: dict[tuple[LineAdjudication, bool], tuple[str, ...]] = {}


def _loop_2430_once(a: LineAdjudication) -> Sequence[str]:
    key = (a, a.units.is_signed())
    try:
        found = _WRITTEN_2430.get(key)
    except TypeError:  # a signaling NaN (no hash): refused by loop_2430, as without the memo
        return loop_2430(a)
    if found is None:
        found = remember(_WRITTEN_2430, key, tuple(loop_2430(a)), _CLEANED_SIZE)
    return found


def loop_2400(number: int, line: ClaimLine) -> list[str]:
    """2400 service line: LX, SV1, DTP*472, REF*6R."""
    procedure = ":".join(("HC", line.code, *line.modifiers))
    pointers = ":".join(map(str, line.pointers))
    charge = format_amount(line.charge)
    out = [
        f"LX*{number}",
        f"SV1*{procedure}*{charge}*UN*{line.units}***{pointers}".rstrip("*"),
        f"DTP*472*D8*{format_date(line.date_of_service)}",
        f"REF*6R*{line.control_number}".rstrip("*"),
    ]
    for a in line.adjudications:
        out += _loop_2430_once(a)
    return out


def _transaction(
    claims: Sequence[Claim],
    reference: str,
    settings: InterchangeSettings,
    submitter: Submitter,
    receiver: Receiver,
) -> list[str]:
    """The segments of one transaction set (between ST and SE) holding `claims`, its BHT03
    `reference` (write_837p's: ISA13 and the set's number)."""
    when = settings.created
    out = [
        segment(
            "BHT", "0019", "00", reference, when.strftime("%Y%m%d"), when.strftime("%H%M"), "CH"
        )
    ]
    out += loop_1000(submitter, receiver)
    by_provider: dict[tuple[BillingProvider, Address | None], list[Claim]] = {}
    for claim in claims:
        by_provider.setdefault((claim.billing, claim.pay_to), []).append(claim)
    hl = 0
    for (billing, pay_to), provider_claims in by_provider.items():
        hl += 1
        provider_hl = hl
        out += loop_2000a(hl, billing, pay_to)
        for claim in provider_claims:
            hl += 1
            subscriber_hl = hl
            out += loop_2000b(hl, provider_hl, claim)
            if claim.patient is not None:
                hl += 1
                out += loop_2000c(hl, subscriber_hl, claim)
            out += loop_2300(claim)
            for number, line in enumerate(claim.lines, start=1):
                out += loop_2400(number, line)
    return out


def transaction_body(
    claims: Sequence[Claim],
    number: int,
    settings: InterchangeSettings,
    submitter: Submitter,
    receiver: Receiver,
) -> list[str]:
    """The segments between ST and SE of the interchange's set `number` (1-based) holding
    these claims, as write_837p writes it: for a caller that writes the sets one at a time."""
    reference = f"{settings.interchange_control_number:09d}{number:04d}"
    try:
        return _transaction(claims, reference, settings, submitter, receiver)
    finally:
        _CLEANED.clear()  # the set's names and addresses: patient data
        _WRITTEN_2430.clear()


def write_837p(
    claims: Sequence[Claim],
    settings: InterchangeSettings,
    submitter: Submitter,
    receiver: Receiver,
    claims_per_set: int = MAX_CLAIMS_PER_SET,
) -> str:
    """One interchange (ISA13/GS06 from `settings`) holding every claim, as X12 text."""
    if not claims:
        raise ValueError("no claims to write")
    if not 1 <= claims_per_set <= MAX_CLAIMS_PER_SET:
        raise ValueError(f"claims_per_set must be 1 to {MAX_CLAIMS_PER_SET}")
    bodies = [
        transaction_body(
            claims[first : first + claims_per_set], number, settings, submitter, receiver
        )
        for number, first in enumerate(range(0, len(claims), claims_per_set), start=1)
    ]
    return write_interchange(settings, CLAIM, bodies)
