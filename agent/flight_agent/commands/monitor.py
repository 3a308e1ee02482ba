"""monitor module [class] method [-c seconds] [-n cycles]: call statistics per cycle (from Arthas).

Each cycle: calls, successes, failures, average, p50, p99 and max time. Percentiles come from at
most SAMPLE_LIMIT costs per cycle (a uniform sample beyond that), so memory stays bounded.
"""

from __future__ import annotations

import _thread
import time

from ..arguments import Arguments
from ..connection import Connection
from ..errors import CommandError
from ..hooks import observing
from ..hooks.observing import ObservingStream
from ..hooks.probe import Call

reset = observing.reset  # detach removes every hook; a stream's own go when it ends

SAMPLE_LIMIT = 10000


class Cycle:
    def __init__(self):
        self.start = time.time()
        self.calls = self.failures = 0
        self.total_ms = 0.0
        self.max_ms: float | None = None
        self.samples: list = []
        # the reservoir's draws: a 64-bit LCG (Knuth's MMIX constants), not `random`, whose import
        # (hashlib, bisect, an os.urandom seed) the agent would bring into the target at its start
        self._state = int(self.start * 1e6) | 1

    def _next_random(self) -> int:
        self._state = (self._state * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF
        return self._state >> 16

    def add(self, cost_ms: float, failed: bool) -> None:
        self.calls += 1
        self.failures += failed
        self.total_ms += cost_ms
        if self.max_ms is None or cost_ms > self.max_ms:
            self.max_ms = cost_ms
        if len(self.samples) < SAMPLE_LIMIT:
            self.samples.append(cost_ms)
        else:  # reservoir sampling keeps a uniform sample
            slot = self._next_random() % self.calls
            if slot < SAMPLE_LIMIT:
                self.samples[slot] = cost_ms

    def record(self, method: str, index: int) -> dict:
        samples = sorted(self.samples)

        def percentile(p: float):
            if not samples:
                return None
            return round(samples[min(len(samples) - 1, int(p * len(samples)))], 6)

        return {
            "kind": "monitor",
            "method": method,
            "cycle": index,
            "start": self.start,
            "end": time.time(),
            "calls": self.calls,
            "successes": self.calls - self.failures,
            "failures": self.failures,
            "avg_ms": round(self.total_ms / self.calls, 6) if self.calls else None,
            "p50_ms": percentile(0.5),
            "p99_ms": percentile(0.99),
            "max_ms": round(self.max_ms, 6) if self.max_ms is not None else None,
        }


class MonitorStream(ObservingStream):
    verb = "monitoring"

    def __init__(self, args: Arguments):
        self.cycle_s = args.number("cycle")
        if self.cycle_s <= 0:
            raise CommandError("-c must be a positive number of seconds")
        # limit: how many cycles (None: until stopped); every call counts, so no filter
        super().__init__(args, limit=args.optional_integer("limit"), filter_text=None)
        self.needs_args = False  # counts and costs only
        self.index = 0
        self.cycle = Cycle()
        self.lock = _thread.allocate_lock()

    def started_text(self) -> str:
        until = f"{self.limit} cycles" if self.limit else "stopped"
        return f"monitoring {self.site.name} every {self.cycle_s:g} s (until {until})"

    def exit(self, call: Call) -> None:
        with self.lock:
            self.cycle.add(call.cost_ms, call.exception is not None)

    def tick(self) -> list:
        if time.time() - self.cycle.start < self.cycle_s:
            return []
        with self.lock:
            done, self.cycle = self.cycle, Cycle()
        self.index += 1
        if self.limit and self.index >= self.limit:
            self.finish("limit")
        return [done.record(self.site.name, self.index)]


def run(args: Arguments, connection: Connection) -> MonitorStream:
    return MonitorStream(args)
