"""``monitor``: one cycle's call statistics of a function."""

from __future__ import annotations

from ...records import MonitorRecord
from ..markup import pre
from ..plain import clock, ms
from ..registry import HTML, ROWS, TEXT


@TEXT.renderer("monitor")
def monitor_text(record: MonitorRecord) -> str:
    return (
        f"{clock(record['end'])} {record['method']} cycle {record['cycle']}: calls={record['calls']} "
        f"ok={record['successes']} failed={record['failures']} avg={ms(record['avg_ms'])}ms "
        f"p50={ms(record['p50_ms'])}ms p99={ms(record['p99_ms'])}ms max={ms(record['max_ms'])}ms"
    )


@HTML.renderer("monitor")
def monitor_html(record: MonitorRecord) -> str:
    return pre(monitor_text(record))


@ROWS.renderer("monitor", ["TIME", "METHOD", "CYCLE", "CALLS", "OK", "FAILED", "AVG(ms)", "P50", "P99", "MAX"])
def monitor_row(record: MonitorRecord) -> list:
    return [
        clock(record["end"]),
        record["method"],
        record["cycle"],
        record["calls"],
        record["successes"],
        record["failures"],
        ms(record["avg_ms"]),
        ms(record["p50_ms"]),
        ms(record["p99_ms"]),
        ms(record["max_ms"]),
    ]
