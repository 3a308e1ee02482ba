"""gilstat end to end on every supported CPython: exact counts against the target's own figures,
long holds with the holder's stack, hooks removed exactly by off and reinstallable, off from
another client, the target unharmed when the client is killed mid-measurement."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time

import conftest
import pytest
from conftest import Target, flight, flight_json
from test_watch import end_reason


@pytest.fixture
def gil_target(version, tmp_path):
    t = Target(version, "gil_target.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def only(records: list, kind: str) -> list:
    return [r for r in records if r["kind"] == kind]


def thread(record: dict, name: str) -> dict:
    return next(t for t in record["threads"] if t["name"] == name)


def burst_seconds(bursts: list, start: float, end: float) -> float:
    """The hog's own time inside its GIL-holding C calls within [start, end]."""
    return sum(max(0.0, min(b, end) - max(a, start)) for a, b in bursts)


def sleeps_at(samples: list, when: float) -> float:
    """The sleeper's count of GIL-releasing calls at ``when`` (interpolated between samples)."""
    for (t0, c0), (t1, c1) in zip(samples, samples[1:]):
        if t0 <= when <= t1:
            return c0 + (c1 - c0) * (when - t0) / (t1 - t0) if t1 > t0 else c0
    raise AssertionError(f"no sample around {when}: {samples[0][0]}..{samples[-1][0]}")


def got_slots(pid: int) -> list:
    code = "from flight_agent.commands import gilstat; print(gilstat.got_slots())"
    rc, records = flight_json(pid, f"console -c '{code}'")
    assert rc == 0, records
    slots = ast.literal_eval(only(records, "console")[0]["stdout"].strip())
    assert slots and len(slots) >= 3  # lock, unlock, signal at least
    return slots


DEBIAN_PYTHON = "/usr/bin/python3.11"  # the distro's: static libpython, stripped, drop_gil inlined


