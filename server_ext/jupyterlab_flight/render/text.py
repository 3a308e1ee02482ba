"""Render result records (docs/schema.md) as plain text for the terminal and text/plain."""

from __future__ import annotations

import linecache

INDENT = "  "


def _is_leaf(node: dict) -> bool:
    return not any(k in node for k in ("items", "entries", "attrs"))


def _one_line(node: dict) -> str | None:
    """Short containers of plain values on one line: (1, 'a') rather than one item per line."""
    if "items" in node and all(_is_leaf(i) and "repr" in i for i in node["items"]):
        opening, closing = {"list": ("[", "]"), "tuple": ("(", ")"), "set": ("{", "}")}.get(node["type"], ("", ""))
        if not opening:
            return None
        inner = ", ".join(i["repr"] for i in node["items"]) + (
            "," if node["type"] == "tuple" and len(node["items"]) == 1 else ""
        )
        text = opening + inner + closing
    elif (
        "entries" in node
        and node["type"] == "dict"
        and all(
            "key" in e and _is_leaf(e["key"]) and _is_leaf(e["value"]) and "repr" in e["value"] for e in node["entries"]
        )
    ):
        text = "{" + ", ".join(f"{e['key'].get('repr')}: {e['value']['repr']}" for e in node["entries"]) + "}"
    else:
        return None
    return text if len(text) <= 100 else None


def value_text(node: dict, indent: int = 0) -> str:
    """A value tree as Python-like text, one item per line when expanded."""
    short = _one_line(node)
    if short is not None:
        return short
    pad = INDENT * (indent + 1)
    close = INDENT * indent
    if "omitted" in node and len(node) <= 2:
        return f"... {node['omitted']} more ..."
    if "items" in node:
        t = node["type"]
        opening, closing = {"list": ("[", "]"), "tuple": ("(", ")"), "set": ("{", "}")}.get(t, (f"{t}([", "])"))
        if not node["items"]:
            return opening + closing
        parts = [pad + value_text(item, indent + 1) for item in node["items"]]
        return opening + "\n" + ",\n".join(parts) + "\n" + close + closing
    if "entries" in node:
        opening, closing = ("{", "}") if node["type"] == "dict" else (f"{node['type']}({{", "})")
        if not node["entries"]:
            return opening + closing
        parts = []
        for entry in node["entries"]:
            if "omitted" in entry and "key" not in entry:
                parts.append(pad + f"... {entry['omitted']} more ...")
            else:
                parts.append(pad + value_text(entry["key"], indent + 1) + ": " + value_text(entry["value"], indent + 1))
        return opening + "\n" + ",\n".join(parts) + "\n" + close + closing
    if "attrs" in node:
        if not node["attrs"]:
            return f"{node['type']}()"
        parts = []
        for attr in node["attrs"]:
            if "name" not in attr:
                parts.append(pad + f"... {attr['omitted']} more ...")
            else:
                parts.append(pad + f"{attr['name']}=" + value_text(attr["value"], indent + 1))
        return f"{node['type']}(\n" + ",\n".join(parts) + "\n" + close + ")"
    text = node.get("repr", f"<{node.get('type', '?')}>")
    if node.get("cut"):
        text += f"  [cut: {node['cut']} characters]"
    return text


def _stack_text(record: dict) -> str:
    lines = []
    source = record.get("source")
    for t in record.get("threads", []):
        flags = []
        if t.get("main"):
            flags.append("main")
        if t.get("daemon"):
            flags.append("daemon")
        if t.get("gil") is True:
            flags.append("holds the GIL")
        name = t.get("name") or "?"
        header = f'Thread {t.get("native_id") or t["thread_id"]} "{name}"'
        if flags:
            header += " (" + ", ".join(flags) + ")"
        lines.append(header + " (most recent call last):")
        if t.get("frames_omitted"):
            lines.append(f"  ... {t['frames_omitted']} outer frames omitted ...")
        for f in t.get("frames", []):
            if f.get("native"):
                lines.append(f"  (C) {f['function']} ({f.get('library') or f.get('file')})")
                continue
            lines.append(f'  File "{f["file"]}", line {f["line"]}, in {f["function"]}')
            source_line = linecache.getline(f["file"], f["line"]).strip() if f.get("line") else ""
            if source_line:
                lines.append(f"    {source_line}")
        lines.append("")
    for task in record.get("tasks", []) or []:
        lines.append(f'Task "{task["name"]}" ({task["state"]}) coroutine {task["coroutine"]}')
        for f in task.get("frames", []):
            lines.append(f'  File "{f["file"]}", line {f["line"]}, in {f["function"]}')
        if task.get("awaiting"):
            lines.append(f"  awaiting {task['awaiting']}")
        lines.append("")
    if "tasks" in record and not record["tasks"]:
        lines.append("no pending asyncio tasks")
    if source == "pystack":
        lines.append(f"(read from outside by pystack{', native frames' if record.get('native') else ''})")
    return "\n".join(lines).rstrip()


