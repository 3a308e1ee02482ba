"""console: run Python in the target, one snippet (-c) or the CLI's interactive console.

Code runs in a private namespace, never in a module of the target (``import __main__`` reaches
the script's globals), so nothing of the target is overwritten by accident: a fresh one for each
snippet, or, with ``session: true`` (the interactive console), one that the connection keeps
until its client goes away. What it prints is captured (capture.py); the value of a final
expression becomes a value tree like every other value. An exception is reported with its
traceback and never propagates.
"""

from __future__ import annotations

import builtins

from .. import capture, forksafe
from ..arguments import Arguments
from ..connection import Connection
from ..expressions import COMPILE_ERRORS
from ..tracebacks import user_traceback
from ..values import TreeOptions, type_name, value_tree

MAX_OUTPUT_CHARS = 1 << 20


def _format_exception(e: BaseException, only: bool = False) -> str:
    """The traceback of the user's code (theirs and the target's), without the agent's frames."""
    if only:
        import traceback

        return "".join(traceback.format_exception_only(type(e), e))
    return user_traceback(e)


def _compile(source: str):
    """Compile to (body, last expression or None); raises one of COMPILE_ERRORS."""
    import ast  # only when the console is used

    tree = ast.parse(source, "<flight console>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)  # type: ignore[attr-defined]
    body = compile(tree, "<flight console>", "exec")
    return body, (compile(last, "<flight console>", "eval") if last is not None else None)


def incomplete(source: str) -> bool:
    """True when the interactive console should ask for more lines."""
    import codeop

    try:
        return codeop.compile_command(source, "<flight console>", "single") is None
    except (SyntaxError, ValueError, OverflowError):
        return False


def _cut(text: str) -> str:
    if len(text) > MAX_OUTPUT_CHARS:
        return text[:MAX_OUTPUT_CHARS] + f"\n[... {len(text) - MAX_OUTPUT_CHARS} more characters cut]"
    return text


def execute(source: str, namespace: dict, connection: Connection, options: TreeOptions) -> dict:
    record: dict = {"kind": "console", "stdout": "", "stderr": "", "value": None, "error": None}
    try:
        body, last = _compile(source)
    except COMPILE_ERRORS as e:
        record["error"] = {"type": type(e).__name__, "message": str(e), "traceback": _format_exception(e, only=True)}
        return record
    value, has_value = None, False
    with capture.Capture() as out:
        try:

            def work():
                exec(body, namespace)
                return eval(last, namespace) if last is not None else None

            value = connection.run_user_code(work, interruptible=True)
            has_value = last is not None and value is not None
        except BaseException as e:  # KeyboardInterrupt from the client's Ctrl-C included
            record["error"] = {"type": type(e).__name__, "message": str(e), "traceback": _format_exception(e)}
    record["stdout"] = _cut(out.stdout)
    record["stderr"] = _cut(out.stderr)
    if has_value:
        record["type"] = type_name(value)
        record["value"] = value_tree(value, options)
    return record


_namespaces: dict = {}  # connection number -> the interactive console's namespace


def new_namespace() -> dict:
    return {"__builtins__": builtins, "__name__": "__flight_console__"}


def run(args: Arguments, connection: Connection) -> list:
    if args.has("incomplete"):  # the interactive prompt asks: need more lines?
        return [{"kind": "console_more", "more": incomplete(args.text("incomplete"))}]
    code = args.text("code")
    options = TreeOptions.from_arguments(args)
    if args.has("session") and args.flag("session"):  # the interactive console: one namespace
        namespace = _namespaces.setdefault(connection.number, new_namespace())
    else:
        namespace = new_namespace()
    return [execute(code, namespace, connection, options)]


def reset(connection: Connection | None = None) -> None:
    if connection is not None:
        _namespaces.pop(connection.number, None)
        return
    _namespaces.clear()
    capture.uninstall()  # console code that another thread still runs prints to the target's streams


forksafe.register(_namespaces.clear)  # the child of a fork drops the parent's console namespaces
