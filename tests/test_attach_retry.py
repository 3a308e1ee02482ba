"""Attach tries on a target whose GIL is held by a long C call (targets/wedged.py).

Each try fails with a clear message, and however many fail, at most one boot thread waits in the
target: a later try gives the waiting one its own code. A boot that gets the GIL after its
attach gave up leaves, starting nothing; one that gets it while a try still waits starts the
agent for that try. And the runtime directory forgets agents whose process is gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time

import pytest
from conftest import Target, flight_json
from jupyterlab_flight.attach import attach, inspect_process
from jupyterlab_flight.client import agent_paths
from jupyterlab_flight.errors import AttachFailed


def tasks(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def no_agent_files(pid: int) -> bool:
    return not any(os.path.exists(p) for p in agent_paths(os.geteuid(), pid).values())


def test_failed_tries_leave_one_waiting_boot_thread(version, tmp_path):
    wedge_s = 7
    t = Target(version, "wedged.py", tmp_path, str(wedge_s))
    started = time.monotonic()
    try:
        baseline = tasks(t.pid)
        for attempt in range(3):
            with pytest.raises(AttachFailed) as failed:
                attach(t.pid, timeout=0.8)
            message = str(failed.value)
            assert "did not start the agent within 0.8 s" in message and "GIL" in message
            assert ("earlier try is still waiting" in message) == (attempt > 0)
            assert tasks(t.pid) == baseline + 1  # one boot thread, whatever the number of tries
        # from outside, while wedged: the main thread holds the GIL; the boot thread is not shown
        rc, records = flight_json(t.pid, "stack --native")
        (stack,) = [r for r in records if r["kind"] == "stack"]
        assert [(th["name"], th["gil"]) for th in stack["threads"]] == [("MainThread", True)]
        assert time.monotonic() - started < wedge_s - 1, "the machine was too slow for this test"
        # the wedge ends after every try gave up: the boot leaves, starting nothing
        t.wait_report(lambda r: not r["wedged"], timeout=wedge_s + 10)
        deadline = time.monotonic() + 10
        while tasks(t.pid) != baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tasks(t.pid) == baseline and no_agent_files(t.pid)
        # a new try starts the agent as usual
        rc, records = flight_json(t.pid, "watch __main__ tick -n 2")
        assert rc == 0 and records[-1]["reason"] == "limit"
        rc, records = flight_json(t.pid, "detach")
        assert rc == 0 and "detached" in records[0]["text"]
    finally:
        assert "Traceback" not in t.stop()


def test_a_try_that_outlasts_the_wedge_gets_the_waiting_boot(version, tmp_path):
    wedge_s = 4
    t = Target(version, "wedged.py", tmp_path, str(wedge_s))
    try:
        baseline = tasks(t.pid)
        with pytest.raises(AttachFailed):
            attach(t.pid, timeout=0.5)
        seen, waiting = [], True

        def sample():
            while waiting:
                seen.append(tasks(t.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            client = attach(t.pid, timeout=wedge_s + 15)  # waits for the same boot thread
        finally:
            waiting = False
            sampler.join()
        try:
            # while wedged, only the waiting boot thread was added (then the agent's start)
            before_agent = seen[: max(1, len(seen) // 2)]
            assert max(before_agent) == baseline + 1
            records = list(client.run("stack", {"pid": None, "file": None, "native": False, "asyncio": False}))
            assert records[0]["kind"] == "stack" and records[0]["threads"][0]["name"] == "MainThread"
        finally:
            client.detach()
        t.wait_report(lambda r: r["ticks"] > 2)
        deadline = time.monotonic() + 10
        while tasks(t.pid) != baseline and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tasks(t.pid) == baseline and no_agent_files(t.pid)
    finally:
        assert "Traceback" not in t.stop()


def test_stale_runtime_files_go_when_the_directory_is_used(target):
    """Files of agents whose process died without a detach, or whose pid another process now has,
    go when a client uses the directory; a live agent's stay."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    directory = os.path.dirname(agent_paths(os.geteuid(), target.pid)["socket"])
    os.makedirs(directory, mode=0o700, exist_ok=True)
    stale = [os.path.join(directory, f"agent-{gone.pid}{suffix}") for suffix in (".sock", ".token", ".error")]
    for path in stale:
        with open(path, "w") as f:
            json.dump({"pid": gone.pid, "start_time": 1, "token": "x" * 64}, f)
    reused = agent_paths(os.geteuid(), target.pid)["token"]  # this pid's, by an earlier process
    with open(reused, "w") as f:
        json.dump({"pid": target.pid, "start_time": 1, "token": "x" * 64}, f)
    rc, records = flight_json(target.pid, "stack")  # reuse or attach: the directory is used
    assert rc == 0 and not any(os.path.exists(p) for p in stale)
    live = agent_paths(os.geteuid(), target.pid)
    assert os.path.exists(live["socket"]) and os.path.exists(live["token"])  # the new agent's own
    with open(live["token"]) as f:
        assert json.load(f)["start_time"] == inspect_process(target.pid).start_time
    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG")  # reuses that agent
    assert rc == 0
    flight_json(target.pid, "detach")


def test_a_kernel_attached_the_moment_it_starts():
    # The sidebar lists a kernel as soon as the server started it; an attach while its Python is
    # still initializing (seen 2 times in 10 under load) waits for it instead of failing
    from jupyter_client.manager import KernelManager
    from jupyterlab_flight.session import FlightSession

    for _ in range(6):
        manager = KernelManager(kernel_name="python3")
        manager.start_kernel()
        try:
            session = FlightSession.open(manager.provisioner.process.pid)
            (record,) = [r for r in session.run_line("stack") if r["kind"] == "stack"]
            assert record["threads"]
            session.close()
        finally:
            manager.shutdown_kernel(now=True)
