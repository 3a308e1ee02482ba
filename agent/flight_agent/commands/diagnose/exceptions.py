"""diagnose step ``exceptions``: the exceptions raised over an interval, grouped (a stream).

Groups are keyed by the exception's type, its message with numbers and ids folded (``user 17 not
found`` and ``user 42 not found`` are ``user <n> not found``) and the function that raised it;
each keeps a count, the threads, a few raw messages, where its exceptions were caught and one
full example stack (the raising frame and its callers), taken at the first raise. When the
stream ends (its seconds, a stop, the client gone, detach), the hooks go first, then one
``exceptions`` record says it all. Two ways to see exceptions:

- process-wide, CPython 3.12+: ``sys.monitoring`` events ``RAISE``, ``RERAISE`` and
  ``EXCEPTION_HANDLED`` on a tool id of our own (3 or 4, whichever is free, freed at the end).
  ``EXCEPTION_HANDLED`` says which ``except`` (or ``with`` / ``finally``) took each exception;
  a ``RERAISE`` sends it on its way again, so an exception's fate is the last handler with no
  re-raise after it. One that no Python code caught was caught in C (``getattr`` with a
  default, ``hasattr``), is still on its way, or ended the process. The callbacks cost about a
  microsecond or two per exception raised, nothing per call; only while the step runs.
- one function, any version (``module [class] method``): the observing hook of ``watch -e``
  (hooks/probe.py): the exceptions that escaped that function, with their tracebacks. Before
  3.12 there is no cheap process-wide hook (a trace function would slow every call), so without
  a method the step is refused there.

Bounded: MAX_GROUPS groups (then counted by type only), MAX_SAMPLES messages and MAX_HANDLERS
catch sites per group, MAX_FRAMES frames in an example, MAX_OPEN exceptions per thread whose
fate is open (by id only: no exception, traceback or frame is kept alive by us).
"""

from __future__ import annotations

import _thread
import re
import sys
import time

from ... import forksafe, threads
from ...arguments import Arguments
from ...connection import Connection
from ...errors import CommandError
from ...hooks.monitoring import claim_tool_id
from ...hooks.observing import ObservingStream
from ...hooks.probe import Call
from ...streams import Stream
from .locks import frame_qualname

MAX_GROUPS = 200
MAX_SAMPLES = 3
MAX_HANDLERS = 5
MAX_FRAMES = 60
MAX_OPEN = 8
MAX_THREADS = 1000
MAX_MESSAGE = 300
MAX_PATTERNS = 2000  # raw message -> folded pattern, cached (cleared when full)
TOOL_IDS = (3, 4)  # free by convention (hooks/monitoring.py takes 4 first: we take 3 first)
TOOL_NAME = "jupyterlab-flight-exceptions"

# folded in this order: addresses, UUIDs, long hex ids, then any number
_FOLDS = (
    (re.compile(r"0x[0-9a-fA-F]+"), "<hex>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<uuid>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{12,}\b"), "<id>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def fold(message: str) -> str:
    """The message with what varies between occurrences (numbers, ids, addresses) replaced."""
    for pattern, mark in _FOLDS:
        message = pattern.sub(mark, message)
    return message


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)  # the target's __str__ for its own exceptions; its errors are ours
    except Exception:
        return "<str() failed>"
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "..."


def _qualname(code) -> str:
    return getattr(code, "co_qualname", code.co_name)


def _stack(frame) -> list:
    """The frames from the outermost caller to ``frame`` (at most MAX_FRAMES innermost)."""
    out: list = []
    while frame is not None and len(out) < MAX_FRAMES:
        code = frame.f_code
        out.append(
            {
                "function": frame_qualname(frame),
                "file": code.co_filename,
                "line": frame.f_lineno,
                "module": frame.f_globals.get("__name__"),
            }
        )
        frame = frame.f_back
    out.reverse()
    return out


def _traceback_stack(tb) -> list:
    """An escaped exception's whole stack: the observed frame's callers, then its traceback."""
    stack = _stack(tb.tb_frame.f_back)
    while tb is not None and len(stack) < MAX_FRAMES:
        frame = tb.tb_frame
        code = frame.f_code
        stack.append(
            {
                "function": frame_qualname(frame),
                "file": code.co_filename,
                "line": tb.tb_lineno,
                "module": frame.f_globals.get("__name__"),
            }
        )
        tb = tb.tb_next
    return stack


