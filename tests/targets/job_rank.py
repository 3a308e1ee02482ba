"""One rank of targets/job_launcher.py's job: forks its workers, then waits in ``all_reduce``
(``load_batch`` for the straggler) inside ``train_step``. Workers wait in ``fetch``. A process
whose parent died exits (nothing is left behind when the launcher is killed)."""

import json
import os
import sys
import time

READY, WORKERS, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
STRAGGLER, MOVING = MODE == "1", MODE == "moving"


def alive(parent):
    return os.getppid() == parent


def fetch(parent):
    while alive(parent):
        time.sleep(0.2)


def worker_loop(parent):
    fetch(parent)
    os._exit(0)


def all_reduce(parent):
    while alive(parent):
        time.sleep(0.2)


def load_batch(parent):
    while alive(parent):
        time.sleep(0.2)


def forward():
    time.sleep(0.07)


def backward():
    time.sleep(0.07)


def optimizer_step():
    time.sleep(0.07)


def train_step(parent):
    while MOVING and alive(parent):  # a rank that makes progress: its stack changes all the time
        forward()
        backward()
        optimizer_step()
    if STRAGGLER:
        load_batch(parent)
    else:
        all_reduce(parent)


def main():
    launcher = os.getppid()
    workers = []
    for _ in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            worker_loop(os.getppid())
        workers.append(pid)
    with open(READY + ".tmp", "w") as f:
        json.dump({"pid": os.getpid(), "workers": workers}, f)
    os.replace(READY + ".tmp", READY)
    try:
        train_step(launcher)
    finally:
        for pid in workers:
            try:
                os.kill(pid, 9)
            except OSError:
                pass


if __name__ == "__main__":
    main()
