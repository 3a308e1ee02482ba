"""``job``: one command on every process of a job, grouped (fanout.py).

The terminal gets a one-line summary per tier (``3 ranks in all_reduce (rank 0, 1, 3); rank 2 in
load_batch, job_rank.py:34``), then each group smallest first with its stack, the frame where it
leaves the majority marked ``<<``, and every process that did not answer with its status. The
notebook gets the same as a grouped tree (STAT's equivalence classes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ...records import JobGroup, JobRecord
from ..markup import BOX, ERROR, MUTED, PRE, escape
from ..registry import HTML, TEXT

_NOUNS = {"rank": ("rank", "ranks"), "worker": ("worker", "workers"), "other": ("process", "processes")}
_STATUS = {
    "timeout": "timed out",
    "denied": "permission denied",
    "not_python": "not Python",
    "gone": "exited",
    "error": "failed",
    "skipped": "not selected",
}


def _members(group: JobGroup) -> str:
    ranks = group.get("ranks")
    if ranks:
        return "rank " + ", ".join(str(r) for r in ranks)
    labels = group.get("labels") or []
    pids = group.get("pids") or []
    if len(labels) <= 4:
        return ", ".join(
            f"{label} {pid}" if label and str(pid) not in label else str(pid) for label, pid in zip(labels, pids)
        )
    return "pids " + ", ".join(str(p) for p in pids[:8]) + (f", ... ({len(pids)})" if len(pids) > 8 else "")


def _where(frame: Mapping) -> str:
    return f"{os.path.basename(str(frame.get('file') or '?'))}:{frame.get('line')}"


def _phrase(group: JobGroup) -> str:
    singular, plural = _NOUNS.get(group.get("tier", "other"), _NOUNS["other"])
    count = group.get("count", 0)
    noun = singular if count == 1 else plural
    members = _members(group)
    if group.get("status", "ok") != "ok":
        what = _STATUS.get(group["status"], group["status"])
        return f"{count} {noun} {what} ({members})" if count > 1 else f"{members}: {what}"
    stack = group.get("stack") or []
    innermost = stack[-1] if stack else {"function": "?"}
    where = f"in {innermost.get('function')}"
    if not group.get("majority"):
        where += f", {_where(innermost)}"
    if count == 1:
        return f"{members} {where}"
    return f"{count} {noun} {where} ({members})"


def summary(record: JobRecord) -> list:
    """One line per tier: the majority first, then the others smallest first."""
    lines = []
    for tier in ("rank", "worker", "other"):
        groups = [g for g in record.get("groups", []) if g.get("tier") == tier]
        if not groups:
            continue
        groups.sort(key=lambda g: (not g.get("majority"), g.get("count", 0)))
        lines.append("; ".join(_phrase(g) for g in groups))
    return lines


def _moving(group: JobGroup, samples: int) -> str:
    if samples <= 1 or "moving" not in group:
        return ""
    moving = group.get("moving") or []
    if not moving:
        return f" (the same stack in all {samples} samples: not moving)"
    return f" (moving: {', '.join(str(p) for p in moving)})"


def tree_lines(record: JobRecord) -> list:
    """The job's processes as a tree: pid, label, and the command line of the unlabelled."""
    lines = []
    for p in record.get("processes", []):
        label = p.get("label") or ""
        extra = "" if p.get("python") else " (not Python)"
        command = (p.get("cmdline") or "")[:80]
        lines.append(f"{'  ' * min(p.get('depth', 0), 12)}{p.get('pid')}  {label}{extra}  {command}".rstrip())
    return lines


