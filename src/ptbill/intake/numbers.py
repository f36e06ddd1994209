"""JSON read with exact numbers, by every reader of visits: a number with a fraction or an
exponent becomes the Decimal its text writes, never a binary float (a FHIR charge of
48.999999999999999 was read as the float 49.0 and billed so; now the visit format refuses it,
as it refuses a JSON visit's charge finer than a cent). A number whose exponent no visit field
could hold (1E999999999) is refused as out of range at once: the visit model's integer check
worked such a number out digit by digit, for minutes of CPU."""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

# The largest power of ten a number may have, either way: as many digits as Python reads into
# an int from text (sys.int_info.default_max_str_digits), far past any field of a visit.
MAX_EXPONENT = 4300


def exact(text: str) -> Decimal:
    """The Decimal a JSON number's text writes; InvalidOperation (an ArithmeticError) when it is
    beyond any Decimal's range or MAX_EXPONENT."""
    number = Decimal(text)
    if number.is_finite() and number and abs(number.adjusted()) > MAX_EXPONENT:
        raise InvalidOperation(f"{text[:20]} is out of range")
    return number


_DECIMALS = json.JSONDecoder(parse_float=exact)


@cache
def _fast_decimals() -> tuple[Any, tuple[type[Exception], ...]]:
    """msgspec's decoder with `exact` floats and the errors it raises: msgspec imported when
    first needed (its import is about 9% of the start of a command whose JSON Lines visits
    hold no fraction, read by pydantic's parser alone: ptbill.intake.stream.parse_visit)."""
    import msgspec

    decoder = msgspec.json.Decoder(float_hook=exact)
    return decoder, (msgspec.DecodeError, msgspec.ValidationError)


def json_object(raw: str | bytes) -> Any:
    """A JSON text as json.loads(raw, parse_float=exact) reads it. msgspec reads it first (a
    third of the json module's time), with each float's text made a Decimal as the json module
    makes it; what msgspec refuses and the json module may read (NaN, a lone surrogate, an
    integer of 4,300 digits), the json module reads or refuses. One decoder of each, made once:
    json.loads makes a decoder per call when given parse_float. Raises ValueError (JSON that is
    not valid, an integer of too many digits), ArithmeticError (a number out of range) or
    RecursionError."""
    decoder, refused = _fast_decimals()
    try:
        return decoder.decode(raw)
    except refused:
        if isinstance(raw, str):
            return _DECIMALS.decode(raw)
        return json.loads(raw, parse_float=exact)  # (bytes: in UTF-8, 16 or 32, as json reads)


def loads(text: str | bytes) -> Any:
    """JSON with exact numbers (json_object); a number too long or too large for Python or
    nesting too deep for its parser is a JSONDecodeError like any other fault of the text (never
    a traceback), and says where it is."""
    try:
        return json_object(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond range
        doc = text if isinstance(text, str) else text.decode("utf-8-sig", "replace")
        raise json.JSONDecodeError("a number is out of range", doc, out_of_range_at(doc)) from None
    except ValueError as e:  # an integer of more than 4,300 digits (sys.int_info)
        if isinstance(e, json.JSONDecodeError | UnicodeDecodeError) or "digits" not in str(e):
            raise
        raise json.JSONDecodeError("a number has too many digits", "", 0) from None


# A JSON string (skipped whole) or a number with an exponent.
_EXPONENT = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?[eE][-+]?\d+')


def out_of_range_at(text: str, start: int = 0) -> int:
    """Where in `text` (from `start`) the first number out of range (`exact`) is (`start` when
    none is found)."""
    for m in _EXPONENT.finditer(text, start):
        if m.group()[0] != '"':
            try:
                exact(m.group())
            except ArithmeticError:
                return m.start()
    return start