def _value_record_text(record: dict) -> str:
    lines = [f"EXPR:  {record.get('expr')}", f"TYPE:  {record.get('type')}"]
    if "count" in record:
        lines.append(f"FOUND: {record['count']} instance(s), {record['shown']} used")
    lines.append("VALUE: " + value_text(record["value"]))
    if record["value"].get("cut_any"):
        lines.append("(some items or characters were cut: -v shows more, -x goes deeper)")
    return "\n".join(lines)


def _console_text(record: dict) -> str:
    parts = []
    if record.get("stdout"):
        parts.append(record["stdout"].rstrip("\n"))
    if record.get("stderr"):
        parts.append(record["stderr"].rstrip("\n"))
    if record.get("error"):
        parts.append(
            (record["error"].get("traceback") or f"{record['error']['type']}: {record['error']['message']}").rstrip(
                "\n"
            )
        )
    elif record.get("value") is not None:
        parts.append(value_text(record["value"]))
    return "\n".join(parts)


def _table(headers: list, rows: list) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _megabytes(n: int) -> str:
    return f"{n / 1048576:.0f} MB"


def processes_rows(record: dict) -> tuple[list, list]:
    headers = ["PID", "USER", "PYTHON", "CPU%", "RSS", "KERNEL", "COMMAND"]
    rows = []
    for p in record.get("processes", []):
        kernel = ""
        if p.get("kernel_id"):
            kernel = (
                p["kernel_id"][:8]
                + (f" {p['notebook']}" if p.get("notebook") else "")
                + (" (this kernel)" if p.get("self") else "")
            )
        rows.append(
            [
                p["pid"],
                p.get("user") or "",
                p.get("python") or "",
                p.get("cpu_percent", ""),
                _megabytes(p.get("rss_bytes", 0)),
                kernel,
                (p.get("cmdline") or "")[:100],
            ]
        )
    return headers, rows


def _clock(epoch: float) -> str:
    import time

    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{int(epoch % 1 * 1000):03d}"


def _watch_text(record: dict) -> str:
    mark = "x" if record.get("exception") else "+"
    head = (
        f"[{mark}] #{record.get('index')} {_clock(record['time'])} {record['method']} cost={record['cost_ms']:.3f}ms "
        f"thread={record.get('thread_name') or record.get('thread_id')}"
    )
    lines = [head]
    if record.get("exception"):
        lines.append(f"  raised {record['exception']['type']}: {record['exception']['message']}")
    if record.get("filter_error"):
        e = record["filter_error"]
        lines.append(f"  filter {e['expr']!r} raised {e['type']}: {e['message']} (call shown)")
    for item in record.get("values", []):
        if "error" in item:
            lines.append(f"  {item['expr']} -> raised {item['error']['type']}: {item['error']['message']}")
        else:
            lines.append(f"  {item['expr']} = " + value_text(item["value"], 1))
    return "\n".join(lines)


