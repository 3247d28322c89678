"""Server-rendered SVG charts (no JavaScript, no vendored library): grouped horizontal bars.

Every label is XML-escaped; sizes are computed here so the page needs no script to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = ("#1f6f8b", "#99a8b2", "#e6a400", "#2e8b57", "#c0392b")
# Narrow on purpose: the SVG scales to the screen, and at 360 px wide (a phone) a viewBox of
# 360 keeps 14-unit text at about 13 px. Labels sit above their bars, not beside them, so
# the bars keep the full width.
WIDTH, FONT, SMALL, LABEL_H, BAR_H, GAP, VALUE_W = 360, 14, 12, 18, 12, 10, 44
CHART_W = WIDTH - VALUE_W


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
    legend_h = LABEL_H * len(series) + GAP // 2
    row_h = LABEL_H + BAR_H * len(series) + GAP
    height = legend_h + len(labels) * row_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        y = i * LABEL_H
        parts.append(f'<rect x="0" y="{y + 3}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="18" y="{y + 14}" font-size="{FONT}">{escape(s.name)}</text>')
    for row, label in enumerate(labels):
        y0 = legend_h + row * row_h
        parts.append(
            f'<text x="0" y="{y0 + LABEL_H - 4}" font-size="{FONT}" font-weight="600">'
            f"{escape(label[:40])}</text>"
        )
        for i, s in enumerate(series):
            value = s.values[row]
            y = y0 + LABEL_H + i * BAR_H
            w = (value or 0.0) * scale
            parts.append(
                f'<rect x="0" y="{y}" width="{w:.1f}" height="{BAR_H - 2}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(s.name)}: '
                f"{escape(_fmt(value))}{escape(unit)}</title></rect>"
            )
            parts.append(
                f'<text x="{w + 4:.1f}" y="{y + BAR_H - 2}" font-size="{SMALL}">'
                f"{escape(_fmt(value))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
