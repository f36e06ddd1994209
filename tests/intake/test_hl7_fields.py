"""HL7 v2 fields as conformant senders write them: FT1-11 is a CP (composite price), whose
first component is an MO, amount & currency (HL7 v2.5 data types)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import read_visits

FIXTURES = Path(__file__).parent / "fixtures"


def _message() -> str:
    with (FIXTURES / "dft_p03.hl7").open(encoding="utf-8", newline="") as f:
        return f.read().split("\r\n")[0]


def _read(message: str) -> list[Decimal | None]:
    [visit] = read_visits(message, "in.hl7", "hl7", load_config(str(FIXTURES / "intake.toml")))
    return [s.charge for s in visit.services]


@pytest.mark.parametrize("amount", ["96.00&USD", "96.00&USD^UP", "96.00^UP"])
def test_a_charge_written_as_a_composite_price_is_its_amount(amount: str) -> None:
    assert "|96.00|" in _message()
    assert _read(_message().replace("|96.00|", f"|{amount}|", 1))[0] == Decimal("96.00")


def test_a_charge_in_another_currency_is_refused() -> None:
    with pytest.raises((InputError, InputErrors)) as caught:
        _read(_message().replace("|96.00|", "|96.00&CAD|", 1))
    assert "FT1[1]-11" in str(caught.value) and "CAD" in str(caught.value)
