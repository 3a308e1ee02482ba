"""A target whose GIL use is known, for gilstat's tests and bench.

- ``gil-hog`` holds the GIL in C-level bursts of about BURST_MS (one C call that never releases
  it and reads the clock first and last), then sleeps SLEEP_MS; it records each burst's start and
  end (epoch s): the time it certainly held the GIL.
- ``sleeper`` calls ``time.sleep(0)`` (a drop and a take of the GIL each) and counts the calls.
- ``cruncher-0`` / ``cruncher-1`` run pure-Python loops and count iterations (throughput).

argv: report path [cruncher count] [hog on: 1/0]. The report (every 0.1 s) holds the counters,
the last bursts and (time, sleeps) samples, so a test can take the figures of any time window.
"""

import collections
import json
import os
import sys
import threading
import time
from itertools import chain, repeat, starmap
from time import perf_counter_ns

REPORT = sys.argv[1]
CRUNCHERS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
HOG = (sys.argv[3] if len(sys.argv) > 3 else "1") == "1"
BURST_MS, SLEEP_MS = 20.0, 10.0

bursts: collections.deque = collections.deque(maxlen=3000)
sleep_samples: collections.deque = collections.deque(maxlen=3000)
counts = {"sleeps": 0, "crunch": 0, "bursts": 0, "errors": 0}


def burst(n: int) -> tuple:
    """One C call that holds the GIL throughout: it reads the clock first and last (no bytecode,
    so no switch, between the two readings) and iterates n times in between."""
    one = ((),)
    return tuple(chain(starmap(perf_counter_ns, one), filter(None, repeat(0, n)), starmap(perf_counter_ns, one)))


def calibrate() -> int:
    n = 100_000
    while True:
        spent = min(t1 - t0 for t0, t1 in (burst(n) for _ in range(3)))  # the least disturbed
        if spent > 5_000_000:
            return int(n * BURST_MS * 1e6 / spent)
        n *= 2


N = calibrate()
EPOCH = time.time() - perf_counter_ns() / 1e9  # perf_counter_ns -> epoch seconds


def hog() -> None:
    while True:
        t0, t1 = burst(N)
        bursts.append((EPOCH + t0 / 1e9, EPOCH + t1 / 1e9))
        counts["bursts"] += 1
        time.sleep(SLEEP_MS / 1000)


def sleeper() -> None:
    sleep = time.sleep
    while True:
        for _ in range(200):
            sleep(0)
            counts["sleeps"] += 1
        sleep(0.002)
        counts["sleeps"] += 1


def cruncher() -> None:
    while True:
        x = 0
        for i in range(10_000):
            x += i
        counts["crunch"] += 1


def report() -> None:
    while True:
        sleep_samples.append((time.time(), counts["sleeps"]))
        data = {"pid": os.getpid(), "counts": dict(counts), "bursts": list(bursts), "sleeps": list(sleep_samples)}
        with open(REPORT + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.1)


threads = [threading.Thread(target=sleeper, name="sleeper", daemon=True)]
if HOG:
    threads.append(threading.Thread(target=hog, name="gil-hog", daemon=True))
threads += [threading.Thread(target=cruncher, name=f"cruncher-{i}", daemon=True) for i in range(CRUNCHERS)]
for t in threads:
    t.start()
report_thread = threading.Thread(target=report, name="reporter", daemon=True)
report_thread.start()
while not os.path.exists(REPORT):
    time.sleep(0.01)
print("READY", flush=True)
while True:
    time.sleep(1)
