"""``diagnosis``: a diagnose workflow's verdict as a short report: summary, classification,
the evidence chain (findings, each naming the records it rests on), likely cause, next commands."""

from __future__ import annotations

from ...records import DiagnosisRecord
from ..markup import BOX, MUTED, PRE, escape
from ..registry import HTML, TEXT

STOPPED = "stopped early: what the steps so far found (the others were skipped)"


def _head(record: DiagnosisRecord) -> str:
    return f"diagnosis ({record['workflow']}): {record['classification']}, confidence {record['confidence']:.0%}"


@TEXT.renderer("diagnosis")
def diagnosis_text(record: DiagnosisRecord) -> str:
    lines = [_head(record), f"summary: {record['summary']}"]
    if record.get("stopped"):
        lines.append(STOPPED)
    if record["problem"].split()[0] != record["workflow"]:
        lines.insert(1, f"problem: {record['problem']}")
    if record["findings"]:
        lines.append("evidence:")
        for i, finding in enumerate(record["findings"], 1):
            refs = ", ".join(f"#{n}" for n in finding["records"])
            lines.append(f"  {i}. {finding['title']}" + (f"  [records {refs}]" if refs else ""))
            lines.append(f"     {finding['evidence']}")
    if record["cause"]:
        lines.append(f"likely cause: {record['cause']}")
    if record["missing"]:
        lines.append(f"not in this version (steps skipped): {', '.join(record['missing'])}")
    if record["next"]:
        lines.append("next:")
        lines += [f"  {line}" for line in record["next"]]
    return "\n".join(lines)


@HTML.renderer("diagnosis")
def diagnosis_html(record: DiagnosisRecord) -> str:
    parts = [f"<div><b>{escape(_head(record))}</b></div>", f"<div>summary: {escape(record['summary'])}</div>"]
    if record.get("stopped"):
        parts.append(f'<div style="{MUTED}">{escape(STOPPED)}</div>')
    if record["problem"].split()[0] != record["workflow"]:
        parts.insert(1, f'<div style="{MUTED}">problem: {escape(record["problem"])}</div>')
    if record["findings"]:
        parts.append("<div>evidence:</div>")
        for i, f in enumerate(record["findings"], 1):
            refs = ", ".join(f"#{n}" for n in f["records"])
            ref = f' <span style="{MUTED}">[records {escape(refs)}]</span>' if refs else ""
            parts.append(
                f'<div style="margin-left:1em"><b>{i}. {escape(f["title"])}</b>{ref}'
                f'<div style="margin-left:1.3em">{escape(f["evidence"])}</div></div>'
            )
    if record["cause"]:
        parts.append(f"<div><b>likely cause:</b> {escape(record['cause'])}</div>")
    if record["missing"]:
        parts.append(
            f'<div style="{MUTED}">not in this version (steps skipped): {escape(", ".join(record["missing"]))}</div>'
        )
    if record["next"]:
        lines = "".join(f"<div>{escape(n)}</div>" for n in record["next"])
        parts.append(f'<div>next:</div><div style="{PRE}">{lines}</div>')
    return f'<div style="{BOX}">' + "".join(parts) + "</div>"