class Group:
    __slots__ = ("key", "type", "pattern", "where", "count", "first", "last", "threads", "samples", "caught")

    def __init__(self, key, exc_type: type, pattern: str, where: dict, now: float):
        self.key = key
        self.type = exc_type
        self.pattern = pattern
        self.where = where  # the raising function and the example (message, thread, stack)
        self.count = 0
        self.first = self.last = now
        self.threads: dict = {}
        self.samples: list = []
        self.caught: dict = {}  # (function, file, line) or None (no Python code caught it) -> count

    def record(self) -> dict:
        caught = [
            {"function": k[0], "file": k[1], "line": k[2], "module": k[3], "count": n}
            for k, n in sorted(self.caught.items(), key=lambda kv: -kv[1])
            if k is not None and k != "other"
        ]
        return {
            "type": self.type.__qualname__,
            "type_module": getattr(self.type, "__module__", None),
            "pattern": self.pattern,
            "count": self.count,
            "first": self.first,
            "last": self.last,
            "threads": [{"name": name, "count": n} for name, n in sorted(self.threads.items(), key=lambda kv: -kv[1])],
            "samples": list(self.samples),
            "caught": caught,
            "caught_elsewhere": self.caught.get("other", 0),
            "not_caught": self.caught.get(None, 0),
            **self.where,
        }


class Census:
    """The groups, bounded; safe to feed from any thread (one lock, never held over target code)."""

    def __init__(self, track_fate: bool):
        self.track_fate = track_fate
        self.lock = _thread.allocate_lock()
        self.groups: dict = {}
        self.overflow: dict = {}  # type name -> count, past MAX_GROUPS
        self.raised = 0
        self.patterns: dict = {}
        self.open: dict = {}  # thread ident -> [[id(exc), group, catch site], ...] (fate still open)
        self.names: dict = {}  # thread ident -> name (looked up once)

    def _pattern(self, message: str) -> str:
        found = self.patterns.get(message)
        if found is None:
            if len(self.patterns) >= MAX_PATTERNS:
                self.patterns.clear()
            found = self.patterns[message] = fold(message)
        return found

    def _name(self, ident: int) -> str:
        name = self.names.get(ident)
        if name is None:
            if len(self.names) >= MAX_THREADS:
                self.names.clear()
            name = self.names[ident] = threads.name_of(ident) or f"thread {ident}"
        return name

    def raised_at(self, exc: BaseException, frame, ident: int, line: int | None = None, stack=None) -> Group | None:
        """Count one exception raised in ``frame`` (the raising function's) at ``line`` (default:
        the frame's). ``stack``: a function that makes the example's stack, called for a group's
        first exception only (default: ``frame`` and its callers)."""
        message = _message(exc)
        code = frame.f_code
        exc_type = type(exc)
        pattern = self._pattern(message)
        key = (exc_type, code, pattern)
        now = time.time()
        with self.lock:
            self.raised += 1
            group = self.groups.get(key)
            if group is None:
                if len(self.groups) >= MAX_GROUPS:
                    name = exc_type.__qualname__
                    self.overflow[name] = self.overflow.get(name, 0) + 1
                    return None
                where = {
                    "function": frame_qualname(frame),
                    "module": frame.f_globals.get("__name__"),
                    "file": code.co_filename,
                    "line": frame.f_lineno if line is None else line,
                }
                group = self.groups[key] = Group(key, exc_type, pattern, where, now)
                new = True
            else:
                new = False
            group.count += 1
            group.last = now
            if len(group.samples) < MAX_SAMPLES and message not in group.samples:
                group.samples.append(message)
        name = self._name(ident)
        with self.lock:
            if name in group.threads or len(group.threads) < MAX_SAMPLES:
                group.threads[name] = group.threads.get(name, 0) + 1
        if new:  # the example, outside the lock (frames are read, nothing is called)
            group.where["example"] = {
                "message": message,
                "thread_name": name,
                "time": now,
                "stack": stack() if stack is not None else _stack(frame),
            }
        return group

    # -- fate, process-wide: which except took each exception (by id; nothing kept alive) --
    def opened(self, exc: BaseException, ident: int, group: Group | None) -> None:
        with self.lock:
            entries = self.open.get(ident)
            if entries is None:
                if len(self.open) >= MAX_THREADS:
                    return
                entries = self.open[ident] = []
            wanted = id(exc)
            for stale in [e for e in entries if e[0] == wanted]:  # an ended one's id, reused
                entries.remove(stale)
                self._settle(stale)
            entries.append([wanted, group, None])
            if len(entries) > MAX_OPEN:
                self._settle(entries.pop(0))

    def find(self, exc: BaseException, ident: int):
        """The open entry of this exception on this thread, or None."""
        entries = self.open.get(ident)
        if entries:
            wanted = id(exc)
            for entry in reversed(entries):
                if entry[0] == wanted:
                    return entry
        return None

    def _settle(self, entry) -> None:
        group, site = entry[1], entry[2]
        if group is None:
            return
        if site is not None and site not in group.caught and len(group.caught) >= MAX_HANDLERS + 1:
            site = "other"
        group.caught[site] = group.caught.get(site, 0) + 1

    def settle_all(self) -> None:
        with self.lock:
            for entries in self.open.values():
                for entry in entries:
                    self._settle(entry)
            self.open.clear()

    def record(self, **fields) -> dict:
        with self.lock:
            groups = sorted(self.groups.values(), key=lambda g: -g.count)
            return {
                "kind": "exceptions",
                **fields,
                "raised": self.raised,
                "groups": [g.record() for g in groups],
                "overflow": [{"type": t, "count": n} for t, n in sorted(self.overflow.items(), key=lambda kv: -kv[1])],
                "fate_tracked": self.track_fate,
            }


