"""Each command's arguments, help and how its parsed arguments become a request.

Semantics follow PyFlightProfiler's guide (shared/seeds); the request dicts are what the agent's
command modules (flight_agent/commands/*.py) read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

EXPAND_HELP = "expand: depth to which values are shown (1-6, -1 for the maximum)"
VERBOSE_HELP = "verbose: show every item of lists and dicts and whole strings (up to hard caps)"
RAW_HELP = "raw: show repr() of the value instead of a tree"


@dataclass
class CommandSpec:
    name: str
    summary: str
    arguments: list
    build: Callable  # argparse.Namespace -> (where, request)
    examples: list = field(default_factory=list)


def _render_args(ns) -> dict:
    return {"expand": ns.expand, "verbose": ns.verbose, "raw": ns.raw}


RENDER_ARGUMENTS = [
    (("-x", "--expand"), {"type": int, "default": None, "metavar": "N", "help": EXPAND_HELP}),
    (("-v", "--verbose"), {"action": "store_true", "help": VERBOSE_HELP}),
    (("-r", "--raw"), {"action": "store_true", "help": RAW_HELP}),
]


def _check_expand(ns) -> None:
    if ns.expand is not None and not (ns.expand == -1 or 1 <= ns.expand <= 6):
        from ..errors import CommandSyntaxError

        raise CommandSyntaxError(f"-x must be between 1 and 6, or -1; got {ns.expand}")


def _build_help(ns):
    return "local", {"command": ns.command}


def _build_stack(ns):
    request = {"pid": ns.pid, "file": ns.filepath, "native": ns.native, "asyncio": ns.asyncio}
    return ("outside" if ns.native or ns.pid is not None else "agent"), request


def _build_getglobal(ns):
    _check_expand(ns)
    if len(ns.names) not in (2, 3):
        from ..errors import CommandSyntaxError

        raise CommandSyntaxError(
            "getglobal: expected 'module [class] field'\nusage: getglobal module [class] field [-e expr] [-x n] [-r] [-v]"
        )
    module, *middle, fieldname = ns.names
    request = {"module": module, "class": middle[0] if middle else None, "field": fieldname, "expr": ns.expr}
    request.update(_render_args(ns))
    return "agent", request


def _build_vmtool(ns):
    from ..errors import CommandSyntaxError

    _check_expand(ns)
    if ns.action == "getInstances":
        if not ns.cls:
            raise CommandSyntaxError("vmtool -a getInstances needs -c module class")
        if ns.limit is not None and ns.limit < -1:
            raise CommandSyntaxError("-n must be a positive number of instances, or -1 for all")
        request = {
            "action": "getInstances",
            "module": ns.cls[0],
            "class": ns.cls[1],
            "expr": ns.expr,
            "limit": 10 if ns.limit is None else ns.limit,
        }
        request.update(_render_args(ns))
        return "agent", request
    return "agent", {"action": "forceGc"}


def _build_module(ns):
    return "agent", {"filepath": ns.filepath}


def _build_console(ns):
    _check_expand(ns)
    request = {"code": ns.code}
    request.update(_render_args(ns))
    return ("agent" if ns.code is not None else "local"), request


def _observed(ns, command: str) -> dict:
    """module [class] method -> request fields (shared by watch, trace, tt -t, monitor)."""
    from ..errors import CommandSyntaxError

    names = ns.names
    if len(names) not in (2, 3):
        raise CommandSyntaxError(f"{command}: expected 'module [class] method', got {' '.join(names) or 'nothing'}")
    module, *middle, method = names
    return {"module": module, "class": middle[0] if middle else None, "method": method, "nested": ns.nested}


def _check_limit(ns) -> None:
    from ..errors import CommandSyntaxError

    if ns.limit is not None and ns.limit < 1:
        raise CommandSyntaxError(f"-n must be at least 1; got {ns.limit}")


def _build_watch(ns):
    _check_expand(ns)
    _check_limit(ns)
    request = _observed(ns, "watch")
    request.update({"expr": ns.expr, "filter": ns.filter, "exception": ns.exception, "limit": ns.limit})
    request.update(_render_args(ns))
    return "agent", request


def _build_trace(ns):
    _check_limit(ns)
    request = _observed(ns, "trace")
    request.update(
        {
            "interval": ns.interval,
            "depth": ns.depth,
            "entrance_time": ns.entrance_time,
            "filter": ns.filter,
            "limit": ns.limit,
        }
    )
    if ns.depth is not None and ns.depth < 1:
        from ..errors import CommandSyntaxError

        raise CommandSyntaxError("-d must be at least 1")
    return "agent", request


def _build_monitor(ns):
    _check_limit(ns)
    request = _observed(ns, "monitor")
    request.update({"cycle": ns.cycle, "limit": ns.limit})
    return "agent", request


def _build_tt(ns):
    from ..errors import CommandSyntaxError

    _check_expand(ns)
    chosen = [
        flag
        for flag, on in (
            ("-t", ns.record is not None),
            ("-l", ns.list),
            ("-i", ns.index is not None),
            ("-d", ns.delete is not None),
            ("-da", ns.delete_all),
        )
        if on
    ]
    if len(chosen) != 1:
        raise CommandSyntaxError("tt: give exactly one of -t module [class] method, -l, -i N, -d N, -da")
    request = _render_args(ns)
    if ns.record is not None:
        _check_limit(ns)
        ns.names = ns.record
        request.update(_observed(ns, "tt -t"))
        request.update({"action": "record", "filter": ns.filter, "limit": ns.limit})
    elif ns.list:
        request.update({"action": "list", "method": ns.method, "filter": ns.filter})
    elif ns.index is not None:
        request.update({"action": "replay" if ns.play else "show", "index": ns.index})
    elif ns.delete is not None:
        request.update({"action": "delete", "index": ns.delete})
    else:
        request.update({"action": "delete_all"})
    if ns.play and ns.index is None:
        raise CommandSyntaxError("tt: -p replays the record given by -i N")
    return "agent", request


OBSERVED_ARGUMENTS = [
    (("names",), {"nargs": "+", "metavar": "module [class] method", "help": "the function or method to observe"}),
    (
        ("-nm", "--nested-method"),
        {
            "dest": "nested",
            "metavar": "NAME",
            "help": "observe the function NAME defined inside the method (one level)",
        },
    ),
]


def _build_detach(ns):
    return "local", {}


COMMANDS = {
    spec.name: spec
    for spec in [
        CommandSpec(
            "help",
            "show the commands, or one command's options and examples",
            [(("command",), {"nargs": "?", "help": "the command to explain"})],
            _build_help,
            ["help", "help getglobal"],
        ),
        CommandSpec(
            "stack",
            "Python stacks of every thread (innermost frame last), asyncio tasks with -a",
            [
                (
                    ("pid",),
                    {
                        "nargs": "?",
                        "type": int,
                        "help": "another process to read from outside (default: the attached one)",
                    },
                ),
                (("-f", "--filepath"), {"metavar": "FILE", "help": "also write the stacks to FILE"}),
                (
                    ("--native",),
                    {
                        "action": "store_true",
                        "help": "read from outside with pystack: native frames interleaved, GIL holder shown (works on a wedged process)",
                    },
                ),
                (
                    ("-a", "--asyncio"),
                    {"action": "store_true", "help": "also show pending asyncio tasks and what they await"},
                ),
            ],
            _build_stack,
            ["stack", "stack -a", "stack --native", "stack -f /tmp/stacks.txt", "stack 4242"],
        ),
        CommandSpec(
            "getglobal",
            "a module global or a class field, rendered as a value tree",
            [
                (("names",), {"nargs": "+", "metavar": "module [class] field", "help": "where the value lives"}),
                (
                    ("-e", "--expr"),
                    {
                        "metavar": "EXPR",
                        "help": "expression over 'target' (the value) to show instead, e.g. target['key']",
                    },
                ),
                *RENDER_ARGUMENTS,
            ],
            _build_getglobal,
            [
                "getglobal __main__ CONFIG",
                "getglobal __main__ Model registry -x 3",
                "getglobal app.db POOL -e 'len(target)'",
            ],
        ),
        CommandSpec(
            "vmtool",
            "live instances of a class (subclasses included), or a forced garbage collection",
            [
                (
                    ("-a", "--action"),
                    {"required": True, "choices": ["getInstances", "forceGc"], "help": "getInstances or forceGc"},
                ),
                (
                    ("-c", "--class"),
                    {
                        "dest": "cls",
                        "nargs": 2,
                        "metavar": ("MODULE", "CLASS"),
                        "help": "the class whose instances to find",
                    },
                ),
                (
                    ("-e", "--expr"),
                    {"metavar": "EXPR", "help": "expression over 'instances' (the list) to show instead"},
                ),
                (
                    ("-n", "--limit"),
                    {
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "at most N instances (default 10, -1 for all)",
                    },
                ),
                *RENDER_ARGUMENTS,
            ],
            _build_vmtool,
            [
                "vmtool -a getInstances -c __main__ Session",
                "vmtool -a getInstances -c app.models User -e 'len(instances)' -n -1",
                "vmtool -a forceGc",
            ],
        ),
        CommandSpec(
            "module",
            "which imported module(s) a source file is, to use with getglobal, watch, ...",
            [(("filepath",), {"help": "path of a Python source file"})],
            _build_module,
            ["module /srv/app/main.py"],
        ),
        CommandSpec(
            "console",
            "Python in the target: an interactive console, or one snippet with -c",
            [
                (
                    ("-c", "--code"),
                    {"metavar": "CODE", "help": "run CODE, print its output and the value of its last expression"},
                ),
                *RENDER_ARGUMENTS,
            ],
            _build_console,
            ["console", "console -c 'import __main__; len(__main__.cache)'"],
        ),
        CommandSpec(
            "watch",
            "each call of a function: arguments, result or exception, cost, thread (a stream)",
            [
                *OBSERVED_ARGUMENTS,
                (
                    ("--expr",),
                    {
                        "metavar": "EXPR",
                        "help": "what to show, over target, args, kwargs, return_obj, cost (ms), exception; 'a, b' shows each (default: args, kwargs)",
                    },
                ),
                (
                    ("-f", "--filter"),
                    {"metavar": "EXPR", "help": "only calls where EXPR is true (same names as --expr)"},
                ),
                (("-e", "--exception"), {"action": "store_true", "help": "only calls that raised"}),
                (
                    ("-n", "--limits"),
                    {
                        "dest": "limit",
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "stop after N calls shown (default 10; calls the filter rejects do not count)",
                    },
                ),
                *RENDER_ARGUMENTS,
            ],
            _build_watch,
            [
                "watch __main__ handle",
                "watch app.api Handler get --expr 'args[0], return_obj' -x 2",
                "watch app.db query -f 'cost > 100' --expr 'args, cost'",
                "watch app.jobs run -e -n 5",
                "watch app.views Page render -nm helper",
            ],
        ),
        CommandSpec(
            "trace",
            "the call tree under each call of a function, with the time of every call (a stream)",
            [
                *OBSERVED_ARGUMENTS,
                (
                    ("-i", "--interval"),
                    {
                        "type": float,
                        "default": None,
                        "metavar": "MS",
                        "help": "fold calls shorter than MS milliseconds (default 0.1)",
                    },
                ),
                (
                    ("-d", "--depth"),
                    {
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "show N levels (the traced call is level 1), every call at those levels",
                    },
                ),
                (
                    ("-et", "--entrance-time"),
                    {
                        "dest": "entrance_time",
                        "type": float,
                        "default": None,
                        "metavar": "MS",
                        "help": "only calls that took at least MS milliseconds",
                    },
                ),
                (("-f", "--filter"), {"metavar": "EXPR", "help": "only calls where EXPR is true (names as in watch)"}),
                (
                    ("-n", "--limits"),
                    {
                        "dest": "limit",
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "stop after N traces (default 10)",
                    },
                ),
            ],
            _build_trace,
            [
                "trace __main__ handle",
                "trace app.api Handler get -i 1 -n 3",
                "trace app.jobs run -d 2 -n 1",
                "trace app.api serve -et 50",
            ],
        ),
        CommandSpec(
            "tt",
            "time tunnel: record calls (-t), list (-l), show one (-i N), replay it (-i N -p), delete (-d N / -da)",
            [
                (
                    ("-t", "--time-tunnel"),
                    {
                        "dest": "record",
                        "nargs": "+",
                        "metavar": "NAME",
                        "help": "record calls of module [class] method (a stream)",
                    },
                ),
                (
                    ("-nm", "--nested-method"),
                    {
                        "dest": "nested",
                        "metavar": "NAME",
                        "help": "with -t: the function NAME defined inside the method",
                    },
                ),
                (("-l", "--list"), {"action": "store_true", "help": "list the recorded calls"}),
                (("-i", "--index"), {"type": int, "default": None, "metavar": "N", "help": "show record N"}),
                (
                    ("-p", "--play"),
                    {
                        "action": "store_true",
                        "help": "with -i N: call the function again with the same arguments (runs its side effects again)",
                    },
                ),
                (("-d", "--delete"), {"type": int, "default": None, "metavar": "N", "help": "delete record N"}),
                (
                    ("-da", "--delete-all"),
                    {"dest": "delete_all", "action": "store_true", "help": "delete every record"},
                ),
                (
                    ("-m", "--method"),
                    {
                        "metavar": "MODULE.CLASS.METHOD",
                        "help": "with -l: only this method (CLASS is None for module functions)",
                    },
                ),
                (
                    ("-f", "--filter"),
                    {"metavar": "EXPR", "help": "with -t or -l: only calls where EXPR is true (names as in watch)"},
                ),
                (
                    ("-n", "--limits"),
                    {
                        "dest": "limit",
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "with -t: stop after N calls (default 50)",
                    },
                ),
                *RENDER_ARGUMENTS,
            ],
            _build_tt,
            [
                "tt -t __main__ handle",
                "tt -l",
                "tt -i 1000 -x 3",
                "tt -i 1000 -p",
                "tt -l -m app.api.Handler.get",
                "tt -d 1000",
                "tt -da",
            ],
        ),
        CommandSpec(
            "monitor",
            "call statistics of a function per cycle: calls, failures, average, p50, p99, max (a stream)",
            [
                *OBSERVED_ARGUMENTS,
                (
                    ("-c", "--cycle"),
                    {"type": float, "default": None, "metavar": "SECONDS", "help": "cycle length (default 5)"},
                ),
                (
                    ("-n", "--limits"),
                    {
                        "dest": "limit",
                        "type": int,
                        "default": None,
                        "metavar": "N",
                        "help": "stop after N cycles (default: until stopped)",
                    },
                ),
            ],
            _build_monitor,
            ["monitor __main__ handle", "monitor app.api Handler get -c 10 -n 6"],
        ),
        CommandSpec(
            "detach",
            "remove every hook from the target and stop its agent",
            [],
            _build_detach,
            ["detach"],
        ),
    ]
}
