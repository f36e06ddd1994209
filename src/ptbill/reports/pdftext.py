"""A small PDF writer for pages of plain text (patient statements), fast enough for a batch
of ten thousand: each page is a list of text runs placed on a US Letter page in the standard
Helvetica fonts (no font files, WinAnsi/Latin-1 text), written straight into PDF content
streams. fpdf2 (the appeal letters) lays out rich text but takes some 9 ms a page; a run of
statements renders each page once and puts it both in the batch and in the patient's file.
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field

PAGE_W, PAGE_H = 612, 792  # US Letter in points
MM = 72 / 25.4
# Helvetica advance widths (1/1000 em) of the characters figures are written with; the rest
# are taken as 556 (a digit's), which is only used to right-align amounts.
_WIDTHS = {c: 556 for c in "0123456789$"} | {",": 278, ".": 278, " ": 278, "-": 333}
_FONTS = {"regular": "F1", "bold": "F2"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_width(text: str, size: float) -> float:
    """The width of a figure in Helvetica at `size` points."""
    return sum(_WIDTHS.get(c, 556) for c in text) * size / 1000


@dataclass
class Page:
    """Text runs on one page, placed from the top-left corner in millimetres."""

    ops: list[str] = field(default_factory=list)

    def text(
        self, x_mm: float, y_mm: float, text: str, size: float = 10, bold: bool = False
    ) -> None:
        x, y = x_mm * MM, PAGE_H - y_mm * MM
        font = _FONTS["bold" if bold else "regular"]
        self.ops.append(f"BT /{font} {size:g} Tf {x:.2f} {y:.2f} Td ({_escape(text)}) Tj ET")

    def right(
        self, x_mm: float, y_mm: float, text: str, size: float = 10, bold: bool = False
    ) -> None:
        """A figure whose right edge is at x_mm."""
        self.text(x_mm - text_width(text, size) / MM, y_mm, text, size, bold)

    def rule(self, x1_mm: float, x2_mm: float, y_mm: float) -> None:
        y = PAGE_H - y_mm * MM
        self.ops.append(f"0.5 w {x1_mm * MM:.2f} {y:.2f} m {x2_mm * MM:.2f} {y:.2f} l S")

    def stream(self) -> bytes:
        """The page's content stream, compressed (kept: a page goes into two files)."""
        return zlib.compress("\n".join(self.ops).encode("latin-1", "replace"), 6)


def write_pdf(streams: list[bytes], title: str, created: dt.date) -> bytes:
    """A PDF of pages already rendered (Page.stream()), in order."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []

    def add(body: bytes) -> int:
        offsets.append(len(out))
        out.extend(f"{len(offsets)} 0 obj\n".encode())
        out.extend(body)
        out.extend(b"\nendobj\n")
        return len(offsets)

    n = len(streams)
    first_page = 6  # objects 1-5: catalog, pages, two fonts, info; then page, content pairs
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(n))
    add(b"<< /Type /Catalog /Pages 2 0 R >>")
    add(f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode())
    for name in ("Helvetica", "Helvetica-Bold"):
        add(
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} "
            "/Encoding /WinAnsiEncoding >>".encode()
        )
    stamp = created.strftime("D:%Y%m%d000000Z")
    add(f"<< /Title ({_escape(title)}) /Producer (ptbill) /CreationDate ({stamp}) >>".encode())
    resources = "<< /Font << /F1 3 0 R /F2 4 0 R >> >>"
    for i, stream in enumerate(streams):
        content = first_page + 2 * i + 1
        add(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] "
            f"/Resources {resources} /Contents {content} 0 R >>".encode()
        )
        add(
            f"<< /Length {len(stream)} /Filter /FlateDecode >>\nstream\n".encode()
            + stream
            + b"\nendstream"
        )
    xref = len(out)
    out.extend(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
    out.extend("".join(f"{o:010d} 00000 n \n" for o in offsets).encode())
    out.extend(
        f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R /Info 5 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
