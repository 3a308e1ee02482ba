"""A target whose functions the observation tests watch, called continuously by worker threads.

Covers module functions, methods, classmethods, staticmethods, an async function, a nested
function, a callback registered before attaching, a decorated function, and a function that
raises. Every result is checked; wrong ones are counted. The report file (argv[1]) also says
whether every function still has its original code object, and the module's global names.
"""

import asyncio
import functools
import json
import os
import sys
import threading
import time

REPORT = sys.argv[1]
CHECKS = {"errors": 0, "calls": 0}


def compute(a, b=1, *rest, scale=1, **extra):
    if a == 13:
        raise ValueError("thirteen")
    return (a + b + sum(rest)) * scale


class Shop:
    tax = 2

    def __init__(self, name):
        self.name = name

    def price(self, amount, discount=0):
        return amount * self.tax - discount

    @classmethod
    def create(cls, name):
        return cls(name)

    @staticmethod
    def fmt(value):
        return f"<{value}>"

    def outer(self, n):
        def inner(k):
            return k * n

        return inner(n + 1)


def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


@traced
def decorated(x):
    return x * 3


def callback(event):
    return event.upper()


ROUTES = {"cb": callback}  # a reference taken before anyone attaches


async def fetch(delay):
    await asyncio.sleep(delay)
    return delay * 2


def slow():
    time.sleep(0.4)
    return "done"


def slow_worker():
    while True:
        slow()
        STATE["profile_left"] = sys.getprofile() is not None  # what a trace must not leave behind


STATE = {"profile_left": False}


def expect(value, wanted):
    CHECKS["calls"] += 1
    if value != wanted:
        CHECKS["errors"] += 1


def worker():
    shop = Shop("s")
    i = 0
    while True:
        i = (i + 1) % 20
        try:
            expect(compute(i, 2, scale=3), (i + 2) * 3)
        except ValueError:
            expect(i, 13)
        expect(shop.price(i, discount=1), i * 2 - 1)
        expect(Shop.create("x").name, "x")
        expect(Shop.fmt(i), f"<{i}>")
        expect(shop.outer(i), (i + 1) * i)
        expect(decorated(i), i * 3)
        expect(ROUTES["cb"]("go"), "GO")
        time.sleep(0.005)


def async_worker():
    async def main():
        while True:
            expect(await fetch(0.02), 0.04)

    asyncio.run(main())


ORIGINAL_CODES = {
    "compute": compute.__code__,
    "price": Shop.price.__code__,
    "create": Shop.__dict__["create"].__func__.__code__,
    "fmt": Shop.__dict__["fmt"].__func__.__code__,
    "outer": Shop.outer.__code__,
    "decorated": decorated.__code__,
    "callback": callback.__code__,
    "fetch": fetch.__code__,
}
CURRENT = {
    "compute": lambda: compute.__code__,
    "price": lambda: Shop.price.__code__,
    "create": lambda: Shop.__dict__["create"].__func__.__code__,
    "fmt": lambda: Shop.__dict__["fmt"].__func__.__code__,
    "outer": lambda: Shop.outer.__code__,
    "decorated": lambda: decorated.__code__,
    "callback": lambda: ROUTES["cb"].__code__,
    "fetch": lambda: fetch.__code__,
}


def report():
    global_names = sorted(globals())  # before anyone attaches
    while True:
        monitoring = getattr(sys, "monitoring", None)
        state = {
            "checks": dict(CHECKS),
            "codes_original": all(CURRENT[k]() is ORIGINAL_CODES[k] for k in ORIGINAL_CODES),
            "monitoring_tools": [i for i in range(6) if monitoring is not None and monitoring.get_tool(i)],
            "globals_same": sorted(globals()) == global_names,
            "profile_left": STATE["profile_left"],
            # list(): one atomic copy; iterating sys.modules itself races with imports in other threads
            "flight_modules": sorted(m for m in list(sys.modules) if m.startswith("flight_agent")),
            "tasks": len(os.listdir("/proc/self/task")),
        }
        with open(REPORT + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.05)


threading.Thread(target=worker, name="worker", daemon=True).start()
threading.Thread(target=async_worker, name="loop", daemon=True).start()
threading.Thread(target=slow_worker, name="slow", daemon=True).start()
threading.Thread(target=report, name="reporter", daemon=True).start()
print("READY", flush=True)
while True:
    time.sleep(0.05)
