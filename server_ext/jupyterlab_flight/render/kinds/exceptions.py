"""``exceptions``: diagnose exception's census: groups by type, message pattern and raising
function, with counts, where they were caught and one example stack each."""

from __future__ import annotations

import os

from ...records import ExceptionGroup, ExceptionsRecord
from ..markup import MUTED, PRE, TABLE_CLOSE, cell, escape, table_open
from ..registry import HTML, TEXT

HEADERS = ("count", "per s", "type", "message pattern", "raised in", "caught")


def _head(record: ExceptionsRecord) -> str:
    how = (
        f"sys.monitoring, process-wide, tool id {record['tool_id']}"
        if record["mechanism"] == "sys.monitoring"
        else f"escaping {record['method']}"
    )
    groups = len(record["groups"])
    return (
        f"exceptions ({how}, {record['duration_s']:g} s): {record['raised']} raised in {groups} "
        f"group{'' if groups == 1 else 's'}"
    )


def _at(entry) -> str:
    return f"{entry['function']} ({os.path.basename(entry['file'])}:{entry['line']})"


def _caught(record: ExceptionsRecord, group: ExceptionGroup) -> str:
    if not record["fate_tracked"]:
        return f"escaped {record['method']}"
    parts = [f"{_at(site)} {site['count']}" for site in group["caught"]]
    if group["caught_elsewhere"]:
        parts.append(f"elsewhere {group['caught_elsewhere']}")
    if group["not_caught"]:
        parts.append(f"not in Python {group['not_caught']}")
    return ", ".join(parts) or "-"


def _row(record: ExceptionsRecord, group: ExceptionGroup) -> list:
    rate = group["count"] / max(record["duration_s"], 1e-3)
    return [group["count"], f"{rate:.1f}", group["type"], group["pattern"], _at(group), _caught(record, group)]


def _example(group: ExceptionGroup) -> list:
    example = group["example"]
    lines = [f"{group['type']}: {example['message']}  (thread {example['thread_name']})"]
    lines += [f"  {os.path.basename(f['file'])}:{f['line']} in {f['function']}" for f in example["stack"]]
    return lines


@TEXT.renderer("exceptions")
def exceptions_text(record: ExceptionsRecord) -> str:
    lines = [_head(record)]
    rows = [[str(c) for c in _row(record, g)] for g in record["groups"]]
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADERS)]
        lines.append("  " + "  ".join(h.ljust(w) for h, w in zip(HEADERS, widths)).rstrip())
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    for over in record["overflow"]:
        lines.append(f"  (past the group limit: {over['type']} x{over['count']})")
    for group in record["groups"][:5]:
        lines.append("example of " + f"{group['type']} {group['pattern']!r}:")
        lines += ["  " + line for line in _example(group)]
    return "\n".join(lines)


@HTML.renderer("exceptions")
def exceptions_html(record: ExceptionsRecord) -> str:
    parts = [f"<div><b>{escape(_head(record))}</b></div>"]
    if record["groups"]:
        parts.append(table_open(HEADERS))
        for group in record["groups"]:
            parts.append("<tr>" + "".join(cell(c) for c in _row(record, group)) + "</tr>")
        parts.append(TABLE_CLOSE)
    for over in record["overflow"]:
        parts.append(f'<div style="{MUTED}">past the group limit: {escape(over["type"])} x{over["count"]}</div>')
    for group in record["groups"][:5]:
        title = escape(f"example of {group['type']} {group['pattern']!r}")
        parts.append(f'<details><summary>{title}</summary><div style="{PRE}">')
        parts.append("".join(f"<div>{escape(line)}</div>" for line in _example(group)) + "</div></details>")
    return "<div>" + "".join(parts) + "</div>"
