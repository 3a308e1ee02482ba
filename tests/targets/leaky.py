"""A target with a large heap (over a million objects) and a known leak, for ``mem``.

At start it builds a steady heap (BALLAST objects: instances, dicts, tuples, strs, floats). Then a
worker thread leaks RATE ``Session`` objects a second into the module global ``_SESSIONS`` (a
dict keyed by number, line LEAK_LINE), and a ticker thread measures its longest gap between 1 ms
sleeps (the longest the GIL kept it waiting). The report (argv[1]) says how many sessions leaked,
the longest gap, tracemalloc's state and the refcount of a sentinel object the walk must not keep.
"""

import asyncio
import json
import os
import sys
import threading
import time
import tracemalloc

REPORT = sys.argv[1]
BALLAST = int(sys.argv[2]) if len(sys.argv) > 2 else 1_100_000
RATE = 200  # sessions a second


class Session:
    def __init__(self, number):
        self.number = number
        self.payload = [number] * 8


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y


class Pinned:  # held by a class attribute (mem refs)
    pass


class Registry:
    pinned = [Pinned()]


class Captured:  # held by a closure
    pass


def make_callback():
    captured = Captured()

    def callback():
        return captured

    return callback


CALLBACK = make_callback()


class Local:  # held by a local of a waiting thread
    pass


def hold():
    mine = Local()
    stop.wait()
    return mine


async def _await_futures():
    loop = asyncio.get_running_loop()
    for _ in range(3):
        future = loop.create_future()
        loop.call_soon(future.set_result, 1)
        await future


# 3.12's _asyncio keeps the future iterators it freed in a freelist that its module's traverse
# visits: a walk that takes a reference to one corrupts it (gc.collect then loops forever)
asyncio.run(_await_futures())

_SESSIONS = {}
SENTINEL = object()
ballast = []  # five objects an entry: a Point, a float, a list, an int, a str
for i in range(BALLAST // 5):
    ballast.append(Point(float(i), [i + 1000, str(i)]))
longest_gap = [0.0]
gaps = []  # (epoch s, ms) of the last gaps over 5 ms
stop = threading.Event()


def leak():
    n = 0
    while not stop.is_set():
        for _ in range(RATE // 20):
            n += 1
            _SESSIONS[n] = Session(n)  # the leak
        time.sleep(0.05)


def tick():
    last = time.perf_counter()
    while not stop.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest_gap[0] = max(longest_gap[0], now - last)
        if now - last > 0.005:
            gaps.append((time.time(), (now - last) * 1000))
            del gaps[:-200]
        last = now


def report():
    while not stop.is_set():
        data = {
            "sessions": len(_SESSIONS),
            "longest_gap_ms": longest_gap[0] * 1000,
            "gaps": list(gaps),
            "tracing": tracemalloc.is_tracing(),
            "sentinel_refs": sys.getrefcount(SENTINEL),
        }
        with open(REPORT + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.1)


for function, name in ((leak, "leaker"), (tick, "ticker"), (report, "reporter"), (hold, "holder")):
    threading.Thread(target=function, name=name, daemon=True).start()
print("READY", flush=True)
while True:
    time.sleep(1)
