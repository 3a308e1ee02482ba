"""``reload``: a function recompiled from its edited file (with what changed), or put back."""

from __future__ import annotations

from ...records import ReloadRecord
from ..markup import PRE, escape
from ..registry import HTML, TEXT

_HEADS = {
    "reloaded": "reloaded {target} from {where}",
    "unchanged": "{target}: the file has the code that runs ({where}); nothing to reload",
    "undone": "{target} has its original code again ({where})",
}


def _head(record: ReloadRecord) -> str:
    where = f"{record['file']}:{record['line']}"
    return _HEADS.get(record["action"], "{target}: {action}").format(
        target=record["target"], where=where, action=record["action"]
    )


@TEXT.renderer("reload")
def reload_text(record: ReloadRecord) -> str:
    return "\n".join([_head(record), *record.get("diff", [])])


def _line_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "opacity:0.7"
    if line.startswith("+"):
        return "color:#2e7d32;background:rgba(46,125,50,0.12)"
    if line.startswith("-"):
        return "color:#c62828;background:rgba(198,40,40,0.12)"
    if line.startswith("@@"):
        return "color:#1565c0"
    return ""


@HTML.renderer("reload")
def reload_html(record: ReloadRecord) -> str:
    lines = "".join(
        f'<div style="{_line_style(line)}">{escape(line) or "&nbsp;"}</div>' for line in record.get("diff", [])
    )
    head = f"<div><b>reload</b> {escape(_head(record))}</div>"
    return f'<div>{head}<div style="{PRE}">{lines}</div></div>' if lines else head
