"""``trace``: the call tree under one call, each node with its time and share of the root's."""

from __future__ import annotations

from ...records import CallNode, TraceRecord
from ..markup import pre
from ..plain import clock
from ..registry import HTML, TEXT


def _node_lines(
    node: CallNode,
    prefix: str,
    last: bool,
    root_cost: float,
    lines: list[str],
    root: bool = False,
    exception: str | None = None,
) -> None:
    """``exception``: for the root of a call that raised, ``Type: message``."""
    share = node["cost_ms"] / root_cost * 100 if root_cost else 0.0
    branch = "" if root else ("`-- " if last else "|-- ")
    where = "<built-in>" if node.get("builtin") else (f"{node['file']}:{node['line']}" if node.get("file") else "")
    label = "[await] suspended" if node.get("await") else node["function"]
    raised = ("  !! raised " + (exception or "")).rstrip() if node.get("raised") else ""
    lines.append(f"{prefix}{branch}[{node['cost_ms']:.3f}ms {share:.0f}%] {label}  {where}".rstrip() + raised)
    children = node.get("children") or []
    child_prefix = prefix + ("    " if last else "|   ") if branch else prefix
    folded = node.get("folded")
    for i, child in enumerate(children):
        _node_lines(child, child_prefix, i == len(children) - 1 and not folded, root_cost, lines)
    if folded:
        lines.append(f"{child_prefix}`-- ({folded['count']} calls under -i, {folded['cost_ms']:.3f}ms in all)")


@TEXT.renderer("trace")
def trace_text(record: TraceRecord) -> str:
    lines = [
        f"#{record['index']} {clock(record['time'])} {record['method']} cost={record['cost_ms']:.3f}ms "
        f"thread={record.get('thread_name') or record.get('thread_id')}"
    ]
    error = record.get("exception")
    exception = f"{error['type']}: {error.get('message', '')}".rstrip(": ")[:200] if error else None
    _node_lines(record["root"], "", True, record["root"]["cost_ms"], lines, root=True, exception=exception)
    filter_error = record.get("filter_error")
    if filter_error:
        lines.append(
            f"  filter {filter_error['expr']!r} raised {filter_error['type']}: {filter_error['message']} (call shown)"
        )
    if record.get("cut"):
        lines.append(f"({record['cut']})")
    return "\n".join(lines)


@HTML.renderer("trace")
def trace_html(record: TraceRecord) -> str:
    return pre(trace_text(record))
