"""gilstat on [take_ms] [hold_ms] [interval_s] [max_threads] | off: exact per-thread GIL statistics.

The measurement is native/gil.c: it swaps the GOT slots of pthread_mutex_lock/unlock,
pthread_cond_timedwait and pthread_cond_signal in the module that holds the interpreter, and
counts every take and drop of the GIL per thread (no symbols, no sampling; works where
take_gil/drop_gil are inlined). This stream reads the counters every interval (a ``gil_stats``
record: cumulative and last-interval figures per thread, and a verdict), and every POLL_S the
waits and holds that passed their thresholds (``gil_event`` records; a long hold carries the
holder's Python stack). It ends with ``gilstat off`` (from any connection), ``-n`` reports, a stop,
the client going away or detach; the hooks are removed before the final report and ``end``.
"""

from __future__ import annotations

import sys
import time

from .. import forksafe, native, threads
from ..arguments import Arguments
from ..connection import Connection
from ..errors import CommandError
from ..streams import Stream
from .stack import _frame_list

MAX_THREADS = 1000  # the C table's size
MAX_EVENTS = 256  # read per poll
STACK_FRAMES = 50  # a holder's stack: the innermost frames kept
BURST_NOTE_PCT = 5.0  # threads below this share are left out of the verdict

_active: GilStream | None = None
_library = None


def _gil_library():
    """libflight_boot.so set up for gil.c, or None (not loaded, or an older library)."""
    global _library
    if _library is not None:
        return _library
    library = native._load()
    if library is None:
        return None
    try:
        ctypes = library.ctypes

        class Row(ctypes.Structure):
            _fields_ = [
                (name, ctypes.c_int64)
                for name in (
                    "native_id",
                    "ident",
                    "takes",
                    "wait_ns",
                    "drops",
                    "drop_ns",
                    "hold_ns",
                    "timedwaits",
                    "max_wait_ns",
                    "max_hold_ns",
                )
            ]

        class Event(ctypes.Structure):
            _fields_ = [
                ("native_id", ctypes.c_int64),
                ("ident", ctypes.c_uint64),
                ("event", ctypes.c_int32),
                ("pad", ctypes.c_int32),
                ("duration_ns", ctypes.c_int64),
                ("start_ns", ctypes.c_int64),
                ("end_ns", ctypes.c_int64),
                ("takes_at", ctypes.c_int64),
            ]

        library.flight_gil_on.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_int32]
        library.flight_gil_on.restype = ctypes.c_int
        library.flight_gil_off.restype = ctypes.c_int
        library.flight_gil_installed.restype = ctypes.c_int
        library.flight_gil_error.restype = ctypes.c_char_p
        library.flight_gil_module.restype = ctypes.c_char_p
        library.flight_gil_read.argtypes = [ctypes.POINTER(Row), ctypes.c_int32, ctypes.POINTER(ctypes.c_int64)]
        library.flight_gil_read.restype = ctypes.c_int32
        library.flight_gil_events.argtypes = [ctypes.POINTER(Event), ctypes.c_int32, ctypes.POINTER(ctypes.c_int64)]
        library.flight_gil_events.restype = ctypes.c_int32
        library.flight_gil_now.restype = ctypes.c_int64
        library.flight_gil_slots.argtypes = [
            ctypes.POINTER(ctypes.c_uint64),
            ctypes.POINTER(ctypes.c_uint64),
            ctypes.c_int,
        ]
        library.flight_gil_slots.restype = ctypes.c_int
        library.GilRow, library.GilEvent = Row, Event
    except AttributeError:  # a library from an older attach, without gil.c
        return None
    _library = library
    return library


