"""gilstat: accuracy against the target's own figures and throughput cost, ours against py-spy --gil
sampling and PyFlightProfiler 1.0.7's gilstat, in one run.

    python bench/gilstat.py [--python PATH ...] [--runs 3] [--window 4] [--pfp-python PATH ...]

The target is tests/targets/gil_target.py: `gil-hog` holds the GIL in C-level bursts of ~20 ms
(one C call that reads the clock first and last: the time it certainly held the GIL), then sleeps
10 ms; `sleeper` calls time.sleep(0) (one drop and one take each) and counts them; two
`cruncher` threads run pure-Python loops and count iterations: the contended throughput.

Per target Python and run, one fresh target, attached once before measuring (the attach is not
measured), then windows of --window seconds, in this order:

  base   nothing runs
  ours   gilstat on 1000 1000 W -n 1 (thresholds high: the counting itself is measured)
  base
  spy    py-spy record --gil --threads -r 100 -d W -f raw (default, blocking mode)
  base

Throughput cost: 1 - crunch iterations/s in the window / the mean of the base windows around it.
Accuracy: the hog's hold (ours: hold_ns over the measured time; py-spy: samples of the hog's
stack per sample expected at the rate) against the share of time the target spent in its bursts
in the same window; the sleeper's takes against its own count of sleep calls (ours only: py-spy
has no take counts). Medians over the runs.

PyFlightProfiler needs its target to run in its own venv (bench/pfp_env.py); its gilstat resolves
take_gil/drop_gil with `nm` on the executable. Each --pfp-python (a venv python with
flight-profiler 1.0.7) gets one target and one `gilstat on` attempt; what it printed is recorded.
Results: bench/results/gilstat-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

TARGET = os.path.join(_common.REPO, "tests", "targets", "gil_target.py")

# The contended target of the cost phases: 4 threads, each does ~50 us of Python work, then
# releases the GIL (time.sleep(0)): thousands of GIL transitions a second, the throughput is
# the work items done per second. Same report format as gil_target.py (counts.crunch).
THROUGHPUT = """
import json, os, sys, threading, time
REPORT = sys.argv[1]
counts = {"crunch": 0, "sleeps": 0, "bursts": 0, "errors": 0}
def worker():
    sleep = time.sleep
    while True:
        x = 0
        for i in range(500):
            x += i
        counts["crunch"] += 1
        sleep(0)
for i in range(4):
    threading.Thread(target=worker, name=f"worker-{i}", daemon=True).start()
def report():
    while True:
        data = {"counts": dict(counts), "bursts": [], "sleeps": [[time.time(), 0]]}
        with open(REPORT + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.1)
threading.Thread(target=report, name="reporter", daemon=True).start()
while not os.path.exists(REPORT):
    time.sleep(0.01)
print("READY", flush=True)
while True:
    time.sleep(1)
"""


# The cost per GIL transition: one thread calls libc's abs() through ctypes.CDLL, which releases
# and takes the GIL around the call (one drop and one take, uncontended, no system call), in
# batches, and reports the thread CPU ns per call of each batch.
MICRO = """
import ctypes, json, os, sys, threading, time
REPORT = sys.argv[1]
batches = []
def report():
    while True:
        data = {"counts": {"crunch": 0}, "bursts": [], "sleeps": [], "batches": batches[-400:]}
        with open(REPORT + ".tmp", "w") as f:
            json.dump(data, f)
        os.replace(REPORT + ".tmp", REPORT)
        time.sleep(0.1)
threading.Thread(target=report, name="reporter", daemon=True).start()
def loop():
    call, cpu, wall = ctypes.CDLL(None).abs, time.thread_time_ns, time.perf_counter_ns
    while True:
        c0, w0 = cpu(), wall()
        for _ in range(20000):
            call(-1)
        batches.append((time.time(), (cpu() - c0) / 20000, (wall() - w0) / 20000))
threading.Thread(target=loop, name="looper", daemon=True).start()
while not os.path.exists(REPORT):
    time.sleep(0.01)
print("READY", flush=True)
while True:
    time.sleep(1)
