"""Numbers are read as written, in every format: a charge is the decimal the EMR sent, never a
binary float's nearest value (a FHIR charge with 17 significant digits, or finer than a cent,
is refused naming its element, as a JSON visit's is, not rounded to a cent in silence); and a
number whose exponent no visit field could hold is refused at once, not worked out digit by
digit (1E999999999 took minutes of CPU in the visit model's integer check)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.errors import InputError, InputErrors
from ptbill.intake import read_visits
from ptbill.intake.stream import parse_visit

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).parents[2] / "examples" / "visit-complete.json"
# 17 significant digits: a binary float reads it as 49.0 exactly, which a cent would hide.
FINER = "48.999999999999999"


def _errors(text: str, fmt: str, config_path: str | None = None) -> list[InputError]:
    with pytest.raises((InputError, InputErrors)) as caught:
        read_visits(text, "in.txt", fmt, load_config(config_path))
    e = caught.value
    return e.errors if isinstance(e, InputErrors) else [e]


def _bundle(price: str) -> str:
    text = (FIXTURES / "bundle.json").read_text(encoding="utf-8")
    sent = '"priceOverride": {"value": 96.00,'
    assert sent in text
    return text.replace(sent, sent.replace("96.00", price))


def test_a_fhir_charge_keeps_the_digits_it_was_sent_with() -> None:
    [visit] = read_visits(_bundle("96.50"), "in.txt", "fhir", load_config())
    assert str(visit.services[0].charge) == "96.50"  # not 96.5, a float's text


def test_a_fhir_charge_finer_than_a_float_is_refused_not_rounded() -> None:
    [error] = _errors(_bundle(FINER), "fhir")
    assert error.field is not None and "ChargeItem[1].priceOverride" in error.field
    assert "services[0].charge" in error.field


def test_a_fhir_charge_is_read_exactly_by_the_generic_reader_too() -> None:
    # an element the typed reader does not declare sends the Bundle to the generic reader
    doc = json.loads(_bundle("96.50"), parse_float=Decimal)
    doc["entry"][0]["resource"]["language"] = "en-US"
    text = json.dumps(doc, default=str).replace('"96.50"', FINER)
    [error] = _errors(text, "fhir")
    assert error.field is not None and "ChargeItem[1].priceOverride" in error.field


def test_a_fhir_claim_item_net_finer_than_a_float_is_refused() -> None:
    text = (FIXTURES / "claim.json").read_text(encoding="utf-8")
    assert '"value": 104.0,' in text
    [error] = _errors(text.replace('"value": 104.0,', f'"value": {FINER},'), "fhir")
    assert error.field is not None and "Claim[1].item[0].net" in error.field


def test_an_ndjson_charge_finer_than_a_float_is_refused() -> None:
    doc = json.loads(_bundle("96.50"), parse_float=Decimal)
    other = {"resourceType": "Location", "id": "loc-2", "name": "Annex"}
    text = json.dumps(doc, default=str) + "\n" + json.dumps(other) + "\n"
    [error] = _errors(text.replace('"96.50"', FINER), "fhir")
    assert error.field is not None and "ChargeItem[1].priceOverride" in error.field


def _hl7() -> str:
    with (FIXTURES / "dft_p03.hl7").open(encoding="utf-8", newline="") as f:
        return f.read().split("\r\n")[0]


def test_an_hl7_service_field_in_zsv_json_is_read_exactly() -> None:
    message = _hl7().replace("ZSV|1|24|0", 'ZSV|1|24|0|{"charge": ' + FINER + "}", 1)
    [error] = _errors(message, "hl7", str(FIXTURES / "intake.toml"))
    assert error.field is not None and "ZSV[1]-4" in error.field


def _scrub(path: Path, fmt: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`ptbill scrub` in a process of its own: a reader that hangs (in C, where no signal
    reaches it) fails the test after 20 seconds instead of stopping the suite."""
    command = [sys.executable, "-m", "ptbill", *options, "scrub", str(path), "--from", fmt]
    return subprocess.run(
        [*command, "--json", "--as-of", "2025-03-10"], capture_output=True, text=True, timeout=20
    )


@pytest.mark.parametrize("number", ["1E999999999", "-1E999999999", "1E-999999999"])
@pytest.mark.parametrize("layout", ["object", "lines"])
def test_a_json_visit_number_of_absurd_exponent_is_refused_at_once(
    tmp_path: Path, number: str, layout: str
) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    if layout == "lines":
        text = json.dumps(json.loads(text)) + "\n"
    path = tmp_path / "visits.json"
    path.write_text(text.replace('"minutes": 24', f'"minutes": {number}'), encoding="utf-8")
    done = _scrub(path, "json")
    assert done.returncode == 2, done.stderr
    assert "visits.json" in done.stderr and "Traceback" not in done.stderr


def test_an_hl7_quantity_of_absurd_exponent_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "charges.hl7"
    path.write_text(_hl7().replace("|||2|96.00|", "|||1E999999999|96.00|", 1), encoding="utf-8")
    done = _scrub(path, "hl7", "--config", str(FIXTURES / "intake.toml"))
    assert done.returncode == 2, done.stderr
    assert "FT1[1]-10" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("spelled", ["48.50", "  48.50", "\t48.50", "4850E-2", "4850e-2"])
def test_a_json_lines_charge_written_as_a_number_is_read_exactly(spelled: str) -> None:
    # A line whose number has a fraction or an exponent, however it is spaced, is read by json
    # with exact decimals: pydantic's JSON parser would make "48.50" the float 48.5.
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    doc["services"][0]["charge"] = "CHARGE"
    line = json.dumps(doc).replace(' "CHARGE"', spelled).encode()
    visit = parse_visit(line)
    assert str(visit.services[0].charge) == "48.50"
    assert visit.services[0].charge == Decimal("48.50")
