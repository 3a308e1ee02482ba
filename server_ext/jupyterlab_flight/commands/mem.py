"""mem summary | diff | refs: what fills a live process's memory, what grows, where it is
allocated and who holds it (a stream: each walk or search is a record)."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .requests import MemRequest

ACTIONS = ("summary", "diff", "refs")
REFS_COUNT = 3
MAX_REFS = 100
DIFF_CYCLES = 1


def _build(ns) -> MemRequest:
    names = list(ns.names)
    if ns.action == "refs":
        if len(names) != 2:
            raise CommandSyntaxError(f"mem refs: expected 'module class', got {' '.join(names) or 'nothing'}")
    elif names:
        raise CommandSyntaxError(f"mem {ns.action} takes no module or class (got {' '.join(names)}); see help mem")
    if ns.limit < 1:
        raise CommandSyntaxError(f"--limit must be at least 1; got {ns.limit}")
    if not ns.interval > 0:
        raise CommandSyntaxError(f"--interval must be a positive number of seconds; got {ns.interval:g}")
    if ns.n is not None and ns.n < 1:
        raise CommandSyntaxError(f"-n must be at least 1; got {ns.n}")
    if ns.action == "refs" and ns.n is not None and ns.n > MAX_REFS:
        raise CommandSyntaxError(f"mem refs -n: at most {MAX_REFS} instances; got {ns.n}")
    if ns.depth < 1:
        raise CommandSyntaxError(f"-d must be at least 1; got {ns.depth}")
    cycles = ns.n if ns.n is not None else DIFF_CYCLES
    return {
        "action": ns.action,
        "limit": ns.limit,
        "order": ns.order,
        "gc": ns.gc,
        "interval": ns.interval,
        "by": ns.by,
        "cycles": cycles,
        "module": names[0] if names else None,
        "class": names[1] if len(names) > 1 else None,
        "count": ns.n if ns.n is not None else REFS_COUNT,
        "depth": ns.depth,
    }


def needed_seconds(request: dict) -> float:
    """The least time the request takes (its intervals): a --timeout shorter cannot be met."""
    if request.get("action") == "diff":
        return float(request["interval"]) * int(request["cycles"])
    return 0.0


COMMAND = Command(
    "mem",
    "memory by type (summary), what grows (diff, by type or allocation site), who holds a class's"
    " instances (refs) (a stream)",
    (
        Option(("action",), "summary, diff or refs", choices=ACTIONS, metavar="summary|diff|refs"),
        Option(
            ("names",),
            "refs: the class whose instances to explain",
            nargs="*",
            metavar="[module class]",
            complete="class",
        ),
        Option(("-l", "--limit"), "rows to show", default=20, type=int, metavar="N"),
        Option(
            ("-o", "--order"),
            "largest first (descending) or smallest first; diff: by growth",
            default="descending",
            choices=("descending", "ascending"),
        ),
        Option(
            ("--gc",),
            "summary: run a full collection first (pympler always does; it costs 0.1-0.5 s on a"
            " large heap and changes what is measured)",
            action="store_true",
        ),
        Option(
            ("-i", "--interval"), "diff: seconds between the two walks", default=10.0, type=float, metavar="SECONDS"
        ),
        Option(
            ("--by",),
            "diff: by type, or by allocation site (file:line and a short traceback) through"
            " tracemalloc, started for the diff and stopped after unless the target traces"
            " already; while it runs allocations cost about 1.5-2.5x and memory up to half"
            " more, and only allocations made meanwhile are seen",
            default="type",
            choices=("type", "site"),
        ),
        Option(
            ("-n",),
            f"diff: cycles, each a record (default {DIFF_CYCLES}); refs: instances to explain (default {REFS_COUNT})",
            type=int,
            metavar="N",
        ),
        Option(("-d", "--depth"), "refs: the longest chain looked for", default=12, type=int, metavar="DEPTH"),
    ),
    _build,
    usage="mem summary|diff|refs [module class] [-l N] [-o ORDER] [--gc] [-i SECONDS] [--by type|site] [-n N]"
    " [-d DEPTH]",
    examples=(
        "mem summary",
        "mem summary -l 10 --gc",
        "mem diff -i 5 -n 6",
        "mem diff --by site -i 10",
        "mem refs app.cache Session -n 3",
    ),
    streams=True,
    long_running=True,
    needs_seconds=needed_seconds,
    record_kinds=("message", "mem_summary", "mem_diff", "mem_refs", "end", "error"),
)
