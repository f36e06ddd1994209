"""Services by PT assistants: CQ beyond de minimis, who may render, and supervision
(billing-rules.md M-7..M-13, D-12)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ptbill.coding.assistant import split_timed, split_untimed
from ptbill.coding.units import FAMILY_OF
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._text import units
from ptbill.scrub.rules.progress_report import ASSISTANT_CREDENTIALS, credential

GENERAL_SUPERVISION_FROM = dt.date(2025, 1, 1)

# The coder's CQ splits are pure functions of a few small numbers, which visits repeat.
_split_timed = lru_cache(maxsize=4096)(split_timed)
_split_untimed = lru_cache(maxsize=4096)(split_untimed)


@rule(
    "CQ-MISSING",
    "modifier",
    "error",
    ("M-7", "M-9", "M-10", "CMS-CQEX"),
    when=lambda profile: bool(profile.assistant_modifier),
    needs=Needs.ASSISTANT,
)
def cq_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """Assistant minutes above de minimis billed without CQ.

    *What it checks*: for a payer that uses the assistant modifier (profile
    `assistant_modifier`, CQ), each code's units carrying CQ are at least the units in which the
    assistant's independent minutes exceed the de minimis share (`cq_de_minimis_percent`, 10%),
    tested per billed 15-minute unit for timed codes and on the whole service for untimed ones.
    *Why payers care*: a service furnished in whole or in part by a PTA must carry CQ and is
    paid at 85% (M-7, M-8); "in part" means more than 10% of the service (M-9, CMS-CQEX).
    Omitting it overbills and is recovered on audit.
    *Fails*: a coded 97110 line of 2 units, 30 minutes of which 20 by the assistant, without CQ.
    *Passes*: the same minutes coded as 1 unit plain + 1 unit CQ.
    *Fix*: re-code the visit (the coder applies CQ from the documented assistant minutes).
    """
    if not any(x.assistant_minutes for _, x in r.billed):
        return
    mod = r.profile.assistant_modifier
    pct = r.profile.cq_de_minimis_percent
    groups: dict[object, list[tuple[int, Any]]] = {}
    for n, x in r.billed:
        # A family line (97129/97130...) is split on its own minutes, as the coder does; other
        # codes on all the documented minutes of the code (CQ and plain lines together).
        groups.setdefault((x.code, n) if x.code in FAMILY_OF else x.code, []).append((n, x))
    for numbered in groups.values():
        code = numbered[0][1].code
        if code in FAMILY_OF:
            x = numbered[0][1]
            minutes, assistant, timed = x.minutes or 0, x.assistant_minutes, False
        else:
            services = {i for _, x in numbered for i in x.services}
            minutes = sum(r.visit.services[i].minutes or 0 for i in services)
            assistant = min(minutes, sum(r.visit.services[i].assistant_minutes for i in services))
            info = r.code_info[code]
            timed = bool(info is not None and info.timed)
        if not assistant:
            continue
        total_units = sum(x.units for _, x in numbered)
        split = (
            _split_timed(total_units, minutes, assistant, pct)
            if timed
            else _split_untimed(total_units, minutes or None, assistant, pct)
        )
        have = sum(x.units for _, x in numbered if mod in x.modifiers)
        if have < split.cq_units:
            first = next((n for n, x in numbered if mod not in x.modifiers), numbered[0][0])
            yield Hit(
                f"{code}: {assistant} of {minutes} minutes by the assistant call for "
                f"{units(split.cq_units)} with {mod} ({split.why}); the claim has "
                f"{units(have)}",
                f"re-code the visit so {mod} is applied",
                first,
            )


@dataclass(frozen=True, slots=True)
class CredentialParams(Params):
    allowed: tuple[str, ...] = param(
        ("PT", "DPT", "MPT", "MSPT", "PTA"), "credentials the payer accepts as rendering provider"
    )


@rule(
    "PROVIDER-CREDENTIAL",
    "provider",
    "error",
    ("C-5", "M-7", "D-12", "MBPM15-230.4"),
    params=CredentialParams,
)
def provider_credential(r: Review, p: CredentialParams) -> Iterator[Hit]:
    """A rendering provider whose credential the payer does not accept, e.g. a PTA on Medicare.

    *What it checks*: the rendering provider's `credential` is in `allowed` (Medicare: PT
    credentials only). A missing credential is a warning.
    *Why payers care*: Medicare enrols physical therapists, not assistants, as rendering
    providers; a PTA's services are billed under the supervising PT's NPI with CQ (C-5, M-7,
    D-12).
    *Fails*: a Medicare visit with `"credential": "PTA"` on the rendering provider.
    *Passes*: the same with the supervising PT as rendering provider (`"credential": "PT"`).
    *Fix*: bill under the supervising therapist as rendering provider; the assistant's minutes
    drive CQ.
    """
    raw = r.visit.rendering_provider.credential
    cred = credential(raw)
    if not cred:
        yield Hit(
            "the rendering provider has no credential: cannot check it is one "
            f"{r.profile.name} accepts",
            "record the rendering provider's credential (PT, PTA...)",
            severity="warning",
        )
    elif cred not in p.allowed:
        assistant = cred in ASSISTANT_CREDENTIALS
        yield Hit(
            f"rendering provider credential {raw!r} is not accepted by {r.profile.name}"
            + (": an assistant cannot be the rendering provider" if assistant else ""),
            "bill under the supervising PT's NPI as rendering provider (CQ marks the "
            "assistant's part)"
            if assistant
            else "bill under a rendering provider the payer has enrolled",
        )


@rule(
    "SUPERVISION-MISSING",
    "provider",
    "warning",
    ("D-12", "MBPM15-230.4", "SUMMIT-2025"),
    needs=Needs.ASSISTANT,
)
def supervision_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """Assistant minutes with no supervising therapist named.

    *What it checks*: when any service has `assistant_minutes`, the visit names a
    `supervising_provider`, and that provider is not an assistant.
    *Why payers care*: PTA services are covered only under a PT's supervision: direct (on site)
    in private practice until 2024-12-31, general from 2025-01-01; state law may be stricter
    (D-12).
    *Fails*: `{"code": "97110", "minutes": 24, "assistant_minutes": 20}` with no
    `supervising_provider`.
    *Passes*: the same with `"supervising_provider": {"npi": "...", "credential": "PT"}`.
    *Fix*: record the supervising PT (and make sure the supervision level was met).
    """
    minutes = 0
    for s in r.visit.services:
        minutes += s.assistant_minutes
    if not minutes:
        return
    level = "general" if r.dos >= GENERAL_SUPERVISION_FROM else "direct (on-site)"
    sup = r.visit.supervising_provider
    if sup is None:
        yield Hit(
            f"{minutes} assistant minutes on {r.dos} and no supervising therapist named "
            f"({level} supervision applies on that date)",
            "record the supervising PT in supervising_provider",
        )
    elif credential(sup.credential) in ASSISTANT_CREDENTIALS:
        yield Hit(
            f"the supervising provider is a {credential(sup.credential)}; an assistant "
            "cannot supervise",
            "name the supervising PT",
            severity="error",
        )
