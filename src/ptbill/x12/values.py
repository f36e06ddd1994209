"""Reading and writing X12 element values: amounts (type R), dates (CCYYMMDD), codes.

Readers take the element by position so that an error can name it (`CLP03`); an amount is
read exactly as written (Decimal, never float) and anything that is not a plain decimal number
(`1E5`, `NaN`, `1_000`, ` 12`) is refused rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Context, Decimal, InvalidOperation
from typing import TypeVar

from ptbill.x12.errors import X12Error

T = TypeVar("T")
K = TypeVar("K")
_NUMBER_CHARS = "0123456789.-"
_MAX_NUMBER = 18  # X12 type R: at most 18 digits
_CENT = Decimal("0.01")


# The X12 extended character set less the delimiters ptbill writes with (* : ^ ~).
NOT_TEXT = re.compile(r"[^A-Za-z0-9 !\"&'()+,\-./;?=%@\[\]_{}\\|<>#$]")


def element_name(e: list[str], i: int) -> str:
    return f"{e[0][:3]}{i:02d}"


_NUMBER_LIKE = frozenset("0123456789.-+eE_ ")


def shown(value: str) -> str:
    """A bad value as an error message may quote it: a short code or number-like text, never
    what could be a name or a member id (a misaligned file can put those anywhere)."""
    if len(value) <= 4 or (len(value) <= 20 and set(value) <= _NUMBER_LIKE):
        return repr(value)
    return f"a {len(value)}-character value"


# Amounts and dates repeat a great deal in a remittance (fee-schedule amounts, one date of
# service per visit): parsed values are kept in small memos. Decimal and date are immutable.
_MEMO_SIZE = 1 << 16
DATES: dict[str, dt.date] = {}  # CCYYMMDD texts read, as MONEY


class _NotCents:
    """Stands in for the cents of an amount that is not a whole number of cents (or is too
    large for the cents check to be exact): any sum it enters stays itself and is never zero,
    so a balance check in cents can only say "look again with Decimal"."""

    __slots__ = ()

    def __add__(self, other: object) -> _NotCents:
        return self

    __radd__ = __sub__ = __rsub__ = __add__

    def __neg__(self) -> _NotCents:
        return self

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "NOT_CENTS"


NOT_CENTS = _NotCents()
Cents = int | _NotCents
# Amounts within this many cents sum exactly both as int and as Decimal (28 digits) for any
# transaction set short of 10**11 claims; larger ones are left to Decimal.
_CENTS_LIMIT = 10**15
_EXACT = Context(prec=60)  # scaling by 100 never rounds, whatever the caller's context

# Each amount text read: its exact Decimal and its whole cents (or NOT_CENTS). A hot loop may
# look an element up here directly and call `money` on a miss (which also fills the memo).
MONEY: dict[str, tuple[Decimal, Cents]] = {}


def remember(memo: dict[K, T], key: K, value: T, size: int = _MEMO_SIZE) -> T:
    """`value` kept in `memo` under `key`, and returned. Bounded: past `size` entries the memo
    starts again, so an input of all-different values cannot grow it."""
    if len(memo) >= size:
        memo.clear()
    memo[key] = value
    return value


def _cents(value: Decimal) -> Cents:
    scaled = value.scaleb(2, _EXACT)
    if scaled == scaled.to_integral_value(context=_EXACT) and scaled.copy_abs() < _CENTS_LIMIT:
        return int(scaled)
    return NOT_CENTS


def money(e: list[str], i: int) -> tuple[Decimal, Cents]:
    """Element i as a decimal amount, with its cents for balance checks; it must be present."""
    try:
        return MONEY[e[i]]
    except KeyError:
        pass
    except IndexError:
        raise X12Error("a required number is missing", element=element_name(e, i)) from None
    s = e[i]
    if s and len(s) <= _MAX_NUMBER + 2 and not s.strip(_NUMBER_CHARS):
        try:
            value = Decimal(s)
        except InvalidOperation:
            pass
        else:
            return remember(MONEY, s, (value, _cents(value)))
    problem = f"{shown(s)} is not a decimal number" if s else "a required number is missing"
    raise X12Error(problem, element=element_name(e, i))


def amount(e: list[str], i: int) -> Decimal:
    """Element i as a decimal amount; it must be present."""
    try:
        return MONEY[e[i]][0]
    except (KeyError, IndexError):
        return money(e, i)[0]


def text(e: list[str], i: int) -> str:
    """Element i, which must be present and not empty."""
    if i < len(e) and e[i]:
        return e[i]
    raise X12Error("a required element is missing", element=element_name(e, i))


def count(e: list[str], i: int) -> int:
    """Element i as a whole number (segment and set counts, quantities in a 999)."""
    s = text(e, i)
    if not (s.isascii() and s.isdigit()) or len(s) > 9:
        raise X12Error(f"{shown(s)} is not a whole number", element=element_name(e, i))
    return int(s)


def optional(e: list[str], i: int) -> str:
    return e[i] if i < len(e) else ""


def code(e: list[str], i: int, allowed: frozenset[str] | dict[str, str], what: str) -> str:
    """Element i, which must be one of the allowed codes."""
    s = e[i] if i < len(e) else ""
    if s in allowed:
        return s
    problem = f"{shown(s)} is not a {what}" if s else f"the {what} is missing"
    raise X12Error(problem, element=element_name(e, i))


def date8(e: list[str], i: int) -> dt.date:
    """Element i as a CCYYMMDD date (the value is not echoed: dates can be PHI)."""
    try:
        return DATES[e[i]]
    except (KeyError, IndexError):
        return parse_date8(e[i] if i < len(e) else "", element_name(e, i))


def parse_date8(s: str, element: str) -> dt.date:
    if len(s) == 8 and s.isascii() and s.isdigit():
        try:
            value = dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
        except ValueError:
            pass
        else:
            return remember(DATES, s, value)
    raise X12Error("not a date written CCYYMMDD" if s else "the date is missing", element=element)


# Amounts and dates written, as their text: a claim file repeats fee-schedule amounts and
# dates of service as a remittance does (bounded as MONEY; only amounts of whole cents, which
# no rounding context can change).
AMOUNT_TEXTS: dict[Decimal, str] = {}
DATE_TEXTS: dict[dt.date, str] = {}


def format_amount(value: Decimal) -> str:
    """An amount as X12 writes it: no trailing zeros after the point (96, 96.5, 96.25)."""
    try:
        return AMOUNT_TEXTS[value]
    except (KeyError, TypeError):  # TypeError: a signaling NaN, refused below
        pass
    if not value.is_finite():
        raise ValueError(f"not an amount: {value}")
    q = value.quantize(_CENT)
    s = format(q, "f").rstrip("0").rstrip(".") if q else "0"
    return remember(AMOUNT_TEXTS, value, s) if q == value else s


def format_date(value: dt.date) -> str:
    try:
        return DATE_TEXTS[value]
    except KeyError:  # CCYYMMDD (years 1 to 9999: four digits)
        return remember(DATE_TEXTS, value, value.isoformat().replace("-", ""))
