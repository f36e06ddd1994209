"""The rule catalog: every scrub rule registers here with its id, category, default severity,
citation, parameters and docstring; payer profiles switch rules and set parameters in data.

A rule is a function `check(review, params) -> Iterable[Hit]` decorated with `@rule(...)`.
Its parameters are a small frozen dataclass (ptbill.scrub.params: a type, a default and a doc
for each); its docstring has the same five sections as a ruff rule page (SECTIONS below);
docs/rules.md is generated from these objects (`ptbill rules --markdown`).

Rules are versioned like a linter's: `since` is the ptbill release that introduced the rule
under its id, and `aliases` are the ids it had before (CMS renames and splits rules): a payer
profile, or anything else that names a rule, may use a former id and reaches the rule; findings
always carry the current id.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ptbill.config.profiles import PayerProfile
from ptbill.errors import InputError
from ptbill.scrub.findings import CATEGORIES, SEVERITIES, Finding, Hit, Severity
from ptbill.scrub.params import NoParams, Parameter, Params, WrongValue, parameters, settle

if TYPE_CHECKING:
    from ptbill.scrub.review import Review

# A rule's check takes the review and the rule's own Params dataclass.
Check = Callable[["Review", Any], Iterable[Hit]]

SECTIONS = ("What it checks", "Why payers care", "Fails", "Passes", "Fix")
_SECTION = re.compile(r"^\*(" + "|".join(SECTIONS) + r")\*:\s*", re.MULTILINE)
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")
# Keys of a profile's rule settings that are not rule parameters.
SWITCHES = ("enabled", "severity")
# The release of the first rule catalog: the `since` of every rule that came with it.
FIRST_RELEASE = "0.1.0"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    category: str
    severity: Severity
    citation: tuple[str, ...]
    enabled: bool
    # The rule's Params dataclass, its declared parameters and its defaults.
    params_type: type[Params]
    parameters: tuple[Parameter, ...]
    defaults: Params
    check: Check
    doc: str
    # Whether the rule can apply to a payer at all (decided once per profile, not per visit).
    when: Callable[[PayerProfile], bool] | None = None
    # The ptbill release that introduced the rule under this id, and its former ids.
    since: str = FIRST_RELEASE
    aliases: tuple[str, ...] = ()
    # What a visit must have (any of these Needs bits) for the rule to find anything; 0: it
    # runs on every visit.
    needs: int = 0

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
# Former rule id -> current rule id.
ALIASES: dict[str, str] = {}


def find_rule(rule_id: str) -> Rule | None:
    """The rule with this id or former id (alias), or None."""
    return RULES.get(ALIASES.get(rule_id, rule_id))


def rule(
    id: str,
    category: str,
    severity: Severity,
    cite: tuple[str, ...],
    *,
    params: type[Params] = NoParams,
    enabled: bool = True,
    when: Callable[[PayerProfile], bool] | None = None,
    since: str = FIRST_RELEASE,
    aliases: tuple[str, ...] = (),
    needs: int = 0,
) -> Callable[[Check], Check]:
    """Register a rule. `params` is its Params dataclass (the defaults a profile may override);
    `enabled=False` rules run only where a payer profile switches them on; `when` says from the
    profile alone whether the rule can apply (e.g. only payers that require authorization);
    `since` and `aliases` version the rule id (module docstring); `needs` (bits of
    ptbill.scrub.review.Needs) says what a visit must have, one of them at least, for the rule
    to find anything: the engine skips it for the others, which are most visits."""

    def register(fn: Check) -> Check:
        doc = inspect.cleandoc(fn.__doc__ or "")
        problems = []
        if not _RULE_ID.match(id):
            problems.append("id must be UPPER-CASE words joined by '-'")
        if find_rule(id) is not None:
            problems.append("id registered twice")
        for alias in aliases:
            if not _RULE_ID.match(alias) or alias == id:
                problems.append(f"alias {alias!r} must be another UPPER-CASE id")
            elif find_rule(alias) is not None:
                problems.append(f"alias {alias!r} is already a rule id or alias")
        if not _RELEASE.match(since):
            problems.append(f"since {since!r} is not a release number like {FIRST_RELEASE}")
        if category not in CATEGORIES:
            problems.append(f"category {category!r} is not in the interfaces.md vocabulary")
        if severity not in SEVERITIES:
            problems.append(f"severity {severity!r}")
        if not cite:
            problems.append("no citation")
        found = _SECTION.findall(doc)
        if tuple(found) != SECTIONS:
            problems.append(f"docstring sections {found} (need {list(SECTIONS)} in order)")
        try:
            declared = parameters(params)
        except ValueError as e:
            problems.append(str(e))
            declared = ()
        clash = {p.name for p in declared} & set(SWITCHES)
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
            params,
            declared,
            params(),
            fn,
            doc,
            when,
            since,
            tuple(aliases),
            needs,
        )
        for alias in aliases:
            ALIASES[alias] = id
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
    params: Params
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


def _settings(profile: PayerProfile, r: Rule) -> list[tuple[str, Mapping[str, Any]]]:
    """The profile's settings of a rule, under its id and its former ids, as (id, settings):
    the current id first, so that a former id's settings (from a clinic's file written before
    the rename: bundled profiles use current ids) override it."""
    named: list[tuple[str, Mapping[str, Any]]] = [
        (rid, profile.rules[rid]) for rid in (r.id, *r.aliases) if rid in profile.rules
    ]
    files = [profile.rule_source(rid)[0] for rid, _ in named]
    if len(set(files)) < len(files):
        file, key = profile.rule_source(named[-1][0])
        ids = " and ".join(rid for rid, _ in named)
        raise InputError(
            file,
            f"the rule {r.id} is set twice, as {ids} (former ids are aliases of {r.id})",
            f"keep one section, under the current id {r.id}",
            field=key,
        )
    return named


def _checked(r: Rule, file: str, key: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """One section of a profile's settings of a rule, checked where it was written (an
    InputError names the file, the rule's section and the setting)."""
    enabled, severity = settings.get("enabled", True), settings.get("severity", "error")
    if not isinstance(enabled, bool):
        raise InputError(
            file,
            f"{enabled!r} is not a boolean",
            "write enabled = true or enabled = false",
            field=f"{key}.enabled",
        )
    if severity not in SEVERITIES:
        raise InputError(
            file,
            f"{severity!r} is not a severity",
            "use error, warning or info",
            field=f"{key}.severity",
        )
    params = {k: v for k, v in settings.items() if k not in SWITCHES}
    try:
        settle(r.params_type, r.parameters, params)
    except WrongValue as e:
        raise InputError(file, f"{r.id}: {e.problem}", e.fix, field=f"{key}.{e.name}") from None
    return dict(settings)


