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


def _patient(message: str) -> tuple[str | None, str | None]:
    config = load_config(str(FIXTURES / "intake.toml"))
    [visit] = read_visits(message, "in.hl7", "hl7", config)
    return visit.patient.last_name, visit.patient.first_name


@pytest.mark.parametrize(
    ("written", "name"),
    [
        # HL7 v2.5 §2.7.4: \Xhh..\ is hexadecimal data; the text is UTF-8, so é is C3 A9
        ("Jos\\XC3A9\\", "José"),
        # \H\ and \N\ start and end highlighting, which a claim does not carry
        ("\\H\\Ann\\N\\", "Ann"),
        ("Ann\\T\\Lee", "Ann&Lee"),
        # not hex, or bytes that are no UTF-8 letter: kept as written
        ("Ann\\XZZ\\", "Ann\\XZZ\\"),
        ("Ann\\X0D\\", "Ann\\X0D\\"),
    ],
)
def test_escape_sequences_in_a_name_are_what_they_stand_for(written: str, name: str) -> None:
    message = _message()
    assert "|Lee^Ann^Q|" in message
    assert _patient(message.replace("|Lee^Ann^Q|", f"|Lee^{written}^Q|", 1)) == ("Lee", name)


@pytest.mark.parametrize("amount", ["1E2", "1_000", "NaN", "Infinity", "96.00 USD"])
def test_a_charge_that_is_no_hl7_number_is_refused(amount: str) -> None:
    # HL7 v2.5 §2.A.47, NM: an optional sign, digits and an optional decimal point; Decimal()
    # would take "1E2" as 100 and "1_000" as 1000
    with pytest.raises((InputError, InputErrors)) as caught:
        _read(_message().replace("|96.00|", f"|{amount}|", 1))
    assert "FT1[1]-11" in str(caught.value) and "is not an amount" in str(caught.value)


@pytest.mark.parametrize("units", ["1E0", "9" * 5_000])
def test_units_that_are_no_whole_hl7_number_are_refused(units: str) -> None:
    ft1 = next(s for s in _message().split("\r") if s.startswith("FT1|"))
    fields = ft1.split("|")
    assert fields[10] == "2"  # FT1-10, the quantity
    changed = "|".join([*fields[:10], units, *fields[11:]])
    with pytest.raises((InputError, InputErrors)) as caught:
        _read(_message().replace(ft1, changed, 1))
    assert "FT1[1]-10" in str(caught.value)


@pytest.mark.parametrize(
    ("msh9", "said"),
    [
        ("ADT^A01", "an ADT^A01 message is not a charge"),
        ("DFT", "a DFT message is not a charge"),  # no trigger event
        ("", "a message without a type is not a charge"),
    ],
)
def test_a_message_of_another_type_is_named_as_written(msh9: str, said: str) -> None:
    assert "|DFT^P03|" in _message()
    with pytest.raises((InputError, InputErrors)) as caught:
        _read(_message().replace("|DFT^P03|", f"|{msh9}|", 1))
    assert "MSH-9" in str(caught.value) and said in str(caught.value)
    assert "None" not in str(caught.value)
