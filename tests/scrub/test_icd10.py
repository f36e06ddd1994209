"""ICD-10-CM lookups: expected values read from the ICD-10-CM FY2026 (April 1, 2026) tabular
list, the release simple-icd-10-cm 1.5.0 ships."""

from __future__ import annotations

import marshal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from ptbill.scrub import icd10, icd10_index
from ptbill.scrub.icd10_index import (
    _manifestations_in,
    _phrase_at,
    manifestation_codes,
    manifestation_codes_searched,
    manifestation_codes_streamed,
    read_code_list,
)

# The 7th characters of category S72 (fracture of femur) in the tabular list.
S72_CHARACTERS = "ABCDEFGHJKMNPQRS"


@pytest.mark.parametrize(
    ("code", "status", "completions"),
    [
        ("M17.11", "billable", ()),
        ("M1711", "billable", ()),  # the dot is optional
        ("M17.1", "not_billable", ("M17.10", "M17.11", "M17.12")),
        # The first six billable codes under M17, in tabular order.
        ("M17", "not_billable", ("M17.0", "M17.10", "M17.11", "M17.12", "M17.2", "M17.30")),
        ("S83.511", "needs_7th", ("S83.511A", "S83.511D", "S83.511S")),
        ("S83511", "needs_7th", ("S83.511A", "S83.511D", "S83.511S")),
        ("S83.511D", "billable", ()),
        ("S83511D", "billable", ()),
        ("S72.001", "needs_7th", tuple(f"S72.001{c}" for c in S72_CHARACTERS)),
        # O36.593's 7th character (the fetus) comes from category O36's table: 0-5 and 9.
        ("O36.593", "needs_7th", tuple(f"O36.593{c}" for c in "0123459")),
        ("O36.5930", "billable", ()),
        # A short code takes placeholder X before its 7th character.
        ("W19", "needs_7th", ("W19.XXXA", "W19.XXXD", "W19.XXXS")),
        ("W19.XXXD", "billable", ()),
        ("W19XXXD", "billable", ()),
        ("T14.90", "needs_7th", ("T14.90XA", "T14.90XD", "T14.90XS")),
        ("T14.90XA", "billable", ()),
        # B20 and Z68 are each a block holding one category of the same name: the code counts.
        ("B20", "billable", ()),
        ("Z68", "not_billable", ("Z68.1", "Z68.20", "Z68.21", "Z68.22", "Z68.23", "Z68.24")),
        ("M17.99", "invalid", ()),  # no such code
        ("M15-M19", "invalid", ()),  # a block
        ("13", "invalid", ()),  # a chapter
        ("m17.11", "invalid", ()),  # codes are read as written: upper case only
        ("M17.", "invalid", ()),
        ("M17.1.1", "invalid", ()),
        ("M1.711", "invalid", ()),
        ("M17.11 ", "invalid", ()),
        ("S83.511Z", "invalid", ()),  # Z is not one of S83's 7th characters
        ("S83.511DD", "invalid", ()),
        ("W19.XXX", "invalid", ()),  # placeholders alone make no code
        ("W19.XXD", "invalid", ()),
        ("", "invalid", ()),
    ],
)
def test_dx_status_and_completions(code: str, status: str, completions: tuple[str, ...]) -> None:
    d = icd10.dx(code)
    assert (d.code, d.status, d.completions) == (code, status, completions)


@pytest.mark.parametrize(
    ("code", "manifestation"),
    [
        ("G63", True),  # Polyneuropathy in diseases classified elsewhere
        ("M49.80", True),  # Spondylopathy in diseases classified elsewhere, site unspecified
        ("M4980", True),
        ("E11.42", False),  # Type 2 diabetes mellitus with diabetic polyneuropathy
        ("M17.11", False),
        ("M49.8", False),  # a header: not billable, so never flagged
    ],
)
def test_manifestation_flag(code: str, manifestation: bool) -> None:
    assert icd10.dx(code).manifestation is manifestation


def test_external_cause_flag() -> None:
    assert icd10.dx("W19.XXXD").external_cause and icd10.dx("W19").external_cause
    assert not icd10.dx("S72.001D").external_cause


def test_built_7th_character_codes_are_described_as_parent_plus_extension() -> None:
    # simple-icd-10-cm describes a 7th-character code it builds as "<parent's description>,
    # <extension's text>", taking the table from the leaf or its nearest ancestor. No code of
    # the FY2026 release has the phrase in either part, so a small tabular fragment shows it.
    fragment = ET.fromstring(
        "<diag><name>Q99</name><desc>Disorder</desc>"
        '<sevenChrDef><extension char="A">initial encounter</extension>'
        '<extension char="M">in diseases classified elsewhere</extension></sevenChrDef>'
        "<diag><name>Q99.1</name><desc>Arthritis in diseases classified elsewhere</desc></diag>"
        "<diag><name>Q99.2</name><desc>Other</desc>"
        '<sevenChrDef><extension char="D">subsequent encounter</extension></sevenChrDef></diag>'
        "<diag><name>Q99.3</name><desc>Other arthritis</desc></diag>"
        "</diag>"
    )
    # Q99.1 by its own title (and so each code built on it), Q99.3XXM by its extension's text;
    # Q99.2 has a table of its own, so Q99's does not apply to it.
    assert set(_manifestations_in(fragment, None)) == {"Q991", "Q991XXA", "Q991XXM", "Q993XXM"}


