"""One command on every process of a job, in parallel, and the results grouped (the ``job`` record).

``run_job(pid, line)`` finds the job of ``pid`` (jobs.py), runs the command on each of its Python
processes with bounded concurrency under one shared deadline, and returns one ``job`` record.
Every process has a status, none is dropped: ``ok``, ``timeout`` (the deadline passed first),
``denied`` (no permission to read or attach), ``not_python``, ``gone`` (it exited, or its pid is
now another process: checked by start time), ``error`` (with the reason).

``stack`` is read from outside with ``py-spy dump`` (one short subprocess per process, in parallel;
pystack where py-spy is missing): nothing is injected and a wedged rank (a GIL held in C, a
deadlocked agent) is read as well as a healthy one. Other commands attach to each process and run
there (``FlightSession``), one connection per process, closed after.

Grouping (STAT's equivalence classes): processes whose main threads have the same stack
(function and file of each frame, outermost first; ``by="line"`` also compares lines) form one
group, with its pids, its ranks (when its members are ranks), its labels and the stack of its
first member. Processes are compared within their tier (ranks with ranks, workers with workers,
the rest together); within a tier the largest group is the majority, and every other group's
``diverges_at`` is the index of its first frame that differs from the majority's stack. Groups
are ordered smallest first. With ``samples`` > 1 the stacks are read that many times, ``interval``
apart; a process whose stacks differ between samples is ``moving``, one whose stack never
changes is not (a hung rank), and it is grouped by its last sample.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from . import jobs
from .attach.process import start_time
from .errors import FlightError, PermissionDenied, TargetNotFound, TimedOut, UnsupportedTarget

DEFAULT_TIMEOUT_S = 10.0
TIERS = ("rank", "worker", "other")


def default_concurrency() -> int:
    return max(2, 2 * (os.cpu_count() or 1))


def _py_spy() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    import sys

    beside = os.path.join(os.path.dirname(sys.executable), "py-spy")  # the venv's, not on PATH
    return beside if os.path.exists(beside) else None


def _status_of_text(text: str) -> str:
    lowered = text.lower()
    if "permission" in lowered or "operation not permitted" in lowered:
        return "denied"
    if "python version" in lowered or "python interpreter" in lowered or "not a python" in lowered:
        return "not_python"
    if "no such process" in lowered or "check that the process is running" in lowered:
        return "gone"
    return "error"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("Stack backtrace"):
            return line[:300]
    return text.strip()[:300]


def _spy_stack(pid: int, deadline: float, py_spy: str) -> dict:
    """One process's threads read by ``py-spy dump --json``: {"status", "threads", ...}."""
    left = deadline - time.monotonic()
    if left <= 0:
        return {"status": "timeout", "reason": "the deadline passed before its turn"}
    try:
        done = subprocess.run(
            [py_spy, "dump", "--pid", str(pid), "--json"], capture_output=True, text=True, timeout=left
        )
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "reason": "py-spy did not answer before the deadline"}
    except OSError as e:
        return {"status": "error", "reason": f"cannot run py-spy: {e}"}
    if done.returncode != 0:
        text = done.stderr or done.stdout
        return {"status": _status_of_text(text), "reason": _first_line(text)}
    try:
        raw = json.loads(done.stdout)
    except ValueError:
        return {"status": "error", "reason": "py-spy printed no JSON"}
    threads = []
    for t in raw:
        frames = [
            {"function": f.get("name"), "file": f.get("filename"), "line": f.get("line")}
            for f in reversed(t.get("frames") or [])  # py-spy: innermost first
        ]
        threads.append(
            {
                "native_id": t.get("os_thread_id"),
                "name": t.get("thread_name"),
                "main": t.get("os_thread_id") == pid,
                "gil": bool(t.get("owns_gil")),
                "active": bool(t.get("active")),
                "frames": frames,
            }
        )
    return {"status": "ok", "source": "py-spy", "threads": threads}


def _pystack_stack(pid: int, deadline: float) -> dict:
    from .outside import read_stack

    if deadline - time.monotonic() <= 0:
        return {"status": "timeout", "reason": "the deadline passed before its turn"}
    try:
        record = read_stack(pid, native=False)
    except FlightError as e:
        return {"status": _status_of_error(e), "reason": e.message}
    return {"status": "ok", "source": "pystack", "threads": record.get("threads", [])}


