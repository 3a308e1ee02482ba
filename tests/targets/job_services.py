"""Process trees of services and pools for tests/test_jobs.py's labels: argv: report path, mode.

- ``pool``: a multiprocessing fork Pool of 2, a spawned Process, a forkserver Process;
- ``gunicorn``: run as ``gunicorn: master [app]`` (argv[0]), forks 2 workers (no setproctitle:
  the workers keep the master's command line, as real gunicorn's do without it);
- ``uvicorn``: run as ``uvicorn``, 2 workers by multiprocessing spawn (as ``uvicorn --workers 2``);
- ``ray``: sets its thread name to ``ray::<argv[3]>`` (a Ray worker's title), no children.

Everything sleeps; the report lists the children's pids; a process whose parent died exits.
"""

import json
import multiprocessing
import os
import sys
import time

REPORT, MODE = sys.argv[1], sys.argv[2]


def idle(parent=None):
    parent = parent or os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)


def pool_task(_):
    return os.getpid()


def write(content):
    with open(REPORT + ".tmp", "w") as f:
        json.dump(content, f)
    os.replace(REPORT + ".tmp", REPORT)


def main():
    me = os.getpid()
    children = []
    if MODE == "pool":
        pool = multiprocessing.get_context("fork").Pool(2)
        pool.map(pool_task, range(2))
        children += [p.pid for p in pool._pool]
        spawned = multiprocessing.get_context("spawn").Process(target=idle, args=(me,))
        spawned.start()
        server = multiprocessing.get_context("forkserver").Process(target=idle)  # its parent: the server
        server.start()
        children += [spawned.pid, server.pid]
    elif MODE == "gunicorn":
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                idle(me)
                os._exit(0)
            children.append(pid)
    elif MODE == "uvicorn":
        multiprocessing.set_executable(os.readlink("/proc/self/exe"))  # argv[0] is "uvicorn"
        context = multiprocessing.get_context("spawn")
        for _ in range(2):
            worker = context.Process(target=idle, args=(me,))
            worker.start()
            children.append(worker.pid)
    elif MODE == "ray":
        import ctypes

        ctypes.CDLL(None).prctl(15, f"ray::{sys.argv[3]}".encode()[:15], 0, 0, 0)  # PR_SET_NAME
    write({"pid": me, "children": children})
    print("READY", flush=True)
    while True:
        time.sleep(0.2)


if __name__ == "__main__":
    main()