# -- process-wide: sys.monitoring (3.12+) ------------------------------------------------------
_monitoring = getattr(sys, "monitoring", None)
_getframe = sys._getframe
_get_ident = _thread.get_ident
_active: dict = {"tool": None, "stream": None}


def _on_raise(code, offset, exc):
    # RAISE comes in every frame an exception enters on its way out, not only where it is raised:
    # a new exception's traceback is one entry long (this frame); a longer one is on its way
    stream = _active["stream"]
    if stream is None:
        return
    ident = _get_ident()
    if ident in stream.skip:
        return
    try:
        census = stream.census
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is not None:
            entry = census.find(exc, ident)
            if entry is not None:
                entry[2] = None  # left the handler that took it (``raise e``), or passing through
            return
        group = census.raised_at(exc, _getframe(1), ident)
        census.opened(exc, ident, group)
    except Exception:
        pass  # never disturb the target's exception


def _on_reraise(code, offset, exc):
    stream = _active["stream"]
    if stream is None:
        return
    try:
        entry = stream.census.find(exc, _get_ident())
        if entry is not None:
            entry[2] = None  # on its way again: the handler that took it did not keep it
    except Exception:
        pass


_handler_lines: dict = {}  # (code, offset) -> the handler's line


def _line_at(code, offset: int) -> int | None:
    """The line of the handler at ``offset``: its first instruction (PUSH_EXC_INFO) has none, the
    next (the ``except`` line's) has (the frame's own line is still the one that raised)."""
    key = (code, offset)
    line = _handler_lines.get(key)
    if line is None:
        for _, end, number in code.co_lines():
            if end > offset and number is not None:
                line = number
                break
        if len(_handler_lines) >= MAX_PATTERNS:
            _handler_lines.clear()
        _handler_lines[key] = line
    return line


def _on_handled(code, offset, exc):
    stream = _active["stream"]
    if stream is None:
        return
    try:
        entry = stream.census.find(exc, _get_ident())
        if entry is not None:
            frame = _getframe(1)
            line = _line_at(code, offset) or frame.f_lineno
            entry[2] = (_qualname(code), code.co_filename, line, frame.f_globals.get("__name__"))
    except Exception:
        pass


def _events() -> tuple:
    assert _monitoring is not None
    events = _monitoring.events
    return (
        (events.RAISE, _on_raise),
        (events.RERAISE, _on_reraise),
        (events.EXCEPTION_HANDLED, _on_handled),
    )


def _install_monitoring(stream) -> int | None:
    """Take a free tool id and turn the three events on for the whole process; None if none is free."""
    monitoring = _monitoring
    assert monitoring is not None
    tool = claim_tool_id(TOOL_IDS, TOOL_NAME)
    if tool is None:
        return None
    _active["stream"], _active["tool"] = stream, tool
    mask = 0
    for event, callback in _events():
        monitoring.register_callback(tool, event, callback)
        mask |= event
    monitoring.set_events(tool, mask)
    forksafe.register(remove_monitoring)
    return tool
    return None


