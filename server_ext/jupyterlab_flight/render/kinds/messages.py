"""Records that carry a sentence for the user: ``message``, ``help``, ``error`` and a stream's ``end``."""

from __future__ import annotations

from ...records import EndRecord, ErrorRecord, HelpRecord, MessageRecord
from ..markup import ERROR, escape, pre
from ..registry import HTML, TEXT

END_REASONS = {
    "limit": "reached the -n limit",
    "stopped": "stopped",
    "timeout": "--timeout reached",
    "detached": "the agent was detached",
    "duration": "-d elapsed",
    "exited": "the target exited",
    "error": "an error ended it",
    "done": "finished",
}


@TEXT.renderer("message", "help")
def message_text(record: MessageRecord | HelpRecord) -> str:
    hint = record.get("stop_hint")
    return f"{record['text']}; Ctrl-C / stop {hint}" if hint else record["text"]


@TEXT.renderer("error")
def error_text(record: ErrorRecord) -> str:
    return f"error: {record['message']}"


@TEXT.renderer("end")
def end_text(record: EndRecord) -> str:
    reason = str(record.get("reason"))
    # a stream read from outside (perf) installed nothing in the target: no hooks to speak of
    hooks = "" if record.get("hooks") is False else "; hooks removed"
    return f"(end: {END_REASONS.get(reason, reason)}{hooks})"


@HTML.renderer("message", "help")
def message_html(record: MessageRecord | HelpRecord) -> str:
    return pre(message_text(record))


@HTML.renderer("error")
def error_html(record: ErrorRecord) -> str:
    return f'<div style="{ERROR}">{escape(error_text(record))}</div>'


@HTML.renderer("end")
def end_html(record: EndRecord) -> str:
    return pre(end_text(record))
