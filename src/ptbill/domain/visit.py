"""The visit interchange format, v1 (docs/visit-format.md; `ptbill schema visit` prints it).

These models check shape and types only. Whether a visit is *billable* (a valid diagnosis, a
plan of care in force, a signed note...) is the scrubber's job, so most clinical fields are
optional here and their absence becomes a finding there, not an input error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)


def iso_date(value: Any) -> Any:
    """A date's value as the visit format takes it: an ISO string in a file (or a date object in
    memory), never a number or a datetime (ptbill.intake.exact_json reads the JSON form in Rust)."""
    # The string first: each stored visit parsed again (submit, next payers) has some six.
    if isinstance(value, str) and len(value) == 10:
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError("expected a date written as YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(iso_date)]

# A visit id is the claim's id in web addresses, where a slash or a backslash would split the
# path (the X12 delimiters are refused where the 837P is built).
_NOT_IN_ID = frozenset("/\\")


def _travels(value: str) -> str:
    if value.isprintable() and _NOT_IN_ID.isdisjoint(value):
        return value  # the usual case, without a set of the id's characters
    bad = sorted({c for c in value if c in _NOT_IN_ID or not c.isprintable()})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise ValueError(
            f"a visit id may not contain {shown}: it names the claim in web addresses; "
            "use letters, digits, '-', '.' or '_'"
        )
    return value


VisitId = Annotated[str, StringConstraints(min_length=1, max_length=38), AfterValidator(_travels)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{5}$", to_upper=True)]
Npi = Annotated[str, StringConstraints(pattern=r"^\d{10}$")]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]
Money = Annotated[Decimal, Field(max_digits=12, decimal_places=2)]
Modifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$", to_upper=True)]


def _empty_list(description: str) -> Any:
    # An empty list default made by a factory: pydantic deep-copies a literal [] for every model
    # it builds (about 3 copies a visit, measurable in a bulk import); the schema still says [].
    return Field(default_factory=list, json_schema_extra={"default": []}, description=description)


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently drop data."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Address(Strict):
    """A postal address in the United States."""

    line1: str = Field(description="Street address, first line.")
    line2: str | None = Field(None, description="Street address, second line (suite, unit).")
    city: str = Field(description="City.")
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", to_upper=True)] = Field(
        description="Two-letter state code, e.g. IL."
    )
    zip: Annotated[str, StringConstraints(pattern=r"^\d{5}(-?\d{4})?$")] = Field(
        description="ZIP code: five digits or ZIP+4 (62701 or 62701-1234). A billing provider's "
        "address needs ZIP+4 on the 837P."
    )


class Patient(Strict):
    """The patient who received the care."""

    id: str = Field(description="The clinic's own patient id (the EMR's chart or account number).")
    first_name: str = Field(description="Patient's first name.")
    last_name: str = Field(description="Patient's last name.")
    birth_date: IsoDate = Field(description="Date of birth, YYYY-MM-DD.")
    sex: Literal["F", "M", "U"] = Field(description="F, M, or U (unknown).")
    address: Address | None = Field(None, description="Patient's address.")


class Subscriber(Strict):
    """The insured person whose coverage pays for the visit."""

    member_id: str = Field(
        description="The member id on the insurance card (for Medicare, the 11-character MBI)."
    )
    relationship: Literal["self", "spouse", "child", "other"] = Field(
        "self", description="The patient's relationship to the subscriber (Medicare: self)."
    )
    group_number: str | None = Field(None, description="The plan's group number, if any.")
    # Needed on the claim only when the subscriber is not the patient.
    first_name: str | None = Field(
        None, description="Subscriber's first name, when the subscriber is not the patient."
    )
    last_name: str | None = Field(
        None, description="Subscriber's last name, when the subscriber is not the patient."
    )
    birth_date: IsoDate | None = Field(
        None, description="Subscriber's date of birth, when the subscriber is not the patient."
    )
    sex: Literal["F", "M", "U"] | None = Field(
        None, description="Subscriber's sex, when the subscriber is not the patient."
    )
    address: Address | None = Field(
        None, description="Subscriber's address, when the subscriber is not the patient."
    )


class Coverage(Strict):
    """One of the visit's coverages: a payer and the insured person it covers."""

    payer: str = Field(
        description="Key of the payer profile of this coverage (as the visit's `payer`)."
    )
    subscriber: Subscriber = Field(description="The insured person and the member id.")


