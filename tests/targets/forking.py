"""A target that forks children on request while its functions are observed (tests/test_forksafe.py).

The main thread calls ``work`` (the function the test observes) in a loop; ``reference`` is the
same function, never observed, to measure speed against. When ``<report>.cmd`` appears, holding a
mode, the target starts a child that way and the child reports on itself to ``<report>.<mode>.json``:

- ``os_fork``: ``os.fork()`` from the main thread;
- ``mp_fork`` / ``mp_forkserver``: a ``multiprocessing`` Process with that start method (the
  forkserver's server was started before anyone attached, as a long-running job's is);
- ``pool``: a DataLoader-like pool: two workers forked by a ``multiprocessing`` fork Pool, each
  reporting (``<report>.pool.json``: both reports);
- ``traced_fork``: ``os.fork()`` from inside ``fork_inside``, the function the test traces (so
  the forking thread has trace's profile function when it forks);
- ``switch``: 150 ``os.fork()`` 5 ms apart while the test keeps the agent answering one-shot
  commands (which shorten the switch interval while they answer); each child reports its switch
  interval through a pipe, the parent the interval it had just before each fork.

A child's report: whether ``work.__code__`` is the original, the ratio of ``reference``'s time to
``work``'s (1.0: the same speed), its file descriptors (``/proc/self/fd`` targets), its threads,
``sys.monitoring`` tools, profile function, and whether ``flight_agent`` is in ``sys.modules``.
The parent's report says the same of itself, after each fork.
"""

import json
import multiprocessing
import os
import sys
import time

REPORT = sys.argv[1] if len(sys.argv) > 1 else ""


def work(x):
    return x + 1


def reference(x):
    return x + 1


ORIGINAL = work.__code__


def _ratio(n=5000, rounds=25) -> float:
    """reference's time over work's: the best of many short rounds, interleaved (a busy machine
    slows some rounds of either, not the best of both)."""
    best = {reference: None, work: None}
    for _ in range(rounds):
        for function in (reference, work):
            start = time.perf_counter()
            for i in range(n):
                function(i)
            took = time.perf_counter() - start
            if best[function] is None or took < best[function]:
                best[function] = took
    return best[reference] / best[work]


def state() -> dict:
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            fds[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            pass
    monitoring = getattr(sys, "monitoring", None)
    tools = [monitoring.get_tool(i) for i in range(6)] if monitoring is not None else []
    profile = sys.getprofile()
    return {
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "code_original": work.__code__ is ORIGINAL,
        "ratio": _ratio(),
        "fds": fds,
        "threads": len(os.listdir("/proc/self/task")),
        "tools": tools,
        "profile": None if profile is None else repr(profile),
        "agent_loaded": any(n == "flight_agent" or n.startswith("flight_agent.") for n in sys.modules),
        "switch_interval": sys.getswitchinterval(),
    }


def write(path: str, content) -> None:
    with open(path + ".tmp", "w") as f:
        json.dump(content, f)
    os.replace(path + ".tmp", path)


def child_report(path: str) -> None:
    write(path, state())


def pool_report(_index: int) -> dict:
    time.sleep(0.05)  # both workers take one task each
    return state()


def fork_inside(mode: str, path: str) -> None:
    """Fork from inside this call (the test traces it)."""
    pid = os.fork()
    if pid == 0:
        try:
            child_report(path)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def spawn(mode: str, forkserver) -> None:
    path = f"{REPORT}.{mode}.json"
    if mode == "os_fork":
        pid = os.fork()
        if pid == 0:
            try:
                child_report(path)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    elif mode == "traced_fork":
        fork_inside(mode, path)
    elif mode in ("mp_fork", "mp_forkserver"):
        context = forkserver if mode == "mp_forkserver" else multiprocessing.get_context("fork")
        process = context.Process(target=child_report, args=(path,))
        process.start()
        process.join(30)
    elif mode == "switch":
        before, after = [], []
        for _ in range(150):
            read, write_end = os.pipe()
            before.append(sys.getswitchinterval())
            pid = os.fork()
            if pid == 0:
                os.write(write_end, repr(sys.getswitchinterval()).encode())
                os._exit(0)
            os.close(write_end)
            after.append(float(os.read(read, 64) or b"nan"))
            os.close(read)
            os.waitpid(pid, 0)
            time.sleep(0.005)
        write(path, {"before": before, "children": after})
    elif mode == "pool":
        with multiprocessing.get_context("fork").Pool(2) as pool:
            reports = pool.map(pool_report, range(2), chunksize=1)
        write(path, reports)


def main() -> None:
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.Process(target=time.sleep, args=(0,)).start()  # the server starts before anyone attaches
    command = REPORT + ".cmd"
    rounds = 0
    report = {"pid": os.getpid(), "rounds": 0, "parent": {}, "forkserver": None}
    write(REPORT, report)
    print("READY", flush=True)
    while True:
        for i in range(2000):
            work(i)
        rounds += 1
        if os.path.exists(command):
            with open(command) as f:
                mode = f.read().strip()
            os.unlink(command)
            spawn(mode, forkserver)
            report["parent"][mode] = state()
            from multiprocessing import forkserver as server

            server_pid = getattr(server._forkserver, "_forkserver_pid", None)
            report["forkserver"] = server_pid
        report["rounds"] = rounds
        if rounds % 20 == 0 or report["parent"]:
            write(REPORT, report)
        time.sleep(0.005)


if __name__ == "__main__":
    main()
