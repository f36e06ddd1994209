"""Each clinic's claims go out under its own clearinghouse account: `submit` makes one 837P
interchange for each submitter (1000A, ISA06) and receiver (1000B, ISA08) the claims' clinics
send as and to. The demo configuration's two clinics have submitters of their own (ELMST001,
OAKAV001): one interchange used to carry both, under whichever clinic's claim came first."""

from __future__ import annotations

import json
from pathlib import Path

from ptbill.x12.tokenizer import split_text
from tests.ledger.helpers import medicare_visit, write_visits
from tests.ledger.test_cli import run
from tests.x12.pyx12_check import assert_valid

ELM, OAK = "1234567893", "1234567901"  # the clinics' NPIs (demo-clinic.toml)


def _envelope(text: str) -> tuple[str, str, set[str]]:
    """ISA06, ISA08 and the billing providers' NPIs (2010AA NM1*85) of an interchange."""
    segments = split_text(text)
    isa = next(e for e in segments if e[0] == "ISA")
    npis = {e[9] for e in segments if e[0] == "NM1" and e[1] == "85"}
    return isa[6].strip(), isa[8].strip(), npis


def test_each_clinic_is_sent_under_its_own_submitter(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    visits = [
        medicare_visit("V-1", clinic="oak-avenue-pt"),  # Oak's first: it named the interchange
        medicare_visit("V-2", patient="P-2"),
        medicare_visit("V-3", patient="P-3", clinic="oak-avenue-pt"),
    ]
    path = write_visits(tmp_path / "v.jsonl", visits)
    assert run("--db", db, "import", path, "--as-of", "2025-03-10").exit_code == 0
    r = run(
        "--db", db, "submit", "-o", str(tmp_path / "batch.837"), "--as-of", "2025-03-10", "--json"
    )
    assert r.exit_code == 0, r.output
    answer = json.loads(r.output)
    assert sorted(answer["claims"]) == ["V-1", "V-2", "V-3"]
    sent = {(i["sender"], i["receiver"]): i for i in answer["interchanges"]}
    assert set(sent) == {("ELMST001", "DEMOCH01"), ("OAKAV001", "DEMOCH01")}
    assert [sent[k]["claims"] for k in sorted(sent)] == [1, 2]
    assert (
        answer["interchange_control_number"]
        == answer["interchanges"][0]["interchange_control_number"]
    )
    assert not (tmp_path / "batch.837").exists()  # several: each file named for its account
    for (sender, receiver), npi in (
        (("ELMST001", "DEMOCH01"), ELM),
        (("OAKAV001", "DEMOCH01"), OAK),
    ):
        file = tmp_path / f"batch.{sender}-{receiver}.837"
        assert sent[(sender, receiver)]["file"] == str(file)
        text = file.read_text()
        assert _envelope(text) == (sender, receiver, {npi})
        assert_valid(text)
    # The ledger's record of each is its own (what `exchange run` uploads and routes by ISA08).
    r = run("--db", db, "show", "V-2", "--json")
    assert "batch.ELMST001-DEMOCH01.837" in r.output, r.output


def test_one_account_one_file_as_named(tmp_path: Path) -> None:
    """One account: the file named -o; its line for people on one line when piped (rich wrapped
    stdout at 80 columns: a script's grep of the path failed on a long one)."""
    db = str(tmp_path / "l.db")
    path = write_visits(
        tmp_path / "v.jsonl", [medicare_visit("V-1"), medicare_visit("V-2", patient="P-2")]
    )
    assert run("--db", db, "import", path, "--as-of", "2025-03-10").exit_code == 0
    folder = tmp_path / ("a-folder-name-long-enough-to-pass-eighty-columns-" * 2)
    folder.mkdir()
    r = run("--db", db, "submit", "-o", str(folder / "batch.837"), "--as-of", "2025-03-10")
    assert r.exit_code == 0, r.output
    assert f"written to {folder / 'batch.837'} (interchange 000000001)" in r.output.splitlines()[0]
    assert _envelope((folder / "batch.837").read_text()) == ("ELMST001", "DEMOCH01", {ELM})
    assert [p.name for p in folder.iterdir()] == ["batch.837"]


def test_clinics_of_one_account_share_an_interchange(tmp_path: Path) -> None:
    """A billing company's clinics under its one submitter id (each spelling its name): one
    interchange, one file; eligibility questions about both go out together."""
    from ptbill.config.profiles import bundled_demo_config_text

    config = tmp_path / "company.toml"
    config.write_text(
        bundled_demo_config_text().replace('id = "OAKAV001"', 'id = "ELMST001"'), "utf-8"
    )
    db = str(tmp_path / "l.db")
    visits = [medicare_visit("V-1", clinic="oak-avenue-pt"), medicare_visit("V-2", patient="P-2")]
    path = write_visits(tmp_path / "v.jsonl", visits)
    base = ("--config", str(config), "--db", db)
    assert run(*base, "import", path, "--as-of", "2025-03-10").exit_code == 0
    r = run(*base, "submit", "-o", str(tmp_path / "batch.837"), "--as-of", "2025-03-10")
    assert r.exit_code == 0, r.output
    assert _envelope((tmp_path / "batch.837").read_text()) == ("ELMST001", "DEMOCH01", {ELM, OAK})
    day = "2025-03-03"  # medicare_visit's date of service
    r = run(*base, "eligibility", "request", "--date", day, "-o", str(tmp_path / "d.270"))
    assert r.exit_code == 0, r.output
