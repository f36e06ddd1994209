"""Payer profiles and clinic configuration, as data (TOML).

Bundled profiles live in payers/*.toml. A clinic's configuration file may add profiles or
override bundled ones field by field (`base = "commercial"` starts a new profile from a
bundled one; reusing a bundled key overrides that profile).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
)

from ptbill.config.intake import IntakeSettings
from ptbill.domain.visit import Address, BillingProvider
from ptbill.errors import InputError, field_path
from ptbill.reference.snapshot import BUNDLED_ONLY, ReferenceSnapshot


def _zone_name(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone: use an IANA name such as 'America/Chicago'"
        ) from None
    return name


# An IANA time zone name: where "today" is, for the dates a command works as of.
TimeZone = Annotated[str, AfterValidator(_zone_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContractFees(_Strict):
    """A contract fee schedule written in the configuration: the allowed amount per unit by
    code, for a clinic whose contract is short enough to type in (docs/pricing.md). A release
    imported with `ptbill reference import fees` takes precedence over it."""

    name: str = Field(min_length=1)
    # Where the figures come from, said on every line priced from them.
    label: str = Field(min_length=1)
    effective: dt.date | None = None
    allowed: dict[
        Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{5}$")],
        Annotated[Decimal, Field(ge=0, decimal_places=2)],
    ] = Field(min_length=1)


class PayerProfile(_Strict):
    key: str
    name: str
    unit_method: Literal["cms", "ama"]
    discipline_modifier: str = "GP"
    assistant_modifier: str = ""
    cq_de_minimis_percent: int = Field(10, ge=0, le=100)
    kx_threshold: bool = False
    # With no PFS RVUs for the year of service, the KX test's visit amount is "estimate"d from
    # the latest bundled RVUs and the year's own CF and GPCIs, or left unknown with a warning
    # ("leave_to_biller"): KX is then decided by the biller (docs/coding.md).
    kx_when_rvus_missing: Literal["estimate", "leave_to_biller"] = "estimate"
    distinct_modifier: Literal["59", "X"] = "59"
    ncci_table: str = "unverified-candidates"
    tie_break: Literal["first_listed", "higher_paying"] = "first_listed"
    pricing: Literal["medicare_pfs", "fee_schedule"] = "fee_schedule"
    claim_filing_indicator: str = "CI"
    payer_id: str
    payer_name: str
    timely_filing_days: int = Field(365, ge=1)
    appeal_days: int = Field(120, ge=1)
    requires_authorization: bool = False
    # Pricing (docs/pricing.md). None means: Medicare's value for medicare_pfs, none otherwise.
    fee_schedule: str | None = None  # pin an imported fee schedule release by name
    contract_fees: ContractFees | None = None  # used when no imported release is in force
    percent_of_medicare: Decimal | None = Field(None, gt=0, le=1000)
    coinsurance_percent: Decimal | None = Field(None, ge=0, le=100)
    annual_deductible: dict[int, Decimal] = {}  # by calendar year; no verified default
    sequestration_percent: Decimal | None = Field(None, ge=0, le=100)
    assistant_reduction_percent: Decimal | None = Field(None, ge=0, le=100)
    underpayment_tolerance: Decimal = Field(Decimal("1.00"), ge=0)
    underpayment_tolerance_percent: Decimal = Field(Decimal("1"), ge=0, le=100)
    # Scrub rule switches and parameters, by rule id (ptbill.scrub checks them: docs/rules.md).
    rules: dict[str, dict[str, Any]] = {}
    # Where each rule's settings were written, rule id -> (file, TOML key), so that a bad
    # setting is reported where it can be fixed. Not an input: set by the configuration loader.
    _rule_sources: dict[str, tuple[str, str]] = PrivateAttr(default_factory=dict)

    def rule_source(self, rule_id: str) -> tuple[str, str]:
        """(file, TOML key) of this profile's settings of a rule."""
        found = self._rule_sources.get(rule_id)
        return found or (f"payer profile {self.key!r}", f"rules.{rule_id}")

    # Talking to the payer (docs/payers.md): the service types a 270 asks about (EQ01), and
    # the days after submission (or acceptance) without an answer before a 276 asks.
    eligibility_service_types: tuple[
        Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,2}$")], ...
    ] = ("30",)
    status_after_days: int = Field(30, ge=1)