class Provider(Strict):
    """A clinician: the rendering, supervising or referring provider."""

    npi: Npi = Field(description="The individual's 10-digit National Provider Identifier.")
    first_name: str | None = Field(None, description="First name.")
    last_name: str | None = Field(None, description="Last name.")
    credential: str | None = Field(
        None,
        description="Professional credential, e.g. PT, DPT, PTA, MD, NP. Medicare accepts only "
        "a therapist as rendering provider; an assistant's work is marked by CQ instead.",
    )
    taxonomy: str | None = Field(
        None, description="NUCC taxonomy code, e.g. 225100000X (physical therapist)."
    )


class BillingProvider(Strict):
    """The practice that bills, when the visit does not name a configured `clinic`."""

    name: str = Field(description="The practice's name as enrolled with the payer.")
    npi: Npi = Field(description="The practice's (group or solo) 10-digit NPI.")
    tax_id: Annotated[str, StringConstraints(pattern=r"^\d{2}-?\d{7}$")] = Field(
        description="Employer identification number, 12-3456789."
    )
    taxonomy: str = Field("225100000X", description="NUCC taxonomy code of the practice.")
    address: Address = Field(description="The practice's address (ZIP+4 for the 837P).")
    medicare_locality: Annotated[str, StringConstraints(pattern=r"^\d{5}-\d{2}$")] | None = Field(
        None,
        description="Medicare contractor and locality as MAC-locality, e.g. 06102-16 (Chicago): "
        "selects the GPCIs that price the visit.",
    )


class Note(Strict):
    """The documentation behind a billed code: why it was done and how the patient responded."""

    purpose: str | None = Field(None, description="Why the service was done: its goal.")
    response: str | None = Field(None, description="How the patient responded to it.")


class Distinct(Strict):
    """What documents a distinct procedural service for an NCCI pair edit."""

    reason: str = Field(
        description="What made the service distinct, as documented (e.g. the two time blocks)."
    )
    kind: Literal["session", "structure", "practitioner", "time_block"] | None = Field(
        None,
        description="The kind of distinctness, when known: session (XE), structure (XS), "
        "practitioner (XP) or time_block (XU); without it the modifier is 59.",
    )


class EvaluationComponents(Strict):
    """The four components that set a PT evaluation's complexity (billing-rules.md E-1)."""

    history_factors: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="Personal factors and comorbidities that affect the plan of care "
        "(0: low, 1-2: moderate, 3 or more: high).",
    )
    exam_elements: Annotated[int, Field(ge=0)] | None = Field(
        None,
        description="Elements examined with standardised tests and measures "
        "(1-2: low, 3 or more: moderate, 4 or more: high).",
    )
    presentation: Literal["stable", "evolving", "unstable"] | None = Field(
        None, description="Clinical presentation: stable, evolving or unstable."
    )
    decision_making: Literal["low", "moderate", "high"] | None = Field(
        None, description="Clinical decision making, as the clinician attests it."
    )


class Service(Strict):
    """One documented service: a CPT/HCPCS code and what supports it."""

    code: Code = Field(description="CPT or HCPCS code, five characters, e.g. 97110 or G0283.")
    minutes: Minutes | None = Field(
        None,
        description="Minutes of direct one-on-one time. For a timed code they decide the units; "
        "for an untimed code they count toward total_treatment_minutes only.",
    )
    assistant_minutes: Minutes = Field(
        0,
        description="Of those minutes, the ones a PT assistant furnished without the therapist: "
        "they decide the CQ modifier (10 percent de minimis).",
    )
    diagnosis_pointers: list[Annotated[int, Field(ge=1)]] | None = Field(
        None,
        description="1-based positions in `diagnoses` this service treats (up to 4); when "
        "absent, the coder assigns them.",
    )
    note: Note | None = Field(None, description="The note behind the service.")
    body_region: str | None = Field(
        None,
        description="Body region treated, e.g. right knee; different regions on an NCCI pair "
        "document a separate structure.",
    )
    distinct: Distinct | None = Field(
        None, description="What documents a distinct procedural service for an NCCI pair edit."
    )
    units: Annotated[int, Field(ge=0, le=99)] | None = Field(
        None,
        description="Units the clinic means to bill: used for an untimed code whose definition "
        "counts more than once a day; for a timed code the minutes decide and a different "
        "number here is reported.",
    )
    modifiers: list[Modifier] = _empty_list(
        "Modifiers the clinician asks for beyond those the coder decides (e.g. a distinct-"
        "service modifier)."
    )
    description: str | None = Field(
        None,
        description="Free-text description, which payers require for unlisted and "
        "contractor-priced codes.",
    )
    charge: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] | None = Field(
        None,
        description="The EMR's charge for the service, in dollars for all its units (a decimal "
        "string): used when present, the clinic's chargemaster otherwise.",
    )
    evaluation: EvaluationComponents | None = Field(
        None, description="For an evaluation code (97161-97163): the components of its level."
    )
    reevaluation_reason: str | None = Field(
        None,
        description="For a re-evaluation (97164): why it was needed (new findings, a "
        "significant change, no response to the plan, a planned discharge).",
    )


