"""Server-side SVG charts: plain markup the page embeds (no chart library, no script).

Values may be Decimal, int or float; they only position shapes (money shown in labels is
formatted from the original values).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from html import escape

from markupsafe import Markup

Number = Decimal | int | float
COLORS = ("#0f6e6e", "#2457a6", "#a05a00", "#b42318", "#6b4fbb", "#1c7c3c", "#8a6d00")


def _fmt(value: Number) -> str:
    return f"{float(value):,.0f}"


def hbars(
    items: Sequence[tuple[str, Number]],
    title: str,
    fmt: Callable[[Number], str] = _fmt,
    width: int = 520,
) -> Markup:
    """Horizontal bars, one a row, labelled on the left and valued on the right."""
    row, left, right = 26, 170, 90
    height = row * max(len(items), 1) + 30
    top = max((float(v) for _, v in items), default=0.0) or 1.0
    span = width - left - right
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if not items:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">nothing yet</text>'
        )
    for i, (name, value) in enumerate(items):
        y = 10 + i * row
        w = max(span * float(value) / top, 1.0 if float(value) else 0.0)
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3" '
            f'fill="{COLORS[i % len(COLORS)]}"><title>{escape(name)}: {escape(fmt(value))}'
            f"</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 15}">{escape(fmt(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def vbars(
    items: Sequence[tuple[str, Number]],
    title: str,
    fmt: Callable[[Number], str] = _fmt,
    width: int = 520,
    height: int = 220,
    color: str = COLORS[0],
) -> Markup:
    """Vertical bars (A/R aging buckets, collections by month) with a value above each."""
    bottom, top_pad, side = 28, 22, 10
    n = max(len(items), 1)
    slot = (width - 2 * side) / n
    top = max((float(v) for _, v in items), default=0.0) or 1.0
    span = height - bottom - top_pad
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{side}" x2="{width - side}" y1="{height - bottom}" '
        f'y2="{height - bottom}" stroke="#d9dee6"/>',
    ]
    if not items:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">nothing yet</text>'
        )
    for i, (name, value) in enumerate(items):
        h = span * max(float(value), 0.0) / top
        x = side + i * slot + slot * 0.15
        w = slot * 0.7
        y = height - bottom - h
        cx = x + w / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" '
            f'fill="{color}"><title>{escape(name)}: {escape(fmt(value))}</title></rect>'
            f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle">{escape(fmt(value))}'
            f'</text><text x="{cx:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def gauge(share: Number | None, title: str, width: int = 160) -> Markup:
    """A share (0..1) as a half ring with the percentage in the middle."""
    import math

    value = min(max(float(share or 0), 0.0), 1.0)
    r, cx, cy = 60, width / 2, 74
    angle = math.pi * (1 - value)
    x, y = cx + r * math.cos(angle), cy - r * math.sin(angle)
    label = "—" if share is None else f"{value * 100:.1f}%"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} 90" role="img" aria-label="{escape(title)}: '
        f'{label}"><title>{escape(title)}</title>'
        f'<path d="M {cx - r} {cy} A {r} {r} 0 0 1 {cx + r} {cy}" fill="none" '
        f'stroke="#e8ebf0" stroke-width="12"/>'
        f'<path d="M {cx - r} {cy} A {r} {r} 0 0 1 {x:.1f} {y:.1f}" fill="none" '
        f'stroke="{COLORS[0]}" stroke-width="12"/>'
        f'<text x="{cx}" y="{cy - 8}" text-anchor="middle" style="font-size:18px;'
        f'fill:#1d2433;font-weight:600">{label}</text></svg>'
    )
