"""``torch_profile``, ``torch_memory``, ``torch_snapshot``, ``torch_tensors`` (the torch command).

Text: a header line and tables. HTML (static, no scripts: a saved notebook shows it without the
extension): the same tables, and an SVG summary drawn here of the profile's timeline (threads and
streams as rows) or of the memory timeline (allocated, reserved on CUDA, the peak marked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...records import TorchMemoryRecord, TorchProfileRecord, TorchSnapshotRecord, TorchTensorsRecord
from ..markup import MUTED, escape, table
from ..plain import table as text_table
from ..registry import HTML, TEXT

OPS_SHOWN = 25
STACKS_SHOWN = 10
SVG_WIDTH = 900
ROW_HEIGHT = 14
MAX_SVG_RECTS = 4000


def size(n: int | float | None) -> str:
    """Bytes for people: 512 B, 3.0 KiB, 12.5 MiB, 1.20 GiB (negative: freed)."""
    if n is None:
        return "-"
    sign, n = ("-" if n < 0 else ""), abs(n)
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{sign}{value:.2f} {unit}" if value < 10 and unit == "GiB" else f"{sign}{value:.1f} {unit}"
    return f"{sign}{int(n)} B"


def us(value: float | None) -> str:
    """Microseconds for people: 850 us, 12.3 ms, 1.20 s."""
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f} s"
    if value >= 1000:
        return f"{value / 1000:.1f} ms"
    return f"{value:.0f} us"


# -- torch_profile --------------------------------------------------------------------------------


def profile_header(record: TorchProfileRecord) -> str:
    calls = record.get("calls", 0)
    costs = ", ".join(f"{c:.1f} ms" for c in record.get("cost_ms", []))
    text = (
        f"torch profile of {record.get('method')}: {calls} call{'s' if calls != 1 else ''} ({costs}) "
        f"on {record.get('device')}, thread {', '.join(record.get('threads', []))}"
    )
    if calls < record.get("calls_asked", calls):
        text += f"; {record.get('calls_asked')} asked, only {calls} made before it ended"
    trace: Any = record.get("trace") or {}
    if trace.get("truncated"):
        text += f"; the timeline keeps the {len(trace.get('events', []))} longest of {trace.get('events_total')} events"
    return text


def ops_rows(record: TorchProfileRecord, limit: int = OPS_SHOWN) -> tuple:
    """The op table's headers and rows, shared by the text and the HTML."""
    device = record.get("self_device_us") is not None
    headers = ["OP", "CALLS", "SELF CPU", "CPU TOTAL"]
    if device:
        headers += ["SELF CUDA", "CUDA TOTAL"]
    headers += ["CPU MEM"] + (["CUDA MEM"] if device else []) + ["INPUT SHAPES"]
    rows = []
    for op in record.get("ops", [])[:limit]:
        row = [op["name"][:60], op["calls"], us(op["self_cpu_us"]), us(op["cpu_total_us"])]
        if device:
            row += [us(op.get("self_device_us")), us(op.get("device_total_us"))]
        row.append(size(op.get("self_cpu_memory")))
        if device:
            row.append(size(op.get("self_device_memory")))
        shapes = op.get("shapes") or []
        row.append(shapes[0]["shapes"][:60] + (f" (+{len(shapes) - 1})" if len(shapes) > 1 else "") if shapes else "")
        rows.append(row)
    return headers, rows


def _more(record: Mapping[str, Any], key: str, total_key: str, shown: int) -> str:
    total = record.get(total_key) or len(record.get(key) or [])
    return f"\n({total - shown} more)" if total > shown else ""


@TEXT.renderer("torch_profile")
def profile_text(record: TorchProfileRecord) -> str:
    headers, rows = ops_rows(record)
    return profile_header(record) + "\n" + text_table(headers, rows) + _more(record, "ops", "ops_total", len(rows))


def _palette(name: str) -> str:
    h = 0
    for ch in name:
        h = (h * 31 + ord(ch)) & 0xFFFFFF
    return f"hsl({h % 360},60%,55%)"


