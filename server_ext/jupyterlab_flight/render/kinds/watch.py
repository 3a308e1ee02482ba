"""``watch``: one observed call, with its cost, thread, exception and the values asked for."""

from __future__ import annotations

from ...records import WatchRecord
from ..markup import pre
from ..plain import clock
from ..registry import HTML, ROWS, TEXT
from ..value_text import value_text


@TEXT.renderer("watch")
def watch_text(record: WatchRecord) -> str:
    exception = record.get("exception")
    mark = "x" if exception else "+"
    head = (
        f"[{mark}] #{record.get('index')} {clock(record['time'])} {record['method']} cost={record['cost_ms']:.3f}ms "
        f"thread={record.get('thread_name') or record.get('thread_id')}"
    )
    lines = [head]
    if exception:
        lines.append(f"  raised {exception['type']}: {exception['message']}")
    filter_error = record.get("filter_error")
    if filter_error:
        lines.append(
            f"  filter {filter_error['expr']!r} raised {filter_error['type']}: {filter_error['message']} (call shown)"
        )
    for item in record.get("values", []):
        if "error" in item:
            lines.append(f"  {item['expr']} -> raised {item['error']['type']}: {item['error']['message']}")
        else:
            lines.append(f"  {item['expr']} = " + value_text(item["value"], 1))
    return "\n".join(lines)


@HTML.renderer("watch")
def watch_html(record: WatchRecord) -> str:
    return pre(watch_text(record))


@ROWS.renderer("watch", ["#", "TIME", "METHOD", "COST(ms)", "THREAD", "RESULT"])
def watch_row(record: WatchRecord) -> list:
    # the result cell: the exception, or the values asked for, as the text shows them
    detail = watch_text(record).split("\n", 1)
    return [
        record.get("index"),
        clock(record["time"]),
        record["method"],
        f"{record['cost_ms']:.3f}",
        record.get("thread_name") or record.get("thread_id") or "",
        (detail[1] if len(detail) > 1 else "", "pre"),
    ]
