"""`stack` of a target with 100 Python threads: ours (API, CLI) against py-spy dump.

    python bench/stack_100_threads.py [--runs N] [--python PATH]

One target (default CPython 3.12): the main thread and 96 threads blocked in Event.wait or
time.sleep at stack depths 0..24, plus 3 threads spinning in pure Python (100 Python threads).
Our agent is attached once before timing; then, interleaved, each run times:

  api            list(session.run_line("stack"))                 (agent already attached)
  cli            flight_profiler PID --cmd stack --json           (includes the CLI's startup)
  py-spy         py-spy dump --pid PID                            (stops the target while it reads)
  py-spy-nb      py-spy dump --pid PID --nonblocking              (reads without stopping it)

Every result is checked to hold the 100 threads (by name); a miss fails the benchmark (exit 1).
After the runs the agent is detached and the target's thread count is compared with its count
before the attach. Raw timings go to bench/results/stack_100_threads-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

import _common as c

N_THREADS = 100
N_BUSY = 3

TARGET = """\
import sys, threading, time

N_THREADS, N_BUSY = int(sys.argv[1]), int(sys.argv[2])
stop = threading.Event()


def nest(depth, fn):
    if depth <= 0:
        return fn()
    return nest(depth - 1, fn)


def wait_on_event():
    stop.wait()


def long_sleep():
    while not stop.is_set():
        time.sleep(3600)


def blocked(i):
    nest(i % 25, wait_on_event if i % 2 else long_sleep)


def spin():
    x = 0
    while not stop.is_set():
        for k in range(1000):
            x = (x * 31 + k) % 1000003


def busy(i):
    nest(3 * i, spin)


n_blocked = N_THREADS - 1 - N_BUSY  # the main thread is one of the N_THREADS
for i in range(n_blocked):
    threading.Thread(target=blocked, args=(i,), name="blocked-%d" % i, daemon=True).start()
for i in range(N_BUSY):
    threading.Thread(target=busy, args=(i,), name="busy-%d" % i, daemon=True).start()
