"""perf side by side, in one run: ours against `py-spy record` alone and PyFlightProfiler 1.0.7's perf.

    python bench/perf_overhead.py [--rounds 3] [--window-s 4] [--no-pfp] [--quick]

One CPU-bound target per round (its main thread runs a pure-Python unit of work in a loop and
counts units; three idle threads; a reporter thread writes the count, CLOCK_MONOTONIC and the
process's CPU time every 0.1 s). It runs with the interpreter of PyFlightProfiler's own venv
(bench/pfp_env.py makes it: PFP needs its target in its environment; ours and py-spy read any).
Each round, on the same target, one after the other:

  base      unobserved
  ours      flight_profiler PID --cmd "perf -d D" --json   (100 Hz; live profile records)
  py-spy    py-spy record -p PID -r 100 -d D -o out.svg    (its default flame graph)
  base      unobserved again
  pfp       PFP's flight_profiler PID --cmd "perf -d D -f out.svg"  (last: PFP's agent stays in)

Measured per observed phase, over the --window-s seconds from 0.3 s after sampling began (ours:
its first message; py-spy: "Sampling process"; PFP: its "Press Control-C", py-spy starts then):

  slowdown      1 - units/s observed / units/s of the round's two unobserved windows (wall)
  cpu/unit      the target's CPU time per unit, against the unobserved windows (ptrace pauses
                do not show here; scheduler noise does not either)
  first picture seconds from launching the tool to the first flame graph one can look at
                (ours: the first live profile record; the others: their SVG file, at the end)
  result        bytes of the result: ours the final profile record (JSON), the others their SVG
  tool cpu      CPU seconds of the tool and its children (ours: the CLI and every py-spy chunk)

Medians over the rounds are printed as a table; the raw windows go to
bench/results/perf_overhead-<time>.json. A round takes about 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time

import _common as c
import pfp_env

RATE = 100
SETTLE_S = 0.3
TARGET = r"""
import sys, threading, time

REPORT = sys.argv[1]
count = 0


def unit():
    total = 0
    for i in range(2000):
        total += i * i
    return total


def idle():
    while True:
        time.sleep(1)


def reporter():
    with open(REPORT, "w", buffering=1) as f:
        while True:
            f.write(f"{time.monotonic():.4f} {count} {time.process_time():.4f}\n")
            time.sleep(0.1)


for i in range(3):
    threading.Thread(target=idle, name=f"idle-{i}", daemon=True).start()
threading.Thread(target=reporter, name="reporter", daemon=True).start()
time.sleep(0.3)
print("ready", flush=True)
while True:
    unit()
    count += 1
