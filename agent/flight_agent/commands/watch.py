"""watch module [class] method: each call's arguments, result or exception and cost, as it happens.

Expressions (``--expr``, ``-f``) see ``target`` (self or cls, None for functions), ``args``,
``kwargs``, ``return_obj``, ``cost`` (ms) and ``exception``. ``--expr a, b`` shows each
top-level expression separately. ``-n`` counts the calls shown: calls a filter rejects do not
count. Values are rendered on the calling thread, at return, like every value (render.py).
"""

from __future__ import annotations

from ..expressions import CallExpression, ExpressionError, compile_expression
from ..hooks.observing import ObservingStream, call_values, exception_info
from ..hooks.probe import Call
from ..render import RenderOptions, render_value
from ..streams import Stream

DEFAULT_EXPR = "args, kwargs"
DEFAULT_LIMIT = 10
DEFAULT_EXPAND = 1


def split_expressions(text: str) -> list:
    """'args, kwargs' -> [CallExpression('args'), CallExpression('kwargs')]; '(a, b)' stays one."""
    import ast

    compile_expression(text)  # raises ExpressionError on bad syntax
    text = text.strip()
    body = ast.parse(text, mode="eval").body
    if isinstance(body, ast.Tuple) and not text.startswith("("):
        parts = [ast.get_source_segment(text, element) or "" for element in body.elts]
        if all(parts):
            return [CallExpression(part) for part in parts]
    return [CallExpression(text)]


class WatchStream(ObservingStream):
    default_limit = DEFAULT_LIMIT
    verb = "watching"

    def __init__(self, args: dict, session):
        super().__init__(args)
        self.expressions = split_expressions(args.get("expr") or DEFAULT_EXPR)
        self.exceptions_only = bool(args.get("exception"))
        self.options = RenderOptions.from_args(args, DEFAULT_EXPAND)

    def exit(self, call: Call) -> None:
        if self.exceptions_only and call.exception is None:
            return
        index, filter_error = self.admit(call)
        if index is None:
            return
        arguments = call_values(call)
        values = []
        for expression in self.expressions:
            try:
                values.append({"expr": expression.text, "value": render_value(expression(*arguments), self.options)})
            except ExpressionError as e:
                values.append({"expr": expression.text, "error": {"type": e.error_type, "message": e.error_message}})
        record = self.call_record("watch", index, call)
        record["exception"] = exception_info(call.exception)
        record["values"] = values
        if filter_error is not None:
            record["filter_error"] = filter_error
        self.push(record)
        self.shown(index)


def stream(args: dict, session) -> Stream:
    return WatchStream(args, session)
