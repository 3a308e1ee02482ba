"""trace module [class] method: the call tree under each call, with times (a stream)."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import OBSERVED, check_limit, limit_option, observed_request
from .requests import TraceRequest


def _build(ns) -> TraceRequest:
    observed = observed_request(ns.names, ns.nested, "trace")
    check_limit(ns.limit)
    if ns.depth is not None and ns.depth < 1:
        raise CommandSyntaxError("-d must be at least 1")
    return {
        **observed,
        "interval": ns.interval,
        "depth": ns.depth,
        "entrance_time": ns.entrance_time,
        "filter": ns.filter,
        "limit": ns.limit,
    }


COMMAND = Command(
    "trace",
    "the call tree under each call of a function, with the time of every call (a stream)",
    (
        *OBSERVED,
        Option(("-i", "--interval"), "fold calls shorter than MS milliseconds", default=0.1, type=float, metavar="MS"),
        Option(
            ("-d", "--depth"),
            "show N levels (the traced call is level 1), every call at those levels",
            type=int,
            metavar="N",
        ),
        Option(
            ("-et", "--entrance-time"),
            "only calls that took at least MS milliseconds",
            dest="entrance_time",
            type=float,
            metavar="MS",
        ),
        Option(("-f", "--filter"), "only calls where EXPR is true (names as in watch)", metavar="EXPR"),
        limit_option("stop after N traces", 10),
    ),
    _build,
    examples=(
        "trace __main__ handle",
        "trace app.api Handler get -i 1 -n 3",
        "trace app.jobs run -d 2 -n 1",
        "trace app.api serve -et 50",
    ),
    streams=True,
    long_running=True,
    record_kinds=("message", "trace", "end", "error"),
    expressions=("-f",),
)
