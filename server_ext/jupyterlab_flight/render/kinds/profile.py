"""``profile`` (perf): a header line and the top functions; in HTML, the flame graph above them.

The HTML's flame graph is perf/svg.py's static SVG of the record's merged tree (frames under
1 px at 1200 px left out, no scripts), so a saved notebook shows the picture without the
extension.
"""

from __future__ import annotations

from ...perf.svg import flame_svg
from ...records import ProfileRecord, TopFunction
from ..markup import MUTED, escape, table
from ..registry import HTML, TEXT

TOP_SHOWN = 20
TOP_HEADERS = ("SELF%", "TOTAL%", "SAMPLES", "FUNCTION", "FILE:LINE")


def _flags(record: ProfileRecord) -> list[str]:
    return [name for name, on in (record.get("flags") or {}).items() if on]


def profile_header(record: ProfileRecord) -> str:
    """One line: what was sampled, how well, and how."""
    rate, achieved = record.get("rate"), record.get("achieved_rate")
    engine = f"{record.get('engine', 'py-spy')} {record.get('engine_version', '')}".strip()
    text = (
        f"profile of pid {record.get('pid')}: {record.get('samples', 0):,} samples at {achieved:g} of {rate} Hz "
        f"in {record.get('duration_s', 0):.1f} s ({engine}"
    )
    flags = _flags(record)
    if flags:
        text += "; " + ", ".join(flags)
    text += ")"
    lost, errors = record.get("lost_s") or 0, record.get("errors") or 0
    notes = []
    if lost >= 0.01:
        notes.append(f"{lost:.2f} s not sampled")
    if errors:
        notes.append(f"{errors:,} sampling errors")
    if record.get("behind"):
        notes.append("py-spy fell behind: lower the rate")
    if notes:
        text += "; " + ", ".join(notes)
    if record.get("live"):
        text += " [live]"
    return text


def _where(row: TopFunction) -> str:
    file, line = row.get("file"), row.get("line")
    if file is None:
        return ""
    return f"{file}:{line}" if line is not None else str(file)


def top_rows(record: ProfileRecord) -> list[tuple]:
    return [
        (
            f"{row['self_pct']:.1f}",
            f"{row['total_pct']:.1f}",
            f"{row['self']:,}",
            row["function"] + (" [native]" if row.get("native") else ""),
            _where(row),
        )
        for row in (record.get("top") or [])[:TOP_SHOWN]
    ]


CHANGE_HEADERS = ("CHANGE", "BEFORE%", "NOW%", "FUNCTION", "FILE")


def change_rows(record: ProfileRecord) -> list[tuple]:
    """With --baseline: the functions whose self share moved most (gone ones included)."""
    baseline = record.get("baseline")
    changes = baseline.get("changes", []) if baseline else []
    return [
        (
            f"{row['delta_pct']:+.1f}",
            f"{row['base_self_pct']:.1f}",
            f"{row['self_pct']:.1f}",
            row["function"],
            row.get("file") or "",
        )
        for row in changes
    ]


def _columns(cells: list, numeric: int) -> list[str]:
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(cells[0]))]
    out = []
    for r in cells:
        numbers = "  ".join(str(r[i]).rjust(widths[i]) for i in range(numeric))
        rest = "  ".join(str(r[i]).ljust(widths[i]) for i in range(numeric, len(r)))
        out.append(f"{numbers}  {rest}".rstrip())
    return out


def _notes(record: ProfileRecord) -> list[str]:
    notes = []
    pruned = record.get("pruned")
    if pruned and pruned.get("nodes"):
        notes.append(f"{pruned['nodes']:,} smallest call paths ({pruned.get('samples', 0):,} samples) not in the tree")
    if record.get("agent_samples"):
        notes.append(f"{record['agent_samples']:,} samples of jupyterlab-flight's agent threads left out")
    baseline = record.get("baseline")
    if baseline:
        notes.append(f"compared with {baseline['source']} ({baseline['samples']:,} samples)")
    written = record.get("file")
    if written:
        notes.append(f"written to {written['path']} ({written['format']})")
    threads = record.get("threads") or []
    if len(threads) > 1:
        shown = ", ".join(f"{t.get('name') or t['thread_id']} {t['samples']:,}" for t in threads[:8])
        notes.append(f"{len(threads)} threads: {shown}" + (", ..." if len(threads) > 8 else ""))
    return notes


@TEXT.renderer("profile")
def profile_text(record: ProfileRecord) -> str:
    lines = [profile_header(record), *(f"  {note}" for note in _notes(record))]
    rows = top_rows(record)
    if not rows:
        lines.append("no samples (an idle target? --idle includes waiting threads)")
        return "\n".join(lines)
    lines.extend(_columns([TOP_HEADERS, *rows], 3))
    changes = change_rows(record)
    if changes:
        lines.append("changed most against the baseline (share of self samples, points):")
        lines.extend(f"  {line}" for line in _columns([CHANGE_HEADERS, *changes], 3))
    return "\n".join(lines)


@HTML.renderer("profile")
def profile_html(record: ProfileRecord) -> str:
    parts = [f'<div style="{MUTED}">{escape(profile_header(record))}</div>']
    for note in _notes(record):
        parts.append(f'<div style="{MUTED}">{escape(note)}</div>')
    root = record.get("root")
    if root and root.get("total"):
        baseline = record.get("baseline")
        parts.append(
            '<div style="overflow-x:auto;margin:4px 0">'
            + flame_svg(root, f"pid {record.get('pid')}", base_samples=baseline["samples"] if baseline else None)
            + "</div>"
        )
    rows = top_rows(record)
    if rows:
        parts.append(table(TOP_HEADERS, rows))
    changes = change_rows(record)
    if changes:
        parts.append("<div>changed most against the baseline (share of self samples, points):</div>")
        parts.append(table(CHANGE_HEADERS, changes))
    return "".join(parts)
