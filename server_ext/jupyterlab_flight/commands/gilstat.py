"""gilstat on [take_ms] [hold_ms] [interval_s] [max_threads] | off: exact per-thread GIL statistics
and warnings on long waits and holds (a stream, measured in the target by native/gil.c)."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import check_limit, limit_option
from .requests import GilstatRequest

MAX_THREADS = 1000
ONCE_TIMEOUT_S = 30.0  # from --cmd without -n or --timeout, the measurement ends after this
OFF_CHANGES = "ends the GIL measurement of whichever client runs one"  # off works from any connection


def _build(ns) -> GilstatRequest:
    check_limit(ns.limit)
    if ns.take_ms < 0 or ns.hold_ms < 0:
        raise CommandSyntaxError("gilstat: take_ms and hold_ms must be 0 or more milliseconds")
    if ns.interval_s <= 0:
        raise CommandSyntaxError(f"gilstat: interval_s must be a positive number of seconds; got {ns.interval_s:g}")
    if not 1 <= ns.max_threads <= MAX_THREADS:
        raise CommandSyntaxError(f"gilstat: max_threads must be between 1 and {MAX_THREADS}; got {ns.max_threads}")
    return {
        "action": ns.action,
        "take_ms": ns.take_ms,
        "hold_ms": ns.hold_ms,
        "interval_s": ns.interval_s,
        "max_threads": ns.max_threads,
        "limit": ns.limit,
    }


COMMAND = Command(
    "gilstat",
    "per-thread GIL statistics: takes, hold and wait time, long waits and holds with the holder's stack (a stream)",
    (
        Option(("action",), "on: measure (a stream until off or stopped); off: end it", choices=("on", "off")),
        Option(("take_ms",), "report waits for the GIL longer than this", default=10.0, type=float, nargs="?"),
        Option(("hold_ms",), "report holds of the GIL longer than this", default=10.0, type=float, nargs="?"),
        Option(("interval_s",), "a report every this many seconds", default=5.0, type=float, nargs="?"),
        Option(("max_threads",), f"threads measured (at most {MAX_THREADS})", default=500, type=int, nargs="?"),
        limit_option("stop after N reports (without -n: until off or stopped)", None),
    ),
    _build,
    usage="gilstat on [take_ms] [hold_ms] [interval_s] [max_threads] [-n N] | gilstat off",
    examples=("gilstat on", "gilstat on 5 20 2", "gilstat on 10 10 5 500 -n 3", "gilstat off"),
    streams=True,
    long_running=True,
    once_timeout=ONCE_TIMEOUT_S,
    record_kinds=("message", "gil_stats", "gil_event", "end", "error"),
    changes=lambda request: OFF_CHANGES if request["action"] == "off" else "",
)