def timeline_svg(record: TorchProfileRecord) -> str:
    """Threads and streams as rows, spans as boxes (the longest first where there are many)."""
    trace: Any = record.get("trace") or {}
    events = [e for e in trace.get("events", []) if e.get("ph") == "X"]
    rows = trace.get("rows") or []
    duration = trace.get("duration_us") or max((e["ts"] + e["dur"] for e in events), default=0.0)
    if not events or not duration:
        return ""
    order = {(r.get("pid"), r.get("tid")): i for i, r in enumerate(rows)}
    depth_rows: dict = {}
    label_width = 140
    scale = (SVG_WIDTH - label_width) / duration
    # nesting depth per row, from the spans' containment
    stacks: dict = {}
    placed = []
    for e in sorted(events, key=lambda e: (e["ts"], -e["dur"])):
        key = (e.get("pid"), e.get("tid"))
        stack = stacks.setdefault(key, [])
        while stack and stack[-1] <= e["ts"]:
            stack.pop()
        depth = len(stack)
        stack.append(e["ts"] + e["dur"])
        depth_rows[key] = max(depth_rows.get(key, 0), depth + 1)
        placed.append((e, key, depth))
    keys = sorted(depth_rows, key=lambda k: order.get(k, len(order)))
    top: dict = {}
    y = 18
    for key in keys:
        top[key] = y
        y += min(depth_rows[key], 12) * ROW_HEIGHT + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{y}" '
        f'style="font-family:monospace;font-size:10px">',
        f'<text x="{label_width}" y="12" fill="currentColor">0</text>'
        f'<text x="{SVG_WIDTH - 70}" y="12" fill="currentColor">{escape(us(duration))}</text>',
    ]
    names = {(r.get("pid"), r.get("tid")): r.get("name", "") for r in rows}
    for key in keys:
        parts.append(
            f'<text x="2" y="{top[key] + 10}" fill="currentColor">{escape(str(names.get(key, key[1]))[:20])}</text>'
        )
    visible = sorted(placed, key=lambda p: p[0]["dur"], reverse=True)[:MAX_SVG_RECTS]
    for e, key, depth in visible:
        if depth >= 12:
            continue
        x = label_width + e["ts"] * scale
        w = max(e["dur"] * scale, 0.5)
        yy = top[key] + depth * ROW_HEIGHT
        title = f"{e['name']} {us(e['dur'])}"
        parts.append(
            f'<rect x="{x:.1f}" y="{yy}" width="{w:.1f}" height="{ROW_HEIGHT - 1}" fill="{_palette(e["name"])}">'
            f"<title>{escape(title)}</title></rect>"
        )
        if w > 60:
            parts.append(f'<text x="{x + 2:.1f}" y="{yy + 10}" fill="#000">{escape(e["name"][: int(w / 6)])}</text>')
    parts.append("</svg>")
    return "".join(parts)


@HTML.renderer("torch_profile")
def profile_html(record: TorchProfileRecord) -> str:
    headers, rows = ops_rows(record)
    more = _more(record, "ops", "ops_total", len(rows))
    return (
        f"<div><div>{escape(profile_header(record))}</div>"
        + timeline_svg(record)
        + table(headers, rows)
        + (f'<div style="{MUTED}">{escape(more.strip())}</div>' if more else "")
        + "</div>"
    )


# -- torch_memory ---------------------------------------------------------------------------------


def memory_header(record: TorchMemoryRecord) -> str:
    costs = ", ".join(f"{c:.1f} ms" for c in record.get("cost_ms", []))
    text = (
        f"torch memory of {record.get('method')} on {record.get('device')} ({costs}; {record.get('source')}): "
        f"peak {size(record.get('peak_bytes'))}"
    )
    if record.get("peak_t_us") is not None:
        text += f" at {us(record.get('peak_t_us'))}"
    text += f"; the call's own allocations peaked at {size(record.get('call_peak_bytes'))}"
    return text


def memory_tables(record: TorchMemoryRecord) -> tuple:
    at_peak: Any = record.get("at_peak") or {}
    categories = [[c["category"], size(c["bytes"])] for c in at_peak.get("categories", [])]
    stacks = [[size(s["bytes"]), s["blocks"], s["stack"]] for s in at_peak.get("stacks", [])[:STACKS_SHOWN]]
    return (["LIVE AT PEAK", "BYTES"], categories), (["BYTES", "BLOCKS", "ALLOCATED BY (innermost first)"], stacks)


