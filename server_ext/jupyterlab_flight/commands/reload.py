"""reload module [class] method [--undo]: recompile one function from its edited file in the
live process; undone with --undo or by detach."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .requests import ReloadRequest

USAGE = "reload module [class] method [--undo] | reload --undo"


def _build(ns) -> ReloadRequest:
    names = ns.names or []
    if not names and not ns.undo:
        raise CommandSyntaxError(f"reload: expected 'module [class] method'\nusage: {USAGE}")
    if len(names) > 3 or len(names) == 1:
        raise CommandSyntaxError(f"reload: expected 'module [class] method', got {' '.join(names)!r}\nusage: {USAGE}")
    if not names:  # reload --undo: every reloaded function
        return {"module": None, "class": None, "method": None, "undo": True}
    return {
        "module": names[0],
        "class": names[1] if len(names) == 3 else None,
        "method": names[-1],
        "undo": bool(ns.undo),
    }


COMMAND = Command(
    "reload",
    "recompile one function from its edited source file and swap it into the live process",
    (
        Option(("names",), "the function", nargs="*", metavar="module [class] method", complete="function"),
        Option(
            ("--undo",),
            "put the original code back (without a function: every reloaded one); detach does too",
            action="store_true",
        ),
    ),
    _build,
    usage=USAGE,
    examples=(
        "reload __main__ handle_request",
        "reload app.pricing Cart total",
        "reload --undo app.pricing Cart total",
        "reload --undo",
    ),
    record_kinds=("reload", "error"),
    changes=lambda request: "swaps a function's code in the running target",
)
