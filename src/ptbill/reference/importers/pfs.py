"""Importer for CMS's PFS Relative Value File (the PPRRVU CSV in each RVUyyX zip), and the
stored RVU releases pricing reads back.

Layout: a title row ("2025 National Physician Fee Schedule Relative Value File October
Release"), a "RELEASED mm/dd/yyyy" row, caption rows whose cells stack into column labels, then
the header row that starts with HCPCS, then one row per code and modifier. Columns are found by
their stacked labels, not by position: the 2026 files add a column (PRIC IND) before CONV FACTOR.

The DESCRIPTION column holds AMA CPT descriptors: it is never read into memory beyond the CSV
reader's row, never stored, never printed.

This module also holds the small file helpers the pricing importers (gpci.py, fees.py) share.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ptbill.errors import InputError, read_bounded
from ptbill.reference import store
from ptbill.reference.snapshot import ReferenceSnapshot

PFS_KIND = "pfs"

# Our stored column -> the CMS label (caption cells stacked above the header cell).
_LABELS = {
    "code": "HCPCS",
    "modifier": "MOD",
    "status": "STATUS CODE",
    "not_used_for_medicare": "NOT USED FOR MEDICARE PAYMENT",
    "work_rvu": "WORK RVU",
    "nonfacility_pe_rvu": "NON-FAC PE RVU",
    "facility_pe_rvu": "FACILITY PE RVU",
    "mp_rvu": "MP RVU",
    "mult_proc": "MULT PROC",
    "conv_factor": "CONV FACTOR",
}
STORED_COLUMNS = tuple(_LABELS)
_DECIMALS = ("work_rvu", "nonfacility_pe_rvu", "facility_pe_rvu", "mp_rvu")
_TITLE = re.compile(
    r"(\d{4}) National Physician Fee Schedule Relative Value File\s+(\w+)", re.IGNORECASE
)
_RELEASED = re.compile(r"RELEASED\s+(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE)
_CODE = re.compile(r"^[A-Z0-9]{5}$")
# CMS's quarterly releases take effect on the first day of the quarter they are named for.
_QUARTER_MONTH = {"january": 1, "april": 4, "july": 7, "october": 10}
MPPR_INDICATOR = "5"  # MULT PROC 5: the therapy multiple procedure payment reduction applies


# ---- helpers shared by the pricing importers -------------------------------------------------


# The largest reference file read: CMS's biggest, an NCCI PTP practitioner file, is some 100 MB
# a quarter; a device or a wrong file is refused rather than read into memory without end.
MAX_REFERENCE_BYTES = 512 << 20


def read_text(path: Path) -> str:
    """A CMS or contract file as text: UTF-8 (with or without BOM), else Windows-1252."""
    data = read_bounded(
        path,
        MAX_REFERENCE_BYTES,
        "more than any CMS or contract file",
        "check that it is the release's file (unzipped, one file at a time)",
    )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def default_release_name(path: Path) -> str:
    """The file's stem made into a release name (letters, digits, '.', '_', '-')."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.") or "release"
    return name[:80]


def check_release_name(name: str, origin: str) -> str:
    if not store.RELEASE_NAME.match(name):
        raise InputError(
            origin,
            f"release name {name!r} is not allowed",
            "use letters, digits, '.', '_' or '-' (at most 81 characters)",
            field="--release",
        )
    return name


