"""console: run Python in the target, one snippet (-c) or an interactive session.

Code runs in a private namespace per connection (``import __main__`` reaches the script's
globals), never in a module of the target, so nothing of the target is overwritten by accident.
What it prints is captured (capture.py); the value of a final expression is rendered like every
other value. An exception is reported with its traceback and never propagates.
"""

from __future__ import annotations

import builtins

from ..capture import Capture
from ..render import RenderOptions, render_value, type_name

DEFAULT_EXPAND = 2
MAX_OUTPUT_CHARS = 1 << 20


def _format_exception(e: BaseException, only: bool = False) -> str:
    """The traceback from the user's code down, without the agent's own frames."""
    import traceback

    if only:
        return "".join(traceback.format_exception_only(type(e), e))
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<flight console>":
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb))


def _compile(source: str):
    """Compile to (body, last expression or None); raises SyntaxError."""
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


def execute(source: str, namespace: dict, session, options: RenderOptions) -> dict:
    record: dict = {"kind": "console", "stdout": "", "stderr": "", "value": None, "error": None}
    try:
        body, last = _compile(source)
    except SyntaxError as e:
        record["error"] = {"type": "SyntaxError", "message": str(e), "traceback": _format_exception(e, only=True)}
        return record
    value, has_value = None, False
    with Capture() as out:
        try:

            def work():
                exec(body, namespace)
                return eval(last, namespace) if last is not None else None

            value = session.run_user_code(work, interruptible=True)
            has_value = last is not None and value is not None
        except BaseException as e:  # KeyboardInterrupt from the client's Ctrl-C included
            record["error"] = {"type": type(e).__name__, "message": str(e), "traceback": _format_exception(e)}
    record["stdout"] = _cut(out.stdout)
    record["stderr"] = _cut(out.stderr)
    if has_value:
        record["type"] = type_name(value)
        record["value"] = render_value(value, options)
    return record


def new_namespace() -> dict:
    return {"__builtins__": builtins, "__name__": "__flight_console__"}


def run(args: dict, session):
    options = RenderOptions.from_args(args, DEFAULT_EXPAND)
    if args.get("incomplete") is not None:  # the interactive prompt asks: need more lines?
        yield {"kind": "console_more", "more": incomplete(args["incomplete"])}
        return
    namespace = session.console_namespace if args.get("session") else new_namespace()
    yield execute(args.get("code", ""), namespace, session, options)
