"""``stack``: every thread's Python stack (and asyncio tasks with -a), innermost frame last."""

from __future__ import annotations

import linecache

from ...records import Frame, StackRecord, Thread
from ..markup import BOX, MUTED, escape, pre
from ..registry import HTML, TEXT


def _flags(thread: Thread) -> list[str]:
    return [
        flag
        for flag, on in (
            ("main", thread.get("main")),
            ("daemon", thread.get("daemon")),
            ("holds the GIL", thread.get("gil") is True),
        )
        if on
    ]


def _native_frame(frame: Frame) -> str:
    return f"(C) {frame['function']} ({frame.get('library') or frame.get('file')})"


def _source_line(frame: Frame) -> str:
    """The client's (sourcelines.py), or read here for a saved record."""
    if frame.get("code"):
        return str(frame["code"])
    return linecache.getline(frame["file"] or "", frame["line"] or 0).strip() if frame.get("line") else ""


def _html_frames(thread: Thread) -> list[str]:
    """Innermost last, each with its source line under it, as the text and the view show them."""
    lines = [f"... {thread['frames_omitted']} outer frames omitted ..."] if thread.get("frames_omitted") else []
    for f in thread.get("frames", []):
        if f.get("native"):
            lines.append(_native_frame(f))
            continue
        lines.append(f"{f['function']}  {f['file']}:{f['line']}")
        source_line = _source_line(f)
        if source_line:
            lines.append(f"    {source_line}")
    return lines


@TEXT.renderer("stack")
def stack_text(record: StackRecord) -> str:
    lines = []
    for t in record.get("threads", []):
        header = f'Thread {t.get("native_id") or t["thread_id"]} "{t.get("name") or "?"}"'
        flags = _flags(t)
        if flags:
            header += " (" + ", ".join(flags) + ")"
        lines.append(header + " (most recent call last):")
        if t.get("frames_omitted"):
            lines.append(f"  ... {t['frames_omitted']} outer frames omitted ...")
        for f in t.get("frames", []):
            if f.get("native"):
                lines.append("  " + _native_frame(f))
                continue
            lines.append(f'  File "{f["file"]}", line {f["line"]}, in {f["function"]}')
            source_line = _source_line(f)
            if source_line:
                lines.append(f"    {source_line}")
        lines.append("")
    for task in record.get("tasks", []) or []:
        lines.append(f'Task "{task["name"]}" ({task["state"]}) coroutine {task["coroutine"]}')
        for f in task.get("frames", []):
            lines.append(f'  File "{f["file"]}", line {f["line"]}, in {f["function"]}')
            if f.get("code"):
                lines.append(f"    {f['code']}")
        if task.get("awaiting"):
            lines.append(f"  awaiting {task['awaiting']}")
        lines.append("")
    if "tasks" in record and not record["tasks"]:
        lines.append("no pending asyncio tasks")
    if record.get("source") == "pystack":
        lines.append(f"(read from outside by pystack{', native frames' if record.get('native') else ''})")
    return "\n".join(lines).rstrip()


@HTML.renderer("stack")
def stack_html(record: StackRecord) -> str:
    parts = []
    threads = record.get("threads", [])
    source = "read from outside by pystack" if record.get("source") == "pystack" else "read by the agent"
    parts.append(f'<div style="{MUTED}">pid {record.get("pid")}: {len(threads)} threads ({escape(source)})</div>')
    for t in threads:
        flags = _flags(t)
        title = f"{t.get('name') or '?'} ({t.get('native_id') or t.get('thread_id')})" + (
            f" [{', '.join(flags)}]" if flags else ""
        )
        count = len(t.get("frames", []))
        parts.append(
            f'<details open style="{BOX}"><summary><b>{escape(title)}</b> '
            f'<span style="{MUTED}">{count} frames, innermost last</span></summary>{pre(chr(10).join(_html_frames(t)))}</details>'
        )
    for task in record.get("tasks") or []:
        task_lines = [
            f"{f['function']}  {f['file']}:{f['line']}" + (f"\n    {f['code']}" if f.get("code") else "")
            for f in task.get("frames", [])
        ]
        if task.get("awaiting"):
            task_lines.append(f"awaiting {task['awaiting']}")
        parts.append(
            f'<details style="{BOX}"><summary>task <b>{escape(str(task["name"]))}</b> ({escape(task["state"])}) '
            f'<span style="{MUTED}">coroutine {escape(str(task["coroutine"]))}</span></summary>{pre(chr(10).join(task_lines))}</details>'
        )
    if "tasks" in record and not record["tasks"]:
        parts.append(f'<div style="{MUTED}">no pending asyncio tasks</div>')
    return "".join(parts)
