"""A flame graph as one SVG: no scripts, a ``<title>`` tooltip per frame, frames under 1 px left out.

The same picture is the ``.svg`` export (standalone: an XML declaration and a light/dark
background of its own) and the notebook's static fallback for a ``profile`` record (inline in
the HTML: text outside the frames takes the page's color, so it reads on light and dark
themes; text on a frame is dark on a warm color, which reads on both).

Root at the bottom, callers below callees, each row's frames left to right by samples (the
record's order). With a baseline (``base`` on the nodes), frames are colored by the change of
their share of samples: red grew, blue shrank.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Mapping
from typing import Any

Node = Mapping[str, Any]  # a profile node (docs/schema.md), as a record holds it

WIDTH = 1200
ROW = 16
HEADER = 36
CHAR_PX = 6.7  # monospace at 11 px
FONT = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px"
STANDALONE_STYLE = (
    "svg{background:#fff;color:#222}@media (prefers-color-scheme: dark){svg{background:#1e1e1e;color:#ddd}}"
)


def _hash(text: str) -> tuple[float, float, float]:
    h = zlib.crc32(text.encode("utf-8", "replace"))
    return (h & 0xFF) / 255, ((h >> 8) & 0xFF) / 255, ((h >> 16) & 0xFF) / 255


def _is_level(node: Node) -> bool:
    """The root (``all``, a thread's name) and thread / process levels: no file, no line."""
    return node.get("file") is None and node.get("line") is None and not node.get("native")


def _color(node: Node) -> str:
    v1, v2, v3 = _hash(str(node.get("function")))
    if node.get("native"):  # aqua: C, C++, Rust
        return f"rgb({60 + int(50 * v1)},{165 + int(55 * v2)},{165 + int(55 * v2)})"
    if _is_level(node):
        gray = 190 + int(25 * v1)
        return f"rgb({gray},{gray},{gray})"
    return f"rgb({205 + int(50 * v3)},{int(230 * v1)},{int(55 * v2)})"  # warm: Python


def _diff_color(delta: float, scale: float) -> str:
    k = min(1.0, abs(delta) / scale) if scale > 0 else 0.0
    fade = 255 - int(190 * k)
    return f"rgb(255,{fade},{fade})" if delta > 0 else f"rgb({fade},{fade},255)"


def _where(node: Node) -> str:
    file, line = node.get("file"), node.get("line")
    if file is None:
        return ""
    return f" ({file}:{line})" if line is not None else f" ({file})"


def _tooltip(node: Node, samples: int, base_samples: int | None) -> str:
    total = node["total"]
    pct = 100.0 * total / samples if samples else 0.0
    text = f"{node['function']}{_where(node)}\n{total:,} samples ({pct:.2f}%), self {node.get('self', 0):,}"
    if node.get("native"):
        text += ", native"
    if base_samples and "base" in node:
        before = 100.0 * node["base"] / base_samples
        text += f"\nbaseline {node['base']:,} samples ({before:.2f}%), change {pct - before:+.2f} points"
    return text


def _label(text: str, width_px: float) -> str:
    chars = int((width_px - 6) / CHAR_PX)
    if chars < 3:
        return ""
    return text if len(text) <= chars else text[: chars - 2] + ".."


def flame_svg(
    root: Node,
    title: str = "",
    width: int = WIDTH,
    standalone: bool = False,
    base_samples: int | None = None,
) -> str:
    """The flame graph of a NODE tree (docs/schema.md, ``profile``)."""
    total = root.get("total") or 0
    frames: list[tuple[float, int, float, Node]] = []  # x px, depth, width px, node
    left_out = 0
    if total:
        scale = width / total
        work: list[tuple[Node, float, int]] = [(root, 0.0, 0)]
        while work:
            node, x, depth = work.pop()
            frames.append((x, depth, node["total"] * scale, node))
            offset = x
            for child in node.get("children", []):
                w = child["total"] * scale
                if w < 1.0:
                    left_out += 1
                    continue
                work.append((child, offset, depth + 1))
                offset += w
    depth_max = max((d for _, d, _, _ in frames), default=0)
    height = HEADER + (depth_max + 1) * ROW + 4
    diff_scale = 0.0
    if base_samples:
        deltas = [f[3]["total"] / total - f[3].get("base", 0) / base_samples for f in frames if "base" in f[3]]
        diff_scale = max((abs(d) for d in deltas), default=0.0)
    parts = []
    if standalone:
        parts.append('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n')
    size = f'width="{width}" height="{height}"'
    style = FONT if standalone else FONT + ";max-width:100%;height:auto"
    parts.append(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" {size} style="{style}">')
    if standalone:
        parts.append(f"<style>{STANDALONE_STYLE}</style>")
    note = "hover a frame for its samples, share and file:line"
    if left_out:
        note += f"; {left_out:,} frames narrower than 1 px left out"
    if not total:
        note = "no samples"
    parts.append(f'<text x="4" y="14" fill="currentColor">{html.escape(title)}</text>')
    parts.append(f'<text x="4" y="29" fill="currentColor" style="opacity:0.7">{html.escape(note)}</text>')
    parts.append('<g fill="#111">')
    for x, depth, w, node in sorted(frames, key=lambda f: (f[1], f[0])):
        y = HEADER + (depth_max - depth) * ROW
        if base_samples and "base" in node:
            fill = _diff_color(node["total"] / total - node["base"] / base_samples, diff_scale)
        else:
            fill = _color(node)
        label = _label(str(node["function"]), w)
        text = f'<text x="{x + 3:.1f}" y="{y + 11.5:.1f}">{html.escape(label)}</text>' if label else ""
        parts.append(
            f"<g><title>{html.escape(_tooltip(node, total, base_samples))}</title>"
            f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.3, 0.7):.1f}" height="{ROW - 1}" fill="{fill}"/>{text}</g>'
        )
    parts.append("</g></svg>")
    return "".join(parts)
