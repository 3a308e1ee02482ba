"""Attach-to-first-result latency on FRESH targets: ours (API, CLI) against gdb injection (pyrasite).

    python bench/attach_latency.py [--runs N] [--python PATH ...] [--busy-python PATH]

Every trial starts a new target, waits until it runs (it prints 'ready', then a short settle),
then times one way of reading ``__main__.SOME_GLOBAL`` from it:

  api  FlightSession.open(pid) .. first 'getglobal __main__ SOME_GLOBAL' record (in this process)
  cli  wall time of 'flight_profiler PID --cmd "getglobal __main__ SOME_GLOBAL" --json'
       (includes the CLI's interpreter startup and imports)
  gdb  'gdb -p PID -batch' + PyGILState_Ensure / PyRun_SimpleString / PyGILState_Release as
       pyrasite does it, timed until the file the injected code writes exists with content
       (gdb's own exit is recorded too, as gdb_exit)

Then the agent is detached (not timed), the target's thread count is checked against its count
before the attach (a leftover thread is reported), and the target is killed.
The target: a main thread that sleeps 10 ms and does a little json work in a loop, a listening
socket, and 0 or 1 worker thread spinning in pure Python. The extra 'busy' row uses 3 such workers
(on 2 cores our agent thread has to win the GIL against them).
Raw timings go to bench/results/attach_latency-<time>.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import _common as c

sys.path.insert(0, os.path.join(c.REPO, "server_ext"))  # harmless if installed editable

GLOBAL = "SOME_GLOBAL"
SETTLE_S = 0.3
GDB_TIMEOUT_S = 5.0

TARGET = """\
import json, socket, sys, threading, time

SOME_GLOBAL = {"service": "orders", "port": 0, "requests": 0}
N_BUSY = int(sys.argv[1])


def cpu_worker():
    x = 0
    while True:
        for i in range(1000):
            x = (x * 31 + i) % 1000003


listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen()
SOME_GLOBAL["port"] = listener.getsockname()[1]
for i in range(N_BUSY):
    threading.Thread(target=cpu_worker, name="cpu-%d" % i, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(0.01)
    payload = json.dumps({"n": SOME_GLOBAL["requests"], "items": list(range(50))})
    json.loads(payload)
    SOME_GLOBAL["requests"] += 1
"""


def _wait_threads_back(pid: int, before: int, timeout: float = 2.0) -> int:
    """Threads left over after detach (0 when the count came back to what it was)."""
    deadline = time.monotonic() + timeout
    now = c.thread_count(pid)
    while now != before and time.monotonic() < deadline:
        time.sleep(0.01)
        now = c.thread_count(pid)
    return now - before


def _runtime_leftovers(pid: int) -> list:
    from jupyterlab_flight.client import runtime_dir_for

    directory = runtime_dir_for(os.geteuid())
    try:
        return sorted(n for n in os.listdir(directory) if n.startswith(f"agent-{pid}."))
    except OSError:
        return []


def _check_value(records: list) -> str | None:
    for r in records:
        if r.get("kind") == "value" and r.get("target") == f"__main__.{GLOBAL}":
            return None
    return f"no value record: {records!r:.300}"


def trial_api(pid: int) -> dict:
    from jupyterlab_flight.session import FlightSession

    t0 = time.perf_counter()
    session = FlightSession.open(pid)
    t_open = time.perf_counter()
    c.track_session(session)
    first = None
    records = []
    for record in session.run_line(f"getglobal __main__ {GLOBAL}"):
        if first is None:
            first = time.perf_counter()
        records.append(record)
    out = {"s": first - t0, "open_s": t_open - t0, "error": _check_value(records)}
    out["detach_error"] = c.detach_quietly(session)
    return out


def trial_cli(pid: int) -> dict:
    cmd = [c.tool("flight_profiler"), str(pid), "--cmd", f"getglobal __main__ {GLOBAL}", "--json"]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    import json

    records = []
    for line in done.stdout.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            pass
    error = (
        None
        if done.returncode == 0
        else f"exit {done.returncode}: {done.stdout.strip()[-300:]} {done.stderr.strip()[-300:]}"
    )
    error = error or _check_value(records)
    from jupyterlab_flight.session import FlightSession

    return {"s": elapsed, "error": error, "detach_error": c.detach_quietly(FlightSession(pid))}


def trial_gdb(pid: int, tmpdir: str, n: int, explain: bool = True) -> dict:
    result = os.path.join(tmpdir, f"gdb-result-{pid}-{n}")
    code = (
        "import __main__, os\\n"
        f"f = open('{result}.tmp', 'w')\\n"
        f"f.write(repr(__main__.{GLOBAL}))\\n"
        "f.close()\\n"
        f"os.rename('{result}.tmp', '{result}')\\n"
    )
    cmd = [
        "gdb", "-p", str(pid), "-batch",
        "-ex", "call (int)PyGILState_Ensure()",
        "-ex", f'call (int)PyRun_SimpleString("{code}")',
        "-ex", "call (void)PyGILState_Release($1)",
    ]  # fmt: skip
    env = dict(os.environ, DEBUGINFOD_URLS="")
    t0 = time.perf_counter()
    gdb = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    c.track_child(gdb)
    got = None
    deadline = t0 + GDB_TIMEOUT_S
    while time.perf_counter() < deadline:
        try:
            if os.path.getsize(result) > 0:
                got = time.perf_counter()
                break
        except OSError:
            pass
        if gdb.poll() is not None and not os.path.exists(result):
            break
        time.sleep(0.001)
    try:
        output, _ = gdb.communicate(timeout=max(1.0, deadline - time.perf_counter()))
    except subprocess.TimeoutExpired:
        output = f"(gdb hung: no result and no exit within {GDB_TIMEOUT_S:g} s)"
    exit_s = time.perf_counter() - t0
    c.kill_target(gdb)
    if got is None:
        return {
            "s": None, "gdb_exit_s": exit_s, "error": f"no result file; gdb said: {output.strip()[-400:]}",
            "diagnosis": (c.gdb_backtrace(pid) if os.path.exists(f"/proc/{pid}") else "(target gone)") if explain else "(see the row's first hang)",
        }  # fmt: skip
    with open(result) as f:
        content = f.read()
    os.unlink(result)
    error = None if content.startswith("{'service': 'orders'") else f"unexpected content {content!r:.200}"
    return {"s": got - t0, "gdb_exit_s": exit_s, "error": error}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="fresh targets per row and method (default 10)")
    parser.add_argument("--python", action="append", help="target interpreter (repeatable; default 3.11 and 3.12)")
    parser.add_argument("--busy-python", help="interpreter for the 3-busy-threads row (default: the last --python)")
    parser.add_argument("--methods", default="api,cli,gdb", help="comma-separated subset of api,cli,gdb")
    args = parser.parse_args()
    pythons = args.python or [c.pyenv_python("3.11.7"), c.pyenv_python("3.12.1")]
    busy_python = args.busy_python or pythons[-1]
    methods = args.methods.split(",")

    c.install_cleanup()
    load_start = os.getloadavg()
    script = c.write_script("flight-bench-attach-", TARGET)
    tmpdir = os.path.dirname(script)

    rows = [(p, 0) for p in pythons] + [(p, 1) for p in pythons] + [(busy_python, 3)]
    versions = {p: c.python_version(p) for p in set(pythons + [busy_python])}
    names = {0: "no busy thread", 1: "1 busy thread", 3: "3 busy threads"}
    labels = {(p, b): f"py{versions[p]} {names[b]}" for p, b in rows}
    raw = {labels[r]: {m: [] for m in methods} for r in rows}
    problems = []

    print(f"attach latency: {args.runs} fresh targets per row and method; rows: {', '.join(labels.values())}")
    try:
        for n in range(args.runs):
            for row in rows:
                python, busy = row
                order = methods[n % len(methods) :] + methods[: n % len(methods)]  # rotate, spread drift evenly
                for method in order:
                    proc = c.start_target(python, script, str(busy), stderr_path=os.path.join(tmpdir, "target.err"))
                    time.sleep(SETTLE_S)
                    before = c.thread_count(proc.pid)
                    try:
                        if method == "api":
                            out = trial_api(proc.pid)
                        elif method == "cli":
                            out = trial_cli(proc.pid)
                        else:
                            out = trial_gdb(
                                proc.pid, tmpdir, n, explain=not any(t.get("error") for t in raw[labels[row]]["gdb"])
                            )
                    except Exception as e:  # noqa: BLE001 - a failed trial is recorded and reported
                        out = {"s": None, "error": f"{type(e).__name__}: {e}"}
                    if out.get("error") and "diagnosis" not in out and proc.poll() is None:
                        out["diagnosis"] = c.diagnose(proc.pid)
                    if method != "gdb" and proc.poll() is None:
                        out["leaked_threads"] = _wait_threads_back(proc.pid, before)
                        out["runtime_leftovers"] = _runtime_leftovers(proc.pid)
                    out["target_alive"] = proc.poll() is None
                    c.kill_target(proc)
                    err = c.target_stderr(proc).strip()
                    if err:
                        out["target_stderr"] = err[-1000:]
                    raw[labels[row]][method].append(out)
                    for key in ("error", "detach_error", "target_stderr"):
                        if out.get(key):
                            problems.append(f"{labels[row]} {method} run {n}: {key}: {out[key]}")
                    if out.get("leaked_threads"):
                        problems.append(
                            f"{labels[row]} {method} run {n}: {out['leaked_threads']} thread(s) left after detach"
                        )
                    if out.get("runtime_leftovers"):
                        problems.append(
                            f"{labels[row]} {method} run {n}: files left in runtime dir: {out['runtime_leftovers']}"
                        )
                    if not out["target_alive"]:
                        problems.append(f"{labels[row]} {method} run {n}: target died")
            print(f"  run {n + 1}/{args.runs} done", flush=True)
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        c.cleanup()
        return 130
    finally:
        c.cleanup()

    summaries = {}
    table = []
    for label, per_method in raw.items():
        summaries[label] = {}
        for method, trials in per_method.items():
            ok = [t["s"] for t in trials if t.get("s") is not None and not t.get("error")]
            summaries[label][method] = c.summary(ok)
            summaries[label][method]["failed"] = len(trials) - len(ok)
        if "gdb" in per_method:
            exits = [
                t["gdb_exit_s"] for t in per_method["gdb"] if t.get("gdb_exit_s") is not None and not t.get("error")
            ]
            summaries[label]["gdb_exit"] = c.summary(exits)
            # hangs counted as the timeout: a lower bound of what gdb really costs
            censored = [
                t["s"] if t.get("s") is not None and not t.get("error") else GDB_TIMEOUT_S for t in per_method["gdb"]
            ]
            summaries[label]["gdb_hangs_as_timeout"] = c.summary(censored)
        if "api" in per_method:
            opens = [t["open_s"] for t in per_method["api"] if t.get("open_s") is not None and not t.get("error")]
            summaries[label]["api_open_only"] = c.summary(opens)
        gdb_median = summaries[label].get("gdb", {}).get("median")
        for method in methods:
            s = summaries[label][method]
            extra = f"failed {s['failed']}" if s["failed"] else ""
            if method != "gdb" and gdb_median and s.get("median"):
                s["gdb_ratio"] = gdb_median / s["median"]
                extra = f"gdb/this = {s['gdb_ratio']:.1f}x  " + extra
            table.append((f"{label:28} {method}", s, extra))
        if "gdb_exit" in summaries[label]:
            table.append((f"{label:28} gdb (until exit)", summaries[label]["gdb_exit"], ""))
            table.append((f"{label:28} gdb (hang = {GDB_TIMEOUT_S:g} s)", summaries[label]["gdb_hangs_as_timeout"], ""))

    c.print_table("attach to first result (fresh target per run)", table)
    path = c.write_results(
        "attach_latency",
        {
            "runs": args.runs,
            "loadavg_at_start": load_start,
            "settle_s": SETTLE_S,
            "pythons": versions,
            "summaries": summaries,
            "raw": raw,
            "problems": problems,
        },
    )
    c.print_problems(problems)
    print(f"\nraw timings: {os.path.relpath(path, c.REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
