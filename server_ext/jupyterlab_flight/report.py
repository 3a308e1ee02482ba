"""``%flight report [FILE.html]``: this kernel's session of results as one standalone HTML page.

"The session's results" are every result a ``%flight`` magic displayed in this kernel since the
extension was loaded, errors included, in order, each with the magic line (and a cell magic's
body) that made it, the cell's execution count, the pid and the time. Each is the same static
HTML the notebook's output carries (render/mime.py: inline styles and SVG, no scripts), so the
page reads in any browser without Jupyter and fetches nothing: no script, no stylesheet, no
image, no font from anywhere. ``%flight report`` itself is not a result of the session.

What is kept is bounded: the newest MAX_RESULTS results and MAX_BYTES of HTML; the page says how
many earlier ones were left out.
"""

from __future__ import annotations

import datetime
import os
import socket
import time
from collections import deque
from typing import NamedTuple

from .render.markup import MUTED, PRE, escape
from .render.mime import mime_bundle

MAX_RESULTS = 500
MAX_BYTES = 64 * 1024 * 1024

PAGE_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;font-size:13px;margin:24px auto;"
    "max-width:1280px;padding:0 16px;color:#222;background:#fff}"
    "@media (prefers-color-scheme:dark){body{color:#ddd;background:#1e1e1e}}"
    "h1{font-size:18px}h2{font-size:13px;font-family:monospace;margin:0 0 4px}"
    "section{border-top:1px solid rgba(128,128,128,0.4);padding:10px 0;overflow-x:auto}"
)


class Result(NamedTuple):
    line: str  # the magic as typed: "%flight perf -d 3", "%%flight console"
    cell: str | None  # a cell magic's body
    execution_count: int | None
    pid: int | None
    time: float
    html: str


class SessionReport:
    """The results this kernel displayed, oldest first (bounded)."""

    def __init__(self, max_results: int = MAX_RESULTS, max_bytes: int = MAX_BYTES):
        self.results: deque[Result] = deque()
        self.left_out = 0
        self._bytes = 0
        self._max_results, self._max_bytes = max_results, max_bytes

    def add(
        self, line: str, records: list, pid: int | None, cell: str | None = None, execution_count: int | None = None
    ) -> None:
        html = mime_bundle(records, "", pid)["text/html"]
        self.results.append(Result(line, cell, execution_count, pid, time.time(), html))
        self._bytes += len(html)
        while len(self.results) > 1 and (len(self.results) > self._max_results or self._bytes > self._max_bytes):
            self._bytes -= len(self.results.popleft().html)
            self.left_out += 1

    def __len__(self) -> int:
        return len(self.results)

    def html(self) -> str:
        """The page: a header, then one section per result."""
        now = datetime.datetime.now().astimezone()
        pids = sorted({r.pid for r in self.results if r.pid is not None})
        head = (
            f"{len(self.results)} results of a jupyterlab-flight session in the kernel pid {os.getpid()} on "
            f"{socket.gethostname()}, processes {', '.join(map(str, pids)) or 'none'}; written {now:%Y-%m-%d %H:%M:%S %Z}"
        )
        sections = (
            [
                f'<div style="{MUTED}">{self.left_out:,} earlier results are not in this report '
                f"(it keeps the newest {self._max_results:,}, {self._max_bytes // (1024 * 1024)} MiB)</div>"
            ]
            if self.left_out
            else []
        )
        for r in self.results:
            count = f"In [{r.execution_count}]: " if r.execution_count is not None else ""
            when = datetime.datetime.fromtimestamp(r.time).astimezone()
            pid = f"pid {r.pid}, " if r.pid is not None else ""
            body = f'<pre style="{PRE}">{escape(r.cell)}</pre>' if r.cell else ""
            sections.append(
                f"<section><h2>{escape(count + r.line)}</h2>{body}"
                f'<div style="{MUTED};font-size:11px">{escape(pid)}{when:%H:%M:%S}</div>{r.html}</section>'
            )
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>jupyterlab-flight report {now:%Y-%m-%d %H:%M}</title><style>{PAGE_STYLE}</style></head>"
            f"<body><h1>jupyterlab-flight report</h1><p>{escape(head)}</p>{''.join(sections)}</body></html>\n"
        )

    def write(self, path: str) -> int:
        """Write the page to ``path``; its size in bytes."""
        page = self.html().encode("utf-8")
        with open(path, "wb") as f:
            f.write(page)
        return len(page)


def default_path() -> str:
    return f"flight-report-{datetime.datetime.now():%Y%m%d-%H%M%S}.html"
