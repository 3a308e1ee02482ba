"""watch module [class] method: each call's arguments, result or exception and cost, as it happens.

Expressions (``--expr``, ``-f``) see ``target`` (self or cls, None for functions), ``args``,
``kwargs``, ``return_obj``, ``cost`` (ms) and ``exception``. ``--expr a, b`` shows each
top-level expression separately. ``-n`` counts the calls shown: calls a filter rejects do not
count. Values become value trees on the calling thread, at return, like every value (values.py).
"""

from __future__ import annotations

from ..arguments import Arguments
from ..connection import Connection
from ..expressions import ARGUMENT_NAMES, CallExpression, ExpressionError, compile_expression
from ..hooks import observing
from ..hooks.observing import ObservingStream, call_values, exception_info
from ..hooks.probe import Call
from ..values import TreeOptions, value_tree

reset = observing.reset  # detach removes every hook; a stream's own go when it ends


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
    verb = "watching"

    def __init__(self, args: Arguments):
        expr, self.exceptions_only = args.text("expr"), args.flag("exception")
        self.options = TreeOptions.from_arguments(args)
        super().__init__(args, limit=args.integer("limit"), filter_text=args.optional_text("filter"))
        self.expressions = split_expressions(expr)
        self.needs_args = self.needs_args or any(e.names & ARGUMENT_NAMES for e in self.expressions)

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
                values.append({"expr": expression.text, "value": value_tree(expression(*arguments), self.options)})
            except ExpressionError as e:
                values.append({"expr": expression.text, "error": {"type": e.error_type, "message": e.error_message}})
        record = self.call_record("watch", index, call)
        record["exception"] = exception_info(call.exception)
        record["values"] = values
        if filter_error is not None:
            record["filter_error"] = filter_error
        self.push(record)
        self.shown(index)


def run(args: Arguments, connection: Connection) -> WatchStream:
    return WatchStream(args)
