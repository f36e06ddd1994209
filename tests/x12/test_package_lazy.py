"""ptbill.x12 gives its names when first used: every name resolves, and importing one
submodule (as every input's file-kind check does) builds none of the readers."""

from __future__ import annotations

import subprocess
import sys

import ptbill.x12 as x12


def test_every_exported_name_resolves_to_its_module() -> None:
    assert sorted(x12.__all__) == sorted(x12._HOME)
    for name in x12.__all__:
        value = getattr(x12, name)
        module = __import__(f"ptbill.x12.{x12._HOME[name]}", fromlist=[name])
        assert value is getattr(module, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        x12.read_834  # noqa: B018
    except AttributeError as e:
        assert "read_834" in str(e)
    else:
        raise AssertionError("read_834 resolved")


def test_the_file_kind_check_loads_no_reader() -> None:
    code = (
        "import sys, ptbill.intake.detect; "
        "print(sorted(m for m in sys.modules if m.startswith('ptbill.x12.')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    for reader in ("read_835", "read_277ca", "read_999", "remittance", "writer_837p", "claim"):
        assert f"'ptbill.x12.{reader}'" not in loaded
