"""A target for ``diagnose slow``: "worker" spends its time in ``checksum`` (pure Python, its own
loop), called by ``handle`` in a loop; the main thread sleeps. argv[1]: the report; argv[2]: "one"
(the default: one worker), "threads" (three workers, taking turns on the GIL) or "idle" (the
worker sleeps between small calls: nothing is busy)."""

import json
import os
import sys
import threading
import time

REPORT = sys.argv[1]


def checksum(n):
    total = 0
    for i in range(n):
        total = (total * 31 + i) % 1000003
    return total


def handle():
    return checksum(60000)


def worker():
    while True:
        handle()


def idle_worker():
    while True:
        checksum(100)
        time.sleep(0.05)


def main():
    mode = sys.argv[2] if len(sys.argv) > 2 else "one"
    names = [f"worker-{i}" for i in range(3)] if mode == "threads" else ["worker"]
    for name in names:
        threading.Thread(target=idle_worker if mode == "idle" else worker, name=name, daemon=True).start()
    with open(REPORT + ".tmp", "w") as f:
        json.dump({"file": __file__}, f)
    os.replace(REPORT + ".tmp", REPORT)
    print("READY", flush=True)
    while True:
        time.sleep(0.05)


main()
