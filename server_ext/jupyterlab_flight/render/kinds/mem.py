"""``mem_summary``, ``mem_diff``, ``mem_refs``: memory by type, its growth, who holds instances."""

from __future__ import annotations

from ...records import MemDiffRecord, MemRefsRecord, MemSummaryRecord
from ..markup import MUTED, escape, pre
from ..plain import clock, table
from ..registry import CHARTS, HTML, TEXT
from ..svgchart import Series, line_chart

GROW = "color:#d9534f"  # growth reads as the warning colour
SHRINK = "color:#3c9a5f"
CHART_KEYS = 5  # as the view: the types (or sites) that grew most
BAR = "display:inline-block;height:8px;background:rgba(66,133,244,0.6);vertical-align:middle"


def nbytes(n: int | None, signed: bool = False) -> str:
    if n is None:
        return "-"
    sign = ("+" if n > 0 else "-" if n < 0 else "") if signed else ("-" if n < 0 else "")
    value = float(abs(n))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{sign}{value:.0f} {unit}" if unit == "B" else f"{sign}{value:.1f} {unit}"
        value /= 1024
    return f"{sign}{value:.1f} GiB"


def _signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def _memory_line(record: MemSummaryRecord) -> str:
    parts = [f"RSS {nbytes(record['rss'])}"]
    if record.get("pss") is not None:
        parts.append(f"PSS {nbytes(record['pss'])}")
    if record.get("unaccounted") is not None:
        parts.append(
            f"not in Python objects {nbytes(record['unaccounted'])} (C buffers, numpy/torch storage,"
            " allocator overhead)"
        )
    return ", ".join(parts)


def _summary_head(record: MemSummaryRecord) -> str:
    gc_text = f", gc collected {record['gc_collected']}" if record.get("gc_collected") is not None else ""
    hold = record.get("longest_hold_ms")
    cpu = record.get("longest_hold_cpu_ms")
    cpu_text = f" ({cpu:.1f} ms CPU)" if cpu is not None else ""
    hold_text = f", longest GIL hold {hold:.1f} ms{cpu_text}" if hold is not None else ""
    return (
        f"{clock(record['time'])} mem summary: {record['total_count']:,} objects, {nbytes(record['total_size'])}"
        f" in {record['types']:,} types (walk {record['seconds']:.2f} s, {record['engine']}{hold_text}{gc_text})"
    )


def _share(size: int, total: int) -> str:
    return f"{100 * size / total:.1f}%" if total else "-"


def _more_types(record: MemSummaryRecord) -> str:
    shown = len(record["rows"])
    return f"({record['types'] - shown:,} more types; -l to show more)" if record["types"] > shown else ""


@TEXT.renderer("mem_summary")
def mem_summary_text(record: MemSummaryRecord) -> str:
    total = record["total_size"]
    rows = [[r["type"], f"{r['count']:,}", nbytes(r["size"]), _share(r["size"], total)] for r in record["rows"]]
    more = _more_types(record)
    more = f"\n{more}" if more else ""
    return "\n".join(
        [_summary_head(record), table(["TYPE", "COUNT", "SIZE", "SHARE"], rows) + more, _memory_line(record)]
    )


def _bar(size: int, largest: int) -> str:
    width = max(1, round(120 * abs(size) / largest)) if largest else 0
    return f'<span style="{BAR};width:{width}px"></span>'


TH = "text-align:left;padding:2px 8px"
TD = "text-align:left;vertical-align:top;padding:2px 8px;font-family:monospace"
TDR = "text-align:right;vertical-align:top;padding:2px 8px;font-family:monospace"


