"""A letter as a list of blocks, rendered to HTML and to PDF from the same blocks (so the two
never say different things). PDF through fpdf2's core fonts: text is reduced to Latin-1."""

from __future__ import annotations

import datetime as dt
import html
import unicodedata
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_ASCII = {
    "\u2192": "->",
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u00a7": "section ",
    "\u2264": "<=",
    "\u2265": ">=",
}


@dataclass
class Block:
    kind: str  # heading, para, table, items, lines
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)  # table: the first row is the header
    items: list[str] = field(default_factory=list)


@dataclass
class Letter:
    title: str
    on: dt.date
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(Block("heading", text))

    def para(self, text: str) -> None:
        self.blocks.append(Block("para", text))

    def lines(self, *lines: str) -> None:
        self.blocks.append(Block("lines", items=[x for x in lines if x]))

    def items(self, items: list[str]) -> None:
        self.blocks.append(Block("items", items=items))

    def table(self, rows: list[list[str]]) -> None:
        self.blocks.append(Block("table", rows=rows))


def to_html(letter: Letter) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(letter.title)}</title>",
        "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:48em;margin:2em auto;"
        "line-height:1.4}table{border-collapse:collapse;width:100%}td,th{border:1px solid "
        "#999;padding:.3em;vertical-align:top;text-align:left}h2{margin-top:1.4em}</style>",
        "</head><body>",
        f"<h1>{e(letter.title)}</h1>",
    ]
    for b in letter.blocks:
        if b.kind == "heading":
            out.append(f"<h2>{e(b.text)}</h2>")
        elif b.kind == "para":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "lines":
            out.append("<p>" + "<br>".join(e(x) for x in b.items) + "</p>")
        elif b.kind == "items":
            out.append("<ul>" + "".join(f"<li>{e(x)}</li>" for x in b.items) + "</ul>")
        elif b.kind == "table" and b.rows:
            head, *body = b.rows
            out.append(
                "<table><thead><tr>"
                + "".join(f"<th>{e(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
            )
            for row in body:
                out.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def latin1(text: str) -> str:
    for k, v in _ASCII.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKD", text)
    return text.encode("latin-1", "ignore").decode("latin-1")


def phone_text(phone: str) -> str:
    """A phone number as people read it: ten digits (a US number, as the 837P's PER carries
    it) as (217) 555-0100; anything else as written."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) != 10 or set(phone) - set("0123456789 -().+"):
        return phone  # an extension, a number abroad: as the configuration writes it
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def to_pdf(letter: Letter) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(dt.datetime.combine(letter.on, dt.time(0, 0), tzinfo=dt.UTC))
    pdf.set_title(latin1(letter.title))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, latin1(letter.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for b in letter.blocks:
        if b.kind == "heading":
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(0, 6, latin1(b.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        elif b.kind in ("para", "lines", "items"):
            pdf.set_font("Helvetica", "", 10)
            texts = [b.text] if b.kind == "para" else b.items
            for t in texts:
                prefix = "- " if b.kind == "items" else ""
                pdf.multi_cell(0, 5, latin1(prefix + t), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2)
        elif b.kind == "table" and b.rows:
            pdf.set_font("Helvetica", "", 8.5)
            with pdf.table(text_align="LEFT", line_height=4.5) as table:
                for n, row in enumerate(b.rows):
                    cells = table.row()
                    for c in row:
                        if n == 0:
                            pdf.set_font("Helvetica", "B", 8.5)
                        cells.cell(latin1(c))
                        pdf.set_font("Helvetica", "", 8.5)
            pdf.ln(3)
    return bytes(pdf.output())
