"""Evaluate user expressions (-e / --expr / -f) in the target, never letting them escape.

An expression sees only the names a command gives it (``target``, ``instances``, ...) and the
builtins: it runs in a fresh namespace, never in a module of the target. A syntax error or an
exception becomes an ExpressionError carrying the exception's type and message.
"""

from __future__ import annotations

import builtins


class ExpressionError(Exception):
    def __init__(self, expression: str, error: BaseException, phase: str):
        self.expression = expression
        self.error_type = type(error).__name__
        self.error_message = str(error)
        self.phase = phase  # "compile" or "evaluate"
        verb = "is not valid" if phase == "compile" else "raised"
        super().__init__(f"expression {expression!r} {verb}: {self.error_type}: {self.error_message}")


def compile_expression(expression: str):
    try:
        return compile(expression, "<flight expression>", "eval")
    except SyntaxError as e:
        raise ExpressionError(expression, e, "compile") from None


def evaluate(expression: str, names: dict, code=None):
    if code is None:
        code = compile_expression(expression)
    namespace = {"__builtins__": builtins}
    namespace.update(names)
    try:
        return eval(code, namespace)
    except Exception as e:
        raise ExpressionError(expression, e, "evaluate") from None
