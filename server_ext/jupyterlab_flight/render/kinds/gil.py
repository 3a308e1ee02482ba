"""``gil_stats`` (gilstat's report every interval: a per-thread table and a verdict) and
``gil_event`` (one wait or hold of the GIL over its threshold, a hold with the holder's stack)."""

from __future__ import annotations

from ...records import GilEventRecord, GilStatsRecord, GilThread
from ..markup import ERROR, MUTED, escape, pre, table
from ..plain import clock
from ..plain import table as text_table
from ..registry import CHARTS, HTML, ROWS, TEXT
from ..svgchart import Series, line_chart

CHART_THREADS = 5  # as the view: the busiest threads only

HEADERS = [
    "THREAD",
    "TID",
    "HOLD%",
    "WAIT%",
    "TAKES",
    "AVG HOLD",
    "AVG WAIT",
    "MAX HOLD",
    "MAX WAIT",
    "HOLD(ms) all",
    "WAIT(ms) all",
    "TAKES all",
]


def duration(ns: float | None) -> str:
    if ns is None:
        return "-"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e3:.0f} µs"


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _row(t: GilThread) -> list:
    last, total = t["last"], t["total"]
    return [
        t["name"],
        t["native_id"],
        pct(last["hold_pct"]),
        pct(last["wait_pct"]),
        last["takes"],
        duration(last["avg_hold_ns"]),
        duration(last["avg_wait_ns"]),
        duration(total["max_hold_ms"] * 1e6),
        duration(total["max_wait_ms"] * 1e6),
        f"{total['hold_ns'] / 1e6:.1f}",
        f"{total['wait_ns'] / 1e6:.1f}",
        total["takes"],
    ]


def _title(record: GilStatsRecord) -> str:
    which = "final report" if record["final"] else f"report {record['index']}"
    return (
        f"gilstat {which} at {clock(record['time'])}: {record['elapsed_s']:.1f} s since on, "
        f"last {record['interval_s']:.1f} s (HOLD% WAIT% TAKES AVG: the last interval; MAX and 'all': since on); "
        f"GIL busy {pct(record.get('busy_pct'))} % in the last interval; waits over {record['take_ms']:g} ms "
        f"and holds over {record['hold_ms']:g} ms reported"
    )


def _notes(record: GilStatsRecord) -> list[str]:
    notes = []
    if record.get("overflow_threads"):
        notes.append(f"{record['overflow_threads']} threads beyond max_threads were not measured")
    if record.get("events_dropped"):
        notes.append(f"{record['events_dropped']} long waits/holds were not reported (the queue was full)")
    return notes


@TEXT.renderer("gil_stats")
def gil_stats_text(record: GilStatsRecord) -> str:
    lines = [_title(record), record["verdict"], text_table(HEADERS, [_row(t) for t in record["threads"]])]
    return "\n".join(lines + _notes(record))


@HTML.renderer("gil_stats")
def gil_stats_html(record: GilStatsRecord) -> str:
    parts = [
        f'<div style="{MUTED}">{escape(_title(record))}</div>',
        f"<div><b>{escape(record['verdict'])}</b></div>",
        table(HEADERS, [_row(t) for t in record["threads"]]),
    ]
    parts += [f'<div style="{MUTED}">{escape(n)}</div>' for n in _notes(record)]
    return "".join(parts)


def _where(record: GilEventRecord) -> str:
    stack = record.get("stack") or []
    if not stack:
        return ""
    inner = stack[-1]
    return f"{inner['function']} ({inner['file']}:{inner['line']})"


def _event_line(record: GilEventRecord) -> str:
    what = "held the GIL" if record["event"] == "hold" else "waited for the GIL"
    line = (
        f"{clock(record['time'])} {record['thread_name']} {what} {record['duration_ms']:.1f} ms "
        f"(over {record['threshold_ms']:g} ms)"
    )
    if record["event"] == "hold" and record.get("stack"):
        line += f" in {_where(record)}"
        if not record.get("stack_exact"):
            line += " [stack read after the thread ran again]"
    return line


def _stack_lines(record: GilEventRecord) -> list[str]:
    return [f'  File "{f["file"]}", line {f["line"]}, in {f["function"]}' for f in record.get("stack") or []]


@TEXT.renderer("gil_event")
def gil_event_text(record: GilEventRecord) -> str:
    return "\n".join([_event_line(record), *_stack_lines(record)])


@HTML.renderer("gil_event")
def gil_event_html(record: GilEventRecord) -> str:
    style = ERROR if record["event"] == "hold" else ""
    body = f'<div style="{style}">{escape(_event_line(record))}</div>'
    if record.get("stack"):
        body += pre("\n".join(_stack_lines(record)))
    return body


@ROWS.renderer("gil_event", ["TIME", "EVENT", "THREAD", "MS", "OVER", "HOLDER'S STACK (innermost last)"])
def gil_event_row(record: GilEventRecord) -> list:
    stack = record.get("stack") or []
    frames = "\n".join(f"{f['function']}  {f['file']}:{f['line']}" for f in stack[-6:])
    if stack and not record.get("stack_exact"):
        frames += "\n(read after the thread ran again)"
    return [
        clock(record["time"]),
        "held the GIL" if record["event"] == "hold" else "waited for the GIL",
        record["thread_name"],
        f"{record['duration_ms']:.1f}",
        f"{record['threshold_ms']:g}",
        (frames, "pre"),
    ]


@CHARTS.renderer("gil_stats")
def gil_stats_charts(records: list[GilStatsRecord]) -> str:
    """The view's two charts: each of the busiest threads' share of time holding, and waiting
    for, the GIL, report by report (the busiest by their totals in the latest report)."""
    reports = sorted(records, key=lambda r: r["time"])
    busiest = sorted(reports[-1]["threads"], key=lambda t: t["total"]["hold_ns"] + t["total"]["wait_ns"], reverse=True)[
        :CHART_THREADS
    ]
    x = [r["time"] - reports[0]["time"] for r in reports]
    charts = []
    for which, title in (("hold_pct", "% of time holding the GIL"), ("wait_pct", "% of time waiting for the GIL")):
        series = []
        for thread in busiest:
            by_report = [
                next((t for t in r["threads"] if t["native_id"] == thread["native_id"]), None) for r in reports
            ]
            series.append(
                Series(
                    f"{thread['name']} ({thread['native_id']})",
                    [t["last"][which] if t is not None else None for t in by_report],  # type: ignore[literal-required]
                )
            )
        charts.append(line_chart(f"gilstat: {title}, per report", x, series, unit="%", label=f"gil-{which}"))
    return "".join(charts)
