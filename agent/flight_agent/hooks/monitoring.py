"""The hook of CPython 3.12+: ``_monitoring`` events on the observed code object only.

``PY_START`` and ``PY_RETURN`` are set on the one code object (every function made from it is
observed, nested ones included); ``PY_UNWIND`` (a call that raises) can only be set for the whole
process, so while anything is observed every frame that an exception leaves costs one dict lookup
in ``_unwind``. The callbacks run while CPython suspends every other tool, debuggers and profile
functions included, and add no frame to the observed function's stack: it runs exactly as
unobserved, with its own code object.

One tool id for the agent, taken among the ids no convention gives to other tools (3 and 4; 0 is
the debuggers', 1 coverage's, 2 the profilers' (cProfile), 5 the optimizers'), only while
something is observed: the last probe's removal clears its events and callbacks and frees it. If
both are taken, the probe falls back to the wrapper (probe.py).

The callbacks are native/observe.c's (C: a call that starts runs no Python), or the Python ones
below without the native library. A call is tied to its frame from ``PY_START`` to
``PY_RETURN`` / ``PY_UNWIND`` (one entry in the probe's ``open`` while it runs; removing the probe
drops what is left, such as a coroutine that was closed without running again).
"""

from __future__ import annotations

import sys

from .. import native
from .calls import end_call, start_call

_monitoring = getattr(sys, "monitoring", None)  # 3.12+
AVAILABLE = _monitoring is not None
TOOL_IDS = (4, 3)
TOOL_NAME = "jupyterlab-flight"

_getframe = sys._getframe
_tool: int | None = None
_plans: dict = {}  # code object -> the plan of its Probe


# -- without the native library: the callbacks in Python (calls.py; with it: native/observe.c) ----
def _start(code, offset):
    plan = _plans.get(code)
    if plan is not None:
        try:
            start_call(plan, _getframe(1), None)
        except Exception:
            pass  # never disturb the observed call


def _return(code, offset, value):
    plan = _plans.get(code)
    if plan is not None:
        try:
            end_call(plan, _getframe(1), value, None)
        except Exception:
            pass


def _unwind(code, offset, exception):
    plan = _plans.get(code)  # a process-wide event: everything else leaves at once
    if plan is not None:
        try:
            end_call(plan, _getframe(1), None, exception)
        except Exception:
            pass


def claim_tool_id(order: tuple, name: str) -> int | None:
    """The first of the tool ids in ``order`` that no tool holds, now taken under ``name``; None
    when all are held (by others, or by another of ours)."""
    monitoring = _monitoring
    assert monitoring is not None
    for tool in order:
        if monitoring.get_tool(tool) is not None:
            continue
        try:
            monitoring.use_tool_id(tool, name)
        except ValueError:
            continue  # taken meanwhile
        return tool
    return None


def _acquire() -> bool:
    global _tool
    if _tool is not None:
        return True
    monitoring = _monitoring
    assert monitoring is not None
    events = monitoring.events
    callbacks = native.observe_callbacks(_plans) or (_start, _return, _unwind)
    tool = claim_tool_id(TOOL_IDS, TOOL_NAME)
    if tool is None:
        return False
    monitoring.register_callback(tool, events.PY_START, callbacks[0])
    monitoring.register_callback(tool, events.PY_RETURN, callbacks[1])
    monitoring.register_callback(tool, events.PY_UNWIND, callbacks[2])
    monitoring.set_events(tool, events.PY_UNWIND)
    _tool = tool
    return True


def _release() -> None:
    global _tool
    tool, _tool = _tool, None
    if tool is None:
        return
    monitoring = _monitoring
    assert monitoring is not None
    events = monitoring.events
    monitoring.set_events(tool, 0)
    for event in (events.PY_START, events.PY_RETURN, events.PY_UNWIND):
        monitoring.register_callback(tool, event, None)
    if monitoring.get_tool(tool) == TOOL_NAME:
        monitoring.free_tool_id(tool)


def forget_in_child() -> None:
    """In the child of a fork, after every probe's removal: whatever is left goes too."""
    _plans.clear()
    _release()


def tool_in_use() -> int | None:
    return _tool


class MonitoringHook:
    visible = False
    stop = None  # no profile event reaches a profile function while the callbacks run
    root_frame_known = True  # PY_START runs in the observed frame: trace starts its tree there

    def __init__(self, probe):
        self.probe = probe
        self.code = probe.site.code

    def prepare(self) -> bool:
        """Take the tool id (if this is the first probe); False when none is free."""
        return _acquire()

    def install(self) -> None:
        assert _monitoring is not None
        events = _monitoring.events
        _plans[self.code] = self.probe.plan
        try:
            _monitoring.set_local_events(_tool, self.code, events.PY_START | events.PY_RETURN)
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        if _plans.get(self.code) is self.probe.plan:
            del _plans[self.code]
            if _tool is not None and _monitoring is not None:
                _monitoring.set_local_events(_tool, self.code, 0)
        if not _plans:
            _release()

    def patched_codes(self) -> tuple:
        return ()  # the code object stays the function's own
