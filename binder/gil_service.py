"""A GIL-bound pipeline for binder/gil_contention.ipynb: more threads did not make it faster.

Three "featurize-N" threads compute features in pure Python (each holds the GIL a few ms at a
time and waits for it the rest). One "reindex" thread sorts a big list every 50 ms: ``sorted``
runs in C without letting the GIL go, so the others wait for it in ~20-40 ms stalls.
"""

import random
import threading
import time

from demo_lifeline import serve_until_parent_exits

ROWS = [random.random() for _ in range(300_000)]
FEATURES = {"rows": 0}


def featurize(row):
    total = 0.0
    for i in range(300):
        total += (row * i) % 1.7
    return total


def featurize_loop():
    rng = random.Random()
    while True:
        featurize(rng.random())
        FEATURES["rows"] += 1


def reindex():
    while True:
        sorted(ROWS)  # C, GIL held throughout
        time.sleep(0.05)


for n in range(3):
    threading.Thread(target=featurize_loop, name=f"featurize-{n}", daemon=True).start()
threading.Thread(target=reindex, name="reindex", daemon=True).start()
serve_until_parent_exits()
