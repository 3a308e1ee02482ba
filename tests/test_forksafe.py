"""Fork safety: a child forked from an observed process carries nothing of ours (issue 17, item 1).

targets/forking.py calls ``work`` in a loop while a ``watch`` of it runs (one that shows nothing:
its filter never holds, so every call pays the hook and the filter); then it starts a child by
``os.fork``, a ``multiprocessing`` fork Process, a forkserver Process (the server started before the
attach), a fork Pool of two workers (the DataLoader pattern), and ``os.fork`` from inside a traced
call. Each child must run ``work`` at the speed of the never-observed ``reference`` with its own
code object, hold none of the agent's file descriptors, have no thread but its own, no
``sys.monitoring`` tool, no profile function, no agent module; the parent's watch goes on.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from conftest import Target
from jupyterlab_flight.attach import attach
from jupyterlab_flight.commands.parser import parse_command

MODES = ["os_fork", "mp_fork", "mp_forkserver", "pool"]
FAST = 0.6  # a child's work runs at least this fraction of reference's speed (1.0 unobserved)


def fds_of(pid: int) -> dict:
    out = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            out[name] = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            pass
    return out


class RunningStream:
    """A stream on its own connection, read on a thread until stopped."""

    def __init__(self, pid: int, line: str):
        self.client = attach(pid)
        self.records: list = []
        parsed = parse_command(line)
        self.started = threading.Event()

        def read():
            try:
                for record in self.client.run(parsed.name, parsed.request, long_running=True, timeout=60):
                    self.records.append(record)
                    self.started.set()
            except Exception as e:  # the test reads what came
                self.records.append({"kind": "client_error", "message": str(e)})
            self.started.set()

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()
        assert self.started.wait(20), "the stream never started"
        assert self.records[0]["kind"] == "message", self.records

    def stop(self) -> list:
        self.client.stop()
        self.thread.join(20)
        self.client.close()
        return self.records


def fork_child(target: Target, mode: str, timeout: float = 30.0):
    path = f"{target.report_path}.{mode}.json"
    with open(target.report_path + ".cmd.tmp", "w") as f:
        f.write(mode)
    os.replace(target.report_path + ".cmd.tmp", target.report_path + ".cmd")
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"no report from the {mode} child"
        time.sleep(0.05)
    with open(path) as f:
        child = json.load(f)
    report = target.wait_report(lambda r: mode in r["parent"], timeout=timeout)
    return child, report


def check_clean(child: dict, agent_fds: set, parent_pid: int) -> None:
    assert child["pid"] != parent_pid
    assert child["code_original"], "the child's work() still has our code object"
    assert child["ratio"] > FAST, f"the child runs work() at {child['ratio']:.2f}x an unobserved function's speed"
    leaked = agent_fds & set(child["fds"].values())
    assert not leaked, f"the child holds the agent's descriptors {leaked}"
    assert not any("jupyterlab-flight" in t for t in child["fds"].values()), child["fds"]
    assert child["threads"] == 1, f"{child['threads']} threads in the child"
    assert not any(child["tools"]), f"sys.monitoring tools in the child: {child['tools']}"
    assert child["profile"] is None, child["profile"]
    assert not child["agent_loaded"], "flight_agent modules stay in the child's sys.modules"
    assert child["switch_interval"] == pytest.approx(0.005), child["switch_interval"]


@pytest.fixture
def forking(version, tmp_path):
    t = Target(version, "forking.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def test_children_of_an_observed_process_carry_nothing_of_ours(forking):
    before = set(fds_of(forking.pid).values())
    watch = RunningStream(forking.pid, "watch __main__ work -f 'args[0] < 0' -n 1")
    try:
        agent_fds = set(fds_of(forking.pid).values()) - before
        assert any(t.startswith("socket:") for t in agent_fds), agent_fds  # what a child must not hold
        results = {}
        for mode in MODES:
            results[mode] = fork_child(forking, mode)
        for mode, (child, report) in results.items():
            children = child if mode == "pool" else [child]
            assert len(children) == (2 if mode == "pool" else 1)
            assert len({c["pid"] for c in children}) == len(children)
            for one in children:
                check_clean(one, agent_fds, forking.pid)
            parent = report["parent"][mode]
            # the parent is still observed: its hook is in place and costs (the child's did not)
            assert parent["ratio"] < FAST, f"{mode}: the parent's work() is no longer observed"
            assert not parent["code_original"] or "jupyterlab-flight" in parent["tools"], parent
            assert agent_fds <= set(parent["fds"].values()), f"{mode}: the parent lost the agent's descriptors"
        server = results["mp_forkserver"][1]["forkserver"]
        assert server, "no forkserver"
        assert not agent_fds & set(fds_of(server).values()), "the forkserver holds the agent's descriptors"
    finally:
        records = watch.stop()
    assert records[-1] == {"v": 1, "kind": "end", "reason": "stopped"}, records[-3:]
    assert not [r for r in records if r["kind"] in ("error", "client_error")], records


def test_a_child_forked_inside_a_traced_call_has_no_profile_function(forking):
    trace = RunningStream(forking.pid, "trace __main__ fork_inside -n 1")
    try:
        child, report = fork_child(forking, "traced_fork")
        check_clean(child, set(), forking.pid)
        deadline = time.monotonic() + 20
        while not any(r["kind"] == "trace" for r in trace.records):
            assert time.monotonic() < deadline, trace.records
            time.sleep(0.05)
    finally:
        records = trace.stop()
    traces = [r for r in records if r["kind"] == "trace"]
    assert len(traces) == 1 and traces[0]["method"].endswith("fork_inside"), records
    assert records[-1]["kind"] == "end", records[-3:]


def test_a_child_forked_while_the_agent_answers_has_the_targets_switch_interval(forking):
    """One-shot commands shorten the switch interval while they answer; a fork meanwhile must
    not leave the child with the short one (the agent's thread that would restore it is not there)."""
    client = attach(forking.pid)
    stop = threading.Event()

    request = parse_command("getglobal __main__ REPORT").request

    def ask():
        while not stop.is_set():
            list(client.run("getglobal", request, timeout=10))

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    try:
        result, _ = fork_child(forking, "switch", timeout=60)
    finally:
        stop.set()
        asking.join(20)
        client.close()
    short = [b for b in result["before"] if b < 0.001]
    assert short, "no fork happened while the agent answered: the test did not test anything"
    wrong = [c for c in result["children"] if c != pytest.approx(0.005)]
    assert not wrong, f"{len(wrong)} of {len(result['children'])} children kept a switch interval of {set(wrong)}"
