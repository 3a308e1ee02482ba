"""A target with known hangs, for ``diagnose hang``.

- "transfer" takes ACCOUNTS_LOCK then LEDGER_LOCK, "audit" takes LEDGER_LOCK then ACCOUNTS_LOCK:
  a lock-order deadlock (each holds one, waits for the other; lines in LINES);
- "consumer" waits on the empty ``jobs`` queue;
- "cache-holder" holds a Cache's ``self._lock`` (an RLock) and waits for the unset ``ready``
  event; "cache-reader" waits for ``self._lock`` in Cache.get;
- "busy" keeps computing (it moves); the main thread sleeps in a loop;
- mode "gil" instead: "hog" holds the GIL in C calls of about HOG_MS (``any()`` over zeros: no
  bytecode runs, so the switch interval cannot take the GIL back) with 2 ms pauses, and "worker"
  runs Python and starves (COUNTS["worker"] counts its loops).

argv[1]: the report (every thread's ident, and the lines where the locks are taken); argv[2]:
"all" (the default: every thread above), "queue" (the consumer alone), "busy" (consumer, busy) or
"gil" (hog and worker).
"""

import itertools
import json
import queue
import re
import sys
import threading
import time

REPORT = sys.argv[1]
ACCOUNTS_LOCK = threading.Lock()
LEDGER_LOCK = threading.Lock()
jobs: queue.Queue = queue.Queue()
ready = threading.Event()
both_hold = threading.Barrier(2)
LINES: dict = {}
COUNTS = {"busy": 0, "worker": 0, "holds": 0}
HOG_MS = 200.0


def transfer():
    with ACCOUNTS_LOCK:  # line: transfer-accounts
        both_hold.wait()
        with LEDGER_LOCK:  # line: transfer-ledger
            pass


def audit():
    LEDGER_LOCK.acquire()  # line: audit-ledger
    both_hold.wait()
    ACCOUNTS_LOCK.acquire()  # line: audit-accounts
    ACCOUNTS_LOCK.release()
    LEDGER_LOCK.release()


def consume():
    while True:
        job = jobs.get()  # line: consumer-get
        print(job)


class Cache:
    def __init__(self):
        self._lock = threading.RLock()
        self.data: dict = {}

    def refresh(self):
        with self._lock:  # line: cache-refresh
            ready.wait()  # line: cache-ready

    def get(self, key):
        with self._lock:  # line: cache-get
            return self.data.get(key)


CACHE = Cache()


def busy():
    while True:
        total = 0
        for i in range(20000):
            total += i * i
        COUNTS["busy"] += 1
        time.sleep(0.001)


def hold_gil(n):
    return any(itertools.repeat(0, n))  # line: hog-hold


def calibrate() -> int:
    n = 1_000_000
    while True:
        t0 = time.perf_counter()
        hold_gil(n)
        spent = time.perf_counter() - t0
        if spent > 0.02:
            return int(n * HOG_MS / 1000 / spent)
        n *= 2


def hog(n):
    while True:
        hold_gil(n)
        COUNTS["holds"] += 1
        time.sleep(0.002)


def worker():
    while True:
        total = 0
        for i in range(1000):
            total += i
        COUNTS["worker"] += 1


def _lines():
    with open(__file__) as f:
        for number, text in enumerate(f, 1):
            found = re.search(r"# line: ([a-z-]+)$", text.rstrip())
            if found:
                LINES[found.group(1)] = number


def main():
    _lines()
    idents = {}

    def start(name, fn, *args):
        t = threading.Thread(target=fn, args=args, name=name, daemon=True)
        t.start()
        idents[name] = t.ident

    mode = sys.argv[2] if len(sys.argv) > 2 else "all"
    if mode == "gil":
        start("hog", hog, calibrate())
        start("worker", worker)
    if mode == "all":
        start("transfer", transfer)
        start("audit", audit)
    if mode != "gil":
        start("consumer", consume)
    if mode == "all":
        start("cache-holder", CACHE.refresh)
        time.sleep(0.2)
        start("cache-reader", CACHE.get, "k")
    if mode in ("all", "busy"):
        start("busy", busy)
    time.sleep(0.2)
    idents["MainThread"] = threading.get_ident()
    import os

    def report():
        with open(REPORT + ".tmp", "w") as f:
            json.dump({"threads": idents, "lines": LINES, "file": __file__, "counts": dict(COUNTS)}, f)
        os.replace(REPORT + ".tmp", REPORT)

    report()
    print("READY", flush=True)
    while True:
        time.sleep(0.05)
        if mode == "gil":
            report()  # the counts: a test sees the hog go on (other modes: the main thread stays put)


main()
