"""mem summary on a ~2-million-object heap: ours vs pympler alone vs guppy3 alone vs PyFlightProfiler.

    python bench/mem_summary.py [--rounds 3] [--series 3.11] [--entries 220000] [--no-pfp]

One target (the PFP venv's python, bench/pfp_env.py: PFP needs its target in its environment;
pympler 1.1 comes with PFP, guppy3 is pip-installed into that venv, never into our package)
holds the heap and runs a ticker thread that sleeps 1 ms and records every gap over 5 ms: the
longest gap while a method runs is the longest the target's threads were kept from running (GIL
stalls). Methods, each round in turn:

  ours          flight_profiler PID --cmd "mem summary -l 10"   (end to end: a fresh CLI, agent attached;
                its modules byte-compiled once, in a cache of the bench's, as an installed
                package's are: PFP's venv has its .pyc from pip)
  pympler       in the target: muppy.get_objects() + summary.summarize() + format_()  (what PFP runs)
  guppy3        in the target: hpy().heap() and its bytype table
  pfp           PFP 1.0.7's flight_profiler PID --cmd "mem summary --limit 10" (end to end, attached)
  idle          nothing for 1 s: the ticker's longest gap with no method running (the noise floor)

pympler and guppy3 run in the target's main thread when the bench asks (a command file). Also
reported: ours' longest GIL hold (wall clock, and that hold's thread CPU time, which a loaded
machine's preemption does not stretch), the 1-minute load average before each round, and the
object counts of ours (after a collection, --gc, as pympler collects) and pympler's, taken one
after the other at the end. --fallback adds a row for our pure-Python walk (the agent told to
walk without the library, as where it cannot load), end to end too. --gilstat adds, after the
rounds, one run of each method inside a `gilstat on` window (our exact GIL accounting,
native/gil.c, which leaves our agent's threads out): the ticker's longest wait for the GIL, and
the longest hold of any other thread (PFP's agent thread, the main thread running pympler or
guppy3), with a window where nothing runs as the floor.
Medians of the rounds; results in bench/results/mem_summary-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time

import _common as c
import pfp_env

TARGET = r"""
import gc, json, os, sys, threading, time
FOLDER = sys.argv[1]
ENTRIES = int(sys.argv[2])

class Record:
    def __init__(self, i):
        self.number = i
        self.name = "r%d" % i

class Slotted:
    __slots__ = ("x", "y")
    def __init__(self, x, y):
        self.x, self.y = x, y

heap = []
for i in range(ENTRIES):
    heap.append(Record(i))
    heap.append(Slotted(float(i), (i, b"x" * (i % 40))))
    heap.append({"k": i, "v": [i, str(i)]})
gc.collect()
gaps = []

def tick():
    last = time.perf_counter()
    while True:
        time.sleep(0.001)
        now = time.perf_counter()
        if now - last > 0.005:
            gaps.append((time.time(), (now - last) * 1000))
            del gaps[:-1000]
        last = now

threading.Thread(target=tick, daemon=True, name="ticker").start()

def write(name, data):
    with open(os.path.join(FOLDER, name + ".tmp"), "w") as f:
        json.dump(data, f)
    os.replace(os.path.join(FOLDER, name + ".tmp"), os.path.join(FOLDER, name))

print("ready", flush=True)
while True:
    command = os.path.join(FOLDER, "command")
    if os.path.exists(command):
        with open(command) as f:
            method = f.read().strip()
        os.unlink(command)
        result = {"method": method}
        start = time.perf_counter()
        if method == "pympler":
            from pympler import muppy, summary
            rows = summary.summarize(muppy.get_objects())
            text = "\n".join(summary.format_(rows, limit=10))
            result["count"] = sum(r[1] for r in rows)
            del rows
        elif method == "idle":  # the ticker's noise floor: nothing runs for a second
            time.sleep(1.0)
            result["count"] = None
        elif method == "guppy3":
            from guppy import hpy
            h = hpy().heap()
            text = str(h.bytype)
            result["count"] = h.count
            del h
        result["seconds"] = time.perf_counter() - start
        write("result", result)
    write("gaps", list(gaps))
    time.sleep(0.05)