def test_the_phrase_search_finds_what_streaming_the_whole_list_finds() -> None:
    # Only the categories holding the phrase are parsed; the whole tabular list says the same.
    found = manifestation_codes_searched()
    assert found == manifestation_codes_streamed() == manifestation_codes()
    assert len(found) > 200 and {"G63", "G992", "D7218"} <= found


def test_the_phrase_is_found_across_the_search_windows_in_any_case() -> None:
    phrase = b"In Diseases CLASSIFIED elsewhere"
    data = b"x" * ((1 << 20) - 5) + phrase + b"y" * (1 << 20) + phrase.lower()
    assert list(_phrase_at(data)) == [(1 << 20) - 5, 2 * (1 << 20) - 5 + len(phrase)]


def test_lookups_do_not_import_the_package() -> None:
    # Importing simple_icd_10_cm builds its whole tree (seconds, over 100 MB per process).
    probe = (
        "import sys\nfrom ptbill.scrub import icd10\n"
        "assert icd10.dx('G63').manifestation and icd10.dx('S83.511').status == 'needs_7th'\n"
        "assert not any(m.startswith('simple_icd_10_cm') for m in sys.modules), sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=120)


def test_release_names_the_code_set_and_package() -> None:
    assert icd10.code_set_release() == (
        "ICD-10-CM FY2026 (April 1, 2026 update), simple-icd-10-cm 1.5.0"
    )


def _made_again() -> tuple[frozenset[str], tuple[str, dict[str, tuple[int, int]]]]:
    """The index as a new process finds it (nothing kept in memory)."""
    icd10_index._index.cache_clear()
    icd10_index._category_run.cache_clear()
    icd10.dx.cache_clear()
    return manifestation_codes(), icd10_index._code_list()


@pytest.fixture
def cache_home(tmp_path: Path) -> Iterator[Path]:
    icd10_index.keep_index_in(tmp_path / "ptbill")
    yield tmp_path / "ptbill" / icd10_index.CACHE_FILE
    icd10_index.keep_index_in(None)
    _made_again()  # forget this test's index


def test_the_index_is_kept_for_the_next_process_and_read_back_the_same(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = (manifestation_codes_searched(), read_code_list())
    assert _made_again() == expected and cache_home.is_file()
    # The next process reads the file: nothing is made from the release files.
    monkeypatch.setattr(icd10_index, "manifestation_codes_searched", _never)
    monkeypatch.setattr(icd10_index, "read_code_list", _never)
    assert _made_again() == expected
    assert icd10.dx("G63").manifestation and icd10.dx("M17.1").status == "not_billable"


def _never() -> None:
    raise AssertionError("made from the release files, not read from the cache")


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "another key", "wrong shape", "a folder in its place"],
)
def test_a_cache_file_that_is_not_right_is_made_again(cache_home: Path, damage: str) -> None:
    expected = (manifestation_codes_searched(), read_code_list())
    _made_again()
    good = cache_home.read_bytes()
    if damage == "truncated":
        cache_home.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        cache_home.write_bytes(b"\x00not marshal data" * 10)
    elif damage == "another key":  # a release file or this module changed since
        key, *index = marshal.loads(good)
        cache_home.write_bytes(marshal.dumps(((*key[:-1], ("x", 1, 1)), *index)))
    elif damage == "wrong shape":
        key, codes, text, spans = marshal.loads(good)
        cache_home.write_bytes(marshal.dumps((key, codes, text, {"M17": [1, 2]})))
    else:
        cache_home.unlink()
        cache_home.mkdir()
    assert _made_again() == expected
    if damage != "a folder in its place":
        assert cache_home.read_bytes() == good  # written again


def test_a_cache_folder_that_cannot_be_written_is_no_error(cache_home: Path) -> None:
    cache_home.parent.parent.rmdir()
    cache_home.parent.parent.write_text("a file where the cache folder would be")
    expected = (manifestation_codes_searched(), read_code_list())
    assert _made_again() == expected
    assert icd10.dx("G63").manifestation


def test_the_command_line_keeps_the_index_in_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from ptbill.cli.main import cli

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    try:
        result = CliRunner().invoke(cli, ["code", "--json", "--help"])
        assert result.exit_code == 0
        assert icd10_index.cache_path() is None  # only the commands that scrub name it
        visit = Path(__file__).parents[2] / "examples" / "visit-complete.json"
        result = CliRunner().invoke(cli, ["scrub", "--json", "--as-of", "2026-05-01", str(visit)])
        assert result.exit_code in (0, 1), result.output
        assert icd10_index.cache_path() == tmp_path / "ptbill" / icd10_index.CACHE_FILE
    finally:
        icd10_index.keep_index_in(None)
        _made_again()