def not_applicable() -> str | None:
    """Why gilstat cannot run on this interpreter, or None."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is not None and not is_enabled():
        return "gilstat: not applicable: this is a free-threaded build running without a GIL"
    if sys.version_info >= (3, 14):
        return (
            f"gilstat: not yet supported on Python {sys.version_info[0]}.{sys.version_info[1]} "
            "(measured and tested on CPython 3.9-3.13)"
        )
    if sys.platform != "linux":
        return "gilstat: only on Linux"
    return None


def got_slots() -> list | None:
    """[(slot address, value)] of the GOT slots gilstat hooks, as they are now (tests: off
    restores them exactly), or None when the library cannot say."""
    library = _gil_library()
    if library is None:
        return None
    ctypes = library.ctypes
    addresses, values = (ctypes.c_uint64 * 16)(), (ctypes.c_uint64 * 16)()
    count = library.flight_gil_slots(addresses, values, 16)
    if count < 0:
        return None
    return [(addresses[i], values[i]) for i in range(count)]


def _shares(figures: tuple, wall_ns: int) -> dict:
    """(takes, hold ns, wait ns, drops, drop ns) over a period of wall_ns -> the record's fields."""
    takes, hold, wait, drops, drop = figures
    return {
        "takes": takes,
        "hold_ns": hold,
        "wait_ns": wait,
        "drops": drops,
        "drop_ns": drop,
        "avg_hold_ns": hold // drops if drops else (hold if takes else None),
        "avg_wait_ns": wait // takes if takes else None,
        "avg_drop_ns": drop // drops if drops else None,
        "hold_pct": round(100.0 * hold / wall_ns, 2) if wall_ns > 0 else None,
        "wait_pct": round(100.0 * wait / wall_ns, 2) if wall_ns > 0 else None,
    }


def _ms(ns: float) -> str:
    ms = ns / 1e6
    return f"{ms:.0f} ms" if ms >= 10 else (f"{ms:.1f} ms" if ms >= 0.1 else f"{ns / 1e3:.0f} µs")


def verdict(rows: list) -> str:
    """One line on the last interval: how busy the GIL was, who held it, who waited."""
    measured = [r for r in rows if r["last"]["hold_pct"] is not None]
    if not measured:
        return "no GIL activity measured yet"
    busy = min(100.0, sum(r["last"]["hold_pct"] for r in measured))
    holders = sorted(measured, key=lambda r: -r["last"]["hold_pct"])
    top = holders[0]
    if busy < BURST_NOTE_PCT:
        return f"GIL mostly free: busy {busy:.0f} %"
    text = f"GIL busy {busy:.0f} %: "
    parts = []
    for r in holders[:2]:
        if r["last"]["hold_pct"] < BURST_NOTE_PCT and r is not top:
            break
        avg = r["last"]["avg_hold_ns"]
        bursts = f" in ~{_ms(avg)} bursts" if avg else ""
        parts.append(f"{r['name']} held {r['last']['hold_pct']:.0f} %{bursts}")
    text += ", ".join(parts)
    waiters = sorted(
        (r for r in measured if (r["last"]["wait_pct"] or 0) >= BURST_NOTE_PCT), key=lambda r: -r["last"]["wait_pct"]
    )[:3]
    groups: list = []  # waiters whose shares are within 5 points, said together
    for r in waiters:
        if groups and groups[-1][0]["last"]["wait_pct"] - r["last"]["wait_pct"] <= 5:
            groups[-1].append(r)
        else:
            groups.append([r])
    for group in groups:
        names = [r["name"] for r in group]
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        share = sum(r["last"]["wait_pct"] for r in group) / len(group)
        text += f"; {who} waited {share:.0f} %"
    return text