"""


def read_json(path: str, timeout: float = 300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    raise RuntimeError(f"{path} never came")


def longest_gap(folder: str, start: float, end: float) -> float:
    time.sleep(0.3)  # the ticker's last gap and the next write of gaps
    gaps = read_json(os.path.join(folder, "gaps"))
    return max([ms for t, ms in gaps if start <= t <= end + 0.1] or [0.0])


def in_target(folder: str, method: str) -> dict:
    result_path = os.path.join(folder, "result")
    if os.path.exists(result_path):
        os.unlink(result_path)
    start = time.time()
    with open(os.path.join(folder, "command.tmp"), "w") as f:
        f.write(method)
    os.replace(os.path.join(folder, "command.tmp"), os.path.join(folder, "command"))
    result = read_json(result_path)
    end = time.time()
    return {"seconds": result["seconds"], "stall_ms": longest_gap(folder, start, end), "count": result["count"]}


def ours_env(folder: str) -> dict:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(folder, "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def ours(pid: int, folder: str, extra: str = "") -> dict:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", str(pid), "--cmd", f"mem summary -l 10 {extra}", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=ours_env(folder),
    )
    end = time.time()
    if out.returncode != 0:
        raise RuntimeError(f"ours failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    record = next(json.loads(line) for line in out.stdout.splitlines() if '"mem_summary"' in line)
    return {
        "seconds": end - start,
        "walk_s": record["seconds"],
        "longest_hold_ms": record["longest_hold_ms"],
        "longest_hold_cpu_ms": record.get("longest_hold_cpu_ms"),
        "stall_ms": longest_gap(folder, start, end),
        "count": record["total_count"],
        "engine": record["engine"],
    }


def fallback(pid: int, folder: str) -> dict:
    """Our pure-Python walk, end to end: the agent's walk told to skip the library for one call
    (console runs in the agent: the same walk the command runs, record and all)."""
    code = (
        "from flight_agent.commands.mem import walk, summary_record as r;"
        " w = walk.walk(engine='python');"
        " print(r(w, walk.process_memory(), 10, 'descending', None)['total_count'], w.seconds)"
    )
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", str(pid), "--cmd", f"console -c {json.dumps(code)}", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env=ours_env(folder),
    )
    end = time.time()
    if out.returncode != 0:
        raise RuntimeError(f"fallback failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    return {"seconds": end - start, "stall_ms": longest_gap(folder, start, end)}


def gil_window(pid: int, folder: str, action) -> dict:
    """action() inside a gilstat window: the ticker's longest GIL wait, the longest hold of the
    other threads (ours are left out by gilstat), and what action returned."""
    argv = [sys.executable, "-m", "jupyterlab_flight.cli", str(pid), "--json"]
    proc = subprocess.Popen(
        [*argv, "--timeout", "900", "--cmd", "gilstat on 1000 1000 600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ours_env(folder),
    )
    first = json.loads(proc.stdout.readline())  # the hooks are in
    if first.get("kind") != "message":
        raise RuntimeError(f"gilstat did not start: {first}")
    try:
        result = action()
    finally:
        subprocess.run([*argv, "--cmd", "gilstat off"], capture_output=True, env=ours_env(folder), timeout=60)
        out, _ = proc.communicate(timeout=60)
    final = [json.loads(line) for line in out.splitlines() if '"gil_stats"' in line][-1]
    threads = {t["name"]: t["total"] for t in final["threads"]}
    ticker = threads.get("ticker", {})
    return {
        "ticker_max_wait_ms": ticker.get("max_wait_ms"),
        "others_max_hold_ms": max((t["max_hold_ms"] for n, t in threads.items() if n != "ticker"), default=None),
        "result": result,
    }


def pfp(pid: int, folder: str, series: str) -> dict:
    cli = pfp_env.venv_cli(series)
    env = dict(os.environ, PATH=os.path.dirname(cli) + os.pathsep + os.environ.get("PATH", ""))
    start = time.time()
    out = subprocess.run(
        [cli, str(pid), "--cmd", "mem summary --limit 10", "--no-color"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    end = time.time()
    if out.returncode != 0 or "types" not in out.stdout:
        raise RuntimeError(f"PFP failed (rc {out.returncode}): {out.stdout[-800:]} {out.stderr[-800:]}")
    return {"seconds": end - start, "stall_ms": longest_gap(folder, start, end)}


def median(rows: list, key: str):
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    # 3.11: on 3.12.1, PFP's mem summary (pympler's gc.get_referents over _asyncio's module, whose
    # traverse visits a freelist of dead objects) corrupts the target and its next gc.collect()
    # never ends
    ap.add_argument("--series", default="3.11")
    ap.add_argument("--entries", type=int, default=220_000, help="heap entries (about 10 objects each)")
    ap.add_argument("--no-pfp", action="store_true")
    ap.add_argument("--fallback", action="store_true", help="also our pure-Python walk, end to end")
    ap.add_argument("--gilstat", action="store_true", help="also each method once in a gilstat window")
    args = ap.parse_args()
    c.install_cleanup()
    python = pfp_env.ensure(args.series)
    if subprocess.run([python, "-c", "import pympler, guppy"], capture_output=True).returncode != 0:
        subprocess.run([python, "-m", "pip", "install", "-q", "--only-binary=:all:", "guppy3", "pympler"], check=True)
    folder = c.make_tempdir("flight-bench-mem-")
    script = c.write_script("flight-bench-mem-target-", TARGET)
    proc = c.start_target(
        python, script, folder, str(args.entries), stderr_path=os.path.join(folder, "stderr"), ready_timeout=300
    )
    pid = proc.pid
    methods = ["idle", "ours", *(["fallback"] if args.fallback else []), "pympler", "guppy3"]
    methods += [] if args.no_pfp else ["pfp"]
    results: dict = {m: [] for m in methods}
    try:
        warm = ours(pid, folder)  # attach (and PFP's, below) outside the timings
        print(f"heap: {warm['count']:,} objects (our count, no collection), engine {warm['engine']}")
        if not args.no_pfp:
            pfp(pid, folder, args.series)
        loads = []
        for r in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for method in methods:
                if method == "ours":
                    row = ours(pid, folder)
                elif method == "fallback":
                    row = fallback(pid, folder)
                elif method == "pfp":
                    row = pfp(pid, folder, args.series)
                else:
                    row = in_target(folder, method)
                results[method].append(row)
                print(f"round {r + 1} {method:8s} {row['seconds']:7.2f} s  longest stall {row['stall_ms']:7.1f} ms")
        gil: dict = {}
        if args.gilstat:
            actions = {
                "idle": lambda: time.sleep(2.0),
                "ours": lambda: ours(pid, folder),
                "fallback": lambda: fallback(pid, folder),
                "pympler": lambda: in_target(folder, "pympler"),
                "guppy3": lambda: in_target(folder, "guppy3"),
                "pfp": lambda: pfp(pid, folder, args.series),
            }
            for method in methods:
                gil[method] = gil_window(pid, folder, actions[method])
                print(
                    f"gilstat {method:8s} ticker's longest GIL wait {gil[method]['ticker_max_wait_ms']:8.1f} ms,"
                    f" longest hold of another thread {gil[method]['others_max_hold_ms'] or 0:8.1f} ms"
                )
        # counts on the same heap: ours after a collection (pympler collects first), and pympler's
        # right after it (both with every module imported by now)
        counted = ours(pid, folder, "--gc")
        pympler_count = in_target(folder, "pympler")["count"]
        summary = {
            m: {
                "seconds": median(rows, "seconds"),
                "stall_ms": median(rows, "stall_ms"),
                "count": median(rows, "count"),
            }
            for m, rows in results.items()
        }
        summary["ours"]["walk_s"] = median(results["ours"], "walk_s")
        summary["ours"]["longest_hold_ms"] = median(results["ours"], "longest_hold_ms")
        summary["ours"]["longest_hold_cpu_ms"] = median(results["ours"], "longest_hold_cpu_ms")
        summary["ours"]["longest_hold_ms_max"] = max(r["longest_hold_ms"] for r in results["ours"])
        summary["ours"]["longest_hold_cpu_ms_max"] = max(r["longest_hold_cpu_ms"] or 0 for r in results["ours"])
        base = summary["ours"]["seconds"]
        print(f"\nmedians of {args.rounds} rounds, {c.python_version(python)}:")
        for m, row in summary.items():
            ratio = row["seconds"] / base if base else float("nan")
            print(f"  {m:8s} {row['seconds']:7.2f} s  ({ratio:5.1f}x ours)  longest stall {row['stall_ms']:7.1f} ms")
        o = summary["ours"]
        print(
            f"ours: walk {o['walk_s']:.3f} s, longest hold {o['longest_hold_ms']:.1f} ms"
            f" (max {o['longest_hold_ms_max']:.1f}), its CPU {o['longest_hold_cpu_ms']:.1f} ms"
            f" (max {o['longest_hold_cpu_ms_max']:.1f}); load average {min(loads):.1f}-{max(loads):.1f}"
        )
        print(
            f"counts: ours after --gc {counted['count']:,}, pympler {pympler_count:,.0f}"
            f" ({100 * (counted['count'] / pympler_count - 1):+.2f}%)"
        )
        out = {
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": c.machine_info(),
            "git": c.git_state(),
            "python": c.python_version(python),
            "heap_objects": warm["count"],
            "rounds": args.rounds,
            "loadavg_1min_per_round": loads,
            "results": results,
            "medians": summary,
            "counts": {"ours_gc": counted["count"], "pympler": pympler_count},
            "gilstat": gil,
        }
        os.makedirs(c.RESULTS_DIR, exist_ok=True)
        path = os.path.join(c.RESULTS_DIR, f"mem_summary-{datetime.date.today().isoformat()}.json")
        with open(path, "w") as f:
            json.dump(out, f, indent=1)
        print(f"results: {path}")
    finally:
        c.cleanup()


if __name__ == "__main__":
    main()
