"""mem summary | diff | refs: what fills the target's memory, what grows, where it is allocated
and who holds it.

- ``summary``: live objects by type (walk.py), with totals, the process's RSS/PSS and what the
  type table does not account for (C buffers, numpy/torch storage, allocator overhead).
- ``diff``: two walks an interval apart, by type, or by allocation site through tracemalloc
  (sites.py); ``-n`` cycles, each a record.
- ``refs``: the shortest referrer chains from a few instances back to a root (refs.py).

All three are streams (the connection's pump runs them): the command thread never sleeps
holding the GIL or a lock; between walks it waits in the pump's ``select``. A stream ends with
the walk's list released, tracemalloc as it was and no reference to the target's objects.
"""

from __future__ import annotations

import time

from ...arguments import Arguments
from ...connection import Connection
from ...errors import CommandError
from ...streams import Stream
from . import refs, sites, walk

ORDERS = ("descending", "ascending")


def _top(items: list, key, limit: int, order: str) -> list:
    items.sort(key=key, reverse=order == "descending")
    return items[:limit]


def summary_record(result: walk.Walk, memory: dict, limit: int, order: str, collected: int | None) -> dict:
    rows = [{"type": name, "count": count, "size": size} for name, (count, size) in result.rows.items()]
    rows = _top(rows, lambda r: (r["size"], r["count"]), limit, order)
    rss = memory["rss"]
    return {
        "kind": "mem_summary",
        "time": time.time(),
        "rows": rows,
        "types": len(result.rows),
        "total_count": result.count,
        "total_size": result.size,
        "tracked": result.tracked,
        "untracked": result.untracked,
        "rss": rss,
        "pss": memory["pss"],
        "unaccounted": rss - result.size if rss is not None else None,
        "engine": result.engine,
        "seconds": round(result.seconds, 4),
        "longest_hold_ms": round(result.longest_ms, 3) if result.engine == "c" else None,
        "longest_hold_cpu_ms": round(result.longest_cpu_ms, 3) if result.engine == "c" else None,
        "gc_collected": collected,
        "order": order,
    }


def type_diff_record(before: walk.Walk, after: walk.Walk, cycle: int, interval: float, limit: int, order: str) -> dict:
    rows = []
    for name in set(before.rows) | set(after.rows):
        c0, s0 = before.rows.get(name, (0, 0))
        c1, s1 = after.rows.get(name, (0, 0))
        if c0 != c1 or s0 != s1:
            rows.append({"type": name, "count_delta": c1 - c0, "size_delta": s1 - s0, "count": c1, "size": s1})
    changed = len(rows)
    rows = _top(rows, lambda r: (r["size_delta"], r["count_delta"]), limit, order)
    return {
        "kind": "mem_diff",
        "by": "type",
        "cycle": cycle,
        "interval": interval,
        "time": time.time(),
        "rows": rows,
        "changed": changed,
        "total_count_delta": after.count - before.count,
        "total_size_delta": after.size - before.size,
        "total_count": after.count,
        "total_size": after.size,
        "seconds": round(after.seconds, 4),
        "engine": after.engine,
    }


class _OneShot(Stream):
    """A stream of one record (the walk or search runs in the pump's first tick)."""

    def __init__(self):
        super().__init__()
        self.done = False

    def produce(self) -> list:
        raise NotImplementedError

    def tick(self) -> list:
        if self.done:
            return []
        self.done = True
        try:
            return self.produce()
        finally:
            self.finish("done")


class SummaryStream(_OneShot):
    def __init__(self, args: Arguments):
        super().__init__()
        self.limit = _limit(args)
        self.order = args.choice("order", ORDERS)
        self.gc = args.flag("gc")

    def produce(self) -> list:
        collected = None
        if self.gc:
            import gc

            collected = gc.collect()
        result = walk.walk()
        return [summary_record(result, walk.process_memory(), self.limit, self.order, collected)]


