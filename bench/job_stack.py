"""A grouped `stack` of a whole job against `py-spy dump` over each of its processes.

    python bench/job_stack.py [--runs N] [--ranks 32] [--workers 2] [--python PATH]

The job: tests/targets/job_launcher.py starts 32 ranks as separate processes with torchrun's
environment, each forking 2 DataLoader-like workers (97 Python processes, all sleeping in 0.2 s
polls: idle-ish on a 2-core machine); rank 3 waits in ``load_batch``, the others in ``all_reduce``.
Interleaved, each run times:

  ours-cli       flight_profiler LAUNCHER --job --cmd stack --json   (finds the job, reads every
                 process with py-spy in parallel, 2 x cores at once, groups; includes CLI startup)
  ours-api       fanout.run_job(LAUNCHER, "stack")                   (the same, in this process)
  py-spy-each    py-spy dump --pid P for every pid of the job, one after another (pgrep | xargs)
  py-spy-par     the same, 4 at once (xargs -P 4)
  py-spy-sub     py-spy dump --pid LAUNCHER --subprocesses            (one command, raw text)

Each result is checked: ours must group the ranks into 31 + 1 and name rank 3 in load_batch; the
py-spy runs must print every process's stack. Memory: the peak RSS of the CLI process (ours) and
of one py-spy process (wait4's rusage). Output size: lines printed. Every process of the job is
killed at the end, also on failure. Raw timings go to bench/results/job_stack-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import _common as c

sys.path.insert(0, os.path.join(c.REPO, "server_ext"))
sys.path.insert(0, os.path.join(c.REPO, "agent"))

from jupyterlab_flight import fanout  # noqa: E402

TARGETS = os.path.join(c.REPO, "tests", "targets")


def run_measured(argv: list) -> tuple:
    """(seconds, peak RSS in KiB, stdout) of one command, its rusage from wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return time.perf_counter() - started, usage.ru_maxrss, out


def start_job(python: str, ranks: int, workers: int, straggler: int, folder: str):
    report = os.path.join(folder, "job.json")
    proc = subprocess.Popen(
        [python, os.path.join(TARGETS, "job_launcher.py"), report, str(ranks), str(workers), str(straggler)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    c.track_child(proc)
    line = proc.stdout.readline() if proc.stdout else ""
    if line.strip() != "READY":
        raise SystemExit(f"the job did not start: {line!r}")
    with open(report) as f:
        info = json.load(f)
    pids = [proc.pid]
    for rank in info["ranks"].values():
        pids.append(rank["pid"])
        pids.extend(rank["workers"])
    return proc, pids


def kill_all(pids: list) -> None:
    for pid in reversed(pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def check_ours(record: dict, ranks: int, straggler: int) -> str | None:
    groups = [g for g in record["groups"] if g["tier"] == "rank"]
    if [g["count"] for g in groups] != [1, ranks - 1] or groups[0]["ranks"] != [straggler]:
        return f"ranks grouped as {[(g['count'], g['ranks']) for g in groups]}"
    if groups[0]["stack"][-1]["function"] != "load_batch":
        return f"the straggler is in {groups[0]['stack'][-1]['function']}"
    bad = [p for p in record["processes"] if p["status"] != "ok"]
    return f"{len(bad)} processes not read: {bad[:2]}" if bad else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ranks", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--python", default=c.pyenv_python("3.12.1"))
    args = parser.parse_args()
    c.install_cleanup()
    straggler = 3 % args.ranks
    py_spy, cli = c.tool("py-spy"), c.tool("flight_profiler")
    folder = c.make_tempdir("job-stack-")
    pids: list = []
    timings: dict = {k: [] for k in ("ours-cli", "ours-api", "py-spy-each", "py-spy-par", "py-spy-sub")}
    memory: dict = {"ours-cli": [], "py-spy": []}
    lines: dict = {}
    problems: list = []
    try:
        proc, pids = start_job(args.python, args.ranks, args.workers, straggler, folder)
        time.sleep(1.0)  # every worker in its loop
        for run in range(args.runs):
            seconds, rss, out = run_measured([cli, str(proc.pid), "--job", "--cmd", "stack", "--json"])
            record = json.loads(out.splitlines()[-1])
            problem = check_ours(record, args.ranks, straggler)
            if problem:
                problems.append(f"ours-cli run {run}: {problem}")
            timings["ours-cli"].append(seconds)
            memory["ours-cli"].append(rss)
            text = subprocess.run(
                [cli, str(proc.pid), "--job", "--cmd", "stack"], capture_output=True, text=True
            ).stdout
            lines["ours"] = len(text.splitlines())
            lines["ours-summary"] = len([x for x in text.splitlines()[1:4] if x])

            started = time.perf_counter()
            record = fanout.run_job(proc.pid, "stack")
            timings["ours-api"].append(time.perf_counter() - started)
            problem = check_ours(record, args.ranks, straggler)
            if problem:
                problems.append(f"ours-api run {run}: {problem}")

            started = time.perf_counter()
            total, peak = 0, 0
            for pid in pids:
                _, rss, out = run_measured([py_spy, "dump", "--pid", str(pid)])
                peak = max(peak, rss)
                total += len(out.splitlines())
                if f"Process {pid}" not in out:
                    problems.append(f"py-spy-each run {run}: no stack of {pid}")
            timings["py-spy-each"].append(time.perf_counter() - started)
            memory["py-spy"].append(peak)
            lines["py-spy-each"] = total

            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                outs = list(pool.map(lambda p: run_measured([py_spy, "dump", "--pid", str(p)])[2], pids))
            timings["py-spy-par"].append(time.perf_counter() - started)
            missing = [p for p, out in zip(pids, outs) if f"Process {p}" not in out]
            if missing:
                problems.append(f"py-spy-par run {run}: no stack of {missing[:3]}")

            seconds, rss, out = run_measured([py_spy, "dump", "--pid", str(proc.pid), "--subprocesses"])
            timings["py-spy-sub"].append(seconds)
            lines["py-spy-sub"] = len(out.splitlines())
            found = sum(1 for p in pids if f"Process {p}" in out)
            if found != len(pids):
                problems.append(f"py-spy-sub run {run}: {found} of {len(pids)} processes")
    finally:
        kill_all(pids)
        c.cleanup()
    summaries = {k: c.summary(v) for k, v in timings.items()}
    base = summaries["py-spy-each"].get("median")
    rows = []
    for name, s in summaries.items():
        ratio = f"{s['median'] / base:.2f}x py-spy-each" if s.get("n") and base else ""
        rows.append((name, s, ratio))
    c.print_table(
        f"stack of a job: {len(pids)} processes ({args.ranks} ranks x {args.workers} workers + launcher)", rows
    )
    peak_ours = max(memory["ours-cli"]) if memory["ours-cli"] else None
    peak_spy = max(memory["py-spy"]) if memory["py-spy"] else None
    print(f"\npeak RSS: ours-cli {peak_ours} KiB (one process, its py-spy children apart); one py-spy {peak_spy} KiB")
    print(f"lines printed: {lines}")
    path = c.write_results(
        "job_stack",
        {
            "processes": len(pids),
            "ranks": args.ranks,
            "workers": args.workers,
            "python": c.python_version(args.python),
            "timings_s": timings,
            "summaries_ms": summaries,
            "peak_rss_kib": {"ours-cli": peak_ours, "py-spy": peak_spy},
            "lines": lines,
            "problems": problems,
        },
    )
    print(f"raw results: {path}")
    c.print_problems(problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