@pytest.fixture
def debian_target(tmp_path, monkeypatch):
    if not os.path.exists(DEBIAN_PYTHON):
        pytest.skip(f"{DEBIAN_PYTHON} is not installed")
    monkeypatch.setattr(conftest, "interpreter", lambda version: DEBIAN_PYTHON)
    t = Target("3.11", "gil_target.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def test_counts_and_hold_match_what_the_target_measured(gil_target):
    check_counts(gil_target)


def test_counts_on_the_distros_stripped_static_python(debian_target):
    check_counts(debian_target)
    rc, records = flight_json(debian_target.pid, "gilstat on 1000 4 0.5 -n 1")
    assert "GOT hooks in (the executable)" in only(records, "message")[0]["text"]


def check_counts(gil_target) -> None:
    rc, records = flight_json(gil_target.pid, "gilstat on 1000 1000 1 -n 3")
    assert rc == 0 and end_reason(records) == "limit", records[-3:]
    stats = only(records, "gil_stats")
    assert [s["index"] for s in stats] == [1, 2, 3] and stats[-1]["final"] and not stats[0]["final"]
    final = stats[-1]
    end = final["time"]
    start = end - final["elapsed_s"]
    report = gil_target.wait_report(lambda r: r["sleeps"][-1][0] > end + 0.2)
    # the hog holds the GIL for at least its bursts, and little more (within 10 %)
    hog = thread(final, "gil-hog")
    own = burst_seconds(report["bursts"], start, end)
    assert own > 0.2, report["counts"]
    assert 0.9 <= hog["total"]["hold_ns"] / 1e9 / own <= 1.1, (hog, own)
    # each time.sleep(0) drops and takes the GIL once (within 10 %)
    sleeper = thread(final, "sleeper")
    calls = sleeps_at(report["sleeps"], end) - sleeps_at(report["sleeps"], start)
    assert calls > 100
    assert 0.9 <= sleeper["total"]["takes"] / calls <= 1.1, (sleeper, calls)
    assert abs(sleeper["total"]["drops"] - sleeper["total"]["takes"]) <= 2
    # the intervals add up to the totals, and the shares are of the wall time
    for name in ("gil-hog", "sleeper", "cruncher-0"):
        takes = sum(thread(s, name)["last"]["takes"] for s in stats)
        assert takes == thread(final, name)["total"]["takes"]
    assert 0 < final["busy_pct"] <= 100
    total_hold = sum(t["total"]["hold_ns"] for t in final["threads"]) / 1e9
    assert total_hold <= final["elapsed_s"] * 1.02  # one GIL: holds never overlap
    assert "GIL busy" in final["verdict"]
    assert report["counts"]["errors"] == 0


def test_long_holds_carry_the_holders_stack(gil_target):
    rc, records = flight_json(gil_target.pid, "gilstat on 1000 4 1 -n 1")
    assert rc == 0 and end_reason(records) == "limit"
    holds = [e for e in only(records, "gil_event") if e["event"] == "hold" and e["thread_name"] == "gil-hog"]
    assert holds, [e for e in only(records, "gil_event")][:5]
    for e in holds:
        assert e["duration_ms"] > 4 and e["threshold_ms"] == 4
        assert e["start"] < e["time"] and abs(e["time"] - e["start"] - e["duration_ms"] / 1000) < 0.002
    exact = [e for e in holds if e["stack_exact"]]
    assert exact, "no hold whose stack was read before the hog ran again"
    # the code that held it, innermost last: burst() called by hog() (dropped as burst returned),
    # or hog() itself (dropped at its time.sleep, the burst before it was the hold)
    ends = [[f["function"] for f in e["stack"][-2:]] for e in exact]
    assert all(end[-1] == "hog" or end == ["hog", "burst"] for end in ends), ends
    assert ["hog", "burst"] in ends, ends
    assert not [e for e in only(records, "gil_event") if e["event"] == "wait"]  # 1000 ms: none


def test_off_restores_the_got_slots_exactly_and_on_again_works(gil_target):
    before = got_slots(gil_target.pid)
    for _ in range(2):  # reinstallable
        rc, records = flight_json(gil_target.pid, "gilstat on 1000 1000 0.5 -n 1")
        assert rc == 0 and end_reason(records) == "limit"
        assert thread(only(records, "gil_stats")[-1], "sleeper")["total"]["takes"] > 0
        assert got_slots(gil_target.pid) == before


def test_off_from_another_client_ends_the_measurement(gil_target):
    stream = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab_flight.cli",
            str(gil_target.pid),
            "--json",
            "--cmd",
            "gilstat on 1000 1000 1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(stream.stdout.readline())["kind"] == "message"  # it is on
        rc, records = flight_json(gil_target.pid, "gilstat on")
        assert rc == 1 and "already on" in only(records, "error")[0]["message"]
        rc, records = flight_json(gil_target.pid, "gilstat off")
        assert rc == 0 and "final report" in only(records, "message")[0]["text"]
        out, _ = stream.communicate(timeout=30)
    finally:
        stream.kill()
    rest = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert end_reason(rest) == "off" and only(rest, "gil_stats")[-1]["final"]
    rc, records = flight_json(gil_target.pid, "gilstat off")
    assert rc == 0 and only(records, "message")[0]["text"] == "gilstat is not on"


def test_the_target_runs_on_when_the_client_is_killed(gil_target):
    before = got_slots(gil_target.pid)
    stream = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab_flight.cli", str(gil_target.pid), "--json", "--cmd", "gilstat on 1 1 0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert json.loads(stream.stdout.readline())["kind"] == "message"
        time.sleep(0.7)
    finally:
        os.killpg(stream.pid, signal.SIGKILL)
        stream.communicate(timeout=10)
    counts = gil_target.report()["counts"]
    later = gil_target.wait_report(
        lambda r: r["counts"]["sleeps"] > counts["sleeps"] + 20 and r["counts"]["bursts"] > counts["bursts"] + 5
    )
    assert later["counts"]["bursts"] > counts["bursts"] and later["counts"]["errors"] == 0
    # the agent noticed: the hooks went, and a new measurement can start
    deadline = time.monotonic() + 10
    while got_slots(gil_target.pid) != before:
        assert time.monotonic() < deadline, "the hooks stayed after the client died"
        time.sleep(0.2)
    rc, records = flight_json(gil_target.pid, "gilstat on 1000 1000 0.5 -n 1")
    assert rc == 0 and end_reason(records) == "limit"


def test_bad_arguments_are_refused_before_the_target(gil_target):
    rc, records = flight_json(gil_target.pid, "gilstat on 10 10 0")
    assert rc == 2 and "interval_s" in records[0]["message"]
    rc, records = flight_json(gil_target.pid, "gilstat on 10 10 5 5000")
    assert rc == 2 and "max_threads" in records[0]["message"]


def test_a_child_forked_during_the_measurement_carries_no_hooks(gil_target, tmp_path):
    before = got_slots(gil_target.pid)
    stream = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab_flight.cli",
            str(gil_target.pid),
            "--json",
            "--cmd",
            "gilstat on 1000 1000 1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child_file = tmp_path / "child.txt"
    script = tmp_path / "fork.py"
    script.write_text(
        "import os\n"
        "from flight_agent.commands import gilstat\n"
        "on = gilstat.got_slots()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        f"    open({str(child_file)!r}, 'w').write(repr(gilstat.got_slots()))\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print(repr(on))\n"
    )
    try:
        assert json.loads(stream.stdout.readline())["kind"] == "message"
        rc, records = flight_json(gil_target.pid, f'console -c "exec(open({str(script)!r}).read())"')
        assert rc == 0, only(records, "console")[0].get("error")
        on = ast.literal_eval(only(records, "console")[0]["stdout"].strip())
        assert on != before  # the parent measures
        assert ast.literal_eval(child_file.read_text()) == before  # the child does not
        flight_json(gil_target.pid, "gilstat off")
        out, _ = stream.communicate(timeout=30)
    finally:
        stream.kill()
    assert end_reason([json.loads(line) for line in out.splitlines() if line.strip()]) == "off"
    assert got_slots(gil_target.pid) == before


def test_detach_ends_the_measurement_and_removes_the_hooks(gil_target):
    before = got_slots(gil_target.pid)
    stream = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab_flight.cli",
            str(gil_target.pid),
            "--json",
            "--cmd",
            "gilstat on 1000 1000 1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert json.loads(stream.stdout.readline())["kind"] == "message"
        rc, _ = flight_json(gil_target.pid, "detach")
        assert rc == 0
        out, _ = stream.communicate(timeout=30)
    finally:
        stream.kill()
    rest = [json.loads(line) for line in out.splitlines() if line.strip()]
    # detach closes the other connections: the stream's client sees its end, or the agent gone
    last = rest[-1]
    assert (last["kind"] == "end" and last["reason"] == "detached") or (
        last["kind"] == "error" and "closed the connection" in last["message"]
    ), rest[-3:]
    assert got_slots(gil_target.pid) == before  # a fresh agent reads them


def test_run_once_it_ends_by_itself(tmp_path):
    target = Target("3.12", "gil_target.py", tmp_path)
    try:
        started = time.monotonic()
        rc, records = flight_json(target.pid, "gilstat on 1000 1000 10")
        assert time.monotonic() - started < 60
        assert rc == 0 and end_reason(records) == "timeout"
        final = only(records, "gil_stats")[-1]
        assert final["final"] and 25 <= final["elapsed_s"] <= 35  # ONCE_TIMEOUT_S, 30 s
    finally:
        assert "Traceback" not in target.stop()


def test_threads_beyond_max_threads_are_counted_not_measured(gil_target):
    rc, records = flight_json(gil_target.pid, "gilstat on 1000 1000 0.5 2 -n 1")
    assert rc == 0 and end_reason(records) == "limit"
    final = only(records, "gil_stats")[-1]
    # the agent's thread that turned it on has one of the 2 entries; the target has 6 threads
    assert len(final["threads"]) <= 1 and final["overflow_threads"] >= 4
    text = flight(str(gil_target.pid), "--cmd", "gilstat on 1000 1000 0.5 2 -n 1").stdout
    assert "threads beyond max_threads were not measured" in text
