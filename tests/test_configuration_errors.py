"""A configuration's faults are told with the setting's whole path: a billing company's fifty
clinics each have an `npi`, so "npi: Field required" did not say whose."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.config import load_config
from ptbill.config.profiles import bundled_demo_config_text
from ptbill.errors import InputError


def _refused(tmp_path: Path, text: str) -> str:
    path = tmp_path / "clinic.toml"
    path.write_text(text, encoding="utf-8")
    load_config.cache_clear()
    with pytest.raises(InputError) as caught:
        load_config(str(path))
    return str(caught.value)


def test_a_missing_setting_names_its_clinic(tmp_path: Path) -> None:
    demo = bundled_demo_config_text()
    second = demo.index("[clinics.oak-avenue-pt]")
    npi = demo.index('npi = "', second)
    text = demo[:npi] + "npii" + demo[npi + 3 :]  # oak-avenue-pt's npi mistyped
    told = _refused(tmp_path, text)
    assert "clinics.oak-avenue-pt.npi: Field required" in told
    assert "(and 1 more in [clinics.oak-avenue-pt])" in told  # npii, unknown


def test_an_unknown_setting_is_named_with_its_path_and_the_fix(tmp_path: Path) -> None:
    demo = bundled_demo_config_text()
    told = _refused(tmp_path, demo + '\n[clearinghouses.box]\nlocal = "box"\nfolder = "x"\n')
    assert "clearinghouses.box.folder: an unknown setting" in told
    assert "check its spelling" in told
    told = _refused(tmp_path, demo + '\n[intake.csv]\ndelimiterr = ";"\n')
    assert "intake.csv.delimiterr: an unknown setting" in told


def test_ptbill_clinics_is_the_check_to_run_after_editing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from ptbill.cli.main import cli

    path = tmp_path / "clinic.toml"
    path.write_text(bundled_demo_config_text().replace("npi = ", "npii = ", 1), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--config", str(path), "clinics"], obj={})
    assert r.exit_code == 2 and "clinics.elm-street-pt.npi: Field required" in r.stderr
    path.write_text(bundled_demo_config_text(), encoding="utf-8")
    r = CliRunner().invoke(cli, ["--config", str(path), "clinics"], obj={})
    assert r.exit_code == 0 and "2 clinic(s), 5 payer profile(s)" in r.stdout
