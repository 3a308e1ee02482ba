"""A busy multi-threaded target for the tests: verifiable work, globals, classes, a self-report.

It prints READY once running. Every 50 ms a reporter thread writes what the tests need to check
from inside the process without our agent (threads, modules, stream objects, hooks) to the file
given as argv[1]. Worker threads check their own results; any wrong result is counted in
RESULTS["errors"].
"""

import json
import os
import sys
import threading
import time

REPORT = sys.argv[1]
BUSY_WORKERS = int(sys.argv[2]) if len(sys.argv) > 2 else 2

CONFIG = {"name": "svc", "limits": {"a": 1, "b": [1, 2, 3]}, "big": list(range(100)), "text": "x" * 1000}
RESULTS = {"errors": 0, "iterations": 0}
lock = threading.Lock()


class Model:
    registry = {"default": 1}

    def __init__(self, n):
        self.n = n
        self.weights = [n] * 3

    def score(self):
        return self.n * 2


class SubModel(Model):
    pass


class Broken:
    def __repr__(self):
        raise RuntimeError("no repr for you")


models = [Model(i) for i in range(3)] + [SubModel(10)]
broken = Broken()
ORIGINAL_STDOUT, ORIGINAL_STDERR = sys.stdout, sys.stderr
META_PATH_LEN = len(sys.meta_path)


def work():
    expected = sum(i * i for i in range(2000))
    while True:
        value = sum(i * i for i in range(2000))
        with lock:
            RESULTS["iterations"] += 1
            if value != expected:
                RESULTS["errors"] += 1


def deep(n):
    if n == 0:
        while True:
            time.sleep(0.05)
    return deep(n - 1)


def report():
    while True:
        state = {
            "threads": threading.active_count(),
            "tasks": len(os.listdir("/proc/self/task")),
            "fds": len(os.listdir("/proc/self/fd")),
            # list(): one atomic copy; iterating sys.modules itself races with imports in other threads
            "flight_modules": sorted(m for m in list(sys.modules) if m.startswith("flight_agent")),
            "stdout_original": sys.stdout is ORIGINAL_STDOUT,
            "stderr_original": sys.stderr is ORIGINAL_STDERR,
            "meta_path_len": len(sys.meta_path),
            "trace": sys.gettrace() is not None,
            "profile": sys.getprofile() is not None,
            "switch_interval": sys.getswitchinterval(),
            "results": dict(RESULTS),
        }
        tmp = REPORT + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, REPORT)
        time.sleep(0.05)


for i in range(BUSY_WORKERS):
    threading.Thread(target=work, name=f"busy-{i}", daemon=True).start()
threading.Thread(target=deep, args=(5,), name="deep-sleeper", daemon=True).start()
threading.Thread(target=report, name="reporter", daemon=True).start()
print("READY", flush=True)
while True:
    time.sleep(0.05)
