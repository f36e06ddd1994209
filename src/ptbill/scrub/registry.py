"""The rule catalog: every scrub rule registers here with its id, category, default severity,
citation, parameters and docstring; payer profiles switch rules and set parameters in data.

A rule is a function `check(review, params) -> Iterable[Hit]` decorated with `@rule(...)`.
Its docstring has the same five sections as a ruff rule page (SECTIONS below); docs/rules.md is
generated from these objects (`ptbill rules --markdown`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ptbill.config.profiles import PayerProfile
from ptbill.errors import InputError
from ptbill.scrub.findings import CATEGORIES, SEVERITIES, Finding, Hit, Severity

if TYPE_CHECKING:
    from ptbill.scrub.review import Review

Check = Callable[["Review", Mapping[str, Any]], Iterable[Hit]]

SECTIONS = ("What it checks", "Why payers care", "Fails", "Passes", "Fix")
_SECTION = re.compile(r"^\*(" + "|".join(SECTIONS) + r")\*:\s*", re.MULTILINE)
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
# Keys of a profile's rule settings that are not rule parameters.
SWITCHES = ("enabled", "severity")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str
    severity: Severity
    citation: tuple[str, ...]
    enabled: bool
    params: Mapping[str, Any]
    check: Check
    doc: str
    # Whether the rule can apply to a payer at all (decided once per profile, not per visit).
    when: Callable[[PayerProfile], bool] | None = None

    @property
    def title(self) -> str:
        return " ".join(self.doc.split("\n\n", 1)[0].split())

    def sections(self) -> dict[str, str]:
        """The docstring's five sections, by name, as written (whitespace-normalised)."""
        parts = _SECTION.split(self.doc)
        out = {}
        for name, text in zip(parts[1::2], parts[2::2], strict=True):
            out[name] = " ".join(text.split())
        return out


RULES: dict[str, Rule] = {}


def rule(
    id: str,
    category: str,
    severity: Severity,
    cite: tuple[str, ...],
    *,
    enabled: bool = True,
    when: Callable[[PayerProfile], bool] | None = None,
    **params: Any,
) -> Callable[[Check], Check]:
    """Register a rule. `enabled=False` rules run only where a payer profile switches them on;
    `when` says from the profile alone whether the rule can apply (e.g. only payers that require
    authorization); `params` are the defaults a profile may override (same type as the
    default)."""

    def register(fn: Check) -> Check:
        doc = inspect.cleandoc(fn.__doc__ or "")
        problems = []
        if not _RULE_ID.match(id):
            problems.append("id must be UPPER-CASE words joined by '-'")
        if id in RULES:
            problems.append("id registered twice")
        if category not in CATEGORIES:
            problems.append(f"category {category!r} is not in the interfaces.md vocabulary")
        if severity not in SEVERITIES:
            problems.append(f"severity {severity!r}")
        if not cite:
            problems.append("no citation")
        found = _SECTION.findall(doc)
        if tuple(found) != SECTIONS:
            problems.append(f"docstring sections {found} (need {list(SECTIONS)} in order)")
        clash = set(params) & set(SWITCHES)
        if clash:
            problems.append(f"parameter names {sorted(clash)} are reserved")
        if problems:
            raise ValueError(f"rule {id}: " + "; ".join(problems))
        RULES[id] = Rule(
            id,
            category,
            severity,
            tuple(cite),
            enabled,
            MappingProxyType(dict(params)),
            fn,
            doc,
            when,
        )
        return fn

    return register


_RANK = {"error": 0, "warning": 1, "info": 2}
# Findings kept per active rule for reuse (see ActiveRule.finding).
_MADE_MAX = 512


def _softer(a: Severity, b: Severity) -> Severity:
    return a if _RANK[a] >= _RANK[b] else b