"""


def batches_between(report: str, t0: float, t1: float) -> list:
    return [b for b in read(report)["batches"] if t0 <= b[0] <= t1]


def transition_cost(python: str, folder: str, seconds: float) -> dict:
    """Thread CPU ns per ctypes call (a GIL drop and take) without and with gilstat on."""
    script = os.path.join(folder, "micro.py")
    with open(script, "w") as f:
        f.write(MICRO)
    proc, report = start(python, folder, script)
    try:
        subprocess.run([_common.tool("flight_profiler"), str(proc.pid), "--cmd", "stack"],
                       capture_output=True, timeout=60)  # fmt: skip
        time.sleep(1.0)
        phases = []
        for phase in ("base", "ours", "base", "ours", "base"):
            if phase == "ours":
                cli = subprocess.Popen(
                    [_common.tool("flight_profiler"), str(proc.pid), "--json", "--cmd",
                     f"gilstat on 1000 1000 {seconds:g} -n 1"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                cli.stdout.readline()
                t0 = time.time()
                cli.communicate(timeout=seconds + 30)
                t1 = time.time() - 0.2
            else:
                t0 = time.time()
                time.sleep(seconds)
                t1 = time.time()
            time.sleep(0.3)
            got = batches_between(report, t0, t1)
            phases.append((phase, statistics.median([b[1] for b in got]) if got else None))
        base_ns = statistics.median([v for p, v in phases if p == "base" and v is not None])
        ours_ns = statistics.median([v for p, v in phases if p == "ours" and v is not None])
        return {"phases": phases, "base_cpu_ns_per_call": base_ns, "ours_cpu_ns_per_call": ours_ns,
                "added_ns_per_transition": ours_ns - base_ns}  # fmt: skip
    finally:
        _common.kill_target(proc)


def start(python: str, folder: str, script: str = TARGET) -> tuple[subprocess.Popen, str]:
    report = os.path.join(folder, f"report-{time.monotonic_ns()}.json")
    proc = subprocess.Popen(
        [python, "-u", script, report],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    _common.track_child(proc)
    if proc.stdout.readline().strip() != "READY":
        _common.kill_target(proc)
        raise RuntimeError(f"target did not start: {proc.stderr.read()}")
    return proc, report


def read(report: str) -> dict:
    for _ in range(50):
        try:
            with open(report) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.02)
    raise RuntimeError(f"cannot read {report}")


def burst_seconds(data: dict, t0: float, t1: float) -> float:
    return sum(max(0.0, min(b, t1) - max(a, t0)) for a, b in data["bursts"])


def sleeps_at(data: dict, when: float) -> float:
    samples = data["sleeps"]
    for (a, ca), (b, cb) in zip(samples, samples[1:]):
        if a <= when <= b:
            return ca + (cb - ca) * (when - a) / (b - a) if b > a else ca
    raise RuntimeError("no sleep sample around the window")


class Window:
    """Crunch iterations/s between two reads of the target's report."""

    def __init__(self, report: str):
        self.report = report
        self.t0 = time.time()
        self.c0 = read(report)["counts"]["crunch"]

    def end(self) -> dict:
        data = read(self.report)
        t1 = time.time()
        return {
            "t0": self.t0,
            "t1": t1,
            "crunch_per_s": (data["counts"]["crunch"] - self.c0) / (t1 - self.t0),
            "data": data,
        }


def base(report: str, seconds: float) -> dict:
    w = Window(report)
    time.sleep(seconds)
    return w.end()


