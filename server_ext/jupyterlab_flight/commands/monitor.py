"""monitor module [class] method: call statistics per cycle (a stream)."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import OBSERVED, check_limit, limit_option, observed_request
from .requests import MonitorRequest


def _build(ns) -> MonitorRequest:
    observed = observed_request(ns.names, ns.nested, "monitor")
    check_limit(ns.limit)
    if ns.cycle <= 0:
        raise CommandSyntaxError(f"-c must be a positive number of seconds; got {ns.cycle:g}")
    return {**observed, "cycle": ns.cycle, "limit": ns.limit}


COMMAND = Command(
    "monitor",
    "call statistics of a function per cycle: calls, failures, average, p50, p99, max (a stream)",
    (
        *OBSERVED,
        Option(("-c", "--cycle"), "cycle length", default=5.0, type=float, metavar="SECONDS"),
        limit_option("stop after N cycles (without -n: until stopped)", None),
    ),
    _build,
    examples=("monitor __main__ handle", "monitor app.api Handler get -c 10 -n 6"),
    streams=True,
    long_running=True,
    record_kinds=("message", "monitor", "end", "error"),
)
