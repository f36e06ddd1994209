"""The NCCI importers on synthetic files in CMS's real layouts (tests/scrub/data/README.md):
parsing, release naming, storage with provenance, and scrub findings that name the release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ptbill.cli.main import cli
from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.importers.ncci import (
    import_mue,
    import_ptp,
    parse_ptp,
    ptp_release_name,
)
from ptbill.reference.mue import mue_table
from ptbill.reference.ncci import ptp_table
from ptbill.reference.snapshot import take_snapshot
from tests.scrub.helpers import CLINIC_TOML, base_dict, run_case, timed

DATA = Path(__file__).parent / "data"
PTP = [DATA / "ccipra-v322r0-f1.txt", DATA / "ccipra-v322r0-f2.txt"]
MUE = DATA / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The folder the importers write to; the command line finds it through PTBILL_DATA.
    monkeypatch.setenv("PTBILL_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def test_ptp_file_rows_and_dates() -> None:
    rows = parse_ptp(PTP[0].read_text(), "f1")
    assert [(r.column1, r.column2, r.indicator) for r in rows] == [
        ("0001A", "0591T", "1"),
        ("97110", "97112", "1"),
        ("97110", "97116", "1"),
        ("97110", "97535", "0"),
    ]
    deleted = rows[2]
    assert str(deleted.effective) == "2025-01-01" and str(deleted.deletion) == "2026-02-28"
    assert rows[1].deletion is None and not rows[1].prior_1996


@pytest.mark.parametrize(
    ("names", "release"),
    [
        (["ccipra-v322r0-f1.txt", "ccipra-v322r0-f4.txt"], "ptp-2026q3"),
        (["ccipra-v310r0-f1.txt"], "ptp-2025q1"),
        (["ccipra-v323r1-f2.txt"], "ptp-2026q4r1"),
    ],
)
def test_release_names_come_from_the_ncci_version(names: list[str], release: str) -> None:
    assert ptp_release_name([Path(n) for n in names])[0] == release


def test_mixed_versions_or_unknown_names_need_release() -> None:
    with pytest.raises(InputError, match="one NCCI version"):
        ptp_release_name([Path("ccipra-v322r0-f1.txt"), Path("ccipra-v323r0-f2.txt")])
    with pytest.raises(InputError, match="--release"):
        ptp_release_name([Path("edits.txt")])


def test_import_ptp_keeps_pt_edits_with_provenance(data_dir: Path) -> None:
    imported = import_ptp(data_dir, PTP)
    assert imported.release == "ptp-2026q3"
    m = imported.manifest
    assert m["rows_read"] == 7 and m["rows"] == 5  # 0001A/0591T and 99213/97110 dropped
    assert [s["file"] for s in m["sources"]] == [p.name for p in PTP]
    assert m["sources"][0]["sha256"] == store.sha256_of(PTP[0])
    assert m["ncci_version"] == "32.2r0" and str(m["quarter_starts"]) == "2026-07-01"
    assert store.manifest(data_dir, "ncci-ptp", "ptp-2026q3")["rows"] == 5
    assert import_ptp(data_dir, PTP, "ptp-all", all_codes=True).manifest["rows"] == 7


def test_imported_ptp_dates_and_indicators(data_dir: Path) -> None:
    import datetime as dt

    import_ptp(data_dir, PTP)
    table = ptp_table("ptp-2026q3", take_snapshot(data_dir))
    assert table.verified and table.release == "ptp-2026q3"
    day = dt.date(2026, 3, 2)
    assert table.edit_for("97112", "97110", day).column2 == "97112"  # either order
    assert table.edit_for("97110", "97116", day) is None  # deleted 2026-02-28
    assert table.edit_for("97110", "97116", dt.date(2026, 2, 28)) is not None  # its last day
    assert table.edit_for("97110", "97535", day) is None  # effective 2026-04-01
    assert table.edit_for("97110", "97535", dt.date(2026, 4, 1)).modifier_indicator == "0"
    assert table.edit_for("97116", "97112", day) is None  # indicator 9


def test_scrub_names_the_imported_release(data_dir: Path) -> None:
    import_ptp(data_dir, PTP)
    case = {
        "services": [timed("97110", 15), timed("97112", 15)],
        "profile": {"ncci_table": "ptp-2026q3"},
    }
    r = run_case(case, take_snapshot(data_dir))
    f = [x for x in r.findings if x.rule == "NCCI-PTP"]
    assert len(f) == 1 and f[0].severity == "error" and f[0].line == 2
    assert f[0].data_release == "ptp-2026q3"
    assert "NCCI PTP release ptp-2026q3" in f[0].message and "UNVERIFIED" not in f[0].message
    # the unverified bundled table has no 97110/97112 pair
    assert "NCCI-PTP" not in run_case({"services": case["services"]}).rules()


def test_bad_ptp_files_are_input_errors(tmp_path: Path) -> None:
    broken = tmp_path / "ccipra-v322r0-f1.txt"
    broken.write_text(PTP[0].read_text() + "97110\t97112\tnot a date\n")
    with pytest.raises(InputError) as e:
        import_ptp(tmp_path, [broken])
    assert e.value.field == "line 11" and "not a PTP edit" in e.value.problem
    headless = tmp_path / "ccipra-v322r0-f3.txt"
    headless.write_text("97110\t97112\t\t20260101\t*\t1\tx\n")
    with pytest.raises(InputError, match="header"):
        import_ptp(tmp_path, [headless])
    with pytest.raises(InputError, match="unzip"):
        import_ptp(tmp_path, [tmp_path / "ccipra.zip"])


def test_unknown_release_in_a_profile_is_an_input_error(data_dir: Path) -> None:
    import_ptp(data_dir, PTP)
    reference = take_snapshot(data_dir)
    with pytest.raises(InputError) as e:
        ptp_table("ptp-2031q1", reference)
    assert "ncci-ptp" in e.value.fix and "no such release" in e.value.problem
    assert "ptp-2026q3" in e.value.fix and str(data_dir) in e.value.file
    with pytest.raises(InputError):
        mue_table("mue-2031q1", reference)
    # a release the snapshot does not hold is not read from the folder behind its back
    with pytest.raises(InputError, match="no such release"):
        ptp_table("ptp-2026q3", take_snapshot(None))


def test_import_mue_and_mai_semantics(data_dir: Path) -> None:
    imported = import_mue(data_dir, [MUE])
    assert imported.release == "mue-2026q3" and imported.manifest["rows"] == 4
    assert str(imported.manifest["effective"]) == "2026-07-01"
    reference = take_snapshot(data_dir)
    table = mue_table("mue-2026q3", reference)
    assert (table.get("97110").value, table.get("97110").mai) == (2, 1)
    assert table.get("97112").mai == 2 and table.release_for("97112") == "mue-2026q3"

    use = {"MUE-UNITS": {"table": "mue-2026q3"}}
    # MAI 1 (line edit): 60 minutes, 30 by the assistant -> 2 plain + 2 CQ units on two lines,
    # each line within 2: no finding, although the day's 4 units pass 2.
    split = run_case(
        {
            "services": [timed("97110", 60, assistant_minutes=30)],
            "rules": use,
            "set": {"supervising_provider": {"npi": "1234567893"}},
        },
        reference,
    )
    assert "MUE-UNITS" not in split.rules()
    # the same code on one line of 3 units fails its line edit
    one = run_case({"services": [timed("97110", 45)], "rules": use}, reference)
    [f] = [x for x in one.findings if x.rule == "MUE-UNITS"]
    assert "MAI 1" in f.message and f.data_release == "mue-2026q3" and f.line == 1
    # MAI 2 (policy, per day): 30 minutes of 97112 = 2 units over 1
    policy = run_case({"services": [timed("97112", 30)], "rules": use}, reference)
    [f] = [x for x in policy.findings if x.rule == "MUE-UNITS"]
    assert "MAI 2" in f.message and "cannot be exceeded" in f.message


def test_mue_day_edit_sums_cq_and_plain_lines() -> None:
    # catalog MUE for 97110 is 6 with MAI 3: 100 minutes = 7 units over two lines (CQ split)
    r = run_case(
        {
            "services": [timed("97110", 100, assistant_minutes=50)],
            "set": {"supervising_provider": {"npi": "1234567893"}},
        }
    )
    [f] = [x for x in r.findings if x.rule == "MUE-UNITS"]
    assert "7 units" in f.message and "MAI 3" in f.message


def test_bad_mue_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="practitioner"):
        import_mue(tmp_path, [DATA / "MCR_MUE_OutpatientHospitalServices_Eff_07-01-2026.csv"])
    bad = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    bad.write_text(MUE.read_text(encoding="latin-1") + "97116,many,3 x,y\n", encoding="latin-1")
    with pytest.raises(InputError) as e:
        import_mue(tmp_path, [bad])
    assert e.value.field.startswith("record")
    nameless = tmp_path / "mue.csv"
    shutil.copy(MUE, nameless)
    with pytest.raises(InputError, match="--release"):
        import_mue(tmp_path, [nameless])
    assert import_mue(tmp_path, [nameless], "mue-test").release == "mue-test"


def test_cli_imports_then_scrubs_with_the_release(tmp_path: Path, data_dir: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["reference", "import", "ncci-ptp", *map(str, PTP)], obj={})
    assert r.exit_code == 0, r.output
    assert "ptp-2026q3" in r.stdout and PTP[0].name in r.stdout
    r = runner.invoke(cli, ["reference", "import", "ncci-mue", str(MUE)], obj={})
    assert r.exit_code == 0 and "mue-2026q3" in r.stdout
    r = runner.invoke(cli, ["reference", "list"], obj={})
    assert r.exit_code == 0 and "ptp-2026q3" in r.stdout and "mue-2026q3" in r.stdout

    config = tmp_path / "clinic.toml"
    config.write_text(
        CLINIC_TOML + '[payers.medicare]\nncci_table = "ptp-2026q3"\n'
        '[payers.medicare.rules.MUE-UNITS]\ntable = "mue-2026q3"\n'
    )
    visit = base_dict()
    visit["services"] = [timed("97110", 15), timed("97112", 15)]
    visit["total_timed_minutes"] = visit["total_treatment_minutes"] = 30
    path = tmp_path / "v.json"
    path.write_text(json.dumps(visit))
    r = runner.invoke(cli, ["--config", str(config), "scrub", "--json", str(path)], obj={})
    assert r.exit_code == 1, r.output
    [result] = json.loads(r.stdout)
    ncci = [f for f in result["findings"] if f["rule"] == "NCCI-PTP"]
    assert ncci and ncci[0]["data_release"] == "ptp-2026q3"
    r = runner.invoke(
        cli, ["reference", "import", "ncci-ptp", str(tmp_path / "missing.txt")], obj={}
    )
    assert r.exit_code == 2 and "missing.txt" in r.stderr