class PlanOfCare(Strict):
    """The plan of care in force on the date of service."""

    start_date: IsoDate = Field(description="First day of the plan (the evaluation day).")
    end_date: IsoDate | None = Field(None, description="Last day of the plan.")
    certified_date: IsoDate | None = Field(
        None, description="Date the physician or NPP signed (certified) the plan."
    )
    certifying_npi: Npi | None = Field(
        None, description="NPI of the physician or NPP who certified the plan."
    )
    delayed_certification_reason: str | None = Field(
        None, description="Why the certification came late, when it did."
    )


class Authorization(Strict):
    """A payer's prior authorization for the episode."""

    number: str | None = Field(None, description="The authorization number the payer gave.")
    start_date: IsoDate | None = Field(None, description="First day the authorization covers.")
    end_date: IsoDate | None = Field(None, description="Last day the authorization covers.")
    visits_authorized: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Visits authorized in all."
    )
    visits_used: Annotated[int, Field(ge=0)] = Field(
        0, description="Visits already used before this one."
    )
    units_authorized: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Units authorized in all, for unit-based authorizations."
    )
    units_used: Annotated[int, Field(ge=0)] = Field(
        0, description="Units already used before this visit."
    )


class Eligibility(Strict):
    """The payer's latest eligibility answer (271) for this coverage: derived by the ledger
    from the 271s it applied (docs/payers.md); a visit file may give it too."""

    checked_on: IsoDate = Field(description="The business date the 271 was applied.")
    asked_for: IsoDate | None = Field(None, description="The date the inquiry asked about.")
    active: bool | None = Field(
        None, description="Coverage active (true), inactive (false) or not said (null)."
    )
    plan_begin: IsoDate | None = Field(None, description="First day of the plan, if given.")
    plan_end: IsoDate | None = Field(None, description="Last day of the plan, if given.")
    visits_remaining: Annotated[int, Field(ge=0)] | None = Field(
        None, description="PT visits left in the benefit period, if given."
    )


class Episode(Strict):
    """The context of the visit in its episode of care, which the scrubber and the KX decision
    need; the ledger derives it from stored history when the file leaves it out."""

    plan_of_care: PlanOfCare | None = Field(None, description="The plan of care in force.")
    visit_number: Annotated[int, Field(ge=1)] | None = Field(
        None, description="This visit's position in the plan of care (the evaluation is 1)."
    )
    last_progress_report_visit: Annotated[int, Field(ge=1)] | None = Field(
        None,
        description="Visit number of the last progress report; null when none since the "
        "evaluation, which counts as the first.",
    )
    progress_report_this_visit: bool = Field(
        False, description="Whether the therapist wrote a progress report at this visit."
    )
    authorization: Authorization | None = Field(
        None, description="The payer's prior authorization, where the payer requires one."
    )
    therapy_amount_ytd: Money = Field(
        Decimal("0"),
        description="Medicare allowed amount already incurred this calendar year for PT and "
        "SLP together, before this visit (decides KX).",
    )
    kx_medical_necessity_documented: bool = Field(
        False,
        description="Whether the record documents medical necessity above the KX threshold; "
        "without it the coder adds no KX and says so.",
    )
    eligibility: Eligibility | None = Field(
        None,
        description="The payer's latest eligibility answer (271) for this coverage; the ledger "
        "derives it from the 271s it applied (docs/payers.md).",
    )


class Signature(Strict):
    """Who signed the treatment note, and when."""

    by_npi: Npi = Field(description="NPI of the clinician who signed the note.")
    date: IsoDate = Field(description="Date the note was signed.")