class GilStream(Stream):
    def __init__(self, args: Arguments, connection: Connection, library):
        super().__init__()
        self.library = library
        self.connection = connection
        self.take_ms = args.number("take_ms")
        self.hold_ms = args.number("hold_ms")
        self.interval_s = args.number("interval_s")
        self.max_threads = args.integer("max_threads")
        self.limit = args.optional_integer("limit")
        if self.take_ms < 0 or self.hold_ms < 0:
            raise CommandError("gilstat: take_ms and hold_ms must be 0 or more")
        if self.interval_s <= 0:
            raise CommandError("gilstat: interval_s must be a positive number of seconds")
        if not 1 <= self.max_threads <= MAX_THREADS:
            raise CommandError(f"gilstat: max_threads must be between 1 and {MAX_THREADS}")
        ctypes = library.ctypes
        self.rows = (library.GilRow * MAX_THREADS)()
        self.events = (library.GilEvent * MAX_EVENTS)()
        self.names: dict = {}
        self.index = 0
        self.installed = False
        self.previous: dict = {}
        self.closed = False
        self.overflow = ctypes.c_int64()
        self.events_dropped = ctypes.c_int64()

    # -- install / remove ----------------------------------------------------------------------
    def install(self) -> None:
        rc = self.library.flight_gil_on(int(self.take_ms * 1e6), int(self.hold_ms * 1e6), self.max_threads)
        if rc != 0:
            raise CommandError("gilstat: " + self.library.flight_gil_error().decode(errors="replace"))
        self.installed = True
        self.on_ns = self.last_ns = self.library.flight_gil_now()
        self.on_time = time.time()
        self.last_report = time.monotonic()

    def start(self) -> list:
        module = self.library.flight_gil_module().decode(errors="replace")
        until = f"{self.limit} reports" if self.limit else "gilstat off / stopped"
        return [
            {
                "kind": "message",
                "text": f"gilstat on: every GIL take and drop counted (GOT hooks in {module}); waits over "
                f"{self.take_ms:g} ms and holds over {self.hold_ms:g} ms reported; a report every "
                f"{self.interval_s:g} s until {until}",
            }
        ]

    def close(self) -> None:
        global _active
        if self.closed:
            return
        self.closed = True
        if self.installed:
            self.library.flight_gil_off()
            self.installed = False
            # what the hooks counted up to now: the last events and the final report
            for record in self._events():
                self.push(record)
            self.push(self._report(final=True))
        if _active is self:
            _active = None

    # -- reading -------------------------------------------------------------------------------
    def _read(self) -> dict:
        count = self.library.flight_gil_read(self.rows, MAX_THREADS, self.library.ctypes.byref(self.overflow))
        return {int(r.native_id): r for r in (self.rows[i] for i in range(count))}

    def _name(self, ident: int, native_id: int) -> str:
        name = threads.name_of(ident)
        if name is None:
            name = self.names.get(ident) or f"thread {native_id}"
        self.names[ident] = name
        return name

    def _own(self) -> set:
        try:
            return self.connection.agent.own_thread_idents()
        except Exception:
            return set()

    def _events(self) -> list:
        count = self.library.flight_gil_events(self.events, MAX_EVENTS, self.library.ctypes.byref(self.events_dropped))
        if not count:
            return []
        events = [self.events[i] for i in range(count)]
        own = self._own()
        frames = {}
        if any(e.event == 1 for e in events):
            current = sys._current_frames()
            after = {native_id: row.takes for native_id, row in self._read().items()}
            for e in events:
                if e.event == 1 and e.ident in current:
                    # exact when the holder has not taken the GIL again since the hold ended
                    exact = after.get(int(e.native_id)) == e.takes_at
                    frames[id(e)] = (_frame_list(current[e.ident], STACK_FRAMES)[0], exact)
            del current
        records = []
        offset = time.time() - self.library.flight_gil_now() / 1e9
        for e in events:
            if e.ident in own:
                continue
            hold = e.event == 1
            stack, exact = frames.get(id(e), (None, False))
            records.append(
                {
                    "kind": "gil_event",
                    "thread_name": self._name(e.ident, e.native_id),
                    "thread_id": int(e.ident),
                    "native_id": int(e.native_id),
                    "event": "hold" if hold else "wait",
                    "duration_ms": round(e.duration_ns / 1e6, 3),
                    "threshold_ms": self.hold_ms if hold else self.take_ms,
                    "start": round(offset + e.start_ns / 1e9, 6),
                    "time": round(offset + e.end_ns / 1e9, 6),
                    "stack": stack if hold else None,
                    "stack_exact": exact if hold else None,
                }
            )
        return records

    def _report(self, final: bool = False) -> dict:
        now = self.library.flight_gil_now()
        rows = self._read()
        own = self._own()
        wall_total, wall_last = now - self.on_ns, now - self.last_ns
        out = []
        for native_id, r in sorted(rows.items(), key=lambda item: -item[1].hold_ns):
            if r.ident in own:
                continue
            figures = (r.takes, r.hold_ns, r.wait_ns, r.drops, r.drop_ns)
            before = self.previous.get(native_id, (0, 0, 0, 0, 0))
            delta = tuple(a - b for a, b in zip(figures, before))
            self.previous[native_id] = figures
            out.append(
                {
                    "name": self._name(r.ident, native_id),
                    "native_id": native_id,
                    "thread_id": int(r.ident),
                    "total": {
                        **_shares(figures, wall_total),
                        "contended": r.timedwaits,
                        "max_hold_ms": round(r.max_hold_ns / 1e6, 3),
                        "max_wait_ms": round(r.max_wait_ns / 1e6, 3),
                    },
                    "last": _shares(delta, wall_last),
                }
            )
        self.last_ns = now
        self.index += 1
        busy = sum(t["last"]["hold_pct"] or 0 for t in out)
        return {
            "kind": "gil_stats",
            "index": self.index,
            "final": final,
            "elapsed_s": round(wall_total / 1e9, 3),
            "interval_s": round(wall_last / 1e9, 3),
            "time": time.time(),
            "busy_pct": round(min(100.0, busy), 2),
            "take_ms": self.take_ms,
            "hold_ms": self.hold_ms,
            "threads": out,
            "overflow_threads": int(self.overflow.value),
            "events_dropped": int(self.events_dropped.value),
            "verdict": verdict(out),
        }

    def tick(self) -> list:
        if not self.installed:
            return []
        records = self._events()
        if time.monotonic() - self.last_report >= self.interval_s:
            self.last_report = time.monotonic()
            if self.limit and self.index + 1 >= self.limit:
                self.finish("limit")  # close() sends this last report as the final one
            else:
                records.append(self._report())
        return records


