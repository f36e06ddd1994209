"""Frozen records that are cheap to make.

A frozen dataclass's own __init__ stores each field by `object.__setattr__` (its __setattr__
refuses), a call through the type's attribute machinery per field: making a CodedLine (11
fields) cost about 1.2 µs where a plain slotted class takes 0.25. The coder and the scrubber
make several such records a visit (three CodedLine, a CodedVisit, a ScrubResult...), tens of
thousands of visits a run. `quick_init` gives such a class an __init__ that stores each field
through its slot's descriptor instead: the same signature and defaults, still frozen after
(assignment raises FrozenInstanceError), about half the cost.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def quick_init(cls: type[T]) -> type[T]:
    """Replace the __init__ of a frozen, slotted dataclass (every field a plain init field,
    no __post_init__) by one that sets the slots directly. Apply above @dataclass."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: quick_init is for frozen dataclasses with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: quick_init does not call __post_init__")
    scope: dict[str, Any] = {}
    args, body = [], []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING:
            raise TypeError(f"{cls.__name__}.{f.name}: quick_init takes plain fields only")
        if f.default is dataclasses.MISSING:
            args.append(f.name)
        else:
            scope[f"_default_{f.name}"] = f.default
            args.append(f"{f.name}=_default_{f.name}")
        scope[f"_set_{f.name}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        body.append(f"    _set_{f.name}(self, {f.name})\n")
    source = f"def __init__(self, {', '.join(args)}):\n" + ("".join(body) or "    pass\n")
    exec(source, scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__annotations__ = {**cls.__init__.__annotations__}
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