@TEXT.renderer("torch_memory")
def memory_text(record: TorchMemoryRecord) -> str:
    (ch, crows), (sh, srows) = memory_tables(record)
    parts = [memory_header(record)]
    if crows:
        parts.append(text_table(ch, crows))
    if srows:
        parts.append("allocated during the call and live at its peak, by stack:\n" + text_table(sh, srows))
    parts.extend(record.get("notes") or [])
    return "\n".join(parts)


MEMORY_COLUMNS = 300


def memory_svg(record: TorchMemoryRecord) -> str:
    """Allocated bytes over the call as columns (the highest point of each), reserved on CUDA
    as a grey mark above them, the peak as a red line; rects and text only (no scripts)."""
    timeline: Any = record.get("timeline") or {}
    t, allocated = timeline.get("t_us") or [], timeline.get("allocated") or []
    reserved = timeline.get("reserved") or []
    if len(t) < 2:
        return ""
    width, height, left, bottom = SVG_WIDTH, 160, 70, 16
    start, span = t[0], (t[-1] - t[0]) or 1.0
    top_value = max([*allocated, *[v or 0 for v in reserved], 1])
    plot_w, plot_h = width - left - 4, height - bottom - 14
    column_w = plot_w / MEMORY_COLUMNS
    columns: list = [None] * MEMORY_COLUMNS
    held: list = [0] * MEMORY_COLUMNS
    for i, (x, v) in enumerate(zip(t, allocated)):
        c = min(int((x - start) / span * MEMORY_COLUMNS), MEMORY_COLUMNS - 1)
        columns[c] = v if columns[c] is None else max(columns[c], v)
        if i < len(reserved):
            held[c] = max(held[c], reserved[i] or 0)
    last = allocated[0]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'style="font-family:monospace;font-size:10px">',
        f'<text x="2" y="20" fill="currentColor">{escape(size(top_value))}</text>',
        f'<text x="2" y="{height - bottom}" fill="currentColor">0</text>',
        f'<text x="{width - 70}" y="{height - 3}" fill="currentColor">{escape(us(span))}</text>',
    ]
    for c in range(MEMORY_COLUMNS):
        value = columns[c] if columns[c] is not None else last
        last = value
        h = value / top_value * plot_h
        x = left + c * column_w
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{column_w + 0.2:.1f}" height="{h:.1f}" '
            'fill="#1f77b4"/>'
        )
        if held[c]:
            y = height - bottom - held[c] / top_value * plot_h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{column_w + 0.2:.1f}" height="1.5" fill="#999"/>')
    peak_t = record.get("peak_t_us")
    if peak_t is not None:
        x = left + (peak_t - start) / span * plot_w
        parts.append(f'<rect x="{x:.1f}" y="14" width="1" height="{plot_h}" fill="#d62728"/>')
        parts.append(
            f'<text x="{x + 3:.1f}" y="12" fill="#d62728">peak {escape(size(record.get("peak_bytes")))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@HTML.renderer("torch_memory")
def memory_html(record: TorchMemoryRecord) -> str:
    (ch, crows), (sh, srows) = memory_tables(record)
    out = [f"<div><div>{escape(memory_header(record))}</div>", memory_svg(record)]
    if crows:
        out.append(table(ch, crows))
    if srows:
        out.append("<div>allocated during the call and live at its peak, by stack:</div>" + table(sh, srows))
    out.extend(f'<div style="{MUTED}">{escape(n)}</div>' for n in record.get("notes") or [])
    out.append("</div>")
    return "".join(out)


# -- torch_snapshot -------------------------------------------------------------------------------


def snapshot_header(record: TorchSnapshotRecord) -> str:
    return (
        f"CUDA allocator: {size(record.get('allocated_bytes'))} allocated of {size(record.get('reserved_bytes'))} "
        f"reserved in {record.get('segments')} segments; {size(record.get('free_bytes'))} cached free, "
        f"the largest free block {size(record.get('largest_free_bytes'))} "
        f"(fragmentation {record.get('fragmentation', 0) * 100:.0f}%)"
        + ("" if record.get("history") else "; no allocation history was recorded, so blocks have no stacks")
    )


def snapshot_tables(record: TorchSnapshotRecord) -> tuple:
    segments = [
        [
            s.get("device"),
            s.get("stream"),
            s.get("type") or "",
            size(s["total_bytes"]),
            size(s["allocated_bytes"]),
            size(s["largest_free_bytes"]),
            s["blocks"],
        ]
        for s in record.get("segment_rows", [])[:20]
    ]
    blocks = [
        [size(b["bytes"]), " < ".join(b.get("stack") or []) or "(no stack)"] for b in record.get("largest_blocks", [])
    ]
    return (
        (["DEVICE", "STREAM", "POOL", "RESERVED", "ALLOCATED", "LARGEST FREE", "BLOCKS"], segments),
        (["BLOCK", "ALLOCATED BY"], blocks),
    )


@TEXT.renderer("torch_snapshot")
def snapshot_text(record: TorchSnapshotRecord) -> str:
    (sh, srows), (bh, brows) = snapshot_tables(record)
    parts = [snapshot_header(record)]
    if srows:
        parts.append(text_table(sh, srows) + _more(record, "segment_rows", "segments", len(srows)))
    if brows:
        parts.append("largest blocks:\n" + text_table(bh, brows))
    return "\n".join(parts)


@HTML.renderer("torch_snapshot")
def snapshot_html(record: TorchSnapshotRecord) -> str:
    (sh, srows), (bh, brows) = snapshot_tables(record)
    more = _more(record, "segment_rows", "segments", len(srows)).strip()
    reserved = record.get("reserved_bytes") or 0
    share = (record.get("allocated_bytes") or 0) / reserved if reserved else 0.0
    bar = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="14">'
        f'<rect width="400" height="14" fill="#ccc"/><rect width="{400 * share:.1f}" height="14" fill="#1f77b4"/></svg>'
    )
    return (
        f"<div><div>{escape(snapshot_header(record))}</div>{bar}"
        + (table(sh, srows) if srows else "")
        + (f'<div style="{MUTED}">{escape(more)}</div>' if more else "")
        + ("<div>largest blocks:</div>" + table(bh, brows) if brows else "")
        + "</div>"
    )


