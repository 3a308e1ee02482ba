"""Building blocks of the notebook's static HTML: self-contained, inline styles only, no scripts.

Every string from a record goes through ``html.escape`` here or in the caller; colors read on
light and dark backgrounds.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

MUTED = "opacity:0.7"
BOX = "border-left:3px solid rgba(128,128,128,0.5);padding:2px 8px;margin:4px 0"
PRE = "margin:2px 0;white-space:pre-wrap;font-family:var(--jp-code-font-family,monospace);font-size:12px"
ERROR = "color:#d9534f;font-weight:600"

escape = html.escape


def pre(text: str, style: str = "") -> str:
    return f'<pre style="{PRE};{style}">{escape(text)}</pre>'


CELL = "text-align:left;vertical-align:top;padding:2px 8px;font-family:monospace"


def cell(value: Any) -> str:
    """One table cell: a string, or ``(text, "pre")`` for text that keeps its line breaks."""
    if isinstance(value, tuple) and len(value) == 2 and value[1] == "pre":
        return f'<td style="{CELL};white-space:pre-wrap">{escape(str(value[0]))}</td>'
    return f'<td style="{CELL}">{escape(str(value))}</td>'


def table_open(headers: Sequence[Any]) -> str:
    th = "".join(f'<th style="text-align:left;padding:2px 8px">{escape(str(h))}</th>' for h in headers)
    return f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{th}</tr></thead><tbody>'


TABLE_CLOSE = "</tbody></table>"


def table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    th = "".join(f'<th style="text-align:left;padding:2px 8px">{escape(str(h))}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:left;padding:2px 8px;font-family:monospace">{escape(str(c))}</td>' for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'
