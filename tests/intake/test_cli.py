"""`--from` on the commands that read visits, and the notice of a recognised format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.intake.numbers import loads

FIXTURES = Path(__file__).parent / "fixtures"
EMR = str(FIXTURES / "intake.toml")


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.stdout, r.stderr


def test_code_recognises_hl7_and_says_so() -> None:
    code, out, err = _run("--config", EMR, "code", str(FIXTURES / "dft_p03.hl7"), "--json")
    assert code == 0, err
    assert [v["visit_id"] for v in json.loads(out)] == ["V-2026-0101", "V-2026-0102", "V-2026-0103"]
    assert "read as HL7 v2 (DFT^P03) (recognised from its content; --from chooses)" in err


def test_a_format_given_with_from_is_not_announced() -> None:
    code, out, err = _run("scrub", "--from", "fhir", str(FIXTURES / "bundle.json"), "--json")
    assert code in (0, 1) and "recognised" not in err
    assert json.loads(out)[0]["visit_id"] == "ENC-2026-0302-01"


def test_the_wrong_format_given_is_refused_clearly() -> None:
    code, _, err = _run("price", "--from", "csv", str(FIXTURES / "dft_p03.hl7"))
    assert code == 2
    assert "row 1: no column visit_id or code" in err and "[intake.csv.columns]" in err


def test_an_unrecognised_payer_names_the_mapping_table_on_the_command_line() -> None:
    code, _, err = _run("code", str(FIXTURES / "dft_p03.hl7"))  # without the EMR's mapping
    assert code == 2
    assert "IN1[1]-3: payer 'BCBS-IL' is not recognised" in err
    assert '[intake.payers] ("BCBS-IL" = "KEY")' in err  # shown, not taken for markup


def test_claim_and_import_take_from(tmp_path: Path) -> None:
    out = tmp_path / "out.837"
    code, _, err = _run(
        "claim", "--from", "csv", str(FIXTURES / "charges_default.csv"), "-o", str(out),
        "--as-of", "2026-03-10",
    )  # fmt: skip
    assert code in (0, 1), err
    db = f"sqlite:///{tmp_path / 'l.db'}"
    code, stdout, err = _run(
        "--db", db, "--config", EMR, "import", str(FIXTURES / "charges_emr.csv"), "--json",
        "--as-of", "2026-03-10",
    )  # fmt: skip
    assert code in (0, 1), err
    assert json.loads(stdout)["read"] == 2


def test_a_number_beyond_any_decimal_is_bad_json_in_every_json_layout(tmp_path: Path) -> None:
    """1.5e1000000000000000000 fits no Decimal: it was a traceback (decimal.InvalidOperation)."""
    number = "1.5e1000000000000000000"
    layouts = {
        "one.json": f'{{"visit_id": "V1", "units": {number}}}',
        "list.json": f'[{{"visit_id": "V1", "units": {number}}}]',
        "lines.jsonl": f'{{"visit_id": "V1", "units": {number}}}\n{{"visit_id": "V2"}}\n',
    }
    for name, text in layouts.items():
        path = tmp_path / name
        path.write_text(text)
        code, out, err = _run("scrub", str(path), "--json")
        assert code == 2 and out == "", (name, err)
        assert f"{path}: line 1" in err and "a number is out of range" in err, (name, err)


@pytest.mark.parametrize(
    "command", [["scrub"], ["code", "--json"], ["import", "--as-of", "2025-03-10"]]
)
def test_a_number_beyond_any_decimal_is_named_at_its_line_and_column(
    tmp_path: Path, command: list[str]
) -> None:
    """In every JSON layout and command (`import` was a traceback, decimal.InvalidOperation,
    for JSON Lines and a one-line object), the error names the number's line and column."""
    number = "1e99999999999999999999"
    layouts = {
        "one.json": (f'{{"visit_id": "V1",\n "units": {number}}}', "line 2 column 11"),
        "list.json": (f'[{{"visit_id": "V1"}},\n {{"units": {number}}}]', "line 2 column 12"),
        "lines.jsonl": (f'{{"visit_id": "V0"}}\n{{"visit_id": "V1", "units": {number}}}\n',
                        "line 2 column 29"),
    }  # fmt: skip
    for name, (text, where) in layouts.items():
        path = tmp_path / name
        path.write_text(text)
        db = ["--db", f"sqlite:///{tmp_path / 'l.db'}"] if command[0] == "import" else []
        code, out, err = _run(*db, *command, str(path))
        assert code == 2 and out == "", (name, err)
        assert f"{path}: {where}: not valid JSON (a number is out of range)" in err, (name, err)
    with pytest.raises(json.JSONDecodeError) as caught:
        loads(f'{{"a": [1, 2.5,\n  {number}]}}'.encode())
    assert (caught.value.lineno, caught.value.colno) == (2, 3)


