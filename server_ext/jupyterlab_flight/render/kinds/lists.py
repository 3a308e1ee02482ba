"""The client's own lists: ``processes`` (Python processes to attach to) and ``sessions``."""

from __future__ import annotations

from ...records import ProcessesRecord, SessionsRecord
from ..markup import pre
from ..markup import table as html_table
from ..plain import megabytes, table
from ..registry import HTML, TEXT

PROCESS_HEADERS = ["PID", "USER", "PYTHON", "CPU%", "RSS", "KERNEL", "COMMAND"]


def processes_rows(record: ProcessesRecord) -> tuple[list, list]:
    """The process table's headers and rows, shared by the text and the HTML."""
    rows = []
    for p in record.get("processes", []):
        kernel = ""
        kernel_id = p.get("kernel_id")
        if kernel_id:
            kernel = (
                kernel_id[:8]
                + (f" {p['notebook']}" if p.get("notebook") else "")
                + (" (this kernel)" if p.get("self") else "")
            )
        # a job's processes as a tree under its root, each command line after its label
        depth = min(p.get("depth") or 0, 8)
        label = f"[{p['label']}] " if p.get("job") is not None and p.get("label") else ""
        rows.append(
            [
                "  " * depth + str(p["pid"]) if depth else p["pid"],
                p.get("user") or "",
                p.get("python") or "",
                p.get("cpu_percent", ""),
                megabytes(p.get("rss_bytes", 0)),
                kernel,
                (label + (p.get("cmdline") or ""))[:100],
            ]
        )
    return list(PROCESS_HEADERS), rows


@TEXT.renderer("processes")
def processes_text(record: ProcessesRecord) -> str:
    return table(*processes_rows(record))


@HTML.renderer("processes")
def processes_html(record: ProcessesRecord) -> str:
    return html_table(*processes_rows(record))


@TEXT.renderer("sessions")
def sessions_text(record: SessionsRecord) -> str:
    rows = [
        [
            ("* " if r["current"] else "  ") + str(r["pid"]),
            r.get("python") or "",
            "yes" if r["connected"] else "no",
            r.get("executable") or "",
        ]
        for r in record.get("sessions", [])
    ]
    return table(["  PID", "PYTHON", "CONNECTED", "EXECUTABLE"], rows) if rows else "no sessions: %flight attach <pid>"


@HTML.renderer("sessions")
def sessions_html(record: SessionsRecord) -> str:
    return pre(sessions_text(record))
