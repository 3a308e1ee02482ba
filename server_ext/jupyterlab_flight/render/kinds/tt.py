"""The time tunnel: ``tt_record`` (a call as it is recorded), ``tt_list`` and ``tt_detail``."""

from __future__ import annotations

from collections.abc import Sequence

from ...records import TtDetailRecord, TtListRecord, TtRecord, TtRow
from ..markup import pre
from ..plain import clock, table
from ..registry import HTML, ROWS, TEXT
from ..value_text import value_text

_HEADERS = ["INDEX", "TIME", "COST(ms)", "RETURNED", "RAISED", "THREAD", "METHOD"]


def _cells(r: TtRow | TtRecord) -> list:
    return [
        r["index"],
        clock(r["time"]),
        f"{r['cost_ms']:.3f}",
        "yes" if r["is_return"] else "no",
        "yes" if r["is_exception"] else "no",
        r.get("thread_name") or "",
        r["method"],
    ]


def _rows(rows: Sequence[TtRow | TtRecord]) -> str:
    return table(_HEADERS, [_cells(r) for r in rows])


@ROWS.renderer("tt_record", _HEADERS)
def tt_record_row(record: TtRecord) -> list:
    # the notebook's table row has the cells of the terminal's table
    return _cells(record)


@TEXT.renderer("tt_record")
def tt_record_text(record: TtRecord) -> str:
    # One row without the header: a stream of these reads as one growing table.
    return _rows([record]).split("\n", 1)[1]


@TEXT.renderer("tt_list")
def tt_list_text(record: TtListRecord) -> str:
    text = _rows(record["records"]) if record["records"] else "no records (tt -t module [class] method records calls)"
    if record.get("evicted"):
        text += f"\n({record['evicted']} older records were evicted to stay within bounds)"
    return text


@TEXT.renderer("tt_detail")
def tt_detail_text(record: TtDetailRecord) -> str:
    replay_of = record.get("replay_of")
    lines = [
        f"INDEX:     {record['index']}" + (f" (replay of {replay_of})" if replay_of else ""),
        f"METHOD:    {record['method']}",
        f"TIME:      {clock(record['time'])}",
        f"COST:      {record['cost_ms']:.3f}ms",
        f"THREAD:    {record.get('thread_name') or record.get('thread_id')}",
    ]
    target = record.get("target")
    if target is not None:
        lines.append("TARGET:    " + value_text(target, 1))
    lines.append("ARGS:      " + value_text(record["args"], 1))
    lines.append("KWARGS:    " + value_text(record["kwargs"], 1))
    exception = record.get("exception")
    if exception:
        lines.append(
            "RAISED:    " + (exception.get("traceback") or f"{exception['type']}: {exception['message']}").rstrip()
        )
    else:
        returned = record.get("return_obj")
        lines.append("RETURNED:  " + (value_text(returned, 1) if returned is not None else "None"))
    return "\n".join(lines)


@HTML.renderer("tt_record", "tt_list", "tt_detail")
def tt_html(record: TtRecord | TtListRecord | TtDetailRecord) -> str:
    return pre(TEXT.render(record))
