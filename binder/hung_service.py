"""A hung service for binder/hung_service.ipynb: two threads that take two locks in opposite order.

``transfer()`` (thread "payments") takes ACCOUNTS_LOCK then LEDGER_LOCK; ``audit()`` (thread
"auditor") takes LEDGER_LOCK then ACCOUNTS_LOCK. Each gets its first lock and waits forever for
the other's: a deadlock. The thread "api" waits for a payment that never completes.
"""

import threading
import time

from demo_lifeline import serve_until_parent_exits

ACCOUNTS_LOCK = threading.Lock()
LEDGER_LOCK = threading.Lock()
both_hold_one = threading.Barrier(2)
payment_done = threading.Event()
ACCOUNTS = {"alice": 100, "bob": 50}
LEDGER = []


def transfer(source, dest, amount):
    with ACCOUNTS_LOCK:
        ACCOUNTS[source] -= amount
        ACCOUNTS[dest] += amount
        both_hold_one.wait()
        with LEDGER_LOCK:
            LEDGER.append((source, dest, amount))
    payment_done.set()


def audit():
    with LEDGER_LOCK:
        both_hold_one.wait()
        with ACCOUNTS_LOCK:
            return sum(ACCOUNTS.values()), len(LEDGER)


def api():
    while not payment_done.wait(1.0):
        time.sleep(0)  # the request handler polls for the payment's result


threading.Thread(target=transfer, args=("alice", "bob", 30), name="payments", daemon=True).start()
threading.Thread(target=audit, name="auditor", daemon=True).start()
threading.Thread(target=api, name="api", daemon=True).start()
serve_until_parent_exits()