"""


def read_report(path: str) -> list[tuple[float, float, float]]:
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                rows.append((float(parts[0]), float(parts[1]), float(parts[2])))
    return rows


def at(rows: list, t: float) -> tuple[float, float]:
    """(count, cpu) at time t, interpolated between the reports around it."""
    for (t0, n0, c0), (t1, n1, c1) in zip(rows, rows[1:]):
        if t0 <= t <= t1:
            k = (t - t0) / (t1 - t0) if t1 > t0 else 0.0
            return n0 + k * (n1 - n0), c0 + k * (c1 - c0)
    raise ValueError(f"no report around t={t:.2f} ({rows[0][0]:.2f}..{rows[-1][0]:.2f})")


def window(report: str, start: float, seconds: float) -> dict:
    deadline = time.monotonic() + 5
    while True:
        rows = read_report(report)
        if rows and rows[-1][0] >= start + seconds:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the target stopped reporting")
        time.sleep(0.05)
    n0, c0 = at(rows, start)
    n1, c1 = at(rows, start + seconds)
    units = n1 - n0
    return {"units_per_s": units / seconds, "cpu_per_unit_us": 1e6 * (c1 - c0) / units if units else None}


class Watched:
    """A tool's process, its output lines timestamped as they come."""

    def __init__(self, argv: list[str], env: dict | None = None):
        self.launched = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        c.track_child(self.proc)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def first(self, predicate, timeout: float = 60.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, line in list(self.lines):
                if predicate(line):
                    return t
            if self.proc.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.01)
        raise RuntimeError(f"{self.proc.args[0]}: expected output never came: {[text for _, text in self.lines][-5:]}")

    def wait(self, timeout: float = 120.0) -> float:
        self.proc.wait(timeout)
        self._reader.join(5)
        return time.monotonic()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(pid: int, report: str, seconds: float, duration: int) -> dict:
    cpu0 = children_cpu()
    w = Watched([sys.executable, "-m", "jupyterlab_flight.cli", str(pid), "--cmd", f"perf -d {duration}", "--json"])
    started = w.first(lambda line: '"kind": "message"' in line)
    picture = w.first(lambda line: '"kind": "profile"' in line)
    measured = window(report, started + SETTLE_S, seconds)
    ended = w.wait()
    records = [json.loads(line) for _, line in w.lines if line.startswith("{")]
    final = [r for r in records if r["kind"] == "profile"][-1]
    live = [r for r in records if r["kind"] == "profile" and r.get("live")]
    return dict(
        measured,
        first_picture_s=picture - w.launched,
        total_s=ended - w.launched,
        result_bytes=len(json.dumps(final)),
        live_records=len(live),
        lost_s=final["lost_s"],
        achieved_rate=final["achieved_rate"],
        tool_cpu_s=children_cpu() - cpu0,
        rc=w.proc.returncode,
    )


def run_pyspy(pid: int, report: str, seconds: float, duration: int, out: str) -> dict:
    cpu0 = children_cpu()
    w = Watched([c.tool("py-spy"), "record", "-p", str(pid), "-r", str(RATE), "-d", str(duration), "-o", out])
    started = w.first(lambda line: "Sampling process" in line)
    measured = window(report, started + SETTLE_S, seconds)
    ended = w.wait()
    return dict(
        measured,
        first_picture_s=ended - w.launched,
        total_s=ended - w.launched,
        result_bytes=os.path.getsize(out) if os.path.exists(out) else None,
        tool_cpu_s=children_cpu() - cpu0,
        rc=w.proc.returncode,
    )


def run_pfp(pid: int, report: str, seconds: float, duration: int, out: str, series: str) -> dict:
    cpu0 = children_cpu()
    env = dict(os.environ, PATH=os.path.dirname(pfp_env.venv_cli(series)) + os.pathsep + os.environ.get("PATH", ""))
    argv = [pfp_env.venv_cli(series), str(pid), "--cmd", f"perf -d {duration} -f {out}", "--no-color"]
    w = Watched(argv, env=env)
    started = w.first(lambda line: "Press Control-C" in line)
    measured = window(report, started + SETTLE_S, seconds)
    ended = w.wait()
    return dict(
        measured,
        first_picture_s=ended - w.launched,
        total_s=ended - w.launched,
        result_bytes=os.path.getsize(out) if os.path.exists(out) else None,
        tool_cpu_s=children_cpu() - cpu0,
        rc=w.proc.returncode,
    )


def relative(observed: dict, bases: list[dict]) -> dict:
    rate = statistics.mean(b["units_per_s"] for b in bases)
    cpus = [b["cpu_per_unit_us"] for b in bases if b["cpu_per_unit_us"]]
    cpu = statistics.mean(cpus) if cpus else None
    out = dict(observed, slowdown_pct=100.0 * (1 - observed["units_per_s"] / rate))
    if cpu and observed.get("cpu_per_unit_us"):
        out["cpu_per_unit_pct"] = 100.0 * (observed["cpu_per_unit_us"] / cpu - 1)
    return out