def _table(headers: list, body: list) -> str:
    head = "".join(f'<th style="{TH}">{escape(h)}</th>' for h in headers)
    return (
        f'<table style="border-collapse:collapse;font-size:12px"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


@HTML.renderer("mem_summary")
def mem_summary_html(record: MemSummaryRecord) -> str:
    total = record["total_size"]
    largest = max((r["size"] for r in record["rows"]), default=0)
    body = [
        f'<tr><td style="{TD}">{escape(r["type"])}</td><td style="{TDR}">{r["count"]:,}</td>'
        f'<td style="{TDR}">{escape(nbytes(r["size"]))}</td><td style="{TDR}">{_share(r["size"], total)}</td>'
        f'<td style="{TD}">{_bar(r["size"], largest)}</td></tr>'
        for r in record["rows"]
    ]
    return (
        pre(_summary_head(record))
        + _table(["type", "count", "size", "share", ""], body)
        + (pre(_more_types(record), MUTED) if _more_types(record) else "")
        + pre(_memory_line(record), MUTED)
    )


def _key(row) -> str:
    return row.get("type") or row.get("site") or "?"


def _diff_head(record: MemDiffRecord) -> str:
    rss = ""
    if record.get("rss_delta") is not None:
        rss = f"; RSS {nbytes(record['rss_delta'], signed=True)} to {nbytes(record.get('rss'))}"
    owned = ""
    if record.get("by") == "site":
        owned = ", tracemalloc started for it" if record.get("owned") else ", the target's own tracemalloc"
    return (
        f"{clock(record['time'])} mem diff by {record['by']}, cycle {record['cycle']} ({record['interval']:g} s):"
        f" {_signed(record['total_count_delta'])} objects, {nbytes(record['total_size_delta'], signed=True)}"
        f" ({record['changed']:,} {record['by']}s changed{owned}){rss}"
    )


@TEXT.renderer("mem_diff")
def mem_diff_text(record: MemDiffRecord) -> str:
    key = "SITE" if record["by"] == "site" else "TYPE"
    rows = [
        [_key(r), _signed(r["count_delta"]), nbytes(r["size_delta"], signed=True), f"{r['count']:,}", nbytes(r["size"])]
        for r in record["rows"]
    ]
    lines = [_diff_head(record), table([key, "COUNT+", "SIZE+", "COUNT", "SIZE"], rows)]
    if record["by"] == "site":
        for r in record["rows"][:3]:
            if len(r.get("traceback", [])) > 1:
                lines.append(f"  {r['site']}: " + " <- ".join(reversed(r["traceback"])))
    return "\n".join(lines)


@HTML.renderer("mem_diff")
def mem_diff_html(record: MemDiffRecord) -> str:
    largest = max((abs(r["size_delta"]) for r in record["rows"]), default=0)
    body = []
    for r in record["rows"]:
        colour = GROW if r["size_delta"] > 0 else SHRINK if r["size_delta"] < 0 else ""
        name = escape(_key(r))
        if len(r.get("traceback") or []) > 1:  # the calls that led there, newest first
            name += f'<div style="{MUTED}">' + escape(" <- ".join(reversed(r["traceback"][:-1]))) + "</div>"
        body.append(
            f'<tr><td style="{TD}">{name}</td><td style="{TDR};{colour}">{_signed(r["count_delta"])}</td>'
            f'<td style="{TDR};{colour}">{escape(nbytes(r["size_delta"], signed=True))}</td>'
            f'<td style="{TDR}">{r["count"]:,}</td><td style="{TDR}">{escape(nbytes(r["size"]))}</td>'
            f'<td style="{TD}">{_bar(r["size_delta"], largest)}</td></tr>'
        )
    headers = ["site" if record["by"] == "site" else "type", "count +", "size +", "count", "size", ""]
    return pre(_diff_head(record)) + _table(headers, body)


def _refs_head(record: MemRefsRecord) -> str:
    cut = {"depth": f"; stopped at depth {record['depth']} (-d)", "time": "; stopped: time limit"}.get(
        record.get("cut") or "", ""
    )
    return (
        f"mem refs {record['target']}: {record['instances']:,} live instances, {len(record['chains'])} chains"
        f" in {record['seconds']:.2f} s{cut}"
    )


@TEXT.renderer("mem_refs")
def mem_refs_text(record: MemRefsRecord) -> str:
    lines = [_refs_head(record)]
    lines += [f"  {c['path']}   ({c['root']}, {c['length']} steps)" for c in record["chains"]]
    if not record["chains"]:
        lines.append(
            "  no instance reached from a module, class or thread frame (garbage in a cycle, or held only from C)"
        )
    return "\n".join(lines)


@HTML.renderer("mem_refs")
def mem_refs_html(record: MemRefsRecord) -> str:
    chains = "".join(
        f'<div style="{TD}">{escape(c["path"])} <span style="{MUTED}">({escape(c["root"])}, {c["length"]} steps)</span></div>'
        for c in record["chains"]
    )
    body = chains or pre(mem_refs_text(record).split("\n", 1)[1], MUTED)
    return pre(_refs_head(record)) + body


@CHARTS.renderer("mem_diff")
def mem_diff_chart(records: list[MemDiffRecord]) -> str:
    """The view's chart over cycles: the size of the types (or sites) that grew most over all
    cycles, one line each, at the end of each cycle."""
    cycles = sorted(records, key=lambda r: r["time"])
    growth: dict[str, int] = {}
    for record in cycles:
        for row in record["rows"]:
            growth[_key(row)] = growth.get(_key(row), 0) + row["size_delta"]
    top = [k for k, g in sorted(growth.items(), key=lambda kv: kv[1], reverse=True) if g > 0][:CHART_KEYS]
    series = []
    for key in top:
        sizes = [next((row["size"] / 1048576 for row in r["rows"] if _key(row) == key), None) for r in cycles]
        series.append(Series(key, sizes))
    x = [r["time"] - cycles[0]["time"] for r in cycles]
    by = cycles[0]["by"]
    return line_chart(
        f"mem diff by {by}: size of the top growing {by}s, per cycle", x, series, unit="MiB", label="mem-diff"
    )
