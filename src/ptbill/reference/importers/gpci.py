"""Importers for where a practice is paid from: CMS's GPCI addendum (Addendum E of the PFS final
rule, also GPCIyyyy.csv in the RVU zip) and CMS's ZIP code to carrier locality file (ZIP5).

GPCI layout: a title row ("ADDENDUM E. FINAL CY 2026 GEOGRAPHIC PRACTICE COST INDICES ..."), a
header row (MAC, State, Locality Number, Locality Name, "2026 PW GPCI (with 1.0 Floor)",
"2026 PE GPCI", "2026 MP GPCI"), one row per locality, then footnotes. Footnote markers (*) are
dropped from names; numbers that lost their leading zeros in a spreadsheet are padded back.

ZIP5 layout (CMS "Zip5 Record Layout", fixed width, 1-based positions): state 1-2, ZIP 3-7,
carrier 8-12, pricing locality 13-14, rural indicator 15, lab CB locality 16-17, rural indicator 2
18, filler 19-20, plus-four flag 21 (1: the ZIP is split between localities by ZIP+4), Part B
payment indicator 23, filler 24-75, year and quarter 76-80 (YYYYQ).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ptbill.errors import InputError
from ptbill.reference import store
from ptbill.reference.gpci import Gpci, read_gpcis
from ptbill.reference.importers.pfs import (
    Imported,
    check_release_name,
    csv_text,
    decimal_cell,
    default_release_name,
    read_text,
    save,
)
from ptbill.reference.snapshot import ReferenceSnapshot

GPCI_KIND = "gpci"
ZIP_KIND = "zip-locality"
GPCI_COLUMNS = ("mac", "state", "locality", "locality_name", "pw_gpci", "pe_gpci", "mp_gpci")
ZIP_COLUMNS = ("zip", "state", "carrier", "locality", "rural", "plus_four", "year_quarter")
_YEAR = re.compile(r"\b(?:CY\s*)?(20\d\d)\b")


# ---- GPCI addendum ----------------------------------------------------------------------------


@dataclass(frozen=True)
class GpciFile:
    year: int
    title: str
    rows: list[Gpci]


def _column(labels: list[str], *alternatives: tuple[str, ...]) -> int | None:
    """The first column whose label holds every word of one of the alternatives."""
    for words in alternatives:
        for i, label in enumerate(labels):
            if all(w in label for w in words):
                return i
    return None


def parse_gpci(text: str, origin: str, year: int | None = None) -> GpciFile:
    rows = list(csv.reader(io.StringIO(text)))
    header_at = next(
        (
            i
            for i, r in enumerate(rows[:20])
            if any("LOCALITY" in c.upper() and "NUMBER" in c.upper() for c in r)
        ),
        None,
    )
    if header_at is None:
        raise InputError(
            origin,
            "no header row naming 'Locality Number'",
            "import CMS's GPCI addendum CSV (Addendum E / GPCIyyyy.csv)",
        )
    labels = [c.strip().upper() for c in rows[header_at]]
    found = {
        "mac": _column(labels, ("CONTRACTOR",), ("MAC",)),
        "state": _column(labels, ("STATE",)),
        "locality": _column(labels, ("LOCALITY", "NUMBER")),
        "name": _column(labels, ("LOCALITY", "NAME")),
        "pw": _column(labels, ("PW GPCI",), ("WORK GPCI",)),
        "pe": _column(labels, ("PE GPCI",)),
        "mp": _column(labels, ("MP GPCI",)),
    }
    missing = [k for k, v in found.items() if v is None]
    if missing:
        raise InputError(
            origin,
            f"columns not found: {', '.join(missing)}",
            "import an unmodified GPCI addendum CSV",
            field=f"header row {header_at + 1}",
        )
    cols = {k: v for k, v in found.items() if v is not None}
    title = " ".join(c.strip() for r in rows[:header_at] for c in r if c.strip())
    if year is None:
        named = _YEAR.search(title) or _YEAR.search(" ".join(rows[header_at]))
        if named is None:
            raise InputError(
                origin, "the file does not name its year", "pass --year YEAR", field="title row"
            )
        year = int(named.group(1))
    out = []
    for number, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if len(r) <= max(cols.values()) or not r[cols["mac"]].strip().isdigit():
            continue  # blank rows and footnotes
        cell = {k: r[i].strip() for k, i in cols.items()}
        mac = cell["mac"]
        where = f"row {number}"
        values = {
            k: decimal_cell(cell[k], origin, where, k.upper() + " GPCI") for k in ("pw", "pe", "mp")
        }
        pw, pe, mp = values["pw"], values["pe"], values["mp"]
        if pw is None or pe is None or mp is None or not cell["locality"].isdigit():
            raise InputError(
                origin,
                "a locality row without its number or GPCIs",
                "import an unmodified GPCI addendum CSV",
                field=where,
            )
        out.append(
            Gpci(
                mac.zfill(5),
                cell["locality"].zfill(2),
                cell["state"].upper(),
                cell["name"].replace("*", "").strip(),
                pw,
                pe,
                mp,
            )
        )
    if not out:
        raise InputError(origin, "no locality rows", "import the complete file")
    return GpciFile(year, title, out)


def import_gpci(
    folder: Path, path: Path, release: str | None = None, year: int | None = None
) -> Imported:
    origin = str(path)
    name = check_release_name(release or default_release_name(path), origin)
    parsed = parse_gpci(read_text(path), origin, year)
    text = csv_text(
        GPCI_COLUMNS,
        (
            {
                "mac": g.mac,
                "state": g.state,
                "locality": g.locality,
                "locality_name": g.name,
                "pw_gpci": g.work,
                "pe_gpci": g.pe,
                "mp_gpci": g.mp,
            }
            for g in parsed.rows
        ),
    )
    return save(
        folder,
        GPCI_KIND,
        name,
        path,
        text,
        {"year": parsed.year, "title": parsed.title, "rows": len(parsed.rows)},
    )


@dataclass(frozen=True)
class GpciRelease:
    name: str
    year: int
    source_file: str
    localities: dict[str, Gpci]


def stored_gpci_releases(reference: ReferenceSnapshot) -> list[GpciRelease]:
    return reference.all(GPCI_KIND, _load_gpci)


def _load_gpci(path: Path) -> GpciRelease | None:
    found = store.read_release(path)
    if found is None:
        return None
    meta, rows = found
    localities = read_gpcis(rows)
    return GpciRelease(path.stem, int(meta["year"]), meta.get("source_file", ""), localities)


# ---- ZIP code to carrier locality (ZIP5) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZipLocality:
    zip: str
    state: str
    carrier: str
    locality: str
    rural: str
    plus_four: bool
    year_quarter: str

    @property
    def key(self) -> str:
        return f"{self.carrier}-{self.locality}"


def parse_zip5(text: str, origin: str) -> list[ZipLocality]:
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        state, zip5, carrier, locality = line[0:2], line[2:7], line[7:12], line[12:14]
        if not (zip5.isdigit() and carrier.isdigit() and locality.isdigit() and state.isalpha()):
            raise InputError(
                origin,
                "not a ZIP5 record (state 1-2, ZIP 3-7, carrier 8-12, locality 13-14)",
                "import CMS's ZIP5 fixed-width file (ZIP5_*.txt), not the xlsx",
                field=f"line {number}",
            )
        year_quarter = line[75:80].strip()
        out.append(
            ZipLocality(
                zip5,
                state.upper(),
                carrier,
                locality,
                line[14:15].strip(),
                line[20:21] == "1",
                year_quarter,
            )
        )
    if not out:
        raise InputError(origin, "no ZIP records", "import the complete ZIP5 file")
    return out


def import_zip_localities(folder: Path, path: Path, release: str | None = None) -> Imported:
    origin = str(path)
    name = check_release_name(release or default_release_name(path), origin)
    parsed = parse_zip5(read_text(path), origin)
    quarters = sorted({z.year_quarter for z in parsed if z.year_quarter})
    text = csv_text(
        ZIP_COLUMNS,
        (
            {
                "zip": z.zip,
                "state": z.state,
                "carrier": z.carrier,
                "locality": z.locality,
                "rural": z.rural,
                "plus_four": "1" if z.plus_four else "0",
                "year_quarter": z.year_quarter,
            }
            for z in parsed
        ),
    )
    return save(
        folder,
        ZIP_KIND,
        name,
        path,
        text,
        {"rows": len(parsed), "year_quarter": quarters[-1] if quarters else None},
    )


@dataclass(frozen=True)
class ZipRelease:
    name: str
    year_quarter: str | None
    source_file: str
    zips: dict[str, ZipLocality]


def stored_zip_releases(reference: ReferenceSnapshot) -> list[ZipRelease]:
    return reference.all(ZIP_KIND, _load_zip)


def _load_zip(path: Path) -> ZipRelease | None:
    found = store.read_release(path)
    if found is None:
        return None
    meta, rows = found
    zips = {}
    for r in rows:
        z = ZipLocality(
            r["zip"],
            r["state"],
            r["carrier"],
            r["locality"],
            r["rural"],
            r["plus_four"] == "1",
            r["year_quarter"],
        )
        zips[z.zip] = z
    return ZipRelease(path.stem, meta.get("year_quarter"), meta.get("source_file", ""), zips)
