"""console [-c code]: Python in the target, in a private namespace.

With ``-c`` (or a ``%%flight console`` cell) one snippet runs in the agent; without it the
command is an interactive console, which only a terminal can run (``repl``).
"""

from __future__ import annotations

from typing import Callable

from ..errors import FlightError
from .descriptor import Command, Option
from .options import render_options, render_request
from .requests import ConsoleRequest

BANNER = (
    "Python console in the target (private namespace; 'import __main__' reaches the script). exit() or Ctrl-D leaves."
)


def _build(ns) -> ConsoleRequest:
    return {"code": ns.code, **render_request(ns)}


def repl(parsed, session, emit: Callable[[dict], None], read_line: Callable[[str], str]) -> None:
    """Read code at a prompt and run each complete snippet in the target, in one namespace kept
    for this connection. ``read_line`` raises EOFError to leave, KeyboardInterrupt to drop the
    snippet being typed; Ctrl-C while code runs interrupts it in the target."""
    print(BANNER)
    buffer: list = []
    while True:
        try:
            line = read_line("... " if buffer else ">>> ")
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print("\nKeyboardInterrupt")
            buffer = []
            continue
        if not buffer and line.strip() in ("exit()", "quit()", "exit", "quit"):
            return
        buffer.append(line)
        source = "\n".join(buffer)
        try:
            answer: dict = next(iter(session.client.run(parsed.name, {"incomplete": source})), {})
            more = answer.get("more", False)
        except FlightError as e:
            emit({"v": 1, "kind": "error", "message": e.message})
            return
        if more:  # an open block: a blank line closes it
            continue
        buffer = []
        snippet = parsed.with_request(dict(parsed.request, code=source, session=True), line=source)
        try:
            if session.run_interruptible(snippet, emit):
                print("(interrupted)")
        except FlightError as e:
            emit({"v": 1, "kind": "error", "message": e.message})


COMMAND = Command(
    "console",
    "Python in the target: an interactive console, or one snippet with -c",
    (
        Option(("-c", "--code"), "run CODE, print its output and the value of its last expression", metavar="CODE"),
        *render_options(2),
    ),
    _build,
    examples=("console", "console -c 'import __main__; len(__main__.cache)'"),
    long_running=True,  # user code: the target's own switch interval
    interactive_unless=("-c",),
    needs_terminal="the interactive console needs a terminal: use console -c '<code>'",
    repl=repl,
    cell_option="-c",
    record_kinds=("console", "error"),
    changes=lambda request: "runs Python code of the caller's in the target",
)