def median(rows: list[dict], key: str) -> float | None:
    values = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(values) if values else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--window-s", type=float, default=4.0)
    ap.add_argument("--series", default="3.12", help="the target's Python (PFP's venv of that series)")
    ap.add_argument("--no-pfp", action="store_true", help="leave PyFlightProfiler out")
    ap.add_argument("--quick", action="store_true", help="one round of 2 s windows")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.window_s = 1, 2.0
    c.install_cleanup()
    use_pfp = not args.no_pfp
    if use_pfp:
        python = pfp_env.ensure(args.series)
    else:
        python = pfp_env.find_python(args.series)
    duration = int(args.window_s + SETTLE_S + 1)  # py-spy and PFP take whole seconds
    script = c.write_script("perf-bench-", TARGET)
    folder = os.path.dirname(script)
    tools = ["ours", "py-spy", *(["pfp"] if use_pfp else [])]
    results: dict[str, list] = {name: [] for name in tools}
    bases: list[dict] = []
    problems: list[str] = []
    for r in range(args.rounds):
        report = os.path.join(folder, f"report-{r}.txt")
        proc = c.start_target(python, script, report, stderr_path=os.path.join(folder, f"stderr-{r}.txt"))
        pid = proc.pid
        try:
            time.sleep(0.5)
            base1 = window(report, time.monotonic(), args.window_s)
            ours = run_ours(pid, report, args.window_s, duration)
            spy = run_pyspy(pid, report, args.window_s, duration, os.path.join(folder, f"pyspy-{r}.svg"))
            base2 = window(report, time.monotonic(), args.window_s)
            round_bases = [base1, base2]
            bases += round_bases
            results["ours"].append(relative(ours, round_bases))
            results["py-spy"].append(relative(spy, round_bases))
            if use_pfp:
                pfp = run_pfp(pid, report, args.window_s, duration, os.path.join(folder, f"pfp-{r}.svg"), args.series)
                results["pfp"].append(relative(pfp, round_bases))
            for name in tools:
                if results[name][-1]["rc"] != 0:
                    problems.append(f"round {r}: {name} exited {results[name][-1]['rc']}")
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{name} {results[name][-1]['slowdown_pct']:+.1f}%" for name in tools), flush=True)  # fmt: skip
        finally:
            c.kill_target(proc)
    rates = [b["units_per_s"] for b in bases]
    noise = 100 * statistics.pstdev(rates) / statistics.mean(rates) if len(rates) > 1 else 0.0
    machine = c.machine_info()
    print()
    print(
        f"perf side by side: {args.rounds} rounds, {args.window_s:g} s windows at {RATE} Hz, target Python "
        f"{c.python_version(python)}, {machine.get('cpu', '?')} x{machine.get('nproc')}, "
        f"load {machine['loadavg_at_end'][0]:.1f}; unobserved windows vary by {noise:.1f}% (stdev)"
    )
    header = f"{'tool':8} {'slowdown':>9} {'cpu/unit':>9} {'1st picture':>12} {'result':>10} {'tool cpu':>9}  notes"
    print(header)
    print("-" * len(header))
    for name in tools:
        rows = results[name]
        slow, cpu = median(rows, "slowdown_pct"), median(rows, "cpu_per_unit_pct")
        first, size, tool_cpu = (
            median(rows, "first_picture_s"),
            median(rows, "result_bytes"),
            median(rows, "tool_cpu_s"),
        )
        notes = ""
        if name == "ours":
            notes = (
                f"{median(rows, 'live_records'):.0f} live records, lost {median(rows, 'lost_s'):.2f} s, "
                f"{median(rows, 'achieved_rate'):.0f} Hz achieved"
            )
        elif name == "pfp":
            notes = "attaches its agent first; an SVG at the end"
        else:
            notes = "an SVG at the end"
        print(
            f"{name:8} {slow:+8.1f}% {(cpu if cpu is not None else float('nan')):+8.1f}% {first:11.2f}s "
            f"{size / 1024:8.1f}KB {tool_cpu:8.2f}s  {notes}"
        )
    c.print_problems(problems)
    path = c.write_results(
        "perf_overhead",
        {
            "rate": RATE,
            "window_s": args.window_s,
            "duration": duration,
            "bases": bases,
            "results": results,
            "noise_pct": noise,
        },
    )
    print(f"\nraw: {path}")


if __name__ == "__main__":
    main()
