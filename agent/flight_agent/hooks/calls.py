"""What a hook does when a call starts and ends, in Python: native/observe.c's start_call and
end_call, for when the native library is missing (same plan and records; probe.py)."""

from __future__ import annotations

import _thread
import time

_perf_counter_ns = time.perf_counter_ns  # CLOCK_MONOTONIC, as the C hooks' clock
_get_ident = _thread.get_ident
MAX_OPEN = 100_000  # calls running at once (3.12+: a coroutine closed unresumed never ends)


def start_call(plan: list, frame, values) -> None:
    snapshot = plan[0]
    names, begin, observers, probe = snapshot
    if not observers or len(plan[2]) >= MAX_OPEN:
        return
    if begin is not None:
        record = begin(frame, values)
        if record is None:
            return
    else:
        if names is None:
            values = None  # nobody reads the arguments
        elif values is None:
            values = probe.parameters.read(frame.f_locals)
        record = (snapshot, values, _perf_counter_ns(), _get_ident())
    plan[2][frame] = record


def end_call(plan: list, frame, value, exception) -> None:
    running = plan[2]
    if running:
        record = running.pop(frame, None)
        if record is not None:
            plan[1](record, value, exception, _perf_counter_ns())
