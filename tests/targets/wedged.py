"""A target that holds the GIL in a C call: ``ctypes.PyDLL`` functions keep it, so libc's sleep()
blocks every other thread of the interpreter for argv[2] seconds, as a long C call would.

The report (argv[1]) is written before the wedge and keeps coming after it; READY comes just
before the wedge starts. Then it calls ``tick()`` in a loop, like any service.
"""

import ctypes
import json
import os
import sys
import time

REPORT = sys.argv[1]
WEDGE_S = int(sys.argv[2])
STATE = {"ticks": 0, "wedged": True}


def tick():
    STATE["ticks"] += 1
    return STATE["ticks"]


def report():
    with open(REPORT + ".tmp", "w") as f:
        json.dump(STATE, f)
    os.replace(REPORT + ".tmp", REPORT)


report()
print("READY", flush=True)
ctypes.PyDLL(None).sleep(WEDGE_S)  # the GIL stays held: nothing else in this interpreter runs
STATE["wedged"] = False
while True:
    tick()
    report()
    time.sleep(0.05)
