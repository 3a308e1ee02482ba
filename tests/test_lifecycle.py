"""Attach, reuse, detach: the agent comes and goes and leaves the target exactly as it was."""

from __future__ import annotations

import os
import time

from conftest import flight_json
from jupyterlab_flight.attach import attach, find_agent, inspect_process
from jupyterlab_flight.client import agent_paths

# Requests as the client's descriptors make them: every argument, its default filled in.
RESULTS = {
    "module": "__main__",
    "class": None,
    "field": "RESULTS",
    "expr": None,
    "expand": 2,
    "verbose": False,
    "raw": False,
}


def console(code: str) -> dict:
    return {"code": code, "expand": 2, "verbose": False, "raw": False}


def settled(target, baseline: dict, timeout: float = 5.0) -> dict:
    """Wait until the target's own report shows no trace of the agent."""
    return target.wait_report(
        lambda r: (
            r["tasks"] == baseline["tasks"]
            and r["fds"] == baseline["fds"]
            and not r["flight_modules"]
            and r["stdout_original"]
            and r["stderr_original"]
            and r["meta_path_len"] == baseline["meta_path_len"]
            and not r["trace"]
            and not r["profile"]
            and r["switch_interval"] == baseline["switch_interval"]
        ),
        timeout=timeout,
    )


def test_attach_again_reuses_the_agent(target):
    first = attach(target.pid)
    second = attach(target.pid)
    try:
        assert first.hello["pid"] == second.hello["pid"] == target.pid
        assert second.connection == first.connection + 1  # same agent, a new connection
        assert target.wait_report(lambda r: r["flight_modules"])["flight_modules"]
    finally:
        second.close()
        first.detach()


def test_detach_removes_everything(target):
    baseline = target.report()
    client = attach(target.pid)
    # installs, then removes, the output router
    list(client.run("console", console("print('captured')"), long_running=True))
    assert target.wait_report(lambda r: r["flight_modules"])["tasks"] > baseline["tasks"]
    records = client.detach()
    assert records[0]["kind"] == "message" and "detached" in records[0]["text"]
    settled(target, baseline)
    paths = agent_paths(os.geteuid(), target.pid)
    assert not os.path.exists(paths["socket"]) and not os.path.exists(paths["token"])
    assert find_agent(inspect_process(target.pid)) is None
    rc, records = flight_json(target.pid, "detach")
    assert rc == 0 and "nothing to detach" in records[0]["text"]


def test_the_attach_shortens_the_switch_interval_only_until_its_first_answer(target):
    """Threads spinning in Python make every GIL wait of the agent's boot last a switch interval:
    the bootstrap shortens it, the agent gives it back after its first answer, or
    BOOST_MAX_S after the attach at the latest (no request, or a first request that streams)."""
    from flight_agent.server import BOOST_MAX_S

    baseline = target.report()["switch_interval"]
    client = attach(target.pid)  # hello only: no answer to a request yet
    try:
        boosted = target.wait_report(lambda r: r["switch_interval"] < baseline, timeout=BOOST_MAX_S)
        assert round(boosted["switch_interval"] * 1e6) == 200
        list(client.run("getglobal", RESULTS))
        target.wait_report(lambda r: r["switch_interval"] == baseline, timeout=BOOST_MAX_S)
    finally:
        client.detach()
    # a one-shot command runs with the short interval too, console code with the target's own
    import threading

    client = attach(target.pid)
    try:
        list(client.run("getglobal", RESULTS))  # ends the attach's
        target.wait_report(lambda r: r["switch_interval"] == baseline, timeout=BOOST_MAX_S)
        slow = dict(RESULTS, expr="__import__('time').sleep(1.5) or 1")
        running = threading.Thread(target=lambda: list(client.run("getglobal", slow)))
        running.start()
        target.wait_report(lambda r: r["switch_interval"] < baseline, timeout=1.5)
        running.join()
        target.wait_report(lambda r: r["switch_interval"] == baseline, timeout=1.0)
        code = console("import time; time.sleep(1)")
        running = threading.Thread(target=lambda: list(client.run("console", code, long_running=True)))
        running.start()
        seen = set()
        while running.is_alive():
            seen.add(target.report()["switch_interval"])
            time.sleep(0.05)
        assert seen == {baseline}
    finally:
        client.detach()
    # no request at all: restored BOOST_MAX_S after the attach
    client = attach(target.pid)
    try:
        target.wait_report(lambda r: r["switch_interval"] < baseline, timeout=BOOST_MAX_S)
        target.wait_report(lambda r: r["switch_interval"] == baseline, timeout=BOOST_MAX_S + 3)
    finally:
        client.detach()


def test_fifty_cycles_leave_the_target_correct(target):
    baseline = target.report()
    for _i in range(50):
        client = attach(target.pid)
        records = list(client.run("getglobal", dict(RESULTS, expand=1)))
        assert records[0]["kind"] == "value", records
        client.detach()
    report = settled(target, baseline, timeout=10.0)
    assert report["results"]["errors"] == 0
    before = report["results"]["iterations"]
    target.wait_report(lambda r: r["results"]["iterations"] > before)  # still working