def _status_of_error(e: Exception) -> str:
    if isinstance(e, PermissionDenied):
        return "denied"
    if isinstance(e, UnsupportedTarget):
        return "not_python"
    if isinstance(e, TargetNotFound):
        return "gone"
    if isinstance(e, TimedOut):
        return "timeout"
    return "error"


def _agent_command(pid: int, line: str, deadline: float) -> dict:
    """Any other command: attach, run it, collect its records, close the connection."""
    from .commands import parse_command
    from .session import FlightSession

    left = deadline - time.monotonic()
    if left <= 0:
        return {"status": "timeout", "reason": "the deadline passed before its turn"}
    session = FlightSession(pid)
    records: list = []
    try:
        command = parse_command(line)
        session.run_interruptible(command, records.append, timeout=left)
    except FlightError as e:
        return {"status": _status_of_error(e), "reason": e.message, "records": records}
    finally:
        session.close()
    errors = [r for r in records if r.get("kind") == "error"]
    if errors:
        return {"status": "error", "reason": errors[0].get("message", "error"), "records": records}
    return {"status": "ok", "source": "agent", "records": records}


def main_stack(result: dict) -> list:
    """The frames of a result's main thread (or its first thread), outermost first."""
    threads = result.get("threads") or []
    for t in threads:
        if t.get("main"):
            return t.get("frames") or []
    return (threads[0].get("frames") or []) if threads else []


def _signature(frames: list, by: str) -> tuple:
    if by == "line":
        return tuple((f.get("function"), f.get("file"), f.get("line")) for f in frames)
    return tuple((f.get("function"), f.get("file")) for f in frames)


def _tier(process: dict) -> str:
    role = process.get("role")
    return role if role in ("rank", "worker") else "other"


def group(processes: list, by: str = "function") -> list:
    """The groups of a job record from its processes (each with ``status`` and ``stack``)."""
    groups: list = []
    for tier in TIERS:
        members = [p for p in processes if _tier(p) == tier]
        if not members:
            continue
        classes: dict = {}
        for p in members:
            key = ("stack", _signature(p["stack"], by)) if p["status"] == "ok" else ("status", p["status"])
            classes.setdefault(key, []).append(p)
        stacked = [k for k in classes if k[0] == "stack"]
        majority = (
            max(stacked, key=lambda k: (len(classes[k]), -min(p["pid"] for p in classes[k]))) if stacked else None
        )
        majority_sig = majority[1] if majority is not None else ()
        tier_groups = []
        for key, ps in classes.items():
            ps = sorted(ps, key=lambda p: (p["rank"] if p.get("rank") is not None else 1 << 30, p["pid"]))
            ranks = [p["rank"] for p in ps if p.get("role") == "rank" and p.get("rank") is not None]
            entry: dict = {
                "tier": tier,
                "count": len(ps),
                "pids": [p["pid"] for p in ps],
                "ranks": ranks if tier == "rank" else None,
                "labels": [p["label"] for p in ps],
                "status": key[1] if key[0] == "status" else "ok",
                "stack": ps[0]["stack"] if key[0] == "stack" else [],
                "majority": key == majority,
                "diverges_at": None,
            }
            if key[0] == "status":
                entry["reason"] = ps[0].get("reason")
            if key[0] == "stack" and key != majority:
                sig = key[1]
                common = 0
                while common < len(sig) and common < len(majority_sig) and sig[common] == majority_sig[common]:
                    common += 1
                entry["diverges_at"] = common if common < len(entry["stack"]) else max(len(entry["stack"]) - 1, 0)
            moving = [p.get("moving") for p in ps if p.get("moving") is not None]
            if moving:
                entry["moving"] = [p["pid"] for p in ps if p.get("moving")]
            tier_groups.append(entry)
        tier_groups.sort(key=lambda g: (g["count"], g["pids"][0]))
        groups.extend(tier_groups)
    return groups


