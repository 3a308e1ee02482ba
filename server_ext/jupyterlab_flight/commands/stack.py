"""stack [pid] [-f file] [--native] [-a]: every thread's Python stack.

In the agent by default; ``stack PID`` (another process) and ``--native`` read from outside with
pystack, which needs no agent and works on a wedged process.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..outside import read_stack
from ..render.text import render_text
from .descriptor import AGENT, OUTSIDE, Command, Option
from .requests import StackRequest


def _build(ns) -> StackRequest:
    return {"pid": ns.pid, "file": ns.filepath, "native": ns.native, "asyncio": ns.asyncio}


def _write(path: str, text: str) -> dict:
    try:
        with open(path, "w") as f:
            f.write(text + "\n")
    except OSError as e:
        return {"v": 1, "kind": "error", "message": f"cannot write {path}: {e.strerror}"}
    return {"v": 1, "kind": "message", "text": f"stacks written to {path}"}


def _run(parsed, session) -> Iterator[dict]:
    request = parsed.request
    if parsed.where == OUTSIDE:
        records: Iterator[dict] = iter([read_stack(request["pid"] or session.pid, request["native"])])
    else:
        records = session.run_in_agent(parsed)
    for record in records:
        yield record
        if request["file"] and record.get("kind") == "stack":
            yield _write(request["file"], render_text(record))


COMMAND = Command(
    "stack",
    "Python stacks of every thread (innermost frame last), asyncio tasks with -a",
    (
        Option(("pid",), "another process to read from outside (default: the attached one)", nargs="?", type=int),
        Option(("-f", "--filepath"), "also write the stacks to FILE", metavar="FILE"),
        Option(
            ("--native",),
            "read from outside with pystack: native frames interleaved, GIL holder shown (works on a wedged process)",
            action="store_true",
        ),
        Option(("-a", "--asyncio"), "also show pending asyncio tasks and what they await", action="store_true"),
    ),
    _build,
    examples=("stack", "stack -a", "stack --native", "stack -f /tmp/stacks.txt", "stack 4242"),
    where=AGENT,
    where_when={OUTSIDE: ("pid", "--native")},
    files=("-f",),
    record_kinds=("stack", "message", "error"),
    run=_run,
)