def _packaged(kind: str, path: Path) -> Path:
    visit = b'{"visit_id": "V-1"}\n'
    if kind == "gzip":
        import gzip

        path.write_bytes(gzip.compress(visit))
    elif kind == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as z:
            z.writestr("visits.jsonl", visit)
    elif kind == "pdf":
        path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    else:
        path.write_bytes(visit.decode().encode("utf-16"))  # with its byte order mark
    return path


@pytest.mark.parametrize(
    ("kind", "named", "fix"),
    [
        ("gzip", "a gzip-compressed file", "gunzip"),
        ("zip", "a ZIP archive (an Excel .xlsx workbook is one)", "save the sheet as CSV"),
        ("pdf", "a PDF document", "not a printout"),
        ("utf16", "UTF-16 text", "save it as UTF-8"),
    ],
)
@pytest.mark.parametrize("command", ["scrub", "import"])
def test_a_compressed_archived_pdf_or_utf16_file_is_named(
    tmp_path: Path, kind: str, named: str, fix: str, command: str
) -> None:
    # EMR exports come zipped, as spreadsheets or in Windows' UTF-16: "not recognised" or
    # "not UTF-8" said nothing of what the file is nor what to do.
    path = _packaged(kind, tmp_path / f"visits.{kind}")
    db = ("--db", f"sqlite:///{tmp_path / 'l.db'}")
    code, _, err = _run(*db, command, str(path), "--as-of", "2026-03-10")
    assert code == 2
    assert f"this is {named}, not visits" in err and fix in err


def _too_long_files(tmp_path: Path) -> dict[str, Path]:
    from tests.ledger.helpers import medicare_visit

    fine, big = medicare_visit("V-1"), medicare_visit("V-2")
    big["extensions"] = {"scanned_note": "A" * (3 << 20)}  # a document carried in the visit
    files = {
        "lines": tmp_path / "v.jsonl",
        "list": tmp_path / "v.json",
    }
    files["lines"].write_text(json.dumps(fine) + "\n" + json.dumps(big) + "\n")
    files["list"].write_text(json.dumps([fine, big]))
    return files


@pytest.mark.parametrize(
    ("layout", "args", "where"),
    [
        ("lines", ["scrub", "--json"], "line 2"),
        ("lines", ["scrub", "--json", "--workers", "2"], "line 2"),
        ("lines", ["import"], "line 2"),
        ("list", ["scrub", "--json"], "line 1 column"),
        ("list", ["import"], "line 1 column"),
    ],
)
def test_a_visit_longer_than_the_bound_is_refused_by_name(
    tmp_path: Path, layout: str, args: list[str], where: str
) -> None:
    # A visit's JSON may take 2 MB (docs/visit-format.md): a 150 MB line was read whole, made
    # a visit and scrubbed in 90 s and 480 MB.
    path = _too_long_files(tmp_path)[layout]
    db = ("--db", f"sqlite:///{tmp_path / 'l.db'}")
    code, out, err = _run(*db, *args, str(path), "--as-of", "2025-03-10")
    assert code == 2 and out == ""
    assert f"{path}: {where}" in err and "a visit longer than 2 MB" in err
    assert "keep documents and other large data out of it" in err


@pytest.mark.parametrize("fmt", ["csv", "hl7", "json"])
def test_a_file_not_in_utf8_says_where_and_how_to_save_it(tmp_path: Path, fmt: str) -> None:
    """A Windows-1252 export (Zoë) was told to 'save the file as JSON', whatever it was."""
    source = {"csv": "charges_default.csv", "hl7": "dft_p03.hl7", "json": "bundle.json"}[fmt]
    text = (FIXTURES / source).read_text(encoding="utf-8").replace("Ann", "Zo\u00eb", 1)
    path = tmp_path / f"export.{fmt}"
    path.write_bytes(text.encode("cp1252"))
    code, _, err = _run("--config", EMR, "scrub", str(path), "--as-of", "2026-03-10")
    assert code == 2
    at = text.encode("cp1252").index(b"\xeb") + 1
    assert f"not UTF-8 text (byte {at})" in err and "save it as UTF-8" in err, err
    assert "as JSON" not in err


@pytest.mark.parametrize("fmt", ["csv", "hl7"])
def test_a_file_holding_nul_bytes_is_refused_as_the_workbench_refuses_it(
    tmp_path: Path, fmt: str
) -> None:
    """The upload refused it ('binary data (NUL bytes)'); the command line billed a patient
    named 'A\\x00nn'."""
    source = {"csv": "charges_default.csv", "hl7": "dft_p03.hl7"}[fmt]
    with (FIXTURES / source).open(encoding="utf-8", newline="") as f:
        text = f.read().replace("Ann", "A\x00nn", 1)
    path = tmp_path / f"export.{fmt}"
    path.write_text(text, encoding="utf-8", newline="")
    config = ("--config", EMR) if fmt == "hl7" else ()
    code, _, err = _run(*config, "scrub", str(path), "--as-of", "2026-03-10")
    assert code == 2
    at = text.encode().index(b"\x00") + 1
    assert f"the file holds binary data (NUL bytes, the first at byte {at})" in err, err