# -- torch_tensors --------------------------------------------------------------------------------


def tensors_header(record: TorchTensorsRecord) -> str:
    devices = ", ".join(f"{d['device']} {size(d['bytes'])}" for d in record.get("devices", []))
    where = f" on {record['device_filter']}" if record.get("device_filter") else ""
    return f"{record.get('tensors', 0)} live tensors{where} ({devices or 'none'})"


def tensors_tables(record: TorchTensorsRecord) -> tuple:
    groups = [
        [r["device"], r["dtype"], "x".join(map(str, r["shape"])) or "scalar", r["count"], size(r["bytes"])]
        for r in record.get("rows", [])
    ]
    largest = [
        [
            t.get("name") or "(unnamed)",
            t["device"],
            t["dtype"],
            "x".join(map(str, t["shape"])) or "scalar",
            size(t["bytes"]),
        ]
        for t in record.get("largest", [])
    ]
    return (
        (["DEVICE", "DTYPE", "SHAPE", "COUNT", "BYTES"], groups),
        (["LARGEST", "DEVICE", "DTYPE", "SHAPE", "BYTES"], largest),
    )


@TEXT.renderer("torch_tensors")
def tensors_text(record: TorchTensorsRecord) -> str:
    (gh, grows), (lh, lrows) = tensors_tables(record)
    parts = [tensors_header(record)]
    if grows:
        parts.append(text_table(gh, grows) + _more(record, "rows", "rows_total", len(grows)))
    if lrows:
        parts.append(text_table(lh, lrows))
    return "\n".join(parts)


@HTML.renderer("torch_tensors")
def tensors_html(record: TorchTensorsRecord) -> str:
    (gh, grows), (lh, lrows) = tensors_tables(record)
    more = _more(record, "rows", "rows_total", len(grows)).strip()
    return (
        f"<div><div>{escape(tensors_header(record))}</div>"
        + (table(gh, grows) if grows else "")
        + (f'<div style="{MUTED}">{escape(more)}</div>' if more else "")
        + (table(lh, lrows) if lrows else "")
        + "</div>"
    )
