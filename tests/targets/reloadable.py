"""A target whose functions a test edits on disk and reloads: price (held in a dict of handlers
too), a method, a staticmethod, a closure, a generator. It reports what they return, so the test
sees which code runs. Copied to a temporary folder first: the test rewrites it."""

import json
import os
import sys
import threading
import time

REPORT = sys.argv[1]


def price(qty, unit=2):
    return qty * unit


HANDLERS = {"price": price}


class Cart:
    def total(self, n):
        return n + 1

    @staticmethod
    def tax(n):
        return n * 10


def make_step():
    step = 1

    def step_by(n):
        return n + step

    return step_by


STEP = make_step()


def numbers():
    yield 1


def loop():
    cart = Cart()
    while True:
        state = {"price": HANDLERS["price"](10), "total": cart.total(1), "tax": Cart.tax(5), "step": STEP(1)}
        with open(REPORT + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.02)


threading.Thread(target=loop, name="loop", daemon=True).start()
time.sleep(0.1)
print("READY", flush=True)
while True:
    time.sleep(1)