def ours(pid: int, report: str, seconds: float, accuracy: bool = True) -> dict:
    cli = _common.tool("flight_profiler")
    proc = subprocess.Popen(
        [cli, str(pid), "--json", "--cmd", f"gilstat on 1000 1000 {seconds:g} -n 1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = json.loads(proc.stdout.readline())  # the hooks are in
    w = Window(report)
    out, err = proc.communicate(timeout=seconds + 30)
    window = w.end()
    records = [first] + [json.loads(line) for line in out.splitlines() if line.strip()]
    final = [r for r in records if r["kind"] == "gil_stats"][-1]
    if not accuracy:
        return {**{k: window[k] for k in ("t0", "t1", "crunch_per_s")}, "rc": proc.returncode,
                "takes_per_s": sum(t["total"]["takes"] for t in final["threads"]) / final["elapsed_s"]}  # fmt: skip
    end = final["time"]
    start_ = end - final["elapsed_s"]
    data = read(report)
    while data["sleeps"][-1][0] <= end:
        time.sleep(0.05)
        data = read(report)
    own = burst_seconds(data, start_, end)
    threads = {t["name"]: t for t in final["threads"]}
    calls = sleeps_at(data, end) - sleeps_at(data, start_)
    return {
        **{k: window[k] for k in ("t0", "t1", "crunch_per_s")},
        "hog_hold_s": threads["gil-hog"]["total"]["hold_ns"] / 1e9,
        "hog_own_s": own,
        "hold_ratio": threads["gil-hog"]["total"]["hold_ns"] / 1e9 / own if own else None,
        "sleeper_takes": threads["sleeper"]["total"]["takes"],
        "sleeper_calls": calls,
        "takes_ratio": threads["sleeper"]["total"]["takes"] / calls if calls else None,
        "verdict": final["verdict"],
        "rc": proc.returncode,
    }


def pyspy(pid: int, report: str, seconds: float, folder: str) -> dict:
    out_file = os.path.join(folder, f"spy-{time.monotonic_ns()}.txt")
    rate = 100
    w = Window(report)
    done = subprocess.run(
        [_common.tool("py-spy"), "record", "--pid", str(pid), "--gil", "--threads", "-r", str(rate),
         "-d", f"{seconds:g}", "-f", "raw", "-o", out_file],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    window = w.end()
    hog = total = 0
    if os.path.exists(out_file):
        with open(out_file) as f:
            for line in f:
                stack, _, count = line.rstrip().rpartition(" ")
                if not count.isdigit():
                    continue
                total += int(count)
                if re.search(r"\bburst \(", stack) or re.search(r"\bhog \(", stack):
                    hog += int(count)
    span = window["t1"] - window["t0"]
    own = burst_seconds(window["data"], window["t0"], window["t1"])
    share = hog / (rate * seconds)  # samples of the hog holding the GIL per sample expected
    return {
        **{k: window[k] for k in ("t0", "t1", "crunch_per_s")},
        "rc": done.returncode,
        "samples_gil": total,
        "hog_samples": hog,
        "hog_share": share,
        "hog_own_share": own / span,
        "hold_ratio": share / (own / span) if own else None,
        "stderr_tail": done.stderr[-300:],
    }


def pfp_attempt(python: str, folder: str) -> dict:
    """One PyFlightProfiler gilstat on a target run by its venv's python: what it prints."""
    cli = os.path.join(os.path.dirname(python), "flight_profiler")
    proc, report = start(python, folder)
    try:
        run = subprocess.Popen(
            [cli, str(proc.pid), "--cmd", "gilstat on 1000 1000 2 100", "--no-color"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            out, _ = run.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGINT)
            try:
                out, _ = run.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(run.pid, signal.SIGKILL)
                out, _ = run.communicate()
        alive = proc.poll() is None
        works = "gil statistics report" in out
        return {"python": python, "works": works, "target_alive": alive, "output_tail": out[-1500:]}
    finally:
        _common.kill_target(proc)


def median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", action="append", help="target interpreter (repeatable); default pyenv 3.12.1")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--window", type=float, default=4.0)
    ap.add_argument("--only-micro", action="store_true", help="only the cost per GIL transition")
    ap.add_argument("--pfp-python", action="append", default=[], help="a PFP venv's python (bench/pfp_env.py)")
    args = ap.parse_args()
    _common.install_cleanup()
    folder = tempfile.mkdtemp(prefix="bench-gilstat-")
    throughput = os.path.join(folder, "throughput.py")
    with open(throughput, "w") as f:
        f.write(THROUGHPUT)
    pythons = args.python or [_common.pyenv_python("3.12.1")]
    results: dict = {"window_s": args.window, "runs": args.runs, "targets": {}, "pfp": []}
    for python in pythons:
        version = _common.python_version(python)
        rows: list = []
        for run in range(0 if args.only_micro else args.runs):
            row: dict = {"run": run}
            # accuracy, on the target whose GIL use is known
            proc, report = start(python, folder)
            try:
                subprocess.run([_common.tool("flight_profiler"), str(proc.pid), "--cmd", "stack"],
                               capture_output=True, timeout=60)  # fmt: skip
                time.sleep(1.0)
                row["ours"] = ours(proc.pid, report, args.window)
                row["spy"] = pyspy(proc.pid, report, args.window, folder)
            finally:
                _common.kill_target(proc)
            # throughput cost, on the contended target
            proc, report = start(python, folder, throughput)
            try:
                subprocess.run([_common.tool("flight_profiler"), str(proc.pid), "--cmd", "stack"],
                               capture_output=True, timeout=60)  # fmt: skip
                time.sleep(1.0)
                b1 = base(report, args.window)
                o = ours(proc.pid, report, args.window, accuracy=False)
                b2 = base(report, args.window)
                s = pyspy(proc.pid, report, args.window, folder)
                b3 = base(report, args.window)
                row["base"] = [b["crunch_per_s"] for b in (b1, b2, b3)]
                row["ours_cost"] = 1 - o["crunch_per_s"] / ((b1["crunch_per_s"] + b2["crunch_per_s"]) / 2)
                row["spy_cost"] = 1 - s["crunch_per_s"] / ((b2["crunch_per_s"] + b3["crunch_per_s"]) / 2)
                row["transitions_per_s"] = o["takes_per_s"]
                row["alive"] = proc.poll() is None
            finally:
                _common.kill_target(proc)
            rows.append(row)
            print(
                f"{version} run {run}: cost ours {row['ours_cost']:+.1%} py-spy {row['spy_cost']:+.1%} "
                f"({row['transitions_per_s']:.0f} GIL takes/s); hog hold ours/own {row['ours']['hold_ratio']:.3f}, "
                f"py-spy/own {row['spy']['hold_ratio'] or 0:.3f}; sleeper takes ours/own {row['ours']['takes_ratio']:.3f}",
                flush=True,
            )
        micro = [transition_cost(python, folder, args.window) for _ in range(args.runs)]
        for m in micro:
            print(f"{version}: ctypes call (GIL drop+take) CPU ns per call base {m['base_cpu_ns_per_call']:.0f}, "
                  f"gilstat on {m['ours_cpu_ns_per_call']:.0f} (+{m['added_ns_per_transition']:.0f})", flush=True)  # fmt: skip
        added = median([m["added_ns_per_transition"] for m in micro])
        takes = median([r["transitions_per_s"] for r in rows])
        summary = {
            "python": version,
            "added_ns_per_transition_median": added,
            "predicted_cost_at_contended_takes": added * takes / 1e9 if added is not None and takes else None,
            "ours_cost_median": median([r["ours_cost"] for r in rows]),
            "spy_cost_median": median([r["spy_cost"] for r in rows]),
            "ours_hold_ratio_median": median([r["ours"]["hold_ratio"] for r in rows]),
            "spy_hold_ratio_median": median([r["spy"]["hold_ratio"] for r in rows]),
            "ours_takes_ratio_median": median([r["ours"]["takes_ratio"] for r in rows]),
            "takes_per_s_median": median([r["transitions_per_s"] for r in rows]),
            "base_noise_pct": median([100 * statistics.pstdev(r["base"]) / statistics.mean(r["base"]) for r in rows]),
        }
        results["targets"][version] = {"summary": summary, "rows": rows, "micro": micro}
        print(json.dumps(summary, indent=1), flush=True)
    for python in args.pfp_python:
        attempt = pfp_attempt(python, folder)
        results["pfp"].append(attempt)
        print(f"PyFlightProfiler gilstat with {python}: works={attempt['works']}")
        print("  " + attempt["output_tail"].strip().replace("\n", "\n  ")[-800:])
    path = _common.write_results("gilstat", results)
    print("results:", path)
    _common.cleanup()


if __name__ == "__main__":
    main()
