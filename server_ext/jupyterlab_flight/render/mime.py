"""Result records -> one notebook MIME bundle that reads everywhere.

- ``application/vnd.jupyterlab-flight.v1+json``: the records themselves (the JupyterLab extension
  renders them as interactive views);
- ``text/html``: a self-contained static view (no scripts, inline styles only, colors that read on
  light and dark backgrounds) for nbconvert, nbviewer, VS Code, GitHub;
- ``text/plain``: the terminal text, for plain IPython.

What goes into a notebook is bounded (MAX_NOTEBOOK_BYTES); when records are cut the bundle says
so in all three forms.
"""

from __future__ import annotations

import html
import json

from .text import processes_rows, render_text

MIME_TYPE = "application/vnd.jupyterlab-flight.v1+json"
MAX_NOTEBOOK_BYTES = 2 * 1024 * 1024
_MUTED = "opacity:0.7"
_BOX = "border-left:3px solid rgba(128,128,128,0.5);padding:2px 8px;margin:4px 0"
_PRE = "margin:2px 0;white-space:pre-wrap;font-family:var(--jp-code-font-family,monospace);font-size:12px"
_ERROR = "color:#d9534f;font-weight:600"


def _pre(text: str, style: str = "") -> str:
    return f'<pre style="{_PRE};{style}">{html.escape(text)}</pre>'


def _stack_html(record: dict) -> str:
    parts = []
    threads = record.get("threads", [])
    source = "read from outside by pystack" if record.get("source") == "pystack" else "read by the agent"
    parts.append(f'<div style="{_MUTED}">pid {record.get("pid")}: {len(threads)} threads ({html.escape(source)})</div>')
    for t in threads:
        flags = [
            f
            for f, on in (("main", t.get("main")), ("daemon", t.get("daemon")), ("holds the GIL", t.get("gil") is True))
            if on
        ]
        title = f"{t.get('name') or '?'} ({t.get('native_id') or t.get('thread_id')})" + (
            f" [{', '.join(flags)}]" if flags else ""
        )
        frames = []
        for f in t.get("frames", []):
            if f.get("native"):
                frames.append(f"(C) {f['function']} ({f.get('library') or f.get('file')})")
            else:
                frames.append(f"{f['function']}  {f['file']}:{f['line']}")
        parts.append(
            f'<details open style="{_BOX}"><summary><b>{html.escape(title)}</b> '
            f'<span style="{_MUTED}">{len(frames)} frames, innermost last</span></summary>{_pre(chr(10).join(frames))}</details>'
        )
    for task in record.get("tasks") or []:
        task_frames = "\n".join(f"{f['function']}  {f['file']}:{f['line']}" for f in task.get("frames", []))
        parts.append(
            f'<details style="{_BOX}"><summary>task <b>{html.escape(str(task["name"]))}</b> ({html.escape(task["state"])})</summary>{_pre(task_frames)}</details>'
        )
    return "".join(parts)


def _table_html(headers: list, rows: list) -> str:
    th = "".join(f'<th style="text-align:left;padding:2px 8px">{html.escape(str(h))}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:left;padding:2px 8px;font-family:monospace">{html.escape(str(c))}</td>' for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def record_html(record: dict) -> str:
    kind = record.get("kind")
    if kind == "processes":
        return _table_html(*processes_rows(record))
    if kind == "stack":
        return _stack_html(record)
    if kind == "error":
        return f'<div style="{_ERROR}">{html.escape(render_text(record))}</div>'
    if kind == "console" and record.get("error"):
        out = "".join(_pre(record[s]) for s in ("stdout", "stderr") if record.get(s))
        return out + _pre(record["error"].get("traceback") or record["error"]["message"], _ERROR)
    return _pre(render_text(record))


def _bounded(records: list) -> tuple[list, bool]:
    """Keep whole records while they fit; a record that does not fit is replaced by a note."""
    kept, size, cut = [], 0, False
    for record in records:
        n = len(json.dumps(record, ensure_ascii=False, default=repr))
        if size + n > MAX_NOTEBOOK_BYTES:
            cut = True
            kept.append(
                {
                    "v": 1,
                    "kind": "message",
                    "text": f"a {record.get('kind')} record of {n} bytes was left out of the notebook (limit {MAX_NOTEBOOK_BYTES} bytes)",
                }
            )
            continue
        kept.append(record)
        size += n
    return kept, cut


def mime_bundle(records: list, command: str = "", pid: int | None = None) -> dict:
    kept, cut = _bounded(records)
    payload = {"v": 1, "command": command, "pid": pid, "records": kept, "cut": cut}
    header = f"flight {pid}> {command}" if command else ""
    body = "".join(record_html(r) for r in kept)
    head_html = (
        f'<div style="{_MUTED};font-family:monospace;font-size:11px">{html.escape(header)}</div>' if header else ""
    )
    text = "\n".join(render_text(r) for r in kept)
    return {
        MIME_TYPE: payload,
        "text/html": f'<div class="jupyterlab-flight-result">{head_html}{body}</div>',
        "text/plain": text,
    }
