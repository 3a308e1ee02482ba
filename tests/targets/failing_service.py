"""A service whose handler raises on some inputs, at known rates, for ``diagnose exception``.

Two threads, "worker-1" and "worker-2", each serve requests 0, 1, 2, ... in batches of 10 (then
sleep 10 ms). For a request id ``i``:

- ``i % 10 == 3``: ``Service.lookup`` raises ``KeyError("user <i % 100> not found")``, caught in
  ``Service.handle`` (the request is answered "not found");
- ``i % 10 == 7``: ``Service.parse`` raises ``ValueError("bad amount <i> for user <i % 100>")``,
  which escapes ``handle`` and is caught in ``serve``;
- otherwise the request succeeds.
So one KeyError and one ValueError in every 10 requests. The report (argv[1], every 50 ms) has
the counters, and what a test checks to see the target unharmed: the sys.monitoring tools in use,
the profile and trace functions (as repr).
"""

import json
import os
import re
import sys
import threading
import time

REPORT = sys.argv[1]
USERS = {i: f"user-{i}" for i in range(100) if i % 10 != 3}
COUNTS = {"requests": 0, "ok": 0, "not_found": 0, "bad": 0}
THREAD_HOOKS: dict = {}  # worker -> its own profile and trace functions (both are per thread)
LINES: dict = {}
_lock = threading.Lock()


class Service:
    def lookup(self, user_id):
        if user_id not in USERS:
            raise KeyError(f"user {user_id} not found")  # line: lookup-raise
        return USERS[user_id]

    def parse(self, request_id):
        if request_id % 10 == 7:
            raise ValueError(f"bad amount {request_id} for user {request_id % 100}")  # line: parse-raise
        return request_id * 2

    def handle(self, request_id):
        try:
            name = self.lookup(request_id % 100)
        except KeyError:  # line: handle-except
            with _lock:
                COUNTS["not_found"] += 1
            return None
        return name, self.parse(request_id)


SERVICE = Service()


def serve():
    i = 0
    while True:
        for _ in range(10):
            try:
                if SERVICE.handle(i) is not None:
                    with _lock:
                        COUNTS["ok"] += 1
            except ValueError:  # line: serve-except
                with _lock:
                    COUNTS["bad"] += 1
            with _lock:
                COUNTS["requests"] += 1
            i += 1
        THREAD_HOOKS[threading.current_thread().name] = [repr(sys.getprofile()), repr(sys.gettrace())]
        time.sleep(0.01)


def _lines():
    with open(__file__) as f:
        for number, text in enumerate(f, 1):
            found = re.search(r"# line: ([a-z-]+)$", text.rstrip())
            if found:
                LINES[found.group(1)] = number


def hooks() -> dict:
    monitoring = getattr(sys, "monitoring", None)
    tools = {i: monitoring.get_tool(i) for i in range(6)} if monitoring else {}
    return {
        "tools": {str(i): name for i, name in tools.items() if name is not None},
        "profile": repr(sys.getprofile()),
        "trace": repr(sys.gettrace()),
        "threads": dict(THREAD_HOOKS),
    }


def report():
    while True:
        with _lock:
            counts = dict(COUNTS)
        data = {"time": time.time(), "counts": counts, "lines": LINES, "file": __file__, "hooks": hooks()}
        with open(REPORT + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.05)


_lines()
for n in (1, 2):
    threading.Thread(target=serve, name=f"worker-{n}", daemon=True).start()
threading.Thread(target=report, name="reporter", daemon=True).start()
while not os.path.exists(REPORT):
    time.sleep(0.01)
print("READY", flush=True)
while True:
    time.sleep(1)