def _ms(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _monitor_text(record: dict) -> str:
    return (
        f"{_clock(record['end'])} {record['method']} cycle {record['cycle']}: calls={record['calls']} "
        f"ok={record['successes']} failed={record['failures']} avg={_ms(record['avg_ms'])}ms "
        f"p50={_ms(record['p50_ms'])}ms p99={_ms(record['p99_ms'])}ms max={_ms(record['max_ms'])}ms"
    )


def _trace_node_lines(node: dict, prefix: str, last: bool, root_cost: float, lines: list, root: bool = False) -> None:
    share = node["cost_ms"] / root_cost * 100 if root_cost else 0.0
    branch = "" if root else ("`-- " if last else "|-- ")
    where = "<built-in>" if node.get("builtin") else (f"{node['file']}:{node['line']}" if node.get("file") else "")
    label = "[await] suspended" if node.get("await") else node["function"]
    lines.append(f"{prefix}{branch}[{node['cost_ms']:.3f}ms {share:.0f}%] {label}  {where}".rstrip())
    children = node.get("children") or []
    child_prefix = prefix + ("    " if last else "|   ") if branch else prefix
    folded = node.get("folded")
    for i, child in enumerate(children):
        _trace_node_lines(child, child_prefix, i == len(children) - 1 and not folded, root_cost, lines)
    if folded:
        lines.append(f"{child_prefix}`-- ({folded['count']} calls under -i, {folded['cost_ms']:.3f}ms in all)")


def _trace_text(record: dict) -> str:
    lines = [
        f"#{record['index']} {_clock(record['time'])} {record['method']} cost={record['cost_ms']:.3f}ms "
        f"thread={record.get('thread_name') or record.get('thread_id')}"
    ]
    _trace_node_lines(record["root"], "", True, record["root"]["cost_ms"], lines, root=True)
    if record.get("cut"):
        lines.append(f"({record['cut']})")
    return "\n".join(lines)


def _tt_rows(rows: list) -> str:
    table = [
        [
            r["index"],
            _clock(r["time"]),
            f"{r['cost_ms']:.3f}",
            "yes" if r["is_return"] else "no",
            "yes" if r["is_exception"] else "no",
            r.get("thread_name") or "",
            r["method"],
        ]
        for r in rows
    ]
    return _table(["INDEX", "TIME", "COST(ms)", "RETURNED", "RAISED", "THREAD", "METHOD"], table)


def _tt_detail_text(record: dict) -> str:
    lines = [
        f"INDEX:     {record['index']}" + (f" (replay of {record['replay_of']})" if record.get("replay_of") else ""),
        f"METHOD:    {record['method']}",
        f"TIME:      {_clock(record['time'])}",
        f"COST:      {record['cost_ms']:.3f}ms",
        f"THREAD:    {record.get('thread_name') or record.get('thread_id')}",
    ]
    if record.get("target") is not None:
        lines.append("TARGET:    " + value_text(record["target"], 1))
    lines.append("ARGS:      " + value_text(record["args"], 1))
    lines.append("KWARGS:    " + value_text(record["kwargs"], 1))
    if record.get("exception"):
        lines.append(
            "RAISED:    "
            + (
                record["exception"].get("traceback")
                or f"{record['exception']['type']}: {record['exception']['message']}"
            ).rstrip()
        )
    else:
        lines.append("RETURNED:  " + value_text(record["return_obj"], 1))
    return "\n".join(lines)


_END_REASONS = {
    "limit": "reached the -n limit",
    "stopped": "stopped",
    "timeout": "--timeout reached",
    "detached": "the agent was detached",
}


def render_text(record: dict) -> str:
    kind = record.get("kind")
    if kind == "stack":
        return _stack_text(record)
    if kind == "value":
        return _value_record_text(record)
    if kind == "console":
        return _console_text(record)
    if kind == "module":
        return f"{record['file']} is imported as: " + ", ".join(record["modules"])
    if kind == "watch":
        return _watch_text(record)
    if kind == "monitor":
        return _monitor_text(record)
    if kind == "trace":
        return _trace_text(record)
    if kind == "tt_record":
        return _tt_rows([record]).split("\n", 1)[1]
    if kind == "tt_list":
        text = (
            _tt_rows(record["records"])
            if record["records"]
            else "no records (tt -t module [class] method records calls)"
        )
        return text + (
            f"\n({record['evicted']} older records were evicted to stay within bounds)" if record.get("evicted") else ""
        )
    if kind == "tt_detail":
        return _tt_detail_text(record)
    if kind == "end":
        reason = str(record.get("reason"))
        return f"(end: {_END_REASONS.get(reason, reason)}; hooks removed)"
    if kind == "gc":
        return f"garbage collection done: {record['collected']} unreachable objects found, {record['uncollectable']} uncollectable"
    if kind == "help":
        return record["text"]
    if kind == "processes":
        return _table(*processes_rows(record))
    if kind == "sessions":
        rows = [
            [
                ("* " if r["current"] else "  ") + str(r["pid"]),
                r.get("python") or "",
                "yes" if r["connected"] else "no",
                r.get("executable") or "",
            ]
            for r in record.get("sessions", [])
        ]
        return (
            _table(["  PID", "PYTHON", "CONNECTED", "EXECUTABLE"], rows)
            if rows
            else "no sessions: %flight attach <pid>"
        )
    if kind == "message":
        return record["text"]
    if kind == "error":
        return f"error: {record['message']}"
    return str(record)
