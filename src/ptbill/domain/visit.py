"""The visit interchange format, v1 (see docs/visit-format.md and the shared interfaces spec).

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


def _iso_date(value: Any) -> Any:
    # Dates are ISO strings in files (or date objects in memory), never numbers or datetimes.
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        return value
    raise ValueError("expected a date written as YYYY-MM-DD")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]

# A visit id is the claim's id in web addresses, where a slash or a backslash would split the
# path (the X12 delimiters are refused where the 837P is built).
_NOT_IN_ID = frozenset("/\\")


def _travels(value: str) -> str:
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


# An empty list default made by a factory: pydantic deep-copies a literal [] for every model it
# builds (about 3 copies a visit, measurable in a bulk import); the schema still says [].
_EMPTY_LIST = Field(default_factory=list, json_schema_extra={"default": []})


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never silently drop data."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Address(Strict):
    line1: str
    line2: str | None = None
    city: str
    state: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$", to_upper=True)]
    zip: Annotated[str, StringConstraints(pattern=r"^\d{5}(-?\d{4})?$")]


class Patient(Strict):
    id: str
    first_name: str
    last_name: str
    birth_date: IsoDate
    sex: Literal["F", "M", "U"]
    address: Address | None = None


class Subscriber(Strict):
    member_id: str
    relationship: Literal["self", "spouse", "child", "other"] = "self"
    group_number: str | None = None
    # Needed on the claim only when the subscriber is not the patient.
    first_name: str | None = None
    last_name: str | None = None
    birth_date: IsoDate | None = None
    sex: Literal["F", "M", "U"] | None = None
    address: Address | None = None


class Provider(Strict):
    npi: Npi
    first_name: str | None = None
    last_name: str | None = None
    credential: str | None = None
    taxonomy: str | None = None


class BillingProvider(Strict):
    name: str
    npi: Npi
    tax_id: Annotated[str, StringConstraints(pattern=r"^\d{2}-?\d{7}$")]
    taxonomy: str = "225100000X"
    address: Address
    medicare_locality: Annotated[str, StringConstraints(pattern=r"^\d{5}-\d{2}$")] | None = None


class Note(Strict):
    """The documentation behind a billed code: why it was done and how the patient responded."""

    purpose: str | None = None
    response: str | None = None


class Distinct(Strict):
    """What documents a distinct procedural service for an NCCI pair edit."""

    reason: str
    # Which kind of distinctness, when known: it picks XE / XS / XP / XU over a plain 59.
    kind: Literal["session", "structure", "practitioner", "time_block"] | None = None


class EvaluationComponents(Strict):
    """The four components that set a PT evaluation's complexity (billing-rules.md E-1)."""

    history_factors: Annotated[int, Field(ge=0)] | None = None
    exam_elements: Annotated[int, Field(ge=0)] | None = None
    presentation: Literal["stable", "evolving", "unstable"] | None = None
    decision_making: Literal["low", "moderate", "high"] | None = None


class Service(Strict):
    code: Code
    minutes: Minutes | None = None
    assistant_minutes: Minutes = 0
    diagnosis_pointers: list[Annotated[int, Field(ge=1)]] | None = None
    note: Note | None = None
    body_region: str | None = None
    distinct: Distinct | None = None
    # Units the clinic means to bill. Untimed codes whose definition counts more than once a
    # day (e.g. an add-on per wound area) bill these; for timed codes the minutes decide and a
    # different number here is reported.
    units: Annotated[int, Field(ge=0, le=99)] | None = None
    # Modifiers the clinician asks for beyond what the coder decides (e.g. a distinct-service one).
    modifiers: list[Modifier] = _EMPTY_LIST
    # Free-text description, required by payers for unlisted / contractor-priced codes.
    description: str | None = None
    evaluation: EvaluationComponents | None = None
    # Why a re-evaluation was needed (new findings, significant change, no response, discharge).
    reevaluation_reason: str | None = None


class PlanOfCare(Strict):
    start_date: IsoDate
    end_date: IsoDate | None = None
    certified_date: IsoDate | None = None
    certifying_npi: Npi | None = None
    delayed_certification_reason: str | None = None


class Authorization(Strict):
    number: str | None = None
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    visits_authorized: Annotated[int, Field(ge=0)] | None = None
    visits_used: Annotated[int, Field(ge=0)] = 0
    units_authorized: Annotated[int, Field(ge=0)] | None = None
    units_used: Annotated[int, Field(ge=0)] = 0


class Episode(Strict):
    plan_of_care: PlanOfCare | None = None
    visit_number: Annotated[int, Field(ge=1)] | None = None
    last_progress_report_visit: Annotated[int, Field(ge=1)] | None = None
    progress_report_this_visit: bool = False
    authorization: Authorization | None = None
    therapy_amount_ytd: Money = Decimal("0")
    kx_medical_necessity_documented: bool = False


class Signature(Strict):
    by_npi: Npi
    date: IsoDate


class Visit(Strict):
    visit_id: VisitId
    date_of_service: IsoDate
    place_of_service: Annotated[str, StringConstraints(pattern=r"^\d{2}$")] = "11"
    payer: str
    clinic: str | None = None
    billing_provider: BillingProvider | None = None

    patient: Patient
    subscriber: Subscriber

    rendering_provider: Provider
    supervising_provider: Provider | None = None
    referring_provider: Provider | None = None

    diagnoses: list[str] = _EMPTY_LIST
    services: list[Service]
    total_timed_minutes: Minutes | None = None
    total_treatment_minutes: Minutes | None = None

    episode: Episode | None = None
    signed: Signature | None = None
    frequency_code: Literal["1", "7", "8"] = "1"
    original_claim_id: str | None = None

    extensions: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"default": {}})

    @model_validator(mode="after")
    def _has_billing_provider(self) -> Visit:
        if self.clinic is None and self.billing_provider is None:
            raise ValueError("give either 'clinic' (a key in configuration) or 'billing_provider'")
        return self
