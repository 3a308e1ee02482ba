"""Evaluate user expressions (-e / --expr / -f) in the target, never letting them escape.

An expression sees only the names a command gives it (``target``, ``instances``, ...) and the
builtins: it runs in a fresh namespace, never in a module of the target. A syntax error or an
exception becomes an ExpressionError carrying the exception's type and message.
"""

from __future__ import annotations

import builtins

from .errors import CommandError


class ExpressionError(CommandError):
    """A user expression that does not compile or raised; the record shows its exception."""

    def __init__(self, expression: str, error: BaseException, phase: str):
        self.expression = expression
        self.error_type = type(error).__name__
        self.error_message = str(error)
        self.phase = phase  # "compile" or "evaluate"
        verb = "is not valid" if phase == "compile" else "raised"
        super().__init__(f"expression {expression!r} {verb}: {self.error_type}: {self.error_message}")


# What compiling the user's text may raise: a null byte is a ValueError before 3.12, a huge or
# deeply nested literal an OverflowError or RecursionError.
COMPILE_ERRORS = (SyntaxError, ValueError, OverflowError, RecursionError)
# What an expression's evaluation may raise and is reported: exit() too, which would otherwise end
# the target from inside an observed call (KeyboardInterrupt, the target's own Ctrl-C, goes on).
_RAISED = (Exception, SystemExit, GeneratorExit)


def compile_expression(expression: str):
    try:
        return compile(expression, "<flight expression>", "eval")
    except COMPILE_ERRORS as e:
        raise ExpressionError(expression, e, "compile") from None


def evaluate(expression: str, names: dict, code=None):
    if code is None:
        code = compile_expression(expression)
    namespace = {"__builtins__": builtins}
    namespace.update(names)
    try:
        return eval(code, namespace)
    except _RAISED as e:
        raise ExpressionError(expression, e, "evaluate") from None


CALL_NAMES = ("target", "args", "kwargs", "return_obj", "cost", "exception")
ARGUMENT_NAMES = frozenset(("target", "args", "kwargs"))
_DYNAMIC = frozenset(("eval", "exec", "locals", "vars", "globals"))  # may read any name


def names_used(expression: str) -> frozenset:
    """The names an expression may read (those of nested lambdas and comprehensions included);
    CALL_NAMES entirely when it could read names dynamically (eval, locals(), ...)."""
    stack = [compile_expression(expression)]
    names: set = set()
    while stack:
        code = stack.pop()
        names.update(code.co_names)
        stack.extend(c for c in code.co_consts if hasattr(c, "co_names"))
    return frozenset(CALL_NAMES) if names & _DYNAMIC else frozenset(names)


class CallExpression:
    """An expression over an observed call's names, compiled once into a function of them.

    Observed functions can be hot: calling a function with positional arguments costs a fraction
    of ``eval`` with a fresh namespace dict on every call.
    """

    def __init__(self, expression: str):
        self.text = expression
        self.names = names_used(expression)  # also a clear error for bad syntax, with the user's text
        source = f"lambda {', '.join(CALL_NAMES)}: (\n{expression}\n)"
        try:
            self.function = eval(compile(source, "<flight expression>", "eval"), {"__builtins__": builtins})
        except COMPILE_ERRORS as e:
            raise ExpressionError(expression, e, "compile") from None

    def __call__(self, target, args, kwargs, return_obj, cost, exception):
        try:
            return self.function(target, args, kwargs, return_obj, cost, exception)
        except _RAISED as e:
            raise ExpressionError(self.text, e, "evaluate") from None
