"""Typed rule parameters: each rule's parameters are a small frozen dataclass (a `Params`), each
field with a type, a default and a one-line doc (`param`). Payer profiles set them by name in
TOML; `settle` checks every setting against the field's type (no coercion: `"30"` is not 30)
and gives the rule its parameters.

The types a parameter may have are the ones TOML writes plainly: bool, int, str, a Literal of
strings, tuple[str, ...] (a TOML list) and Mapping[str, str] (a TOML table).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, TypeVar

T = TypeVar("T")


class Params:
    """The base of every rule's parameters (a frozen dataclass with slots)."""

    __slots__ = ()

    def get(self, name: str, default: Any = None) -> Any:
        """A parameter by name (for pages that show a rule's setting)."""
        return getattr(self, name, default)


@dataclass(frozen=True, slots=True)
class NoParams(Params):
    """The parameters of a rule that has none."""


def param(default: T, doc: str) -> T:
    """A parameter field: its default and what it does (docs/rules.md shows both)."""
    if isinstance(default, Mapping):
        frozen = MappingProxyType(dict(default))
        return field(default_factory=lambda: frozen, metadata={"doc": doc})  # type: ignore[return-value]
    return field(default=default, metadata={"doc": doc})


class WrongValue(ValueError):
    """A setting that is not a parameter of the rule, or not of the parameter's type."""

    def __init__(self, name: str, problem: str, fix: str) -> None:
        self.name, self.problem, self.fix = name, problem, fix
        super().__init__(f"{name}: {problem}")


@dataclass(frozen=True, slots=True)
class Kind:
    """A parameter type: how the docs name it and how a TOML value becomes one (None: it does
    not)."""

    text: str
    convert: Callable[[Any], Any]


def _exact(t: type) -> Callable[[Any], Any]:
    # bool is an int in Python, never in a profile.
    return lambda v: v if type(v) is t else None


def _strings(v: Any) -> tuple[str, ...] | None:
    if isinstance(v, list | tuple) and all(isinstance(x, str) for x in v):
        return tuple(v)
    return None


def _table(v: Any) -> Mapping[str, str] | None:
    if isinstance(v, Mapping) and all(isinstance(x, str) for x in (*v.keys(), *v.values())):
        return MappingProxyType(dict(v))
    return None


_KINDS: dict[object, Kind] = {
    bool: Kind("true or false", _exact(bool)),
    int: Kind("a whole number", _exact(int)),
    str: Kind("text", _exact(str)),
    tuple[str, ...]: Kind("a list of texts", _strings),
    Mapping[str, str]: Kind("a table of texts", _table),
}


def kind_of(hint: object) -> Kind | None:
    """The Kind of a type hint, or None when a profile cannot set that type."""
    if typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        if not all(isinstance(c, str) for c in choices):
            return None
        return Kind(
            "one of " + ", ".join(json.dumps(c) for c in choices),
            lambda v: v if isinstance(v, str) and v in choices else None,
        )
    return _KINDS.get(hint)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    kind: Kind
    default: Any
    doc: str


def parameters(cls: type[Params]) -> tuple[Parameter, ...]:
    """The parameters a Params class declares, checked: each has a settable type, a default of
    that type and a doc (a ValueError names what is wrong)."""
    if not (dataclasses.is_dataclass(cls) and issubclass(cls, Params)):
        raise ValueError(f"{cls.__name__} is not a Params dataclass")
    hints = typing.get_type_hints(cls)
    defaults = cls()
    out = []
    for f in dataclasses.fields(cls):
        kind = kind_of(hints[f.name])
        if kind is None:
            raise ValueError(f"parameter {f.name}: a profile cannot set a {hints[f.name]}")
        default = getattr(defaults, f.name)
        if kind.convert(default) != default:
            raise ValueError(f"parameter {f.name}: default {default!r} is not {kind.text}")
        doc = f.metadata.get("doc", "")
        if not doc:
            raise ValueError(f"parameter {f.name}: no doc (declare it with param())")
        out.append(Parameter(f.name, kind, default, doc))
    return tuple(out)


def settle(
    cls: type[Params], declared: tuple[Parameter, ...], settings: Mapping[str, Any]
) -> Params:
    """The parameters with a profile's settings (name -> TOML value) applied; WrongValue for a
    name that is no parameter or a value not of the parameter's type."""
    by_name = {p.name: p for p in declared}
    values = {}
    for name, value in settings.items():
        p = by_name.get(name)
        if p is None:
            known = ", ".join(by_name) or "none"
            raise WrongValue(
                name, "not a parameter of this rule", f"use one of: {known} (see docs/rules.md)"
            )
        converted = p.kind.convert(value)
        if converted is None:
            raise WrongValue(
                name,
                f"{value!r} has the wrong type: the parameter is {p.kind.text}",
                f"give a value like the default {json.dumps(_plain(p.default))}",
            )
        values[name] = converted
    return cls(**values)


def _plain(value: Any) -> Any:
    """A parameter value as JSON/TOML shows it (lists for tuples, objects for tables)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def shown(value: Any) -> str:
    """A parameter value as docs/rules.md writes it (JSON, as before typed parameters)."""
    return json.dumps(_plain(value))
