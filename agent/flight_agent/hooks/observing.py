"""ObservingStream: what watch, trace, tt -t and monitor share.

It finds the function (``module [class] method [-nm nested]``), hooks it when the stream starts
and unhooks it when the stream closes, and decides which calls are shown: the ``-f`` filter, then
the ``-n`` limit, which counts shown calls only. Subclasses turn an admitted call into records.
"""

from __future__ import annotations

import _thread
import types

from .. import threads
from ..arguments import Arguments
from ..expressions import ARGUMENT_NAMES, CALL_NAMES, CallExpression, ExpressionError
from ..streams import Stream
from .locate import locate
from .probe import Call, Observer, add_observer, probe_of, remove_all, remove_observer


def call_values(call: Call) -> tuple:
    """The values of CALL_NAMES (target, args, kwargs, return_obj, cost, exception) for a call."""
    return (call.target, call.args, call.kwargs, call.return_value, call.cost_ms, call.exception)


def call_names(call: Call) -> dict:
    """The names expressions see, as a dict."""
    return dict(zip(CALL_NAMES, call_values(call)))


thread_name = threads.name_of  # threading's name, "MainThread" (also without threading), or None


def exception_info(e: BaseException | None) -> dict | None:
    if e is None:
        return None
    try:
        message = str(e)
    except Exception:
        message = "<str() failed>"
    return {"type": type(e).__name__, "message": message[:2000]}


class CallFilter:
    """``-f``: which calls to show. A filter that raises shows the call, with the error."""

    def __init__(self, text: str | None):
        self.text = text
        self.expression = CallExpression(text) if text else None
        self.needs_args = bool(self.expression is not None and self.expression.names & ARGUMENT_NAMES)

    def check(self, call: Call) -> tuple:
        """(show?, error dict or None)"""
        if self.expression is None:
            return True, None
        try:
            return bool(self.expression(*call_values(call))), None
        except ExpressionError as e:
            return True, {"type": e.error_type, "message": e.error_message, "expr": self.text}


class ObservingStream(Stream, Observer):
    verb = "observing"

    def __init__(self, args: Arguments, limit: int | None, filter_text: str | None):
        """``args`` say where the function is (``module``, ``class``, ``method``, ``nested``); the
        subclass reads the rest: ``limit`` (calls to show, None: until stopped) and ``filter_text``."""
        super().__init__()
        where = args.text("module"), args.optional_text("class"), args.text("method"), args.optional_text("nested")
        self.site = locate(*where)
        self.filter = CallFilter(filter_text)
        self.needs_args = self.filter.needs_args  # subclasses add what they show
        self.limit = limit
        self.count = 0
        self._count_lock = _thread.allocate_lock()
        self.key: types.CodeType | None = None  # the probe key while hooked

    def start(self) -> list:
        self.key = key = add_observer(self.site, self)
        # the front door says how to stop it (Ctrl-C at a terminal, Stop in the browser)
        records = [{"kind": "message", "text": self.started_text(), "stop_hint": "ends it"}]
        probe = probe_of(key)
        if probe is not None and probe.fallback_reason:
            records.append(
                {
                    "kind": "message",
                    "text": f"note: {probe.fallback_reason}, so {self.site.name} is hooked with a wrapper: "
                    "while this runs, its frames show in the target's tracebacks and caller lookups",
                }
            )
        return records

    def started_text(self) -> str:
        return f"{self.verb} {self.site.name}" + (f" (up to {self.limit})" if self.limit else "")

    def close(self) -> None:
        key, self.key = self.key, None
        if key is not None:
            remove_observer(key, self)

    def admit(self, call: Call) -> tuple:
        """(index, filter error) for a call to show, or (None, None). Call ``shown(index)`` after."""
        if self.finished is not None:
            return None, None
        show, error = self.filter.check(call)
        if not show:
            return None, None
        with self._count_lock:
            if self.limit is not None and self.count >= self.limit:
                return None, None
            self.count += 1
            return self.count, error

    def call_record(self, kind: str, index: int, call: Call) -> dict:
        """The fields every record of one observed call has (docs/schema.md)."""
        return {
            "kind": kind,
            "index": index,
            "method": self.site.name,
            "thread_id": call.thread_id,
            "thread_name": thread_name(call.thread_id),
            "time": call.start_time(),
            "cost_ms": round(call.cost_ms, 6),
        }

    def shown(self, index: int) -> None:
        if self.limit is not None and index >= self.limit:
            self.finish("limit")


def reset(connection=None) -> None:
    """For the command modules that observe calls: a connection's hooks go when its stream ends
    (pump.py); on detach (None), every probe goes, whoever owned it."""
    if connection is None:
        remove_all()
