"""``value`` (getglobal, vmtool getInstances) and ``console``: records built around a value tree."""

from __future__ import annotations

from ...records import ConsoleRecord, ValueRecord
from ..markup import ERROR, pre
from ..registry import HTML, TEXT
from ..value_text import value_text


@TEXT.renderer("value")
def value_record_text(record: ValueRecord) -> str:
    lines = [f"EXPR:  {record.get('expr')}", f"TYPE:  {record.get('type')}"]
    if "count" in record:
        lines.append(f"FOUND: {record['count']} instance(s), {record['shown']} used")
    lines.append("VALUE: " + value_text(record["value"]))
    if record["value"].get("cut_verbose"):
        lines.append("(some items or characters were cut even with -v: -x goes deeper, -e selects a part)")
    elif record["value"].get("cut_any"):
        lines.append("(some items or characters were cut: -v shows more, -x goes deeper)")
    return "\n".join(lines)


@HTML.renderer("value")
def value_record_html(record: ValueRecord) -> str:
    return pre(value_record_text(record))


@TEXT.renderer("console")
def console_text(record: ConsoleRecord) -> str:
    parts = []
    if record.get("stdout"):
        parts.append(record["stdout"].rstrip("\n"))
    if record.get("stderr"):
        parts.append(record["stderr"].rstrip("\n"))
    error = record.get("error")
    if error:
        parts.append((error.get("traceback") or f"{error['type']}: {error['message']}").rstrip("\n"))
    else:
        value = record.get("value")
        if value is not None:
            parts.append(value_text(value))
    return "\n".join(parts)


@HTML.renderer("console")
def console_html(record: ConsoleRecord) -> str:
    error = record.get("error")
    if not error:
        return pre(console_text(record))
    # The output as it came, then the traceback in the error color.
    out = "".join(pre(text) for text in (record.get("stdout"), record.get("stderr")) if text)
    return out + pre(error.get("traceback") or error["message"], ERROR)