def csv_text(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def decimal_cell(text: str, origin: str, where: str, column: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text.replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise InputError(
            origin,
            f"{text!r} is not a number",
            "check that the file is the unmodified published layout",
            field=f"{where}, {column}",
        ) from None


@dataclass(frozen=True, slots=True)
class Imported:
    kind: str
    release: str
    path: Path
    manifest: dict[str, Any]


def save(
    folder: Path, kind: str, release: str, source: Path, text: str, meta: dict[str, Any]
) -> Imported:
    manifest = {
        "kind": kind,
        "release": release,
        "source_file": source.name,
        "sha256": store.sha256_of(source),
        **meta,
    }
    path = store.write_release(folder, kind, release, text, manifest)
    return Imported(kind, release, path, manifest)


# ---- the PPRRVU layout ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RvuRow:
    code: str
    modifier: str
    status: str
    not_used_for_medicare: bool
    work_rvu: Decimal | None
    nonfacility_pe_rvu: Decimal | None
    facility_pe_rvu: Decimal | None
    mp_rvu: Decimal | None
    mult_proc: str

    @property
    def mppr_applies(self) -> bool:
        return self.mult_proc == MPPR_INDICATOR


@dataclass(frozen=True)
class PfsFile:
    year: int
    title: str
    released: dt.date | None
    effective: dt.date
    conversion_factor: Decimal | None
    rows: list[RvuRow]


def _stacked_labels(rows: list[list[str]], header_at: int) -> list[str]:
    width = len(rows[header_at])
    captions = rows[max(0, header_at - 4) : header_at + 1]
    labels = []
    for col in range(width):
        parts = [r[col].strip() for r in captions if col < len(r) and r[col].strip()]
        labels.append(re.sub(r"\s+", " ", " ".join(parts)).upper())
    return labels


def parse_pprrvu(text: str, origin: str, year: int | None = None) -> PfsFile:
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next(
        (i for i, r in enumerate(rows[:40]) if r and r[0].strip().upper() == "HCPCS"), None
    )
    if header_at is None:
        raise InputError(
            origin,
            "no header row starting with HCPCS in the first 40 rows: not a PPRRVU file",
            "import the PPRRVU*.csv file from CMS's RVU zip (not the .xlsx or .txt variant)",
        )
    labels = _stacked_labels(rows, header_at)
    where: dict[str, int] = {}
    for column, label in _LABELS.items():
        # The two PE RVU labels share words with the indicator columns: match whole labels.
        hits = [i for i, lab in enumerate(labels) if lab == label]
        if not hits:
            raise InputError(
                origin,
                "not found in the header rows",
                "import an unmodified PPRRVU CSV (10 header rows, then data)",
                field=f"column {label}",
            )
        where[column] = hits[0]
    preamble = " ".join(c for r in rows[:header_at] for c in r if c.strip())
    title_m = _TITLE.search(preamble)
    title = title_m.group(0) if title_m else ""
    if year is None:
        if title_m is None:
            raise InputError(
                origin, "the file does not name its year", "pass --year YEAR", field="title row"
            )
        year = int(title_m.group(1))
    released_m = _RELEASED.search(preamble)
    released = (
        dt.date(int(released_m.group(3)), int(released_m.group(1)), int(released_m.group(2)))
        if released_m
        else None
    )
    month = _QUARTER_MONTH.get(title_m.group(2).lower(), 1) if title_m else 1
    out: list[RvuRow] = []
    factors: set[Decimal] = set()
    for number, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not r or not r[0].strip():
            continue
        code = r[0].strip().upper()
        if not _CODE.match(code):
            continue  # trailing notes, if any
        if len(r) <= max(where.values()):
            raise InputError(
                origin,
                f"{len(r)} cells, fewer than the header",
                "import an unmodified PPRRVU CSV",
                field=f"row {number}",
            )
        cell = {c: r[i] for c, i in where.items()}
        values = {c: decimal_cell(cell[c], origin, f"row {number}", _LABELS[c]) for c in _DECIMALS}
        cf = decimal_cell(cell["conv_factor"], origin, f"row {number}", "CONV FACTOR")
        if cf is not None:
            factors.add(cf)
        out.append(
            RvuRow(
                code,
                cell["modifier"].strip().upper(),
                cell["status"].strip().upper(),
                cell["not_used_for_medicare"].strip() != "",
                values["work_rvu"],
                values["nonfacility_pe_rvu"],
                values["facility_pe_rvu"],
                values["mp_rvu"],
                cell["mult_proc"].strip(),
            )
        )
    if not out:
        raise InputError(origin, "no code rows after the header", "import the complete PPRRVU CSV")
    if len(factors) > 1:
        raise InputError(
            origin,
            f"several conversion factors ({', '.join(map(str, sorted(factors)))})",
            "import one PPRRVU file per conversion factor (QPP and non-QPP apart)",
            field="CONV FACTOR",
        )
    return PfsFile(
        year,
        title,
        released,
        dt.date(year, month, 1),
        next(iter(factors)) if factors else None,
        out,
    )


def import_pfs(
    folder: Path, path: Path, release: str | None = None, year: int | None = None
) -> Imported:
    """Read a PPRRVU CSV and store it as a release in the data folder `folder` (without the
    DESCRIPTION column)."""
    origin = str(path)
    name = check_release_name(release or default_release_name(path), origin)
    parsed = parse_pprrvu(read_text(path), origin, year)
    text = csv_text(
        STORED_COLUMNS,
        (
            {
                "code": r.code,
                "modifier": r.modifier,
                "status": r.status,
                "not_used_for_medicare": "+" if r.not_used_for_medicare else "",
                "work_rvu": _s(r.work_rvu),
                "nonfacility_pe_rvu": _s(r.nonfacility_pe_rvu),
                "facility_pe_rvu": _s(r.facility_pe_rvu),
                "mp_rvu": _s(r.mp_rvu),
                "mult_proc": r.mult_proc,
                "conv_factor": _s(parsed.conversion_factor),
            }
            for r in parsed.rows
        ),
    )
    return save(
        folder,
        PFS_KIND,
        name,
        path,
        text,
        {
            "year": parsed.year,
            "title": parsed.title,
            "released": parsed.released.isoformat() if parsed.released else None,
            "effective": parsed.effective.isoformat(),
            "conversion_factor": _s(parsed.conversion_factor),
            "rows": len(parsed.rows),
            "dropped_columns": ["DESCRIPTION (AMA CPT descriptors are never stored)"],
        },
    )


def _s(value: Decimal | None) -> str:
    return "" if value is None else str(value)


# ---- reading stored releases back ---------------------------------------------------------------


@dataclass(frozen=True)
class PfsRelease:
    name: str
    year: int
    effective: dt.date
    released: dt.date | None
    conversion_factor: Decimal | None
    source_file: str
    rows: dict[tuple[str, str], RvuRow]

    def row(self, code: str, modifier: str = "") -> RvuRow | None:
        return self.rows.get((code, modifier))


def stored_pfs_releases(reference: ReferenceSnapshot) -> list[PfsRelease]:
    return reference.all(PFS_KIND, _load)


def load_pfs_release(folder: Path, name: str) -> PfsRelease | None:
    return _load(store.release_path(folder, PFS_KIND, name))


def _load(path: Path) -> PfsRelease | None:
    found = store.read_release(path)
    if found is None:
        return None
    meta, stored_rows = found
    rows = {}
    for r in stored_rows:
        work, nonfacility_pe, facility_pe, mp = (Decimal(r[c]) if r[c] else None for c in _DECIMALS)
        row = RvuRow(
            r["code"],
            r["modifier"],
            r["status"],
            r["not_used_for_medicare"] == "+",
            work,
            nonfacility_pe,
            facility_pe,
            mp,
            r["mult_proc"],
        )
        rows[(row.code, row.modifier)] = row
    return PfsRelease(
        path.stem,
        int(meta["year"]),
        dt.date.fromisoformat(meta["effective"]),
        dt.date.fromisoformat(meta["released"]) if meta.get("released") else None,
        Decimal(meta["conversion_factor"]) if meta.get("conversion_factor") else None,
        meta.get("source_file", ""),
        rows,
    )