class Submitter(_Strict):
    name: str
    id: str
    contact: str
    phone: str


class Receiver(_Strict):
    """Who receives the clinic's 837P interchanges (its clearinghouse): 1000B and ISA08."""

    name: str
    id: str


class Clearinghouse(_Strict):
    """A clearinghouse mailbox (docs/payers.md): SFTP, or a local folder (`local`), with the
    folder ptbill uploads to, the folders it downloads from and an archive folder."""

    name: str = ""
    host: str | None = None
    port: int = Field(22, ge=1, le=65535)
    user: str | None = None
    key_file: str | None = None
    password_env: str | None = None  # the name of the environment variable holding it
    password_file: str | None = None
    known_hosts: str | None = None  # default ~/.ssh/known_hosts
    local: str | None = None  # a local folder standing in for the server (demo, tests)
    outbound: str = "inbound"  # where ptbill puts files (the clearinghouse's inbound)
    inbound: tuple[str, ...] = ("outbound",)  # where ptbill takes files from
    archive: str | None = "archive"  # where taken files go (None: left where they are)
    patterns: tuple[str, ...] = ("*",)  # inbound file names taken
    upload_name: str = "{kind}-{control:09d}.x12"  # {kind} {control} {sha}
    receiver_id: str | None = None  # only files whose ISA08 is this go here (None: all)
    timeout_seconds: int = Field(30, ge=1)
    # A file over this is not downloaded (set aside, said with its size): a stray export of
    # gigabytes would otherwise take the run's memory, run after run.
    max_file_mb: float = Field(100, gt=0)


class StatementContact(_Strict):
    """Where a clinic's patient statements send payments and questions (docs/configuration.md),
    e.g. a billing company's lockbox and phone line. Each one unset is the clinic's own: its
    name, its address, its submitter's phone."""

    payable_to: str | None = None
    address: Address | None = None
    phone: str | None = None


class Clinic(_Strict):
    key: str
    name: str
    npi: str
    tax_id: str
    taxonomy: str = "225100000X"
    medicare_locality: str | None = None
    address: Address
    submitter: Submitter | None = None
    receiver: Receiver | None = None
    clearinghouse: str | None = None  # the key of its [clearinghouses.KEY]
    timezone: TimeZone | None = None  # None: the company's (Config.timezone)
    chargemaster: dict[str, Decimal] = {}
    statements: StatementContact = StatementContact()

    def billing_provider(self) -> BillingProvider:
        return BillingProvider(
            name=self.name,
            npi=self.npi,
            tax_id=self.tax_id,
            taxonomy=self.taxonomy,
            address=self.address,
            medicare_locality=self.medicare_locality,
        )