def remove_monitoring() -> None:
    """Events off, callbacks gone, the tool id freed (end of the stream, detach, a forked child)."""
    tool, _active["tool"], _active["stream"] = _active["tool"], None, None
    _handler_lines.clear()  # holds code objects
    if tool is None or _monitoring is None:
        return
    _monitoring.set_events(tool, 0)
    for event, _ in _events():
        _monitoring.register_callback(tool, event, None)
    if _monitoring.get_tool(tool) == TOOL_NAME:
        _monitoring.free_tool_id(tool)


class _Timed:
    """What both streams share: an end after ``seconds``, and the record that sums it up."""

    census: Census
    started: float
    seconds: float
    summary_sent: bool

    def _tick(self, finish) -> list:
        if time.monotonic() - self.started >= self.seconds:
            finish("timeout")
        return []

    def summary(self, **fields) -> dict:
        return self.census.record(duration_s=round(time.monotonic() - self.started, 3), **fields)


class ProcessStream(Stream, _Timed):
    """Every exception raised in the process (but the agent's threads), for ``seconds``."""

    def __init__(self, seconds: float, connection: Connection):
        super().__init__()
        self.seconds = seconds
        self.census = Census(track_fate=True)
        self.skip = frozenset(connection.agent.own_thread_idents() | {_get_ident()})
        self.tool: int | None = None
        self.started = time.monotonic()
        self.closed = False

    def start(self) -> list:
        if _active["tool"] is not None:
            raise CommandError("diagnose exception: another client's exception census is running; wait for it to end")
        self.tool = _install_monitoring(self)
        if self.tool is None:
            raise CommandError(
                "diagnose exception: sys.monitoring tool ids 3 and 4 are both taken by other tools; "
                "give a function (module [class] method) to watch the exceptions that escape it"
            )
        self.started = time.monotonic()
        return [
            {
                "kind": "message",
                "text": f"counting every exception raised for {self.seconds:g} s (sys.monitoring RAISE, RERAISE, "
                f"EXCEPTION_HANDLED on tool id {self.tool}, freed at the end)",
                "stop_hint": "ends it",
            }
        ]

    def tick(self) -> list:
        return self._tick(self.finish)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if _active["stream"] is self:
            remove_monitoring()  # hooks first, then the summary
        self.census.settle_all()
        self.push(
            self.summary(
                mechanism="sys.monitoring",
                scope="process",
                method=None,
                tool_id=self.tool,
                reason=self.finished or "detached",
            )
        )


class MethodStream(ObservingStream, _Timed):
    """The exceptions that escape one function (watch -e's hook), with their tracebacks."""

    verb = "counting the exceptions that escape"

    def __init__(self, args: Arguments, seconds: float):
        super().__init__(args, limit=None, filter_text=None)
        self.needs_args = False
        self.seconds = seconds
        self.census = Census(track_fate=False)
        self.started = time.monotonic()
        self.closed = False

    def start(self) -> list:
        records = super().start()
        records[0]["text"] += f" for {self.seconds:g} s (the hook of watch -e)"
        self.started = time.monotonic()
        return records

    def exit(self, call: Call) -> None:
        exc = call.exception
        if exc is None or self.finished is not None:
            return
        try:
            tb = exc.__traceback__
            if tb is None:
                return
            first = tb
            while tb.tb_next is not None:
                tb = tb.tb_next
            self.census.raised_at(exc, tb.tb_frame, call.thread_id, tb.tb_lineno, lambda: _traceback_stack(first))
        except Exception:
            pass  # never disturb the observed call

    def tick(self) -> list:
        return self._tick(self.finish)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        super().close()  # the hook first, then the summary
        self.push(
            self.summary(
                mechanism="probe",
                scope="method",
                method=self.site.name,
                tool_id=None,
                reason=self.finished or "detached",
            )
        )


def start(args: Arguments, connection: Connection) -> Stream:
    seconds = args.number("seconds")
    if args.optional_text("method") is not None:
        return MethodStream(args, seconds)
    if _monitoring is None:
        version = ".".join(map(str, sys.version_info[:2]))
        raise CommandError(
            f"diagnose exception: CPython {version} has no cheap process-wide exception hook (sys.monitoring is "
            "3.12+; a trace function would slow every call): give a function (module [class] method) to count "
            "the exceptions that escape it"
        )
    return ProcessStream(seconds, connection)
