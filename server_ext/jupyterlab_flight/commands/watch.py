"""watch module [class] method: each call's arguments, result or exception, cost (a stream)."""

from __future__ import annotations

from .descriptor import Command, Option
from .options import OBSERVED, check_limit, limit_option, observed_request, render_options, render_request
from .requests import WatchRequest


def _build(ns) -> WatchRequest:
    check_limit(ns.limit)
    return {
        **observed_request(ns.names, ns.nested, "watch"),
        "expr": ns.expr,
        "filter": ns.filter,
        "exception": ns.exception,
        "limit": ns.limit,
        **render_request(ns),
    }


COMMAND = Command(
    "watch",
    "each call of a function: arguments, result or exception, cost, thread (a stream)",
    (
        *OBSERVED,
        Option(
            ("--expr",),
            "what to show, over target, args, kwargs, return_obj, cost (ms), exception; 'a, b' shows each",
            default="args, kwargs",
            metavar="EXPR",
        ),
        Option(("-f", "--filter"), "only calls where EXPR is true (same names as --expr)", metavar="EXPR"),
        Option(("-e", "--exception"), "only calls that raised", action="store_true"),
        limit_option("stop after N calls shown (calls the filter rejects do not count)", 10),
        *render_options(1),
    ),
    _build,
    examples=(
        "watch __main__ handle",
        "watch app.api Handler get --expr 'args[0], return_obj' -x 2",
        "watch app.db query -f 'cost > 100' --expr 'args, cost'",
        "watch app.jobs run -e -n 5",
        "watch app.views Page render -nm helper",
    ),
    streams=True,
    long_running=True,
    record_kinds=("message", "watch", "end", "error"),
    expressions=("--expr", "-f"),
)