@dataclass(frozen=True, slots=True)
class ActiveRule:
    rule: Rule
    check: Check
    severity: Severity
    params: Mapping[str, Any]
    # True when the payer profile set the severity: it then caps every hit of the rule.
    severity_set: bool = False
    # Findings already made, by hit: many visits get an equal one (one per date of service,
    # say). Findings are immutable, so results may share them.
    made: dict[Hit, Finding] = field(default_factory=dict, compare=False, repr=False)

    def finding(self, hit: Hit) -> Finding:
        """The finding for a hit of this rule: the rule's id, category, citation and severity
        (a hit's own severity replaces it, or is capped by it when the payer profile set it)."""
        made = self.made.get(hit)
        if made is None:
            r, severity = self.rule, self.severity
            if hit.severity is not None:
                severity = _softer(hit.severity, severity) if self.severity_set else hit.severity
            made = Finding(
                r.id,
                r.category,
                severity,
                hit.line,
                hit.message,
                hit.fix,
                r.citation,
                hit.data_release,
            )
            if len(self.made) >= _MADE_MAX:
                self.made.clear()
            self.made[hit] = made
        return made


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def _resolve(profile: PayerProfile) -> tuple[ActiveRule, ...]:
    where = f"payer profile {profile.key!r}"
    for rule_id in profile.rules:
        if rule_id not in RULES:
            raise InputError(
                where,
                None,
                f"rules.{rule_id}",
                "no scrub rule with that id",
                "use an id listed by `ptbill rules`",
            )
    active = []
    for r in RULES.values():
        settings = profile.rules.get(r.id, {})
        enabled = settings.get("enabled", r.enabled)
        severity = settings.get("severity", r.severity)
        if not isinstance(enabled, bool):
            raise InputError(
                where,
                None,
                f"rules.{r.id}.enabled",
                f"{enabled!r} is not a boolean",
                "write enabled = true or enabled = false",
            )
        if severity not in SEVERITIES:
            raise InputError(
                where,
                None,
                f"rules.{r.id}.severity",
                f"{severity!r} is not a severity",
                "use error, warning or info",
            )
        params = dict(r.params)
        for key, value in settings.items():
            if key in SWITCHES:
                continue
            if key not in r.params:
                known = ", ".join(sorted(r.params)) or "none"
                raise InputError(
                    where,
                    None,
                    f"rules.{r.id}.{key}",
                    "not a parameter of this rule",
                    f"use one of: {known} (see docs/rules.md)",
                )
            if not _same_type(r.params[key], value):
                raise InputError(
                    where,
                    None,
                    f"rules.{r.id}.{key}",
                    f"{value!r} has the wrong type",
                    f"give a value like the default {r.params[key]!r}",
                )
            params[key] = value
        if enabled and (r.when is None or r.when(profile)):
            active.append(
                ActiveRule(r, r.check, severity, MappingProxyType(params), "severity" in settings)
            )
    return tuple(active)


# What the engine runs for an active rule: its check, its parameters, and the rule.
Step = tuple[Check, Mapping[str, Any], ActiveRule]

# Resolved once per profile object (profiles are frozen; the identity check guards id reuse).
_ACTIVE: dict[int, tuple[PayerProfile, tuple[ActiveRule, ...], tuple[Step, ...]]] = {}


def _resolved(
    profile: PayerProfile,
) -> tuple[PayerProfile, tuple[ActiveRule, ...], tuple[Step, ...]]:
    hit = _ACTIVE.get(id(profile))
    if hit is not None and hit[0] is profile:
        return hit
    resolved = _resolve(profile)
    if len(_ACTIVE) >= 256:  # profiles made on the fly (tests, tools): keep the cache small
        _ACTIVE.clear()
    entry = (profile, resolved, tuple((a.check, a.params, a) for a in resolved))
    _ACTIVE[id(profile)] = entry
    return entry


def active_rules(profile: PayerProfile) -> tuple[ActiveRule, ...]:
    return _resolved(profile)[1]


def rule_steps(profile: PayerProfile) -> tuple[Step, ...]:
    """The active rules as (check, params, active rule), in catalog order: what the engine
    loops over for every visit (unpacking a triple is cheaper than three attribute lookups)."""
    return _resolved(profile)[2]