print("ready", flush=True)
stop.wait()
"""

OUR_NAME = re.compile(r"^(MainThread|blocked-\d+|busy-\d+)$")
PYSPY_THREAD = re.compile(r'^Thread (0x[0-9A-Fa-f]+|\d+) \(([^)]*)\)(?:: "(.*)")?\s*$')


def count_records(records: list) -> tuple[int, int]:
    """(threads named like the target's, all threads) in our stack record."""
    for r in records:
        if r.get("kind") == "stack":
            names = [t.get("name") or "" for t in r.get("threads", [])]
            return sum(1 for n in names if OUR_NAME.match(n)), len(names)
    return 0, 0


def count_pyspy(text: str) -> tuple[int, int]:
    named = total = 0
    for line in text.splitlines():
        m = PYSPY_THREAD.match(line)
        if m:
            total += 1
            if OUR_NAME.match(m.group(3) or ""):
                named += 1
    return named, total


def run_api(session) -> tuple[float, int, int, str | None]:
    t0 = time.perf_counter()
    records = list(session.run_line("stack"))
    elapsed = time.perf_counter() - t0
    named, total = count_records(records)
    errors = [r for r in records if r.get("kind") == "error"]
    return elapsed, named, total, (f"error records: {errors!r:.300}" if errors else None)


def run_cmd(cmd: list) -> tuple[float, str, str | None]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - t0
    error = (
        None
        if done.returncode == 0
        else f"exit {done.returncode}: {done.stderr.strip()[-300:]} {done.stdout.strip()[-300:]}"
    )
    return elapsed, done.stdout, error


def run_cli(pid: int):
    elapsed, out, error = run_cmd([c.tool("flight_profiler"), str(pid), "--cmd", "stack", "--json"])
    records = []
    for line in out.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            error = error or f"not JSON: {line[:200]}"
    named, total = count_records(records)
    return elapsed, named, total, error


def run_pyspy(pid: int, nonblocking: bool):
    cmd = [c.tool("py-spy"), "dump", "--pid", str(pid)] + (["--nonblocking"] if nonblocking else [])
    elapsed, out, error = run_cmd(cmd)
    named, total = count_pyspy(out)
    return elapsed, named, total, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per method (default 20)")
    parser.add_argument("--python", default=c.pyenv_python("3.12.1"), help="target interpreter (default CPython 3.12)")
    parser.add_argument(
        "--busy", type=int, default=N_BUSY, help=f"CPU-busy threads among the {N_THREADS} (default {N_BUSY})"
    )
    parser.add_argument(
        "--methods", default="api,cli,py-spy,py-spy-nb", help="comma-separated subset of api,cli,py-spy,py-spy-nb"
    )
    args = parser.parse_args()
    methods = args.methods.split(",")

    from jupyterlab_flight.session import FlightSession

    c.install_cleanup()
    load_start = os.getloadavg()
    script = c.write_script("flight-bench-stack-", TARGET)
    tmpdir = os.path.dirname(script)
    version = c.python_version(args.python)

    raw = {m: [] for m in methods}
    problems = []
    failures = []
    leak = None
    try:
        proc = c.start_target(
            args.python, script, str(N_THREADS), str(args.busy), stderr_path=os.path.join(tmpdir, "target.err")
        )
        time.sleep(0.5)
        before = c.thread_count(proc.pid)
        print(
            f"stack of {N_THREADS} threads ({args.busy} busy), py{version}, pid {proc.pid} ({before} OS threads); {args.runs} runs"
        )
        t0 = time.perf_counter()
        session = FlightSession.open(proc.pid)
        attach_s = time.perf_counter() - t0
        c.track_session(session)
        print(f"  attached in {attach_s * 1000:.0f} ms (not part of the timings)")
        list(session.run_line("stack"))  # one untimed warm-up run
        for n in range(args.runs):
            order = methods[n % len(methods) :] + methods[: n % len(methods)]
            for method in order:
                try:
                    if method == "api":
                        elapsed, named, total, error = run_api(session)
                    elif method == "cli":
                        elapsed, named, total, error = run_cli(proc.pid)
                    else:
                        elapsed, named, total, error = run_pyspy(proc.pid, method == "py-spy-nb")
                except Exception as e:  # noqa: BLE001 - recorded and reported
                    elapsed, named, total, error = None, 0, 0, f"{type(e).__name__}: {e}"
                raw[method].append({"s": elapsed, "named_threads": named, "all_threads": total, "error": error})
                if error:
                    problems.append(f"{method} run {n}: {error}")
                if named != N_THREADS:
                    failures.append(
                        f"{method} run {n}: found {named} of the target's {N_THREADS} threads ({total} in all)"
                    )
            print(f"  run {n + 1}/{args.runs} done", flush=True)
        after_runs = c.thread_count(proc.pid)
        detach_error = c.detach_quietly(session)
        if detach_error:
            problems.append(f"detach: {detach_error}")
        deadline = time.monotonic() + 2.0
        while c.thread_count(proc.pid) != before and time.monotonic() < deadline:
            time.sleep(0.01)
        leak = {"before_attach": before, "attached_after_runs": after_runs, "after_detach": c.thread_count(proc.pid)}
        if leak["after_detach"] != before:
            problems.append(f"thread count {before} before attach, {leak['after_detach']} 2 s after detach")
        if proc.poll() is not None:
            problems.append("target died")
        c.kill_target(proc)
        err = c.target_stderr(proc).strip()
        if err:
            problems.append(f"target stderr: {err[-1000:]}")
    except KeyboardInterrupt:
        print("interrupted: cleaning up", file=sys.stderr)
        c.cleanup()
        return 130
    finally:
        c.cleanup()

    summaries = {}
    table = []
    for method in methods:
        ok = [t["s"] for t in raw[method] if t["s"] is not None and not t["error"] and t["named_threads"] == N_THREADS]
        summaries[method] = c.summary(ok)
        summaries[method]["failed"] = len(raw[method]) - len(ok)
        totals = sorted({t["all_threads"] for t in raw[method]})
        summaries[method]["threads_seen"] = totals
    api_median = summaries.get("api", {}).get("median")
    labels = {"api": "ours, API", "cli": "ours, CLI", "py-spy": "py-spy dump", "py-spy-nb": "py-spy dump --nonblocking"}
    for method in methods:
        s = summaries[method]
        extra = f"threads listed {s['threads_seen']}"
        if api_median and s.get("median") and method != "api":
            s["ratio_to_api"] = s["median"] / api_median
            extra = f"{s['ratio_to_api']:.1f}x ours/API  " + extra
        if s["failed"]:
            extra += f"  failed {s['failed']}"
        table.append((labels.get(method, method), s, extra))
    c.print_table(
        f"stack of {N_THREADS} threads ({args.busy} CPU-busy), py{version} (agent attached before timing)", table
    )
    path = c.write_results(
        "stack_100_threads",
        {"runs": args.runs, "loadavg_at_start": load_start, "python": version, "threads": N_THREADS, "busy": args.busy, "summaries": summaries,
         "raw": raw, "thread_counts": leak, "problems": problems, "failures": failures},
    )  # fmt: skip
    c.print_problems(problems)
    print(f"\nraw timings: {os.path.relpath(path, c.REPO)}")
    if failures:
        print(f"\nFAIL: {len(failures)} result(s) did not hold the target's {N_THREADS} threads:", file=sys.stderr)
        for f in failures[:20]:
            print("  " + f, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
