"""A target with known hangs, for ``diagnose hang``.

- "transfer" takes ACCOUNTS_LOCK then LEDGER_LOCK, "audit" takes LEDGER_LOCK then ACCOUNTS_LOCK:
  a lock-order deadlock (each holds one, waits for the other; lines in LINES);
- "consumer" waits on the empty ``jobs`` queue;
- "cache-holder" holds a Cache's ``self._lock`` (an RLock) and waits for the unset ``ready``
  event; "cache-reader" waits for ``self._lock`` in Cache.get;
- "busy" keeps computing (it moves); the main thread sleeps in a loop.

argv[1]: the report (every thread's ident, and the lines where the locks are taken); argv[2]:
"all" (the default: every thread above), "queue" (the consumer alone) or "busy" (consumer, busy).
"""

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
COUNTS = {"busy": 0}


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
    if mode == "all":
        start("transfer", transfer)
        start("audit", audit)
    start("consumer", consume)
    if mode == "all":
        start("cache-holder", CACHE.refresh)
        time.sleep(0.2)
        start("cache-reader", CACHE.get, "k")
    if mode in ("all", "busy"):
        start("busy", busy)
    time.sleep(0.2)
    idents["MainThread"] = threading.get_ident()
    with open(REPORT + ".tmp", "w") as f:
        json.dump({"threads": idents, "lines": LINES, "file": __file__}, f)
    import os

    os.replace(REPORT + ".tmp", REPORT)
    print("READY", flush=True)
    while True:
        time.sleep(0.05)


main()