class DiffStream(Stream):
    def __init__(self, args: Arguments):
        super().__init__()
        self.limit = _limit(args)
        self.order = args.choice("order", ORDERS)
        self.by = args.choice("by", ("type", "site"))
        self.interval = args.number("interval")
        if not self.interval > 0:
            raise CommandError(f"--interval must be a positive number of seconds; got {self.interval:g}")
        self.cycles = args.optional_integer("cycles")
        if self.cycles is not None and self.cycles < 1:
            raise CommandError(f"-n must be at least 1; got {self.cycles}")
        self.cycle = 0
        self.due = 0.0
        self.before: walk.Walk | None = None
        self.memory_before: dict = {}
        self.tracer: sites.SiteTracer | None = None

    def start(self) -> list:
        if self.by == "site":
            self.tracer = sites.SiteTracer()
            text = self.tracer.start()
            self.due = time.monotonic() + self.interval
            return [{"kind": "message", "text": text}]
        self.before = walk.walk()
        self.memory_before = walk.process_memory()
        self.due = time.monotonic() + self.interval
        until = f"{self.cycles} cycles" if self.cycles else "stopped"
        return [
            {
                "kind": "message",
                "text": f"mem diff: first walk {self.before.count:,} objects in {self.before.seconds:.2f} s;"
                f" a diff every {self.interval:g} s (until {until})",
            }
        ]

    def tick(self) -> list:
        if time.monotonic() < self.due:
            return []
        self.cycle += 1
        if self.tracer is not None:
            if not self.tracer.tracing():  # the target stopped tracemalloc meanwhile
                self.finish("stopped")
                return [{"kind": "error", "message": "tracemalloc was stopped in the target: mem diff --by site ends"}]
            record = self.tracer.diff(self.cycle, self.interval, self.limit, self.order)
        else:
            assert self.before is not None
            after = walk.walk()
            memory = walk.process_memory()
            record = type_diff_record(self.before, after, self.cycle, self.interval, self.limit, self.order)
            record["rss"] = memory["rss"]
            before_rss = self.memory_before.get("rss")
            record["rss_delta"] = memory["rss"] - before_rss if memory["rss"] is not None and before_rss else None
            self.before, self.memory_before = after, memory
        self.due = time.monotonic() + self.interval
        if self.cycles and self.cycle >= self.cycles:
            self.finish("limit")
        return [record]

    def close(self) -> None:
        self.before = None
        if self.tracer is not None:
            self.tracer.stop()
            self.tracer = None


class RefsStream(_OneShot):
    def __init__(self, args: Arguments):
        super().__init__()
        from ...lookup import find_class

        self.module, self.class_name = args.text("module"), args.text("class")
        self.cls: type | None = find_class(self.module, self.class_name)
        self.count = args.integer("count")
        self.depth = args.integer("depth")
        if not 1 <= self.count <= 100:
            raise CommandError(f"mem refs -n: between 1 and 100 instances; got {self.count}")
        if self.depth < 1:
            raise CommandError(f"-d must be at least 1; got {self.depth}")

    def produce(self) -> list:
        cls, self.cls = self.cls, None
        assert cls is not None
        try:
            return [refs.search(cls, f"{self.module}.{self.class_name}", self.count, self.depth)]
        finally:
            del cls

    def close(self) -> None:
        self.cls = None


def _limit(args: Arguments) -> int:
    limit = args.integer("limit")
    if limit < 1:
        raise CommandError(f"--limit must be at least 1; got {limit}")
    return limit


def run(args: Arguments, connection: Connection) -> Stream:
    action = args.choice("action", ("summary", "diff", "refs"))
    if action == "summary":
        return SummaryStream(args)
    if action == "diff":
        return DiffStream(args)
    return RefsStream(args)


def reset(connection: Connection | None = None) -> None:
    """Nothing to drop: a stream's tracemalloc goes when it ends (its close), whoever ends it."""
