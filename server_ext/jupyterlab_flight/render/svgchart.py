"""A static line chart as inline SVG, for the notebook's HTML where the JupyterLab view draws a
plotly chart (gilstat's shares per report, mem diff's growth over cycles).

Drawn here rather than with a plotting library: a few lines and labels, no scripts, no fonts or
files to fetch, text in ``currentColor`` so it reads on light and dark backgrounds. Every string
from a record is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .markup import escape

WIDTH = 640
HEIGHT = 180
LEFT = 64  # room for the y labels
RIGHT = 12
TOP = 22  # the title
BOTTOM = 20  # the x labels
LEGEND_ROW = 14
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


class Series(NamedTuple):
    name: str
    y: Sequence[float | None]  # one value per x; None where the series has no point


def _fmt(value: float, unit: str) -> str:
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def line_chart(
    title: str,
    x: Sequence[float],
    series: Sequence[Series],
    unit: str = "",
    x_unit: str = "s",
    label: str = "chart",
) -> str:
    """``x`` ascending (seconds, say), one ``Series`` per line; the y axis starts at 0. Empty
    when there is nothing to draw (no series, or fewer than two points)."""
    if len(x) < 2 or not series:
        return ""
    top_value = max((v for s in series for v in s.y if v is not None), default=0.0) or 1.0
    start, span = x[0], (x[-1] - x[0]) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    legend_top = HEIGHT + 10  # below the x labels
    height = legend_top + LEGEND_ROW * ((len(series) + 1) // 2)

    def px(value: float) -> float:
        return LEFT + (value - start) / span * plot_w

    def py(value: float) -> float:
        return TOP + plot_h - value / top_value * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(label)}" data-chart="{escape(label)}" '
        'style="font-family:monospace;font-size:10px;display:block;margin:4px 0">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="12" fill="currentColor">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="currentColor" '
        'stroke-opacity="0.3"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end" fill="currentColor">{escape(_fmt(top_value, unit))}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" text-anchor="end" fill="currentColor">0</text>',
        f'<text x="{LEFT}" y="{TOP + plot_h + 13}" fill="currentColor">0 {escape(x_unit)}</text>',
        f'<text x="{LEFT + plot_w}" y="{TOP + plot_h + 13}" text-anchor="end" fill="currentColor">'
        f"{escape(_fmt(span, x_unit))}</text>",
    ]
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        points = [(px(xv), py(yv)) for xv, yv in zip(x, s.y) if yv is not None]
        if len(points) > 1:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        for (a, b), value in zip(points, [v for v in s.y if v is not None]):
            parts.append(
                f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}">'
                f"<title>{escape(s.name)}: {escape(_fmt(value, unit))}</title></circle>"
            )
        lx = LEFT + (i % 2) * (plot_w // 2)
        ly = legend_top + (i // 2) * LEGEND_ROW
        parts.append(
            f'<rect x="{lx}" y="{ly - 8}" width="10" height="3" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" fill="currentColor">{escape(s.name[:70])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
