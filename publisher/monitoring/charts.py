"""Server-rendered SVG charts (no JavaScript, no vendored library): grouped horizontal bars.

Every label is XML-escaped; sizes are computed here so the page needs no script to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#99a8b2", "#e6a400", "#2e8b57", "#c0392b")
ROW_H, BAR_H, LABEL_W, CHART_W, PAD = 26, 7, 190, 360, 8


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def bar_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], unit: str = ""
) -> Markup:
    """A grouped horizontal bar chart; one group per label, one bar per series."""
    top = max((v or 0.0) for s in series for v in s.values) if labels and series else 0.0
    scale = CHART_W / top if top > 0 else 0.0
    legend_h = 22
    height = legend_h + PAD + len(labels) * ROW_H + PAD
    width = LABEL_W + CHART_W + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    x = LABEL_W
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="15" font-size="11">{escape(s.name)}</text>')
        x += 14 + 7 * len(s.name) + 16
    for row, label in enumerate(labels):
        y0 = legend_h + PAD + row * ROW_H
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y0 + ROW_H / 2 + 4:.0f}" font-size="11" '
            f'text-anchor="end">{escape(label[:28])}</text>'
        )
        for i, s in enumerate(series):
            value = s.values[row]
            y = y0 + 2 + i * BAR_H
            w = (value or 0.0) * scale
            parts.append(
                f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H - 1}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(s.name)}: '
                f"{escape(_fmt(value))}{escape(unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{LABEL_W + w + 3:.1f}" y="{y + BAR_H - 1}" font-size="8">'
                f"{escape(_fmt(value))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
