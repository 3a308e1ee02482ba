"""The object walk: live objects by type, with pympler's semantics, in C or in Python.

What is counted (as pympler's ``muppy.get_objects`` + ``summary.summarize``): every object the
collector tracks (``gc.get_objects()``, frames left out) and the untracked objects they refer to
directly (``tp_traverse``, one level), each once, with ``sys.getsizeof``'s shallow size; modules
are not traversed (their dict is tracked; their C state can hold dead objects, see below). No
collection is forced (pympler forces one) unless asked.

The C walk (native/memwalk.c) follows the collector's own generation lists with a marker of its
own in them, handing the GIL over whenever it has held it for HOLD_BUDGET_NS and holding no
reference to a target object across a hand-over: no list of objects, so nothing is kept alive by
the walk and a tuple or frozenset being filled meanwhile (C code that needs its only reference) is
never disturbed. The Python fallback (where the library cannot load) must take a list: it takes it
and drops its tuples and frozensets (counted first) with thread switches kept off for that moment,
then walks the rest as ordinary bytecode (the interpreter switches threads as usual), letting go of
each object once counted. Nothing of the target is kept after either.
"""

from __future__ import annotations

import gc
import sys
import time
import types

from ... import native

HOLD_BUDGET_NS = 5_000_000  # the longest the C walk holds the GIL between hand-overs


class Walk:
    """One walk's result: rows keyed by type name (no reference to any object of the target)."""

    def __init__(
        self,
        rows: dict,
        tracked: int,
        untracked: int,
        seconds: float,
        engine: str,
        longest_ms: float = 0.0,
        longest_cpu_ms: float = 0.0,
    ):
        self.rows = rows  # name -> [count, size]
        self.tracked = tracked
        self.untracked = untracked
        self.seconds = seconds
        self.engine = engine  # "c" or "python"
        self.longest_ms = longest_ms  # the longest GIL hold of the walk (C only), in ms, wall clock
        self.longest_cpu_ms = longest_cpu_ms  # that hold's CPU time
        self.count = sum(r[0] for r in rows.values())
        self.size = sum(r[1] for r in rows.values())


_module_of = type.__dict__["__module__"].__get__
_qualname_of = type.__dict__["__qualname__"].__get__


def type_label(t: type) -> str:
    """module.qualname, without 'builtins.' (read from the type's slots: no metaclass code runs)."""
    try:
        module = _module_of(t, type)
        qualname = _qualname_of(t, type)
    except Exception:
        return getattr(t, "__name__", "?")
    if not isinstance(module, str) or module == "builtins":
        return str(qualname)
    return f"{module}.{qualname}"


def _merge(rows: dict, t: type, count: int, size: int) -> None:
    label = type_label(t)
    row = rows.get(label)
    if row is None:
        rows[label] = [count, size]
    else:  # two classes of one name (a module reloaded): one row
        row[0] += count
        row[1] += size


def walk(force_gc: bool = False, engine: str | None = None) -> Walk:
    """engine None: C where the library loads, else Python; "python" forces the fallback."""
    if force_gc:
        gc.collect()
    start = time.perf_counter()
    function = native.mem_walk() if engine != "python" else None
    if function is not None:
        result = None
        for _ in range(2):  # a full collection during the walk can reorder what it walks: again, once
            try:
                result = function(
                    types.FrameType, HOLD_BUDGET_NS, *gc.get_threshold(), gc.get_stats()[2]["collections"]
                )
            except ValueError:  # the C API or the collector not as the library expects: walk in Python
                result = None
            if result is None or not result[7]:
                break
        if result is not None:
            found, tracked, untracked, _errors, _chunks, longest_ns, longest_cpu_ns, _full = result
            rows: dict = {}
            for t, count, size in found:
                _merge(rows, t, count, size)
            del found, result
            seconds = time.perf_counter() - start
            return Walk(rows, tracked, untracked, seconds, "c", longest_ns / 1e6, longest_cpu_ns / 1e6)
    return _walk_python(start)


