"""``gc`` (vmtool forceGc) and ``module``: one-line facts about the target's interpreter."""

from __future__ import annotations

from ...records import GcRecord, ModuleRecord
from ..markup import pre
from ..registry import HTML, TEXT


@TEXT.renderer("gc")
def gc_text(record: GcRecord) -> str:
    return (
        f"garbage collection done: {record['collected']} unreachable objects found, "
        f"{record['uncollectable']} uncollectable"
    )


@TEXT.renderer("module")
def module_text(record: ModuleRecord) -> str:
    return f"{record['file']} is imported as: " + ", ".join(record["modules"])


@HTML.renderer("gc")
def gc_html(record: GcRecord) -> str:
    return pre(gc_text(record))


@HTML.renderer("module")
def module_html(record: ModuleRecord) -> str:
    return pre(module_text(record))
