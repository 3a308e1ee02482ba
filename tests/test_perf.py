"""perf end to end: py-spy from outside against real targets, no agent, every sample kept.

The target's main thread runs a() and b(), which do the same pure-Python work 1:3, and it times
them itself; a worker thread runs a little work of its own. py-spy's shares must be within 5
points of the target's own split. Nothing may be injected, and no py-spy may outlive a run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import Target, flight, flight_json, interpreter
from jupyterlab_flight.client import agent_paths
from jupyterlab_flight.commands import parse_command
from jupyterlab_flight.perf.aggregate import Aggregate
from jupyterlab_flight.perf.frames import parse_line
from jupyterlab_flight.session import FlightSession

SPLIT_TARGET = r"""
import json, os, sys, threading, time

def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def a():
    return work(4000)

def b():
    return work(12000)

def worker_loop():
    while True:
        work(20000)
        time.sleep(0.01)

def idle_loop():
    while True:
        time.sleep(1)

for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 0):
    threading.Thread(target=idle_loop, name=f"idle-{i}", daemon=True).start()
threading.Thread(target=worker_loop, name="worker", daemon=True).start()
exit_after = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
spent = {"a": 0.0, "b": 0.0, "a_cpu": 0.0, "b_cpu": 0.0}
report, last = sys.argv[1], 0.0
print("READY", flush=True)
start = time.perf_counter()
while True:
    t0, c0 = time.perf_counter(), time.thread_time()
    a()
    t1, c1 = time.perf_counter(), time.thread_time()
    b()
    t2, c2 = time.perf_counter(), time.thread_time()
    spent["a"] += t1 - t0
    spent["b"] += t2 - t1
    spent["a_cpu"] += c1 - c0
    spent["b_cpu"] += c2 - c1
    if t2 - last > 0.02:
        with open(report + ".tmp", "w") as f:
            json.dump(spent, f)
        os.replace(report + ".tmp", report)
        last = t2
    if exit_after and t2 - start > exit_after:
        break
"""


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    path = tmp_path_factory.mktemp("perf") / "split.py"
    path.write_text(SPLIT_TARGET)
    return str(path)


def start(version: str, script: str, tmp_path, *args: str) -> Target:
    return Target(version, script, tmp_path, *args)


def pyspy_processes(pid: int) -> list[str]:
    """py-spy processes sampling pid (ours would say -p PID)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"py-spy") and str(pid).encode() in argv:
            found.append(f"{entry}: {b' '.join(argv).decode()}")
    return found