def _resolve(profile: PayerProfile) -> tuple[ActiveRule, ...]:
    for rule_id in profile.rules:
        if find_rule(rule_id) is None:
            file, key = profile.rule_source(rule_id)
            raise InputError(
                file, "no scrub rule with that id", "use an id listed by `ptbill rules`", field=key
            )
    active = []
    for r in RULES.values():
        settings: dict[str, Any] = {}
        for rid, section in _settings(profile, r):
            settings.update(_checked(r, *profile.rule_source(rid), section))
        if not settings.get("enabled", r.enabled) or (r.when is not None and not r.when(profile)):
            continue
        values = {k: v for k, v in settings.items() if k not in SWITCHES}
        params = settle(r.params_type, r.parameters, values) if values else r.defaults
        severity = settings.get("severity", r.severity)
        active.append(ActiveRule(r, r.check, severity, params, "severity" in settings))
    return tuple(active)


# What the engine runs for an active rule: its check, its parameters, and the rule.
Step = tuple[Check, Params, ActiveRule]


class _Resolved:
    """A profile's active rules, and its steps for each kind of visit (by what it has)."""

    __slots__ = ("profile", "active", "steps", "by_has")

    def __init__(self, profile: PayerProfile) -> None:
        self.profile = profile
        self.active = _resolve(profile)
        self.steps: tuple[Step, ...] = tuple((a.check, a.params, a) for a in self.active)
        # One entry per combination of Needs bits met (visits show a few dozen), up to _KINDS.
        self.by_has: dict[int, tuple[Step, ...]] = {}

    def steps_for(self, has: int) -> tuple[Step, ...]:
        steps = self.by_has.get(has)
        if steps is None:
            steps = tuple(s for s in self.steps if not s[2].rule.needs or s[2].rule.needs & has)
            if len(self.by_has) < _KINDS:
                self.by_has[has] = steps
        return steps


# Kinds of visit (combinations of Needs bits) whose steps a profile keeps.
_KINDS = 1024


# Resolved once per profile object (profiles are frozen; the identity check guards id reuse).
_ACTIVE: dict[int, _Resolved] = {}


def _resolved(profile: PayerProfile) -> _Resolved:
    hit = _ACTIVE.get(id(profile))
    if hit is not None and hit.profile is profile:
        return hit
    entry = _Resolved(profile)
    if len(_ACTIVE) >= 256:  # profiles made on the fly (tests, tools): keep the cache small
        _ACTIVE.clear()
    _ACTIVE[id(profile)] = entry
    return entry


def active_rules(profile: PayerProfile) -> tuple[ActiveRule, ...]:
    return _resolved(profile).active


def rule_steps(profile: PayerProfile, has: int | None = None) -> tuple[Step, ...]:
    """The active rules as (check, params, active rule), in catalog order: what the engine
    loops over for a visit (unpacking a triple is cheaper than three attribute lookups).
    `has`: what the visit has (ptbill.scrub.review.Needs bits): then without the rules that
    need something else; None: every active rule."""
    resolved = _ACTIVE.get(id(profile))  # _resolved's first look, inline: once a visit
    if resolved is None or resolved.profile is not profile:
        resolved = _resolved(profile)
    if has is None:
        return resolved.steps
    return resolved.by_has.get(has) or resolved.steps_for(has)