@TEXT.renderer("job")
def job_text(record: JobRecord) -> str:
    processes = record.get("processes", [])
    if not record.get("command"):
        head = f"job of pid {record.get('pid')} (root {record.get('root')}): {len(processes)} processes"
        return "\n".join([head, *tree_lines(record)])
    answered = sum(1 for p in processes if p.get("status") == "ok")
    asked = sum(1 for p in processes if p.get("status") != "skipped")
    lines = [
        f"job of pid {record.get('pid')} (root {record.get('root')}): {record.get('command')} on {asked} processes, "
        f"{answered} answered, {record.get('elapsed_ms')} ms"
        + (f", {record.get('samples')} samples" if record.get("samples", 1) > 1 else "")
    ]
    lines.extend(summary(record))
    samples = record.get("samples", 1)
    for group in record.get("groups", []):
        singular, plural = _NOUNS.get(group.get("tier", "other"), _NOUNS["other"])
        lines.append("")
        head = f"[{group.get('count')} {singular if group.get('count') == 1 else plural}] {_members(group)}"
        if group.get("majority"):
            head += " (majority)"
        lines.append(head + _moving(group, samples))
        if group.get("status", "ok") != "ok":
            lines.append(f"  {_STATUS.get(group['status'], group['status'])}: {group.get('reason') or ''}".rstrip())
            continue
        diverges = group.get("diverges_at")
        for i, frame in enumerate(group.get("stack") or []):
            mark = "  << diverges from the majority here" if diverges is not None and i == diverges else ""
            lines.append(f"  {'  ' * min(i, 12)}{frame.get('function')}  {_where(frame)}{mark}")
    if not record.get("groups"):  # a command other than stack: each process's status and records' kinds
        lines.append("")
        for p in processes:
            if p.get("status") == "skipped":
                continue
            if p.get("status") != "ok":
                lines.append(
                    f"{p.get('label')} {p.get('pid')}: {_STATUS.get(p['status'], p['status'])}: {p.get('reason')}"
                )
                continue
            lines.append(f"{p.get('label')} {p.get('pid')}:")
            for r in p.get("records", []):
                lines.extend("  " + line for line in TEXT.render(r).splitlines())
    return "\n".join(lines)


def _group_html(group: JobGroup, samples: int) -> str:
    singular, plural = _NOUNS.get(group.get("tier", "other"), _NOUNS["other"])
    count = group.get("count", 0)
    title = f"{count} {singular if count == 1 else plural}: {_members(group)}"
    badge = " (majority)" if group.get("majority") else ""
    parts = [
        f'<details open style="{BOX}"><summary><b>{escape(title)}</b>'
        f'<span style="{MUTED}">{escape(badge + _moving(group, samples))}</span></summary>'
    ]
    if group.get("status", "ok") != "ok":
        what = _STATUS.get(group["status"], group["status"])
        parts.append(f'<div style="{ERROR}">{escape(what)}: {escape(str(group.get("reason") or ""))}</div>')
    else:
        diverges = group.get("diverges_at")
        mono = "font-family:var(--jp-code-font-family,monospace);font-size:12px"
        for i, frame in enumerate(group.get("stack") or []):
            marked = diverges is not None and i == diverges
            style = f"{mono};padding-left:{min(i, 12) * 12}px"
            if marked:
                style += ";background:rgba(255,193,7,0.3);font-weight:600"
            note = " &larr; diverges from the majority here" if marked else ""
            parts.append(
                f'<div style="{style}">{escape(str(frame.get("function")))} '
                f'<span style="{MUTED}">{escape(_where(frame))}</span>{note}</div>'
            )
    parts.append("</details>")
    return "".join(parts)


@HTML.renderer("job")
def job_html(record: JobRecord) -> str:
    if not record.get("command"):
        return f'<pre style="{PRE}">{escape(job_text(record))}</pre>'
    text_head = job_text(record).split("\n")
    head = text_head[0]
    lines = summary(record)
    parts = [f'<div><div style="{MUTED}">{escape(head)}</div>']
    for line in lines:
        parts.append(f"<div><b>{escape(line)}</b></div>")
    samples = record.get("samples", 1)
    for group in record.get("groups", []):
        parts.append(_group_html(group, samples))
    if not record.get("groups"):
        rows = []
        for p in record.get("processes", []):
            if p.get("status") == "skipped":
                continue
            status = p.get("status", "?")
            if status == "ok":
                inner = "".join(HTML.render(r) for r in p.get("records", []))
            else:
                inner = escape(_STATUS.get(status, status) + ": " + str(p.get("reason")))
            rows.append(f"<div>{escape(str(p.get('label')))} {p.get('pid')}: {inner}</div>")
        parts.append("".join(rows))
    parts.append("</div>")
    return "".join(parts)