class Config(_Strict):
    """What a run works with besides its input: the clinics, the payer profiles, the
    clearinghouses, and the reference data snapshot (the releases imported when the run
    began; the bundled data only until an edge gives one: `with_reference`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    source: str
    clinics: dict[str, Clinic]
    payers: dict[str, PayerProfile]
    intake: IntakeSettings = IntakeSettings()  # how EMR exports map (ptbill.intake)
    clearinghouses: dict[str, Clearinghouse] = {}
    # The company's time zone, for clinics that name none (None: the machine's own).
    timezone: TimeZone | None = None
    reference: ReferenceSnapshot = BUNDLED_ONLY

    def with_reference(self, reference: ReferenceSnapshot) -> Config:
        """This configuration over another reference snapshot."""
        return self.model_copy(update={"reference": reference})

    def payer(self, key: str) -> PayerProfile | None:
        return self.payers.get(key)

    def clinic(self, key: str) -> Clinic | None:
        return self.clinics.get(key)

    def zone(self, clinic: str | None = None) -> ZoneInfo | None:
        """The time zone of a clinic's "today": its own, else the company's; None when
        neither is set (the machine's local time). The edges read the clock in it."""
        found = self.clinics.get(clinic) if clinic else None
        name = (found.timezone if found else None) or self.timezone
        return ZoneInfo(name) if name else None

    def input_zone(self, clinics: set[str | None]) -> ZoneInfo | None:
        """The time zone of an input's "today": its only clinic's, else the company's (the
        command line's import and scrub, and the workbench's import, read the clock in it)."""
        return self.zone(one_clinic(clinics))

    def clinic_by_npi(self, npi: str) -> Clinic | None:
        """The configured clinic with this billing NPI (a visit that gives its billing provider
        in full is billed as that clinic: its chargemaster, locality and submitter)."""
        return next((c for c in self.clinics.values() if c.npi == npi), None)


def _read_toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(origin, f"not valid TOML: {e}", "fix the TOML syntax") from e


def _bundled_origin(key: str) -> str:
    return f"bundled payers/{key}.toml"


@cache
def bundled_payer_data() -> dict[str, dict[str, Any]]:
    out = {}
    for entry in resources.files("ptbill.config").joinpath("payers").iterdir():
        if entry.name.endswith(".toml"):
            key = entry.name.removesuffix(".toml")
            out[key] = _read_toml(entry.read_text(encoding="utf-8"), _bundled_origin(key))
    return out


def bundled_demo_config_text() -> str:
    return resources.files("ptbill.config").joinpath("demo-clinic.toml").read_text("utf-8")


def _build(data: dict[str, Any], origin: str) -> Config:
    raw_payers = {k: dict(v) for k, v in bundled_payer_data().items()}
    # payer -> rule id -> (file, TOML key) of the rule's settings
    sources = {
        k: {rid: (_bundled_origin(k), f"rules.{rid}") for rid in v.get("rules", {})}
        for k, v in raw_payers.items()
    }
    unknown = set(data) - {"clinics", "payers", "clearinghouses", "intake", "timezone"}
    if unknown:
        raise InputError(
            origin,
            "unknown section",
            "use only [clinics.KEY], [payers.KEY], [clearinghouses.KEY] and [intake] sections "
            "(and `timezone` above them)",
            field=", ".join(sorted(unknown)),
        )
    for key, override in data.get("payers", {}).items():
        override = dict(override)
        base = override.pop("base", key)
        if base not in raw_payers:
            raise InputError(
                origin,
                f"no payer profile {base!r}",
                f"base a profile on one of: {', '.join(sorted(raw_payers))}",
                field=f"payers.{key}.base",
            )
        merged = {**raw_payers[base], **override}
        # Rule settings merge per rule: overriding one switch keeps the profile's others.
        rules = {rid: dict(v) for rid, v in raw_payers[base].get("rules", {}).items()}
        sources[key] = dict(sources[base])
        for rid, settings in override.get("rules", {}).items():
            if not isinstance(settings, dict):
                raise InputError(
                    origin,
                    "not a table of rule settings",
                    f"write the settings under [payers.{key}.rules.{rid}] (see docs/rules.md)",
                    field=f"payers.{key}.rules.{rid}",
                )
            rules[rid] = {**rules.get(rid, {}), **settings}
            sources[key][rid] = (origin, f"payers.{key}.rules.{rid}")
        merged["rules"] = rules
        raw_payers[key] = merged
    with _settings_of(origin, "payers"):
        payers = {
            k: _section(f"payers.{k}", PayerProfile, key=k, **v) for k, v in raw_payers.items()
        }
    with _settings_of(origin, "clinics"):
        clinics = {
            k: _section(f"clinics.{k}", Clinic, key=k, **v)
            for k, v in data.get("clinics", {}).items()
        }
    with _settings_of(origin, "intake"):
        intake = _section("intake", IntakeSettings, **data.get("intake", {}))
    with _settings_of(origin, "clearinghouses"):
        houses = {
            k: _section(f"clearinghouses.{k}", Clearinghouse, **v)
            for k, v in data.get("clearinghouses", {}).items()
        }
    with _settings_of(origin, ""):
        config = Config(
            source=origin,
            clinics=clinics,
            payers=payers,
            clearinghouses=houses,
            intake=intake,
            timezone=data.get("timezone"),
        )
    for k, profile in payers.items():
        profile._rule_sources = sources[k]
    for clinic in clinics.values():
        if clinic.clearinghouse is not None and clinic.clearinghouse not in houses:
            raise InputError(
                origin,
                f"no clearinghouse {clinic.clearinghouse!r}",
                f"add [clearinghouses.{clinic.clearinghouse}] or name one of: "
                f"{', '.join(sorted(houses)) or '(none)'}",
                field=f"clinics.{clinic.key}.clearinghouse",
            )
    return config


M = TypeVar("M", bound=BaseModel)


class _SectionError(Exception):
    def __init__(self, section: str, error: ValidationError) -> None:
        self.section, self.error = section, error


def _section(section: str, model: type[M], **values: Any) -> M:
    """`model` made of a section's settings; a fault is told with the section's path (a
    company's fifty clinics each have an `npi`: the error says whose)."""
    try:
        return model(**values)
    except ValidationError as e:
        raise _SectionError(section, e) from None


@contextmanager
def _settings_of(origin: str, section: str) -> Iterator[None]:
    """A fault in the settings as an InputError naming the setting's whole path, the first of
    them (and how many more there are)."""
    try:
        yield
    except (_SectionError, ValidationError) as e:
        where, error = (e.section, e.error) if isinstance(e, _SectionError) else (section, e)
        faults = error.errors(include_url=False)
        first = faults[0]
        field = ".".join(x for x in (where, field_path(tuple(first["loc"]))) if x)
        unknown = first["type"] == "extra_forbidden"
        problem = "an unknown setting" if unknown else first["msg"]
        if len(faults) > 1:
            problem += f" (and {len(faults) - 1} more in [{where or 'the file'}])"
        fix = "remove it or check its spelling" if unknown else "correct that setting"
        raise InputError(
            origin, problem, f"{fix} (see docs/configuration.md)", field=field
        ) from None


# A company's configuration of a few hundred clinics is some hundreds of KB.
MAX_CONFIG_BYTES = 16 << 20


@cache
def load_config(path: str | None = None) -> Config:
    """The configuration at `path` (the edges resolve `--config` and $PTBILL_CONFIG), else
    the bundled demo clinic; over the bundled reference data (Config.with_reference)."""
    if not path:
        return _build(
            _read_toml(bundled_demo_config_text(), "bundled demo-clinic.toml"),
            "bundled demo-clinic.toml",
        )
    p = Path(path)
    try:
        with p.open("rb") as f:
            data = f.read(MAX_CONFIG_BYTES + 1)
    except OSError as e:
        raise InputError(
            str(p),
            f"cannot read the configuration: {e.strerror}",
            "check the path given with --config or PTBILL_CONFIG",
        ) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(
            str(p),
            f"the configuration is larger than {MAX_CONFIG_BYTES >> 20} MB: it was not read",
            "check the path given with --config or PTBILL_CONFIG (a TOML file)",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            str(p),
            f"the configuration is not UTF-8 text (byte {e.start + 1})",
            "save it as UTF-8 (a TOML file)",
        ) from None
    return _build(_read_toml(text, str(p)), str(p))


def one_clinic(clinics: set[str | None]) -> str | None:
    """The clinic whose "today" an input is worked as of: its only clinic, else the company's
    (None)."""
    return next(iter(clinics)) if len(clinics) == 1 else None
