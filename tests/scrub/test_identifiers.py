"""NPI check digit, MBI format and ICD-10-CM lookups."""

from __future__ import annotations

from importlib.metadata import version

import pytest

from ptbill.scrub import icd10
from ptbill.scrub.identifiers import TAXONOMY, mbi_problem, npi_valid


def test_npi_check_digit_is_luhn_with_the_80840_prefix() -> None:
    # CMS's worked example: base 123456789 -> check digit 3.
    assert [d for d in range(10) if npi_valid(f"123456789{d}")] == [3]
    assert npi_valid("1245319599")
    assert not npi_valid("1245319598")
    assert not npi_valid("123456789")  # 9 digits
    assert not npi_valid("123456789X")


@pytest.mark.parametrize(
    ("mbi", "problem"),
    [
        ("1EG4TE5MK73", None),  # CMS's published example
        ("1EG4-TE5-MK73", "dashes"),
        ("1EG4TE5MK7", "10 characters"),
        ("0EG4TE5MK73", "character 1 must be a 1-9"),
        ("1SG4TE5MK73", "character 2 must be a letter"),
        ("1EG4TE5MK7A", "character 11 must be a digit"),
        ("1E04TE5MK73", None),  # position 3 may be a digit
        ("1EGATE5MK73", "character 4 must be a digit"),
    ],
)
def test_mbi_format(mbi: str, problem: str | None) -> None:
    got = mbi_problem(mbi)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got and mbi not in got


def test_taxonomy_pattern() -> None:
    assert TAXONOMY.match("225100000X") and TAXONOMY.match("261QP2000X")
    assert not TAXONOMY.match("2251000X") and not TAXONOMY.match("225100000x")


def test_icd10_package_version_matches_the_code_set_window() -> None:
    # The FY window in icd10.py belongs to this package version; upgrading the package
    # means updating CODE_SET_NAME / VALID_FROM / VALID_TO (and this pin).
    assert version("simple-icd-10-cm") == icd10.PACKAGE_VERSION
    assert icd10.pinned_version_installed()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("M17.11", "billable"),
        ("M1711", "billable"),
        ("S83.511D", "billable"),
        ("M17.1", "not_billable"),
        ("M17", "not_billable"),
        ("S83.511", "needs_7th"),
        ("T14.90", "needs_7th"),
        ("M17.99", "invalid"),
        ("M15-M19", "invalid"),
        ("13", "invalid"),
        ("", "invalid"),
    ],
)
def test_dx_status(code: str, status: str) -> None:
    assert icd10.dx(code).status == status


def test_dx_completions_and_flags() -> None:
    assert "M17.11" in icd10.dx("M17.1").completions
    assert set(icd10.dx("S83.511").completions) == {"S83.511A", "S83.511D", "S83.511S"}
    assert icd10.dx("G63").manifestation and not icd10.dx("E11.42").manifestation
    assert icd10.dx("W19.XXXD").external_cause and not icd10.dx("S72.001D").external_cause
    assert icd10.dx("M17.11") is icd10.dx("M17.11")  # cached: one lookup per code per process
