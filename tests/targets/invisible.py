"""A target whose own code looks at its stack: what it sees must not change while it is observed.

A worker calls each check in a loop; the main thread calls ``tick()`` in a tight loop and counts
the KeyboardInterrupts (SIGINT) that reach it. Every check's result is compared with the one it gave the
first time, before anyone attached (tracebacks the target formats in its own ``except``,
``warnings.warn(stacklevel=2)``, ``sys._getframe(1)``, ``inspect.stack()``, logging's caller
lookup with ``%(funcName)s`` / ``%(lineno)d``, ``traceback.extract_stack()``, and the same through
methods, closures, nested functions and coroutines); a different result is a mismatch, with both
texts in the report (argv[1]).

argv[2] == "hold-tools=4" or "hold-tools=1,2,3,4,5" (3.12+): the target takes those
sys.monitoring tool ids itself, with a PY_START counter of its own on ``raises`` (the first id), as
another tool would.
"""

import asyncio
import inspect
import json
import logging
import os
import sys
import threading
import time
import traceback
import warnings

REPORT = sys.argv[1]
MODE = sys.argv[2] if len(sys.argv) > 2 else ""
STATE = {"rounds": 0, "mismatches": [], "own_tool_calls": 0, "own_tools": [], "ticks": 0, "interrupts": 0}


def tick():
    STATE["ticks"] += 1


def spin():
    for _ in range(1000):
        tick()
    time.sleep(0.001)


def raises(n):
    if n >= 0:
        raise ValueError(f"bad {n}")
    return n


def deeper(n):
    return raises(n) + 1


def caller_of_raises():
    try:
        deeper(3)
    except ValueError:
        return traceback.format_exc()


def warns():
    warnings.warn("careful", UserWarning, stacklevel=2)


def caller_of_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warns()
    return [(w.filename, w.lineno, str(w.message)) for w in caught]


def who_calls():
    caller = sys._getframe(1)
    return caller.f_code.co_name, caller.f_lineno, caller.f_code.co_filename


def caller_of_who_calls():
    return who_calls()


def stack_seen():
    return [(f.function, f.lineno, os.path.basename(f.filename)) for f in inspect.stack(context=0)[:3]]


def caller_of_stack_seen():
    return stack_seen()


def extracted():
    return [(f.name, f.lineno) for f in traceback.extract_stack(limit=3)]


def caller_of_extracted():
    return extracted()


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(self.format(record))


COLLECT = Collect()
COLLECT.setFormatter(logging.Formatter("%(funcName)s:%(lineno)d:%(filename)s %(message)s"))
LOG = logging.getLogger("invisible")
LOG.addHandler(COLLECT)
LOG.setLevel(logging.INFO)
LOG.propagate = False


def log_for_caller(message):
    LOG.info(message, stacklevel=2)  # the record names whoever called this


def caller_of_log():
    COLLECT.records.clear()
    log_for_caller("hello")
    return list(COLLECT.records)


class Service:
    def handle(self, n):
        return self.check(n)

    def check(self, n):
        if n > 1:
            raise KeyError(n)
        return sys._getframe(1).f_code.co_name


def caller_of_method():
    service = Service()
    try:
        service.handle(5)
    except KeyError:
        return traceback.format_exc(), service.handle(0)


def outer(k):
    def inner(j):
        if j == 2:
            raise RuntimeError(f"inner {k}")
        return sys._getframe(1).f_code.co_name

    try:
        inner(2)
    except RuntimeError:
        return traceback.format_exc(), inner(1)


def caller_of_nested():
    return outer(4)


async def fetch(n):
    await asyncio.sleep(0)
    if n:
        raise LookupError(f"missing {n}")
    return sys._getframe(1).f_code.co_name if sys._getframe(1) else None


def caller_of_coroutine():
    async def main():
        try:
            await fetch(7)
        except LookupError:
            return traceback.format_exc()

    return asyncio.run(main())


CHECKS = {
    "traceback": caller_of_raises,
    "warnings": caller_of_warns,
    "getframe": caller_of_who_calls,
    "inspect": caller_of_stack_seen,
    "extract_stack": caller_of_extracted,
    "logging": caller_of_log,
    "method": caller_of_method,
    "nested": caller_of_nested,
    "coroutine": caller_of_coroutine,
}
EXPECTED: dict = {}  # the worker's first round, before anyone attaches


def hold_tools(tools):
    monitoring = sys.monitoring

    def count(code, offset):
        STATE["own_tool_calls"] += 1

    for tool in tools:
        monitoring.use_tool_id(tool, f"target-tool-{tool}")
    monitoring.register_callback(tools[0], monitoring.events.PY_START, count)
    monitoring.set_local_events(tools[0], raises.__code__, monitoring.events.PY_START)


def one_round() -> dict:
    results = {}
    for name, check in CHECKS.items():
        results[name] = check()  # every check from this same line, observed or not
    return results


def worker():
    EXPECTED.update(one_round())
    READY.set()
    while True:
        for name, got in one_round().items():
            if got != EXPECTED[name] and len(STATE["mismatches"]) < 20:
                STATE["mismatches"].append({"check": name, "expected": repr(EXPECTED[name]), "got": repr(got)})
        STATE["rounds"] += 1
        time.sleep(0.002)


def report():
    while True:
        monitoring = getattr(sys, "monitoring", None)
        state = dict(
            STATE,
            tools={i: monitoring.get_tool(i) for i in range(6)} if monitoring else {},
            code_original=raises.__code__ is ORIGINAL_CODE,
        )
        with open(REPORT + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.05)


ORIGINAL_CODE = raises.__code__
if MODE.startswith("hold-tools="):
    hold_tools([int(t) for t in MODE.split("=")[1].split(",")])
READY = threading.Event()
threading.Thread(target=worker, name="worker", daemon=True).start()
READY.wait()
threading.Thread(target=report, name="reporter", daemon=True).start()
print("READY", flush=True)
while True:  # the main thread: Ctrl-C (SIGINT) must always reach this except, observed or not
    try:
        spin()
    except KeyboardInterrupt:
        STATE["interrupts"] += 1
