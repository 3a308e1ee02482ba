"""A slow service for binder/slow_service.ipynb: an order API whose lookups got slow.

Two request threads call ``handle(request)``: parse the request, look the product up in the
catalog, price it and render the answer. ``lookup`` scans the whole catalog list for every
request (the bug); with ``SETTINGS["use_index"]`` on it reads a dict built once (the fix, which
an operator can switch on while the service runs).
"""

import json
import random
import threading

from demo_lifeline import serve_until_parent_exits

SETTINGS = {"use_index": False}
CATALOG = [{"sku": f"SKU-{i:05d}", "price": 1 + (i * 37) % 500, "stock": i % 13} for i in range(20000)]
INDEX = {item["sku"]: item for item in CATALOG}
SERVED = {"requests": 0}


def parse(raw):
    return json.loads(raw)


def lookup(sku):
    if SETTINGS["use_index"]:
        return INDEX[sku]
    for item in CATALOG:  # the bug: a linear scan per request
        if item["sku"] == sku:
            return item
    raise KeyError(sku)


def price(item, quantity):
    total = item["price"] * quantity
    for _ in range(200):  # discounts, taxes: a little real work
        total = round(total * 1.0001, 4)
    return total


def render(item, total):
    return json.dumps({"sku": item["sku"], "total": total, "in_stock": item["stock"] > 0})


def handle(raw):
    request = parse(raw)
    item = lookup(request["sku"])
    answer = render(item, price(item, request["quantity"]))
    SERVED["requests"] += 1
    return answer


def request_loop(seed):
    rng = random.Random(seed)
    while True:
        # the newest products, at the end of the list, sell most: every scan passes half the catalog
        sku = f"SKU-{rng.randrange(len(CATALOG) // 2, len(CATALOG)):05d}"
        handle(json.dumps({"sku": sku, "quantity": rng.randint(1, 5)}))


for n in range(2):
    threading.Thread(target=request_loop, args=(n,), name=f"request-{n}", daemon=True).start()
serve_until_parent_exits()