def run(args: Arguments, connection: Connection):
    global _active
    action = args.choice("action", ("on", "off"))
    library = _gil_library()
    if action == "off":
        stream = _active
        if stream is not None:
            stream.finish("off")
            return [{"kind": "message", "text": "gilstat off: the measurement ends with its final report"}]
        if library is not None and library.flight_gil_installed():  # no stream left to end it
            library.flight_gil_off()
            return [{"kind": "message", "text": "gilstat off: hooks removed"}]
        return [{"kind": "message", "text": "gilstat is not on"}]
    reason = not_applicable()
    if reason is not None:
        raise CommandError(reason)
    if library is None:
        if native._load() is not None:  # loaded, but from an older version, without gil.c
            raise CommandError(
                "gilstat: the native library loaded in this process is from an older version without gilstat "
                "(a process keeps the first one it loaded: restart the target to use gilstat)"
            )
        raise CommandError("gilstat: the agent's native library could not be loaded in this process")
    if _active is not None:
        raise CommandError("gilstat is already on (another client's measurement): 'gilstat off' ends it")
    stream = GilStream(args, connection, library)
    stream.install()
    _active = stream
    return stream


def reset(connection: Connection | None = None) -> None:
    """Detach (None) or a client gone: its measurement ends and the hooks go."""
    stream = _active
    if stream is not None and (connection is None or stream.connection is connection):
        stream.finish("detached" if connection is None else "stopped")
        if connection is None:  # now, not when the stream's thread notices (it sends the final report)
            stream.library.flight_gil_off()


def _forget_in_child() -> None:
    """The child of a fork: the GIL of the child is not measured (its GOT slots go back), and the
    parent's measurement is not the child's."""
    global _active
    _active = None
    if _library is not None:
        _library.flight_gil_off()


forksafe.register(_forget_in_child)
