"""watch module [class] method: each call's arguments, result or exception and cost, as it happens.

Expressions (``--expr``, ``-f``) see ``target`` (self or cls, None for functions), ``args``,
``kwargs``, ``return_obj``, ``cost`` (ms) and ``exception``. ``--expr a, b`` shows each
top-level expression separately. ``-n`` counts the calls shown: calls a filter rejects do not
count. Values are rendered on the calling thread, at return, like every value (render.py).
"""

from __future__ import annotations

import _thread
import sys

from ..expressions import ExpressionError, compile_expression, evaluate
from ..hooks.locate import locate
from ..hooks.probe import Call, Observer, add_observer, remove_observer
from ..render import RenderOptions, render_value
from ..streams import Stream

DEFAULT_EXPR = "args, kwargs"
DEFAULT_LIMIT = 10
DEFAULT_EXPAND = 1


def split_expressions(text: str) -> list:
    """'args, kwargs' -> [('args', code), ('kwargs', code)]; '(a, b)' stays one expression."""
    import ast

    code = compile_expression(text)  # raises ExpressionError on bad syntax
    tree = ast.parse(text.strip(), mode="eval")
    body = tree.body
    if isinstance(body, ast.Tuple) and not text.strip().startswith("("):
        parts = [ast.get_source_segment(text.strip(), element) or "" for element in body.elts]
        if all(parts):
            return [(part, compile_expression(part)) for part in parts]
    return [(text.strip(), code)]


def thread_name(ident: int) -> str | None:
    threading = sys.modules.get("threading")
    if threading is None:
        return None
    thread = threading._active.get(ident)
    return thread.name if thread is not None else None


def exception_info(e: BaseException | None) -> dict | None:
    if e is None:
        return None
    try:
        message = str(e)
    except Exception:
        message = "<str() failed>"
    return {"type": type(e).__name__, "message": message[:2000]}


def call_names(call: Call) -> dict:
    return {
        "target": call.target,
        "args": call.args,
        "kwargs": call.kwargs,
        "return_obj": call.return_value,
        "cost": call.cost_ms,
        "exception": call.exception,
    }


class CallFilter:
    """``-f``: which calls to show. A filter that raises shows the call with the error."""

    def __init__(self, text: str | None):
        self.text = text
        self.code = compile_expression(text) if text else None

    def check(self, names: dict) -> tuple:
        """(show?, error dict or None)"""
        if self.code is None or self.text is None:
            return True, None
        try:
            return bool(evaluate(self.text, names, self.code)), None
        except ExpressionError as e:
            return True, {"type": e.error_type, "message": e.error_message, "expr": self.text}


class WatchStream(Stream, Observer):
    def __init__(self, args: dict, session):
        super().__init__()
        self.site = locate(args["module"], args.get("class"), args["method"], args.get("nested"))
        self.expressions = split_expressions(args.get("expr") or DEFAULT_EXPR)
        self.filter = CallFilter(args.get("filter"))
        self.exceptions_only = bool(args.get("exception"))
        limit = args.get("limit")
        self.limit = DEFAULT_LIMIT if limit is None else int(limit)
        self.options = RenderOptions.from_args(args, DEFAULT_EXPAND)
        self.count = 0
        self.count_lock = _thread.allocate_lock()
        self.key = None  # the probe key while observing

    def start(self) -> list:
        self.key = add_observer(self.site, self)  # type: ignore[assignment]
        return [
            {"kind": "message", "text": f"watching {self.site.name} (up to {self.limit} calls); Ctrl-C / stop ends it"}
        ]

    def close(self) -> None:
        key, self.key = self.key, None
        if key is not None:
            remove_observer(key, self)  # the probe key while observing

    def exit(self, call: Call) -> None:
        if self.finished is not None or (self.exceptions_only and call.exception is None):
            return
        names = call_names(call)
        show, filter_error = self.filter.check(names)
        if not show:
            return
        with self.count_lock:
            if self.count >= self.limit:
                return
            self.count += 1
            index = self.count
        values = []
        for text, code in self.expressions:
            try:
                values.append({"expr": text, "value": render_value(evaluate(text, names, code), self.options)})
            except ExpressionError as e:
                values.append({"expr": text, "error": {"type": e.error_type, "message": e.error_message}})
        record = {
            "kind": "watch",
            "index": index,
            "method": self.site.name,
            "thread_id": call.thread_id,
            "thread_name": thread_name(call.thread_id),
            "time": call.started,
            "cost_ms": round(call.cost_ms, 6),
            "exception": exception_info(call.exception),
            "values": values,
        }
        if filter_error is not None:
            record["filter_error"] = filter_error
        self.push(record)
        if index >= self.limit:
            self.finish("limit")


def stream(args: dict, session) -> Stream:
    return WatchStream(args, session)
