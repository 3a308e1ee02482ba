"""``mem diff --by site``: the allocation sites that grew, through tracemalloc.

tracemalloc is started for the stream (FRAMES frames a trace) and stopped when it ends (the last
of several at once), unless the target traced already: then it is left running as it was and
only snapshots are taken.
Allocations made before tracing began are not seen, nor their frees. Cost while it runs: every
allocation is traced, about 1.5-2.5x slower allocation-heavy code with a few frames and up to
half more memory (research: profiling.md 2.3); ``take_snapshot`` holds the GIL for a moment per
100k live traces.
"""

from __future__ import annotations

import _thread
import os
import time

# tracemalloc is imported only when a site diff runs: at the agent's start it would put it (and
# the pickle, fnmatch and linecache it imports) in the target's sys.modules for nothing.

FRAMES = 4

_AGENT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _tracemalloc():
    import tracemalloc

    return tracemalloc


def _filtered(snapshot):  # a tracemalloc.Snapshot
    tracemalloc = _tracemalloc()
    return snapshot.filter_traces(
        (
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, os.path.join(_AGENT_DIR, "*")),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
        )
    )


def _site(frame) -> str:
    return f"{frame.filename}:{frame.lineno}"


_lock = _thread.allocate_lock()  # _thread: importing threading would name the target's threads wrong
_users = 0  # site tracers running (several connections may diff at once)
_started = False  # tracemalloc was started by us: the last tracer to end stops it


class SiteTracer:
    def __init__(self):
        self.owned = False
        self.running = False
        self.previous = None  # a tracemalloc.Snapshot

    def start(self) -> str:
        tracemalloc = _tracemalloc()
        global _users, _started
        with _lock:
            _users += 1
            self.running = True
            if not tracemalloc.is_tracing():
                tracemalloc.start(FRAMES)
                _started = True
            self.owned = _started
        self.previous = _filtered(tracemalloc.take_snapshot())
        if not self.owned:
            frames = tracemalloc.get_traceback_limit()
            return f"mem diff --by site: the target traces already ({frames} frames): left as it is"
        return f"mem diff --by site: tracemalloc started ({FRAMES} frames); it stops when this ends"

    def tracing(self) -> bool:
        tracemalloc = _tracemalloc()
        return tracemalloc.is_tracing()

    def diff(self, cycle: int, interval: float, limit: int, order: str) -> dict:
        tracemalloc = _tracemalloc()
        started = time.perf_counter()
        snapshot = _filtered(tracemalloc.take_snapshot())
        assert self.previous is not None
        stats = snapshot.compare_to(self.previous, "traceback")
        self.previous = snapshot
        rows = []
        for stat in stats:
            if not (stat.size_diff or stat.count_diff):
                continue
            frames = list(stat.traceback)  # oldest first
            rows.append(
                {
                    "site": _site(frames[-1]) if frames else "?",
                    "traceback": [_site(f) for f in frames],
                    "count_delta": stat.count_diff,
                    "size_delta": stat.size_diff,
                    "count": stat.count,
                    "size": stat.size,
                }
            )
        changed = len(rows)
        rows.sort(key=lambda r: (r["size_delta"], r["count_delta"]), reverse=order == "descending")
        total_size = sum(s.size for s in stats)
        total_count = sum(s.count for s in stats)
        return {
            "kind": "mem_diff",
            "by": "site",
            "cycle": cycle,
            "interval": interval,
            "time": time.time(),
            "rows": rows[:limit],
            "changed": changed,
            "total_count_delta": sum(s.count_diff for s in stats),
            "total_size_delta": sum(s.size_diff for s in stats),
            "total_count": total_count,
            "total_size": total_size,
            "seconds": round(time.perf_counter() - started, 4),
            "engine": "tracemalloc",
            "owned": self.owned,
        }

    def stop(self) -> None:
        tracemalloc = _tracemalloc()
        global _users, _started
        self.previous = None
        with _lock:
            if not self.running:
                return
            self.running = False
            _users -= 1
            if _users == 0 and _started:
                _started = False
                if tracemalloc.is_tracing():
                    tracemalloc.stop()
