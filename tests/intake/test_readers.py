"""Each hand-written fixture (a FHIR Bundle, a FHIR Claim, a DFT^P03 file of several messages,
a CSV in the default layout and one in an EMR's own layout) reads into the visits written
beside it (NAME.expected.json), and bad input is refused naming the file, the message or row,
the segment or element and the fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ptbill.config import load_config
from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake import load_visits, read_visits
from ptbill.intake.detect import sniff
from ptbill.intake.stream import blank

FIXTURES = Path(__file__).parent / "fixtures"
EMR = FIXTURES / "intake.toml"


def _config(name: str) -> Config:
    return load_config(str(EMR)) if name in ("dft_p03.hl7", "charges_emr.csv") else load_config()


def _dump(v: Visit) -> dict[str, Any]:
    return v.model_dump(mode="python")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("bundle.json", "fhir"),
        ("claim.json", "fhir"),
        ("dft_p03.hl7", "hl7"),
        ("charges_default.csv", "csv"),
        ("charges_emr.csv", "csv"),
    ],
)
def test_a_fixture_reads_into_its_expected_visits(name: str, fmt: str) -> None:
    path = FIXTURES / name
    assert sniff(path.read_text(encoding="utf-8")) == fmt
    heard: list[str] = []
    got = load_visits(path, config=_config(name), notify=heard.append)
    assert heard == [f"{path}: read as {heard[0].split('read as ')[1]}"]
    expected_file = FIXTURES / f"{name.rsplit('.', 1)[0]}.expected.json"
    expected = [Visit.model_validate(d) for d in json.loads(expected_file.read_text())]
    assert [_dump(v) for v in got] == [_dump(v) for v in expected]
    # and the same with the format given
    assert [_dump(v) for v in load_visits(path, fmt, _config(name))] == [_dump(v) for v in got]


def test_the_bundle_maps_what_the_issue_names() -> None:
    [v] = load_visits(FIXTURES / "bundle.json", config=load_config())
    assert v.clinic == "elm-street-pt"  # the Organization's NPI is the configured clinic's
    assert [c.payer for c in v.coverages or []] == ["medicare", "commercial"]
    assert v.payer == "medicare" and v.subscriber.member_id == "1EG4TE5MK73"
    assert v.diagnoses == ["M17.11", "M25.561"]  # by Encounter.diagnosis rank
    first, second, third = v.services
    assert (first.minutes, first.units, str(first.charge)) == (24, 2, "96.00")  # as written
    assert first.diagnosis_pointers == [1, 2]
    assert (second.minutes, second.assistant_minutes) == (13, 4)  # the PTA's 4 minutes
    assert third.minutes is None and third.code == "97010"


def _refusal(text: str, fmt: str | None = None, config: Config | None = None) -> list[str]:
    with pytest.raises((InputError, InputErrors)) as caught:
        read_visits(text, "in.txt", fmt, config or load_config())
    e = caught.value
    return [x.render() for x in (e.errors if isinstance(e, InputErrors) else [e])]


def _hl7() -> str:
    with (FIXTURES / "dft_p03.hl7").open(encoding="utf-8", newline="") as f:
        return f.read()  # segments end with CR, messages with CRLF


def test_an_hl7_charge_without_a_code_names_the_message_and_ft1_7() -> None:
    text = _hl7().replace("|CG|97140^Manual therapy^CPT4|", "|CG||")
    [error] = _refusal(text, config=load_config(str(EMR)))
    assert error.startswith("in.txt: message 1 (MSG0001), FT1[2]-7: ")
    assert "no procedure code" in error and "Fix: send the CPT/HCPCS code in FT1-7" in error


def test_one_bad_message_refuses_the_whole_file() -> None:
    text = _hl7().replace("|20260303||CG|", "|2026-03-03||CG|")
    errors = _refusal(text, config=load_config(str(EMR)))
    assert len(errors) == 1 and "message 2 (MSG0002), FT1[1]-4" in errors[0]
    assert "YYYYMMDD" in errors[0]


def test_an_unrecognised_payer_names_the_value_and_the_mapping_table() -> None:
    # message 2 alone, read without the EMR's [intake.payers]
    [error] = _refusal(_hl7().split("\r\n")[1], "hl7")
    assert "IN1[1]-3" in error and "payer 'BCBS-IL' is not recognised" in error
    assert "[intake.payers]" in error


def test_a_value_the_visit_format_refuses_is_reported_at_its_segment() -> None:
    text = _hl7().replace("|1EG4TE5MK73", "|")
    errors = _refusal(text, config=load_config(str(EMR)))
    assert any("message 1 (MSG0001), IN1[1]-36 (subscriber.member_id)" in e for e in errors)


def test_a_zpv_field_of_one_message_changes_no_other_message() -> None:
    """Messages 1 and 2 have the same rendering provider (PV1-7), read once; a ZPV-1 dotted
    field of message 1 changed it in message 2 too."""
    zpv = 'ZPV|{"rendering_provider.last_name": "Ortiz-Diaz"}'
    text = _hl7().replace("|1EG4TE5MK73", f"|1EG4TE5MK73\r{zpv}")
    first, second, _ = read_visits(text, "in.hl7", "hl7", load_config(str(EMR)))
    assert first.rendering_provider.last_name == "Ortiz-Diaz"
    assert second.rendering_provider.last_name == "Ortiz"
    assert first.rendering_provider.npi == second.rendering_provider.npi == "1679576722"


def test_a_zpv_field_under_a_value_that_is_not_an_object_is_refused() -> None:
    """(It was a traceback: TypeError, 'str' object does not support item assignment.)"""
    text = _hl7().replace("|1EG4TE5MK73", '|1EG4TE5MK73\rZPV|{"visit_id.x": 1}')
    errors = _refusal(text, "hl7", load_config(str(EMR)))
    assert any("message 1 (MSG0001)" in e and "(visit_id)" in e for e in errors)


def test_a_fhir_procedure_with_a_bad_period_names_the_element() -> None:
    text = (
        (FIXTURES / "bundle.json")
        .read_text()
        .replace('"end": "2026-03-02T09:42:00-06:00"', '"end": "soon"')
    )
    [error] = _refusal(text)
    assert "Procedure[2].performedPeriod.end" in error and "is not a FHIR dateTime" in error


def test_a_fhir_bundle_cut_short_names_the_line_where_it_breaks() -> None:
    """A pretty-printed Bundle is not NDJSON: its error is where the document breaks, not
    that its first line ('{') is no JSON of its own."""
    text = (FIXTURES / "bundle.json").read_text()
    cut = text[: len(text) // 2]
    [error] = _refusal(cut)
    assert f"line {cut.count(chr(10)) + 1}: not valid JSON (" in error


def test_a_fhir_given_name_sent_as_a_bare_string_is_the_whole_name(tmp_path: Path) -> None:
    """FHIR's HumanName.given is a list; an export that sends one bare string means that name
    (it was read as its first letter)."""
    path = tmp_path / "bundle.json"
    path.write_text(
        (FIXTURES / "bundle.json").read_text().replace('"given": ["Ann"]', '"given": "Ann"')
    )
    [v] = load_visits(path, config=load_config())
    assert v.patient.first_name == "Ann"


def test_a_fhir_extension_with_a_number_too_large_for_a_decimal_is_refused() -> None:
    """JSON reads 1e99999999999999999999 as a Decimal that cannot be made (it was a
    traceback, decimal.InvalidOperation)."""
    visit = '{\\"total_timed_minutes\\": 1e99999999999999999999}'
    extension = (
        '"extension": [{"url": "https://ptbill.dev/fhir/StructureDefinition/visit", '
        f'"valueString": "{visit}"}}], '
    )
    text = (
        (FIXTURES / "bundle.json")
        .read_text()
        .replace('"resourceType": "Encounter", ', '"resourceType": "Encounter", ' + extension)
    )
    [error] = _refusal(text, "fhir")
    assert "Encounter[1].extension(https://ptbill.dev/fhir/StructureDefinition/visit)" in error
    assert "expected a JSON object as valueString" in error


def test_a_fhir_resource_that_breaks_the_r4_model_is_refused_when_validated_in_full() -> None:
    from ptbill.intake import fhir

    text = (FIXTURES / "bundle.json").read_text().replace('"gender": "female"', '"gender": 7')
    with pytest.raises(InputErrors) as caught:
        fhir.read(text, "in.json", load_config(), validate="full")
    assert any("Patient[1].gender" in e.render() for e in caught.value.errors)


def test_a_csv_cell_names_its_row_and_column() -> None:
    text = (FIXTURES / "charges_emr.csv").read_text().replace(";13;1;", ";thirteen;1;")
    errors = _refusal(text, config=load_config(str(EMR)))
    assert any("rows 2-3, row 3, column Min (services[1].minutes)" in e for e in errors), errors


def test_a_csv_date_in_another_format_says_which_formats_it_tried() -> None:
    text = (FIXTURES / "charges_emr.csv").read_text().replace("03/03/2026", "2026-03-03")
    [error] = _refusal(text, config=load_config(str(EMR)))
    assert "row 4, column DOS" in error and "%m/%d/%Y" in error


def test_a_csv_visit_whose_rows_disagree_is_refused() -> None:
    text = (FIXTURES / "charges_emr.csv").read_text()
    lines = text.splitlines()
    lines[2] = lines[2].replace(";Lee;", ";Leigh;")
    [error] = _refusal("\n".join(lines) + "\n", config=load_config(str(EMR)))
    assert "row 3, column Patient Last" in error and "row 2" in error


def test_a_csv_column_of_a_whole_field_beside_one_of_its_parts_is_refused() -> None:
    """rendering_provider.npi cut to rendering_provider (found by the fuzzer: a traceback)."""
    text = (FIXTURES / "charges_default.csv").read_text()
    text = text.replace("rendering_provider.npi,", "rendering_provider,", 1)
    errors = _refusal(text)
    assert errors and all("whole and in parts" in e for e in errors), errors
    assert "row 2, column rendering_provider.last_name" in errors[0]


def test_an_unknown_format_is_refused_with_the_choices() -> None:
    [error] = _refusal("hello world")
    assert "could not be recognised" in error and "--from json|fhir|hl7|csv" in error


@pytest.mark.parametrize(
    ("name", "named", "reads"),
    [
        ("835-affect-nevada_medicaid_trimmed_isa.txt", "an 835 remittance", "ptbill remit"),
        ("999-greenriver-ncdma-rejected.txt", "a 999 acknowledgment", "ptbill ack"),
        ("277ca-hdi-277CA-all-fields.edi", "a 277CA claim acknowledgment", "ptbill ack"),
        ("837p-badx12-X222-chiropractic.edi", "an 837P professional claim", "the 999, 277CA"),
        # ISA16 '|' (a CSV separator) in the first line: still X12, not CSV charges.
        ("999-herophilus-accepted.txt", "a 999 acknowledgment", "ptbill ack"),
        ("277ca-imsweb-x12_277CA_rejected.txt", "a 277CA claim acknowledgment", "ptbill ack"),
        ("ta1-uhin-TA1.edi", "a TA1 interchange acknowledgment", "ptbill ack"),
    ],
)
def test_an_x12_file_given_for_visits_is_named_with_what_reads_it(
    name: str, named: str, reads: str
) -> None:
    corpus = Path(__file__).resolve().parents[2] / ".." / "shared" / "x12-corpus"
    [error] = _refusal((corpus / name).read_text(encoding="latin-1"))
    assert f"this is {named}, not a visit file" in error and reads in error


@pytest.mark.parametrize("text", ["", "\n  \n", "\ufeff"])
def test_an_empty_file_is_named_empty_whatever_reads_it(text: str) -> None:
    """`ptbill import` recognises the format before reading: an empty file is still empty,
    not a format to choose with --from."""
    [error] = _refusal(text)
    assert "the file is empty" in error and "--from" not in error


def test_an_x12_interchange_of_a_kind_ptbill_does_not_take_is_not_a_visit_file() -> None:
    head = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *"
    envelope = (
        f"{head}260101*1200*^*00501*000000001*0*P*:~GS*BE*A*B*20260101*1200*1*X*005010X220A1~"
    )
    [error] = _refusal(envelope)
    assert "this is an X12 interchange, not a visit file" in error


def test_a_visit_may_not_give_both_coverage_forms() -> None:
    [d] = json.loads((FIXTURES / "bundle.expected.json").read_text())
    d["payer"] = "medicare"
    errors = _refusal(json.dumps(d), "json")
    assert "not both" in errors[0]


def test_a_value_the_visit_format_refuses_names_the_fhir_element() -> None:
    text = (
        (FIXTURES / "bundle.json")
        .read_text()
        .replace('"end": "2026-03-02T09:29:00-06:00"', '"end": "2026-03-05T09:29:00-06:00"')
        .replace('"code": "97140"}]}', '"code": "9714"}]}')
    )
    errors = _refusal(text)
    assert any("Procedure[1].performedPeriod (services[0].minutes)" in e for e in errors)
    assert any("Procedure[2].code (services[1].code)" in e for e in errors)


def test_a_code_the_visit_format_refuses_names_ft1_7() -> None:
    text = _hl7().replace("|CG|97140^Manual therapy^CPT4|", "|CG|97-140|")
    [error] = _refusal(text, config=load_config(str(EMR)))
    assert "message 1 (MSG0001), FT1[2]-7 (services[1].code)" in error


def test_a_blank_line_is_what_strip_leaves_empty() -> None:
    # JSON Lines readers skip blank lines without copying each line (bytes.strip copies it).
    lines = [b"", b"\xef\xbb\xbf", b" \t\r\n\x0b\x0c", b"{}\n", b" {} ", b"\xa0\n", b"\x85\n"]
    lines += [bytes([c]) for c in range(256)] + [bytes([c]) + b"\n" for c in range(256)]
    for line in lines:
        assert blank(line) == (not line.strip()), line
