"""Providers: NPI check digits, taxonomy, and the referring/certifying practitioner Medicare
therapy claims carry (C-5..C-7)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.scrub.findings import Hit
from ptbill.scrub.identifiers import is_taxonomy, npi_valid
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Review


def _npis(r: Review) -> list[tuple[str, str]]:
    v = r.visit
    out = [
        ("billing provider", r.ctx.billing_provider.npi),
        ("rendering provider", v.rendering_provider.npi),
    ]
    if v.referring_provider is not None:
        out.append(("referring provider", v.referring_provider.npi))
    if v.supervising_provider is not None:
        out.append(("supervising provider", v.supervising_provider.npi))
    if r.poc is not None and r.poc.certifying_npi:
        out.append(("plan of care certifier", r.poc.certifying_npi))
    if v.signed is not None:
        out.append(("note signer", v.signed.by_npi))
    return out


@rule("NPI-INVALID", "provider", "error", ("C-5", "FCSO-NPI", "FCSO-BILLNPI"))
def npi_invalid(r: Review, p: NoParams) -> Iterator[Hit]:
    """An NPI whose check digit is wrong.

    *What it checks*: every NPI on the visit (billing, rendering, referring, supervising,
    certifier, signer) passes the NPI check digit: the Luhn digit of the first nine digits
    prefixed with 80840.
    *Why payers care*: a missing or invalid NPI makes the claim unprocessable (C-5, FCSO-NPI);
    a wrong check digit is a typo that no payer will match to an enrolled provider.
    *Fails*: `"referring_provider": {"npi": "1245319598"}`.
    *Passes*: `"referring_provider": {"npi": "1245319599"}`.
    *Fix*: copy the NPI again from NPPES or the provider's records.
    """
    for role, npi in _npis(r):
        if not npi_valid(npi):
            yield Hit(
                f"the {role}'s NPI {npi} fails the NPI check digit (Luhn with prefix 80840)",
                f"correct the {role}'s NPI (look it up in NPPES)",
            )


@dataclass(frozen=True, slots=True)
class TaxonomyParams(Params):
    expected: tuple[str, ...] = param(
        ("2251", "2252", "261QP2000X"), "physical-therapy taxonomy codes, or their beginnings"
    )


@rule(
    "PROVIDER-TAXONOMY",
    "provider",
    "error",
    ("C-6", "HL7-PACIO-PT", "NUCC"),
    params=TaxonomyParams,
)
def provider_taxonomy(r: Review, p: TaxonomyParams) -> Iterator[Hit]:
    """A provider taxonomy that is malformed, or not a physical-therapy taxonomy.

    *What it checks*: the billing provider's taxonomy, and the rendering provider's when given,
    is a 10-character NUCC code ending in X; the billing taxonomy starts with one of `expected`
    (physical therapist 2251..., assistant 2252..., PT clinic 261QP2000X), else a warning.
    *Why payers care*: the PRV segment carries the taxonomy where the payer requires it
    (physical therapist 225100000X, C-6); a malformed code is rejected and a wrong specialty
    routes the claim to the wrong edits.
    *Fails*: billing provider taxonomy `"2251000X"`.
    *Passes*: `"225100000X"`.
    *Fix*: use the NUCC code the provider enrolled with (225100000X for a physical therapist).
    """
    bp = r.ctx.billing_provider.taxonomy
    if not is_taxonomy(bp):
        yield Hit(
            f"billing provider taxonomy {bp!r} is not a NUCC taxonomy code (10 "
            "characters ending in X)",
            "use the NUCC code, e.g. 225100000X",
        )
    elif not bp.startswith(p.expected):
        yield Hit(
            f"billing provider taxonomy {bp} is not a physical-therapy taxonomy",
            "check the taxonomy the clinic enrolled with (225100000X for a PT)",
            severity="warning",
        )
    rt = r.visit.rendering_provider.taxonomy
    if rt is not None and not is_taxonomy(rt):
        yield Hit(
            f"rendering provider taxonomy {rt!r} is not a NUCC taxonomy code",
            "use the NUCC code, e.g. 225100000X",
        )


@rule(
    "REFERRING-MISSING",
    "provider",
    "error",
    ("C-7", "NORIDIAN-CERTNPI", "CMS-CPM5-10.3.5"),
    enabled=False,
)
def referring_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A therapy claim without the referring (certifying) practitioner.

    *What it checks*: the visit names a `referring_provider`. Switched on for Medicare.
    *Why payers care*: Medicare therapy claims must carry the NPI of the physician/NPP who
    certified the plan as the referring provider (loop 2310A); claims are edited for it (C-7,
    NORIDIAN-CERTNPI).
    *Fails*: a Medicare visit with `"referring_provider": null`.
    *Passes*: `"referring_provider": {"npi": "1245319599", ...}`.
    *Fix*: add the certifying physician/NPP as referring provider.
    """
    if r.visit.referring_provider is None:
        yield Hit(
            f"{r.profile.name} therapy claims need the referring (certifying) "
            "practitioner, and none is given",
            "add the physician/NPP who certified the plan as referring_provider",
        )


@rule("REFERRING-NOT-CERTIFIER", "provider", "error", ("C-7", "NORIDIAN-CERTNPI"), enabled=False)
def referring_not_certifier(r: Review, p: NoParams) -> Iterator[Hit]:
    """A referring provider who is not the practitioner who certified the plan of care.

    *What it checks*: the referring provider's NPI equals the plan of care's `certifying_npi`.
    Switched on for Medicare.
    *Why payers care*: Medicare wants the certifier's NPI as the claim's referring provider
    (C-7, NORIDIAN-CERTNPI).
    *Fails*: referring NPI 1245319599, certifying NPI 1234567893.
    *Passes*: both 1245319599.
    *Fix*: put the certifying physician/NPP in referring_provider.
    """
    ref, poc = r.visit.referring_provider, r.poc
    if ref is not None and poc is not None and poc.certifying_npi and ref.npi != poc.certifying_npi:
        yield Hit(
            f"referring NPI {ref.npi} is not the plan of care's certifying NPI "
            f"{poc.certifying_npi}",
            "use the certifying physician/NPP as referring provider",
        )


@rule("BILLING-ZIP4", "provider", "error", ("C-5", "X12-837P-2010AA-N4"))
def billing_zip4(r: Review, p: NoParams) -> Iterator[Hit]:
    """A billing provider address without its ZIP+4.

    *What it checks*: the billing provider's ZIP code has nine digits (ZIP+4).
    *Why payers care*: the 837P implementation guide requires the nine-digit ZIP in the billing
    provider's address (loop 2010AA, N403), and payers' front ends reject a claim with five.
    *Fails*: billing provider `"zip": "62701"`.
    *Passes*: `"zip": "62701-1234"`.
    *Fix*: add the last four digits of the ZIP code to the clinic's address in the configuration.
    """
    digits = r.ctx.billing_provider.address.zip.replace("-", "")
    if len(digits) != 9:
        yield Hit(
            f"the billing provider's ZIP code {r.ctx.billing_provider.address.zip} has "
            f"{len(digits)} digits; the 837P needs the nine-digit ZIP+4",
            "give the billing provider's full ZIP+4 in the configuration (e.g. 62701-1234)",
        )
