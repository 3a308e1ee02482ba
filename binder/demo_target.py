"""The tour's demo target (binder/demo.ipynb starts it; `make demo` too, for the terminal):
a small order-processing service to attach to.

It keeps some state worth inspecting (ORDERS, Order instances, a cache), has worker threads that
do a little CPU work, and one thread waiting on a queue, so `stack`, `getglobal`, `vmtool` and
`console` all have something to show.
"""

import json
import os
import queue
import random
import threading
import time

from demo_lifeline import serve_until_parent_exits

ORDERS = {}
CACHE = {"hits": 0, "misses": 0}
inbox: "queue.Queue[int]" = queue.Queue()


class Order:
    def __init__(self, order_id, amount):
        self.order_id = order_id
        self.amount = amount
        self.status = "new"


class PriorityOrder(Order):
    pass


def price(order):
    total = 0
    for i in range(2000):
        total += (order.amount * i) % 7
    return total


def process(order_id):
    order = ORDERS[order_id]
    if order_id in CACHE:
        CACHE["hits"] += 1
    else:
        CACHE["misses"] += 1
        CACHE[order_id] = price(order)
    if order.amount > 95:
        raise ValueError(f"order {order_id}: amount {order.amount} needs approval")
    order.status = "done"
    return json.dumps({"id": order_id, "total": CACHE[order_id]})


def worker():
    while True:
        try:
            process(inbox.get())
        except ValueError:
            pass


def producer():
    n = 0
    while True:
        n += 1
        cls = PriorityOrder if n % 5 == 0 else Order
        ORDERS[n] = cls(n, random.randint(1, 100))
        if len(ORDERS) > 200:
            ORDERS.pop(min(ORDERS))
        inbox.put(n)
        time.sleep(0.05)


for i in range(2):
    threading.Thread(target=worker, name=f"worker-{i}", daemon=True).start()
threading.Thread(target=producer, name="producer", daemon=True).start()
PID_FILE = os.environ.get("FLIGHT_DEMO_PID_FILE")
if PID_FILE:  # `make demo`: the pid for the terminal commands it prints; it kills the target at the end
    with open(PID_FILE, "w") as f:
        f.write(str(os.getpid()))
    print(f"demo target running as pid {os.getpid()}", flush=True)
    while True:
        time.sleep(1)
serve_until_parent_exits()  # started by a notebook: as long as its kernel lives