class Visit(Strict):
    """One physical-therapy visit: the documentation ptbill codes, scrubs, prices and bills."""

    visit_id: VisitId = Field(
        description="The clinic's id of the visit, unique and at most 38 characters, without a "
        "slash, a backslash or a control character: it becomes the claim id (837P CLM01) and "
        "names the claim in the workbench's addresses."
    )
    date_of_service: IsoDate = Field(description="The day of the visit, YYYY-MM-DD.")
    place_of_service: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] = Field(
        "11", description="CMS place-of-service code: 11 is the office."
    )
    # payer + subscriber are the one-coverage shorthand of `coverages` (required unless it is
    # given); with `coverages` they answer its first entry, and stay out of the stored visit.
    payer: str = Field(
        None,  # type: ignore[assignment]
        description="Key of a payer profile: medicare, medicaid, commercial or one the clinic's "
        "configuration adds. It decides the unit method, the rules and the claim's payer. "
        "Required unless the visit gives `coverages`.",
    )
    clinic: str | None = Field(
        None,
        description="Key of the billing clinic in configuration (name, NPI, tax id, address, "
        "locality, chargemaster); give this or billing_provider.",
    )
    billing_provider: BillingProvider | None = Field(
        None, description="The billing practice in full, instead of a configured clinic."
    )

    patient: Patient = Field(description="The patient.")
    subscriber: Subscriber = Field(
        None,  # type: ignore[assignment]
        description="The insured person and the member id. Required unless the visit gives "
        "`coverages`.",
    )
    coverages: Annotated[list[Coverage], Field(min_length=1)] | None = Field(
        None,
        description="The visit's coverages in order of responsibility (primary first), instead "
        "of `payer` + `subscriber`: the first is the claim's payer; the others are kept with "
        "the visit for the secondary claims.",
    )

    rendering_provider: Provider = Field(
        description="The therapist who furnished (or supervised) the services."
    )
    supervising_provider: Provider | None = Field(
        None, description="The supervising therapist, when an assistant furnished minutes."
    )
    referring_provider: Provider | None = Field(
        None,
        description="The referring physician or NPP; for Medicare, the one who certified the "
        "plan of care.",
    )

    diagnoses: list[str] = _empty_list(
        "ICD-10-CM codes, most important first (up to 12 on the claim), e.g. M17.11."
    )
    services: list[Service] = Field(description="The services furnished, one entry a code.")
    total_timed_minutes: Minutes | None = Field(
        None, description="Total minutes of timed codes, as the note records them."
    )
    total_treatment_minutes: Minutes | None = Field(
        None,
        description="Total treatment minutes, timed and untimed, as the note records them "
        "(without rest and other unbillable time).",
    )

    episode: Episode | None = Field(None, description="The episode-of-care context.")
    signed: Signature | None = Field(None, description="The signature on the treatment note.")
    frequency_code: Literal["1", "7", "8"] = Field(
        "1", description="Claim frequency: 1 original, 7 replacement, 8 void."
    )
    original_claim_id: str | None = Field(
        None,
        description="The payer's claim control number of the claim a 7 or 8 replaces or voids.",
    )

    extensions: dict[str, Any] = Field(
        default_factory=dict,
        json_schema_extra={"default": {}},
        description="Free-form data of the sender's own (any keys): coding, scrubbing and "
        "pricing ignore it; the ledger keeps it with the visit.",
    )

    @model_validator(mode="after")
    def _has_billing_provider(self) -> Visit:
        if self.clinic is None and self.billing_provider is None:
            raise ValueError("give either 'clinic' (a key in configuration) or 'billing_provider'")
        self._one_coverage_form()
        return self

    def _one_coverage_form(self) -> None:
        if self.coverages is None:
            if self.payer is not None and self.subscriber is not None:
                return  # the usual case first: each stored visit is parsed again by next payers
            missing = [k for k in ("payer", "subscriber") if getattr(self, k) is None]
            raise ValueError(
                f"{' and '.join(repr(k) for k in missing)} missing: give 'payer' and "
                "'subscriber', or 'coverages'"
            )
        if "payer" in self.model_fields_set or "subscriber" in self.model_fields_set:
            raise ValueError(
                "give either 'payer' and 'subscriber' (one coverage) or 'coverages', not both"
            )
        # The primary coverage answers `payer` and `subscriber`, which stay unset (the stored
        # visit keeps the form its sender used).
        object.__setattr__(self, "payer", self.coverages[0].payer)
        object.__setattr__(self, "subscriber", self.coverages[0].subscriber)
