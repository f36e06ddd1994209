"""Resolving what a visit names (its payer profile, its clinic) against the configuration, and
the reference snapshot the configuration carries: everything coding, scrubbing and pricing
read besides the visit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ptbill.config.profiles import Clinic, Config, PayerProfile
from ptbill.domain.visit import BillingProvider, Visit
from ptbill.errors import InputError
from ptbill.reference.snapshot import ReferenceSnapshot


@dataclass(frozen=True, slots=True)
class VisitContext:
    profile: PayerProfile
    clinic: Clinic | None
    billing_provider: BillingProvider
    # The run's reference data (Config.reference, taken by the edge that started the run).
    reference: ReferenceSnapshot

    @property
    def chargemaster(self) -> dict[str, Decimal]:
        return self.clinic.chargemaster if self.clinic else {}

    @property
    def clinic_key(self) -> str:
        """The billing clinic: its key in configuration, else `npi:` and its NPI."""
        return self.clinic.key if self.clinic else f"npi:{self.billing_provider.npi}"

    @property
    def locality(self) -> str | None:
        return self.billing_provider.medicare_locality


def resolve(visit: Visit, config: Config, origin: str) -> VisitContext:
    profile = config.payer(visit.payer)
    if profile is None:
        raise InputError(
            origin,
            f"no payer profile {visit.payer!r}",
            f"use one of {', '.join(sorted(config.payers))} or add it to the "
            f"configuration ({config.source})",
            visit_id=visit.visit_id,
            field="payer",
        )
    clinic = None
    if visit.clinic is not None:
        clinic = config.clinic(visit.clinic)
        if clinic is None:
            raise InputError(
                origin,
                f"no clinic {visit.clinic!r}",
                f"use one of {', '.join(sorted(config.clinics)) or '(none)'} or "
                f"add it to the configuration ({config.source})",
                visit_id=visit.visit_id,
                field="clinic",
            )
    elif visit.billing_provider is not None:
        clinic = config.clinic_by_npi(visit.billing_provider.npi)
    provider = visit.billing_provider or clinic.billing_provider()  # type: ignore[union-attr]
    if clinic is not None and provider.medicare_locality is None:
        provider = provider.model_copy(update={"medicare_locality": clinic.medicare_locality})
    return VisitContext(profile, clinic, provider, config.reference)
