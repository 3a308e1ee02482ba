"""perf [pid] [-d SECONDS] [-r RATE] [-f FILE] [...]: a sampling profile, live, from outside the target.

py-spy reads the target's memory from outside (perf/): no agent, no GIL taken, works on a
wedged process. ``perf`` profiles the attached process, ``perf PID`` any Python process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import CommandSyntaxError
from ..perf.export import FORMATS, export_format

if TYPE_CHECKING:
    from ..perf.stream import PerfRequest
from .descriptor import OUTSIDE, Command, Option

MAX_RATE = 10_000


def _build(ns) -> PerfRequest:
    if not 1 <= ns.rate <= MAX_RATE:
        raise CommandSyntaxError(f"-r must be between 1 and {MAX_RATE}; got {ns.rate}")
    if ns.duration is not None and not ns.duration > 0:
        raise CommandSyntaxError(f"-d must be a positive number of seconds; got {ns.duration:g}")
    if ns.file is not None and export_format(ns.file) is None:
        raise CommandSyntaxError(f"-f {ns.file}: the suffix names the format, one of {', '.join(FORMATS)}")
    return {
        "pid": ns.pid,
        "duration": ns.duration,
        "rate": ns.rate,
        "file": ns.file,
        "native": ns.native,
        "idle": ns.idle,
        "gil": ns.gil,
        "threads": ns.threads,
        "subprocesses": ns.subprocesses,
        "nonblocking": ns.nonblocking,
        "baseline": ns.baseline,
    }


def _run(parsed, session) -> Iterator[dict]:
    request = parsed.request
    from ..perf.stream import profile_stream  # the sampler's modules load when perf runs, not with the CLI

    yield from profile_stream(request, request["pid"] or session.pid, lambda: session.stop_reason)


COMMAND = Command(
    "perf",
    "sampling profile (flame graph, top functions) of a live process, read from outside by py-spy (a stream)",
    (
        Option(("pid",), "another process to profile (default: the attached one)", nargs="?", type=int),
        Option(("-d", "--duration"), "stop after SECONDS (without -d: until stopped)", type=float, metavar="SECONDS"),
        Option(("-r", "--rate"), "samples per second", default=100, type=int, metavar="RATE"),
        Option(
            ("-f", "--file"),
            "also write the whole profile to FILE at the end: .svg flame graph, .json speedscope, .txt collapsed stacks",
            metavar="FILE",
        ),
        Option(("--native",), "include native frames (C, C++, Cython, Rust)", action="store_true"),
        Option(
            ("--idle",), "include threads that are waiting (sleeping, blocked on I/O or a lock)", action="store_true"
        ),
        Option(("--gil",), "only samples of the thread holding the GIL", action="store_true"),
        Option(("--threads",), "a level per thread in the merged flame graph and in -f files", action="store_true"),
        Option(("--subprocesses",), "also profile the target's child processes", action="store_true"),
        Option(
            ("--nonblocking",),
            "do not pause the target per sample (less overhead, stacks may be torn); "
            "the default for targets of more than 20 threads",
            action="store_true",
        ),
        Option(
            ("--baseline",),
            "compare with an earlier capture (a .txt written by perf -f): a differential flame graph",
            metavar="FILE.txt",
        ),
    ),
    _build,
    examples=(
        "perf",
        "perf -d 10",
        "perf -d 30 -f /tmp/profile.svg",
        "perf -r 500 --gil",
        "perf 4242 -d 5 -f /tmp/before.txt",
        "perf 4242 -d 5 --baseline /tmp/before.txt",
    ),
    where=OUTSIDE,
    streams=True,
    long_running=True,
    files=("-f",),
    record_kinds=("message", "profile", "end", "error"),
    run=_run,
)