def assert_nothing_left(pid: int) -> None:
    deadline = time.monotonic() + 5
    while pyspy_processes(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pyspy_processes(pid), pyspy_processes(pid)


def node_at(root: dict, *functions: str) -> dict | None:
    """The first node down the path whose functions are these (skipping frames not named)."""
    node = root
    for name in functions:
        work = list(node["children"])
        while work:
            candidate = work.pop(0)
            if candidate["function"] == name:
                node = candidate
                break
            work.extend(candidate["children"])
        else:
            return None
    return node


def kinds(records: list) -> list:
    return [r["kind"] for r in records]


def no_agent(target: Target) -> None:
    with open(f"/proc/{target.pid}/maps") as f:
        assert "libflight_boot" not in f.read()
    assert not os.path.exists(agent_paths(os.geteuid(), target.pid)["socket"])


def cpu_share(before: dict, after: dict) -> float:
    """a's share of the main thread's CPU time between two of the target's reports."""
    a = after["a_cpu"] - before["a_cpu"]
    b = after["b_cpu"] - before["b_cpu"]
    return 100 * a / (a + b)


def profile_with_truth(target: Target, line: str) -> tuple[list, float]:
    """Run perf in-process; the target's own CPU split over the window that was sampled (its
    reports come every 20 ms: at the first record, which follows the first sample, and at the
    final profile, which follows the last)."""
    records, marks = [], {}
    for record in FlightSession(target.pid).run_line(line):
        if not marks:
            marks["first"] = target.report()
        if record["kind"] == "profile" and not record["live"]:
            marks["last"] = target.report()
        records.append(record)
    return records, cpu_share(marks["first"], marks["last"])


@pytest.mark.parametrize("version", ["3.9", "3.13"])
def test_shares_threads_and_the_stream(version, script, tmp_path):
    """Each function's share of the main thread's samples is within 5 points of the target's
    own CPU-time split (1:3 by construction). On this shared 2-core VM a sampler and its target
    are descheduled for tens of ms at a time, which clumps samples: a second capture is taken
    when the first misses (sampling noise, not a bias: the two are independent)."""
    target = start(version, script, tmp_path)
    try:
        misses = []
        for _ in range(2):
            records, truth = profile_with_truth(target, "perf -d 3 -r 250")  # ~750 main-thread samples
            final = [r for r in records if r["kind"] == "profile"][-1]
            main = next(t for t in final["threads"] if t["name"] == "MainThread")
            a, b = node_at(main["root"], "a"), node_at(main["root"], "b")
            assert a is not None and b is not None
            sampled = 100 * a["total"] / (a["total"] + b["total"])
            if abs(sampled - truth) <= 5:
                break
            misses.append((round(sampled, 1), round(truth, 1), a["total"], b["total"], final["lost_s"]))
        else:
            raise AssertionError(f"shares off by more than 5 points twice (sampled, truth, a, b, lost): {misses}")

        assert kinds(records)[0] == "message" and kinds(records)[-1] == "end"
        assert records[0]["text"].startswith(f"sampling pid {target.pid} at 250 Hz with py-spy")
        profiles = [r for r in records if r["kind"] == "profile"]
        assert len(profiles) >= 2 and all(p["live"] for p in profiles[:-1]) and profiles[-1]["live"] is False
        assert records[-1] == {"v": 1, "kind": "end", "reason": "duration", "hooks": False}
        assert 2.8 <= final["duration_s"] <= 3.6 and final["rate"] == 250 and final["engine"] == "py-spy"
        assert final["samples"] == sum(t["samples"] for t in final["threads"]) == final["root"]["total"]
        assert 0 < final["achieved_rate"] <= 320 and final["lost_s"] < 0.5 * final["duration_s"]
        assert not any(final["flags"].values())
        threads = {t["name"]: t for t in final["threads"]}
        assert {"MainThread", "worker"} <= set(threads)
        assert node_at(main["root"], "a", "work") and node_at(main["root"], "b", "work")
        assert node_at(threads["worker"]["root"], "worker_loop")  # each thread its own tree
        # top: work is one function, merged across its two call sites
        top = {row["function"]: row for row in final["top"]}
        assert top["work"]["self"] >= 0.8 * (a["total"] + b["total"])
        assert top["a"]["total"] == a["total"] and top["b"]["total"] == b["total"]
        assert_nothing_left(target.pid)
        no_agent(target)
    finally:
        assert "Traceback" not in target.stop()


def test_stop_and_timeout_keep_every_sample(script, tmp_path):
    target = start("3.13", script, tmp_path)
    try:
        session = FlightSession(target.pid)
        timer = threading.Timer(1.6, session.request_stop)
        timer.start()
        began = time.monotonic()
        arrivals, records = [], []
        for record in session.run_line("perf"):
            arrivals.append(time.monotonic() - began)
            records.append(record)
        timer.join()
        profiles = [r for r in records if r["kind"] == "profile"]
        first = kinds(records).index("profile")
        assert arrivals[first] < 1.5, arrivals  # the first picture within a second or so
        assert records[-1] == {"v": 1, "kind": "end", "reason": "stopped", "hooks": False}
        final = profiles[-1]
        assert final["live"] is False and 1.3 <= final["duration_s"] <= 2.3
        assert final["samples"] >= profiles[-2]["samples"] > 0  # what the last chunk took is kept
        assert not session.connected
        assert_nothing_left(target.pid)

        out: list = []
        interrupted = session.run_interruptible(parse_command("perf -r 200"), out.append, timeout=1.2)
        assert not interrupted and out[-1]["reason"] == "timeout"
        final = [r for r in out if r["kind"] == "profile"][-1]
        assert final["rate"] == 200 and final["samples"] > 0 and 1.0 <= final["duration_s"] <= 2.0
        assert_nothing_left(target.pid)
        no_agent(target)
    finally:
        assert "Traceback" not in target.stop()


def test_closing_the_stream_leaves_nothing_running_and_an_agent_is_left_out(script, tmp_path):
    target = start("3.13", script, tmp_path)
    try:
        stream = FlightSession(target.pid).run_line("perf")
        assert next(stream)["kind"] == "message"
        assert pyspy_processes(target.pid)
        stream.close()  # a front door that gives up (GeneratorExit)
        assert_nothing_left(target.pid)
        stream = FlightSession(target.pid).run_line("perf")
        next(stream)
        with pytest.raises(KeyboardInterrupt):
            stream.throw(KeyboardInterrupt)  # a second Ctrl-C while it samples
        assert_nothing_left(target.pid)

        # attached (perf alone profiles the session's pid): the agent's own threads are left out
        session = FlightSession.open(target.pid)
        try:
            records = list(session.run_line("perf -d 1 --idle"))
            final = [r for r in records if r["kind"] == "profile"][-1]
            assert final["agent_samples"] > 0
            files = [row["file"] or "" for row in final["top"]]
            assert not any("flight_agent" in f for f in files), files
        finally:
            list(session.detach())
        assert_nothing_left(target.pid)
    finally:
        target.stop()


def test_exports_and_baseline(script, tmp_path):
    target = start("3.13", script, tmp_path)
    txt, svg, speedscope = tmp_path / "before.txt", tmp_path / "after.svg", tmp_path / "p.json"
    try:
        rc, records = flight_json(target.pid, f"perf -d 1.5 -f {txt}")
        assert rc == 0, records
        before = [r for r in records if r["kind"] == "profile"][-1]
        assert before["file"]["path"] == str(txt) and before["file"]["format"] == "collapsed"
        assert records[-2] == {"v": 1, "kind": "message", "text": records[-2]["text"]}
        assert str(txt) in records[-2]["text"]
        back = Aggregate()
        back.add_collapsed(txt.read_text())
        assert back.samples == before["samples"]
        assert all(parse_line(line) for line in txt.read_text().splitlines())  # frame;frame COUNT
        assert any("b (" in line and "work (" in line for line in txt.read_text().splitlines())

        rc, records = flight_json(target.pid, f"perf -d 1.5 -f {svg} --baseline {txt}")
        assert rc == 0, records
        after = [r for r in records if r["kind"] == "profile"][-1]
        baseline = after["baseline"]
        assert baseline["source"] == str(txt) and baseline["samples"] == before["samples"]
        for change in baseline["changes"]:  # moves of a point or more, each its own difference
            assert abs(change["delta_pct"]) >= 1.0 and change["function"]
            assert abs(change["self_pct"] - change["base_self_pct"] - change["delta_pct"]) <= 0.11
        assert after["root"]["base"] == before["samples"]
        b = node_at(after["root"], "b")
        assert b is not None and b["base"] > 0
        tree = ET.parse(svg)
        names = {el.tag.split("}")[1] for el in tree.iter()}
        assert "script" not in names and {"svg", "rect", "title", "text"} <= names
        titles = [el.text or "" for el in tree.iter("{http://www.w3.org/2000/svg}title")]
        assert any(t.startswith("b (") and "baseline" in t for t in titles)

        rc, records = flight_json(target.pid, f"perf -d 1.5 --threads -f {speedscope}")
        assert rc == 0, records
        final = [r for r in records if r["kind"] == "profile"][-1]
        data = json.loads(speedscope.read_text())
        assert data["$schema"] == "https://www.speedscope.app/file-format-schema.json"
        assert sum(sum(p["weights"]) for p in data["profiles"]) == final["samples"]
        assert {p["name"] for p in data["profiles"]} >= {"MainThread", "worker"}
        assert any(c["function"].startswith("thread ") for c in final["root"]["children"])  # --threads levels
        assert_nothing_left(target.pid)
        no_agent(target)  # flight_profiler PID --cmd perf never attaches
    finally:
        assert "Traceback" not in target.stop()


def test_many_threads_nonblocking_and_a_target_that_exits(script, tmp_path):
    target = start("3.12", script, tmp_path, "24", "2.0")
    try:
        rc, records = flight_json(target.pid, "perf")
        assert rc == 0, records
        assert "--nonblocking: the target has" in records[0]["text"]
        final = [r for r in records if r["kind"] == "profile"][-1]
        assert final["flags"]["nonblocking"] is True and final["samples"] > 0
        assert records[-1]["reason"] == "exited"
        assert_nothing_left(target.pid)
    finally:
        target.stop()


def one_line_error(args: list, code: int = 1) -> str:
    done = flight(*args)
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


def test_bad_input_is_one_line(script, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert "no process with pid" in one_line_error([str(dead.pid), "--cmd", "perf -d 1"])
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        assert "is not a Python process" in one_line_error([str(sleeper.pid), "--cmd", "perf -d 1"])
    finally:
        sleeper.kill()
        sleeper.wait()
    me = str(os.getpid())
    assert "-r must be between 1 and 10000; got 0" in one_line_error([me, "--cmd", "perf -r 0"], 2)
    assert "-r must be between 1 and 10000; got 100000" in one_line_error([me, "--cmd", "perf -r 100000"], 2)
    assert "-d must be a positive number of seconds" in one_line_error([me, "--cmd", "perf -d 0"], 2)
    assert "the suffix names the format" in one_line_error([me, "--cmd", "perf -f /tmp/p.png"], 2)
    assert "no such directory" in one_line_error([me, "--cmd", f"perf -d 1 -f {tmp_path}/nowhere/p.svg"])
    (tmp_path / "d.svg").mkdir()
    assert "is a directory" in one_line_error([me, "--cmd", f"perf -d 1 -f {tmp_path}/d.svg"])
    assert "no stacks in it" in one_line_error([me, "--cmd", f"perf -d 1 --baseline {script}"])
    assert_nothing_left(os.getpid())


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become another user")
def test_no_permission_is_one_line(script, tmp_path):
    target = start("3.13", script, tmp_path)
    try:
        # as nobody: pid 1 and a target of root's are not ours to trace
        nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable]
        for pid in ("1", str(target.pid)):
            done = subprocess.run(
                [*nobody, "-m", "jupyterlab_flight.cli", pid, "--cmd", "perf -d 1"],
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, "HOME": "/tmp"},
            )
            lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            assert done.returncode == 1 and len(lines) == 1, lines
            # another user's process: the cause is the user (ptrace_scope applies to one's own)
            assert "permission denied" in lines[0] and "as that user or as root" in lines[0]
        assert_nothing_left(target.pid)
    finally:
        target.stop()


def test_interpreters_exist():
    # the versions this file samples are installed (make test installs them)
    for version in ("3.9", "3.12", "3.13"):
        assert os.path.exists(interpreter(version))