def _fragile_types() -> set:
    """tuple, frozenset and their subclasses: C code fills them after they are tracked and needs
    their only reference to do it."""
    found: set = set()
    todo: list[type] = [tuple, frozenset]
    while todo:
        t = todo.pop()
        if t not in found:
            found.add(t)
            todo.extend(type.__subclasses__(t))
    return found


NO_SWITCH_S = 0.5  # the switch interval while the fallback takes its list (its first hold is shorter)


def _take_objects() -> tuple:
    """gc.get_objects() with its tuples and frozensets counted and replaced by None, all with no
    thread switch between (a thread already waiting for the GIL waits out the old interval
    first, in the sleep; one that began waiting under the long one is woken after, by letting
    go of the GIL once a thread): (objects, [(type, size)] of the dropped ones, their referents)."""
    from itertools import compress

    fragile_types = _fragile_types()
    dropped = dict.fromkeys(fragile_types)  # type -> None: .get(type, o) is o unless fragile
    getsizeof = sys.getsizeof
    interval = sys.getswitchinterval()
    sys.setswitchinterval(max(interval, NO_SWITCH_S))
    try:
        time.sleep(0.01)
        objects = gc.get_objects()
        fragile = list(compress(objects, map(fragile_types.__contains__, map(type, objects))))
        counted = list(zip(map(type, fragile), map(getsizeof, fragile)))
        referents = gc.get_referents(*fragile)  # their items: held until counted, none is being filled
        del fragile
        objects = list(map(dropped.get, map(type, objects), objects))
    finally:
        if sys.getswitchinterval() == max(interval, NO_SWITCH_S):  # unless the target set its own
            sys.setswitchinterval(interval)
        for _ in range(len(sys._current_frames())):
            time.sleep(0)
    return objects, counted, referents


def _walk_python(start: float) -> Walk:
    objects, counted, referents = _take_objects()
    # made after the list was taken: the walk's own containers are not in it
    by_type: dict = {}  # type -> [count, size]; types only, released below
    seen: set = set()
    getsizeof, is_tracked, get_referents, frame = sys.getsizeof, gc.is_tracked, gc.get_referents, types.FrameType
    module = types.ModuleType
    tracked = untracked = 0

    def add(t: type, size: int) -> None:
        row = by_type.get(t)
        if row is None:
            row = by_type[t] = [0, 0]
        row[0] += 1
        row[1] += size

    def untracked_of(referents: list) -> int:
        n = 0
        for r in referents:
            if not is_tracked(r) and id(r) not in seen:
                seen.add(id(r))
                n += 1
                add(type(r), getsizeof(r, 0))
        return n

    try:
        for t, size in counted:
            tracked += 1
            add(t, size)
        untracked += untracked_of(referents)
        del counted, referents
        for i, o in enumerate(objects):
            if o is None:
                continue
            objects[i] = None  # held only until counted
            t = type(o)
            if t is frame:
                continue
            tracked += 1
            # a module's referents are its dict (counted anyway) and its C state, where 3.12's
            # _asyncio keeps a freelist of dead objects: a reference to one would free it twice
            if not isinstance(o, module):
                untracked += untracked_of(get_referents(o))
            add(t, getsizeof(o, 0))
        o = None
    finally:
        del objects
        seen.clear()
    rows: dict = {}
    for t, (count, size) in by_type.items():
        _merge(rows, t, count, size)
    by_type.clear()
    return Walk(rows, tracked, untracked, time.perf_counter() - start, "python")


def process_memory() -> dict:
    """RSS (and PSS where /proc gives it) of this process, in bytes; None where unknown."""
    rss = pss = None
    try:
        with open("/proc/self/smaps_rollup") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == "Rss":
                    rss = int(value.split()[0]) * 1024
                elif key == "Pss":
                    pss = int(value.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if rss is None:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    if rss is None:
        try:
            import resource

            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            rss = peak if sys.platform == "darwin" else peak * 1024  # the peak: all there is
        except (ImportError, OSError):
            pass
    return {"rss": rss, "pss": pss}
