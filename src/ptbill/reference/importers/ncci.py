"""Importers for CMS's quarterly NCCI files: the Medicare practitioner PTP edits and the
practitioner MUE table. Each import is stored (ptbill.reference.store) as a versioned release
named after the quarter, e.g. `ptp-2026q3` and `mue-2026q3`, with a manifest naming every
source file and its sha256.

PTP layout (ccipra-vVVRr-fN.txt, tab-separated, one file per part f1..f4): a few header lines
(an AMA notice, "Column1/Column2 Edits", a column header wrapped over several lines), then one
row per edit: column 1, column 2, "*" when the edit existed before 1996, effective date
YYYYMMDD, deletion date YYYYMMDD or "*" (none), modifier indicator 0/1/9, PTP edit rationale.
The version vXYr names the quarter: year 1994 + XX, quarter Y + 1 (v32.2 = 2026 Q3).

MUE layout (MCR_MUE_PractitionerServices_Eff_MM-DD-YYYY.csv, Latin-1): a quoted AMA notice
record, a header record ("HCPCS/CPT Code", "Practitioner Services MUE Values", "MUE
Adjudication Indicator", "MUE Rationale"), then one record per code; the indicator cell reads
e.g. "2 Date of Service Edit: Policy".

Neither file carries CPT descriptors; nothing but codes, numbers, dates and CMS's rationale
text is stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.catalog import catalog
from ptbill.reference.importers.pfs import Imported, check_release_name, csv_text, read_text
from ptbill.reference.mue import MUE_KIND
from ptbill.reference.ncci import PTP_KIND

CODE = re.compile(r"^[0-9A-Z]{5}$")
YMD = re.compile(r"^\d{8}$")
PTP_COLUMNS = (
    "column1",
    "column2",
    "prior_1996",
    "effective_date",
    "deletion_date",
    "modifier_indicator",
    "rationale",
)
MUE_COLUMNS = ("code", "mue", "mai", "rationale")
_PTP_VERSION = re.compile(r"ccipra-v(\d\d)(\d)r(\d+)", re.IGNORECASE)
_MUE_EFFECTIVE = re.compile(r"Eff_(\d\d)-(\d\d)-(\d{4})", re.IGNORECASE)
FIX_PTP = (
    "give the practitioner PTP files as CMS publishes them (ccipra-v...-f1.txt .. f4.txt, unzipped)"
)
FIX_MUE = "give the practitioner MUE table as CMS publishes it (MCR_MUE_PractitionerServices...csv)"


@dataclass(frozen=True, slots=True)
class PtpRow:
    column1: str
    column2: str
    prior_1996: bool
    effective: dt.date
    deletion: dt.date | None
    indicator: str
    rationale: str


def _ymd(text: str) -> dt.date:
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))


def _ptp_row(cells: list[str]) -> PtpRow | None:
    """The edit on a data line, or None when the line is not one."""
    if len(cells) < 6:
        return None
    c1, c2, prior, eff, dele, ind = (c.strip() for c in cells[:6])
    rationale = cells[6].strip() if len(cells) > 6 else ""
    if not (
        CODE.match(c1)
        and CODE.match(c2)
        and YMD.match(eff)
        and (dele == "*" or YMD.match(dele))
        and ind in ("0", "1", "9")
    ):
        return None
    return PtpRow(
        c1, c2, prior == "*", _ymd(eff), None if dele == "*" else _ymd(dele), ind, rationale
    )


def parse_ptp(text: str, origin: str) -> list[PtpRow]:
    """Every edit in one practitioner PTP file. Header lines may precede the data; after the
    first edit, a line that is not an edit is an error naming its line number."""
    rows: list[PtpRow] = []
    header = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        cells = line.split("\t")
        row = _ptp_row(cells)
        if row is not None:
            rows.append(row)
        elif rows:
            raise InputError(
                origin,
                "not a PTP edit (expected column 1, "
                "column 2, *, effective YYYYMMDD, deletion YYYYMMDD or *, modifier "
                "indicator 0/1/9, rationale, separated by tabs)",
                FIX_PTP,
                field=f"line {number}",
            )
        elif "column 1" in line.lower() and "column 2" in line.lower():
            header = True
    if not rows:
        raise InputError(origin, "no PTP edits found", FIX_PTP)
    if not header:
        raise InputError(
            origin,
            "no 'Column 1 / Column 2' header before the edits: not a CMS PTP file",
            FIX_PTP,
        )
    return rows


@dataclass(frozen=True, slots=True)
class MueRow:
    code: str
    mue: int
    mai: int | None
    rationale: str


def parse_mue(text: str, origin: str) -> list[MueRow]:
    """Every code in a practitioner MUE table."""
    records = list(csv.reader(io.StringIO(text)))
    at = next(
        (i for i, r in enumerate(records[:10]) if len(r) >= 3 and "mue values" in r[1].lower()),
        None,
    )
    if at is None:
        raise InputError(
            origin,
            "no header record with 'MUE Values' in the first 10 records: not a CMS MUE table",
            FIX_MUE,
        )
    label = " ".join(records[at][1].split())
    if "practitioner" not in label.lower():
        raise InputError(
            origin,
            f"this is the {label!r} table; ptbill bills practitioner services",
            "import the practitioner services MUE table",
            field="header",
        )
    rows = []
    for number, r in enumerate(records[at + 1 :], start=at + 2):
        if not any(cell.strip() for cell in r):
            continue
        code = r[0].strip() if r else ""
        value = r[1].strip() if len(r) > 1 else ""
        mai_text = r[2].strip() if len(r) > 2 else ""
        if not CODE.match(code) or not value.isdigit() or (mai_text and mai_text[0] not in "123"):
            raise InputError(
                origin,
                "not an MUE row (expected code, "
                "MUE value, adjudication indicator 1/2/3, rationale)",
                FIX_MUE,
                field=f"record {number}",
            )
        rows.append(
            MueRow(
                code,
                int(value),
                int(mai_text[0]) if mai_text else None,
                r[3].strip() if len(r) > 3 else "",
            )
        )
    if not rows:
        raise InputError(origin, "no MUE rows after the header", FIX_MUE)
    return rows


def _sources(paths: Sequence[Path]) -> list[dict[str, str]]:
    return [{"file": p.name, "sha256": store.sha256_of(p)} for p in paths]


def _quarter_start(year: int, quarter: int) -> dt.date:
    return dt.date(year, 3 * (quarter - 1) + 1, 1)


def ptp_release_name(paths: Sequence[Path]) -> tuple[str, str, dt.date]:
    """(release name, NCCI version, first day of the quarter) from the ccipra file names."""
    found = {m.groups() for p in paths if (m := _PTP_VERSION.search(p.name))}
    if len(found) != 1 or any(not _PTP_VERSION.search(p.name) for p in paths):
        names = ", ".join(p.name for p in paths)
        raise InputError(
            names,
            "the file names do not give one NCCI version (ccipra-vXYrN)",
            "name the release with --release, e.g. ptp-2026q3",
            field="--release",
        )
    major, minor, rev = found.pop()
    year, quarter = 1994 + int(major), int(minor) + 1
    name = f"ptp-{year}q{quarter}" + (f"r{int(rev)}" if int(rev) else "")
    return name, f"{major}.{minor}r{int(rev)}", _quarter_start(year, quarter)


def _readable(paths: Iterable[str | Path], fix: str) -> list[Path]:
    out = []
    for p in map(Path, paths):
        if p.suffix.lower() == ".zip":
            raise InputError(str(p), "a zip archive", f"unzip it first; {fix}")
        out.append(p)
    if not out:
        raise InputError("command line", "no file given", fix, field="FILE")
    return out


def import_ptp(
    folder: Path,
    files: Sequence[str | Path],
    release: str | None = None,
    all_codes: bool = False,
) -> Imported:
    """Read the practitioner PTP file(s) of one quarter and store them as one release. By
    default only edits between two codes of the PT code catalog are kept (the rest of the
    ~1.5 million edits concern codes a PT clinic does not bill); `all_codes` keeps every edit."""
    paths = _readable(files, FIX_PTP)
    rows = [row for p in paths for row in parse_ptp(read_text(p), str(p))]
    version = effective = None
    if release is None:
        release, version, effective = ptp_release_name(paths)
    check_release_name(release, ", ".join(p.name for p in paths))
    known = catalog()
    kept = rows if all_codes else [r for r in rows if r.column1 in known and r.column2 in known]
    text = csv_text(
        PTP_COLUMNS,
        (
            {
                "column1": r.column1,
                "column2": r.column2,
                "prior_1996": "*" if r.prior_1996 else "",
                "effective_date": r.effective.isoformat(),
                "deletion_date": r.deletion.isoformat() if r.deletion else "",
                "modifier_indicator": r.indicator,
                "rationale": r.rationale,
            }
            for r in kept
        ),
    )
    manifest = {
        "kind": PTP_KIND,
        "release": release,
        "what": "CMS Medicare NCCI practitioner PTP edits",
        "ncci_version": version,
        "quarter_starts": effective,
        "sources": _sources(paths),
        "rows_read": len(rows),
        "rows": len(kept),
        "filter": "every edit"
        if all_codes
        else f"edits between two of the {len(known)} codes of the PT code catalog",
    }
    path = store.write_release(folder, PTP_KIND, release, text, manifest)
    return Imported(PTP_KIND, release, path, manifest)


def mue_release_name(path: Path) -> tuple[str, dt.date]:
    m = _MUE_EFFECTIVE.search(path.name)
    if m is None:
        raise InputError(
            path.name,
            "the file name does not give the effective date (..._Eff_MM-DD-YYYY.csv)",
            "name the release with --release, e.g. mue-2026q3",
            field="--release",
        )
    month, year = int(m.group(1)), int(m.group(3))
    quarter = (month - 1) // 3 + 1
    prefix = "mue-medicaid" if path.name.upper().startswith("MCD") else "mue"
    return f"{prefix}-{year}q{quarter}", dt.date(year, month, int(m.group(2)))


def import_mue(folder: Path, files: Sequence[str | Path], release: str | None = None) -> Imported:
    """Read a practitioner MUE table and store it as one release (all codes)."""
    paths = _readable(files, FIX_MUE)
    effective = None
    if release is None:
        names = {mue_release_name(p) for p in paths}
        if len(names) != 1:
            raise InputError(
                ", ".join(p.name for p in paths),
                "the files are of different quarters",
                "import one quarter at a time",
                field="--release",
            )
        release, effective = names.pop()
    check_release_name(release, ", ".join(p.name for p in paths))
    by_code: dict[str, MueRow] = {}
    for p in paths:
        for row in parse_mue(read_text(p), str(p)):
            if row.code in by_code and by_code[row.code] != row:
                raise InputError(
                    str(p),
                    "listed twice with different values",
                    "import the files of one table only",
                    field=row.code,
                )
            by_code[row.code] = row
    text = csv_text(
        MUE_COLUMNS,
        (
            {
                "code": r.code,
                "mue": r.mue,
                "mai": "" if r.mai is None else r.mai,
                "rationale": r.rationale,
            }
            for r in by_code.values()
        ),
    )
    manifest = {
        "kind": MUE_KIND,
        "release": release,
        "what": "CMS Medicare NCCI practitioner services MUE table",
        "effective": effective,
        "sources": _sources(paths),
        "rows": len(by_code),
    }
    path = store.write_release(folder, MUE_KIND, release, text, manifest)
    return Imported(MUE_KIND, release, path, manifest)
