"""A target that never imports threading: its threads come from _thread.

The main thread calls ``tick()`` in a loop; two workers started with _thread call ``work()``; one
of them names itself at the OS level ("io-worker", pthread_setname_np, as native libraries
do); the other holds ``LOCK`` (an RLock, whose repr names its owner by ident) while it sleeps.
The report (argv[1]) gives every thread's ident and native id, as the threads saw them, and
whether threading got imported (never by the agent; some site hooks import it at startup), and
every module loaded (what the agent brings in is its own modules and a few of the stdlib's).
"""

import _thread
import ctypes
import json
import os
import sys
import time

REPORT = sys.argv[1]
THREADING_AT_START = "threading" in sys.modules  # a site hook may import it (pyenv's 3.11 does)
LOCK = _thread.RLock()
THREADS = {"main": {"ident": _thread.get_ident(), "native_id": _thread.get_native_id()}}
COUNTS = {"tick": 0, "work": 0}


def tick():
    COUNTS["tick"] += 1
    return COUNTS["tick"]


def work(n):
    COUNTS["work"] += 1
    return n * 2


def worker(name, holds_lock):
    THREADS[name] = {"ident": _thread.get_ident(), "native_id": _thread.get_native_id()}
    if name == "io-worker":
        libc = ctypes.CDLL(None)
        libc.pthread_setname_np(ctypes.c_ulong(_thread.get_ident()), b"io-worker")
    if holds_lock:
        LOCK.acquire()
    while True:
        work(3)
        time.sleep(0.01)


def report():
    while True:
        state = {
            "threads": THREADS,
            "counts": dict(COUNTS),
            "threading_imported": "threading" in sys.modules,
            "threading_at_start": THREADING_AT_START,
            "modules": sorted(sys.modules),
            "tasks": sorted(int(t) for t in os.listdir("/proc/self/task")),
        }
        with open(REPORT + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.05)


_thread.start_new_thread(worker, ("io-worker", False))
_thread.start_new_thread(worker, ("lock-holder", True))
while len(THREADS) < 3:
    time.sleep(0.01)
_thread.start_new_thread(report, ())
print("READY", flush=True)
while True:
    tick()
    time.sleep(0.01)
