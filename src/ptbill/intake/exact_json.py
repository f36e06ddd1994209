"""A JSON Lines visit validated by pydantic's JSON parser only where that reads it exactly.

pydantic's parser reads a number with a fraction or an exponent as a binary float (48.50 is
48.5 to it, 48.999999999999999 is 49.0), where ptbill reads every number of a visit exactly
(ptbill.intake.numbers): a line that holds such a number goes to json with exact decimals and
the visit model's Python validation instead. `visit_json` tells the two kinds of line apart by
validating with a stricter copy of the model's validator that refuses a float wherever the model
would take one: its integers and booleans strict (a JSON integer, true or false), its amounts a
JSON integer or a string, and `extensions` (free-form) looked through for a float. The same copy
checks a date's text as `iso_date` does (a string of ten characters) in Rust, where the model
calls it in Python (7 calls a visit).

What the copy accepts it reads as the model does; what it refuses (a float, or a value the model
takes only in lax mode, such as a number in a string) is read the exact way, which gives the
model's own answer and its own error messages. A regular expression over the line did the
telling before: 5 us of a 2 KB line, one match attempt per colon, where the copy costs nothing
more than the model's validation.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import SchemaValidator
from pydantic_core import core_schema as cs

from ptbill.domain.visit import Visit, iso_date

# An amount as the model takes it from JSON, less a float: a JSON integer or a string (not
# stripped here: the amount's own validator strips it as the model's does).
_AMOUNT_NOT_FLOAT = cs.union_schema(
    [cs.int_schema(strict=True), cs.str_schema(strict=True, strip_whitespace=False)]
)

# A date as iso_date takes it from JSON (a string of ten characters), then pydantic's date as
# the model's: a strict date would also take "0" or "+0000000000" (a time stamp at midnight).
_ISO_DATE = cs.chain_schema(
    [
        cs.str_schema(strict=True, strip_whitespace=False, min_length=10, max_length=10),
        cs.date_schema(),
    ]
)


def _stricter(node: Any, models: set[type]) -> Any:
    """A copy of a core schema (dicts and lists; other values shared) that refuses floats, and
    the model classes it builds added to `models`."""
    if isinstance(node, list):
        return [_stricter(x, models) for x in node]
    if not isinstance(node, dict):
        return node
    # (metadata, the JSON schema's descriptions, validates nothing: shared as it is)
    node = {k: v if k == "metadata" else _stricter(v, models) for k, v in node.items()}
    kind = node.get("type")
    if kind in ("int", "bool"):
        node["strict"] = True
    elif kind == "model":
        models.add(node["cls"])
    elif kind == "float":
        raise TypeError("a float field: the visit format reads numbers exactly")
    elif kind == "decimal":
        return cs.chain_schema([_AMOUNT_NOT_FLOAT, node])
    elif kind == "function-before" and node["function"]["function"] is iso_date:
        return _ISO_DATE
    elif kind in ("function-before", "function-wrap", "function-plain"):
        # A validator in Python sees a float as a float: it could take one unnoticed.
        raise TypeError(f"{kind} validator in the visit model: can it take a float?")
    return node


def _validator() -> SchemaValidator:
    models: set[type] = set()
    stricter = _stricter(Visit.__pydantic_core_schema__, models)
    # pydantic-core builds a nested model with the validator its class already has (the lax
    # one) when the class is complete: it is marked incomplete while the copy is built, so
    # that the copy's nested models are the stricter ones. (At import, before any thread.)
    # Not Visit, whose validator (a model validator after) is never reused: a class changed
    # loses its entries in CPython's attribute cache, and the visit's attributes are the most
    # read (a visit scrubbed costs 12k instructions more with it, 1.5%).
    complete = {m: m.__dict__.get("__pydantic_complete__") for m in models - {Visit}}
    for model in complete:
        type.__setattr__(model, "__pydantic_complete__", False)
    try:
        return SchemaValidator(stricter)
    finally:
        for model, was in complete.items():
            type.__setattr__(model, "__pydantic_complete__", was)


_VALIDATE = _validator().validate_json


def _holds_float(value: Any) -> bool:
    stack = [value]
    while stack:
        x = stack.pop()
        kind = type(x)
        if kind is dict:
            stack.extend(x.values())
        elif kind is list:
            stack.extend(x)
        elif kind is float:
            return True
    return False


def visit_json(line: bytes) -> Visit | None:
    """The Visit of a JSON Lines line, as Visit.model_validate_json reads it, when the line
    holds no number the model would read as a float; None when it does, or when the model
    takes one of its values only in lax mode (then read it the exact way: its answer is the
    model's, its errors too). Raises nothing."""
    try:
        visit: Visit = _VALIDATE(line)
    except ValueError:  # pydantic's ValidationError
        return None
    if visit.extensions and _holds_float(visit.extensions):
        return None
    return visit