def run_job(
    pid: int,
    line: str = "stack",
    timeout: float = DEFAULT_TIMEOUT_S,
    concurrency: int | None = None,
    samples: int = 1,
    interval: float = 0.5,
    ranks_only: bool = False,
    by: str = "function",
    job: dict | None = None,
) -> dict:
    """The ``job`` record of ``line`` run on every process of the job of ``pid``."""
    started = time.monotonic()
    deadline = started + timeout
    job = jobs.find_job(pid) if job is None else job
    members = jobs.job_members(job, ranks_only=ranks_only)
    outside = line.split() == ["stack"]  # options (-a, --native) are the agent's or pystack's, per process
    py_spy = _py_spy() if outside else None
    limit = max(1, concurrency or default_concurrency())

    def one(process: dict) -> dict:
        if start_time(process["pid"]) != process["start_time"]:
            return {"status": "gone", "reason": "the process exited (or its pid is another process now)"}
        if not outside:
            return _agent_command(process["pid"], line, deadline)
        if py_spy is not None:
            return _spy_stack(process["pid"], deadline, py_spy)
        return _pystack_stack(process["pid"], deadline)

    results: dict = {p["key"]: [] for p in members}
    pool = ThreadPoolExecutor(max_workers=min(limit, max(1, len(members))))
    try:
        for sample in range(max(1, samples)):
            if sample:
                wait = min(interval, deadline - time.monotonic())
                if wait <= 0:
                    break
                time.sleep(wait)
            futures = {p["key"]: pool.submit(one, p) for p in members}
            for key, future in futures.items():
                left = deadline - time.monotonic()
                try:
                    results[key].append(future.result(timeout=max(left, 0.0)))
                except Exception as e:  # the deadline (or a bug of ours): said, not dropped
                    timed_out = not future.done()
                    future.cancel()
                    results[key].append(
                        {"status": "timeout", "reason": "no answer before the deadline"}
                        if timed_out
                        else {"status": "error", "reason": f"{type(e).__name__}: {e}"}
                    )
    finally:
        pool.shutdown(wait=False, cancel_futures=True)

    processes = []
    for p in job["processes"]:
        entry = {k: p[k] for k in ("pid", "ppid", "start_time", "depth", "parent", "role", "label", "rank", "cmdline")}
        entry["python"] = p["python"]
        if p["key"] not in results:
            entry.update(status="skipped" if p["python"] else "not_python", stack=[])
            entry["reason"] = "not Python" if not p["python"] else "not selected (ranks only)"
            processes.append(entry)
            continue
        taken = results[p["key"]]
        last = next((r for r in reversed(taken) if r["status"] == "ok"), taken[-1])
        entry["status"] = last["status"]
        if last.get("reason"):
            entry["reason"] = last["reason"]
        if last.get("source"):
            entry["source"] = last["source"]
        entry["stack"] = main_stack(last) if last["status"] == "ok" else []
        if "records" in last:
            entry["records"] = last["records"]
        if last["status"] == "ok" and "threads" in last:
            entry["threads"] = len(last["threads"])
        ok_samples = [_signature(main_stack(r), "line") for r in taken if r["status"] == "ok" and "threads" in r]
        if len(ok_samples) > 1:
            entry["moving"] = len(set(ok_samples)) > 1
        processes.append(entry)
    in_command = [p for p in processes if p["status"] != "skipped" and p["python"]]
    groups = group(in_command, by) if outside else []
    return {
        "v": 1,
        "kind": "job",
        "pid": pid,
        "root": job["root"],
        "command": line,
        "samples": max(1, samples),
        "by": by,
        "elapsed_ms": round((time.monotonic() - started) * 1000.0, 1),
        "processes": processes,
        "groups": groups,
    }


def list_job(pid: int) -> dict:
    """The job of ``pid`` as a ``job`` record with no command: its processes, labelled, as a tree."""
    started = time.monotonic()
    job = jobs.find_job(pid)
    processes = []
    for p in job["processes"]:
        entry = {k: p[k] for k in ("pid", "ppid", "start_time", "depth", "parent", "role", "label", "rank", "cmdline")}
        entry.update(python=p["python"], status="listed")
        processes.append(entry)
    return {
        "v": 1,
        "kind": "job",
        "pid": pid,
        "root": job["root"],
        "command": "",
        "samples": 1,
        "by": "function",
        "elapsed_ms": round((time.monotonic() - started) * 1000.0, 1),
        "processes": processes,
        "groups": [],
    }
