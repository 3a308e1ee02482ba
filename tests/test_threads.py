"""Threads are named as threading would name them, with both ids, and the agent's are hidden.

targets/bare_threads.py never imports threading (its threads come from _thread; one names itself
at the OS level, one holds an RLock); targets/service.py uses threading. ``stack`` (read inside
the target), ``stack --native`` (read from outside by pystack) and the records of observed calls
must agree with what the threads themselves reported.
"""

from __future__ import annotations

import os
import re

import pytest
from conftest import Target, flight_json


def the(records: list, kind: str) -> dict:
    found = [r for r in records if r["kind"] == kind]
    assert len(found) == 1, records
    return found[0]


@pytest.fixture
def bare(version, tmp_path):
    t = Target(version, "bare_threads.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def expected_threads(report: dict) -> dict:
    """{native id: (ident, name)} as the target's threads reported themselves."""
    names = {"main": "MainThread", "io-worker": "io-worker", "lock-holder": None}
    return {t["native_id"]: (t["ident"], names[name]) for name, t in report["threads"].items()}


# stdlib modules with side effects or weight that the agent must never bring into a target (it
# imports what a command needs where the command runs, and its own modules)
NEVER_IMPORTED = {"threading", "random", "hashlib", "tracemalloc", "pickle", "tempfile", "logging", "asyncio"}
NEVER_IMPORTED |= {"subprocess", "inspect", "typing", "dataclasses", "enum", "signal", "weakref"}


def test_a_target_without_threading(bare):
    report = bare.wait_report(lambda r: len(r["threads"]) == 3)
    modules_before = set(report["modules"])
    expected = expected_threads(report)
    rc, records = flight_json(bare.pid, "stack")
    threads = the(records, "stack")["threads"]
    # the target's four threads (the reporter too), none of the agent's
    assert len(threads) == 4 and {t["native_id"] for t in threads} == set(report["tasks"])  # before the attach
    by_native = {t["native_id"]: t for t in threads}
    for native, (ident, name) in expected.items():
        assert by_native[native]["thread_id"] == ident and by_native[native]["name"] == name
    main = threads[0]
    assert main["main"] and main["name"] == "MainThread" and main["native_id"] == bare.pid and main["daemon"] is False
    assert sum(t["main"] for t in threads) == 1
    # observed calls on the main thread say so; the lock's owner (an ident) is a thread of stack's
    for command in ("watch __main__ tick -n 1", "trace __main__ tick -n 1", "tt -t __main__ tick -n 1"):
        rc, records = flight_json(bare.pid, command)
        (call,) = [r for r in records if r["kind"] in ("watch", "trace", "tt_record")]
        assert call["thread_name"] == "MainThread", command
    rc, records = flight_json(bare.pid, "getglobal __main__ LOCK")
    owner = int(re.search(r"owner=(\d+)", the(records, "value")["value"]["repr"]).group(1))
    assert owner == report["threads"]["lock-holder"]["ident"] and owner in {t["thread_id"] for t in threads}
    last = bare.report()
    assert last["threading_imported"] is last["threading_at_start"]  # the agent never imports it
    for command in ("monitor __main__ tick -c 1 -n 1", "getglobal __main__ COUNTS", "vmtool -a forceGc"):
        flight_json(bare.pid, command)
    brought = set(bare.wait_report(lambda r: r["counts"]["tick"] > last["counts"]["tick"])["modules"]) - modules_before
    assert not brought & NEVER_IMPORTED, sorted(m for m in brought if not m.startswith("flight_agent"))


def test_stack_native_names_threads_and_hides_the_agent(bare):
    report = bare.wait_report(lambda r: len(r["threads"]) == 3)
    expected = expected_threads(report)
    # never attached: names from the process alone (the main thread, OS names); no ident
    rc, records = flight_json(bare.pid, "stack --native")
    outside = the(records, "stack")["threads"]
    assert {t["native_id"] for t in outside} == set(report["tasks"])
    names = {t["native_id"]: t["name"] for t in outside}
    main = report["threads"]["main"]["native_id"]
    assert names[main] == "MainThread" and names[report["threads"]["io-worker"]["native_id"]] == "io-worker"
    assert "python" not in names.values() and not any(n and n.startswith("python") for n in names.values())
    # with an agent: the agent names them and gives the idents; its own threads stay hidden
    rc, records = flight_json(bare.pid, "stack")
    inside = {t["native_id"]: t for t in the(records, "stack")["threads"]}
    for native_mode in ("stack --native", "stack 0"):  # stack PID reads from outside too
        rc, records = flight_json(bare.pid, native_mode.replace("0", str(bare.pid)))
        outside = the(records, "stack")["threads"]
        assert {t["native_id"] for t in outside} == set(inside) == set(report["tasks"]), native_mode
        for t in outside:
            same = inside[t["native_id"]]
            assert (t["thread_id"], t["name"], t["main"]) == (same["thread_id"], same["name"], same["main"])
        for native, (ident, _) in expected.items():
            assert next(t for t in outside if t["native_id"] == native)["thread_id"] == ident
    rc, records = flight_json(bare.pid, "detach")
    bare.wait_report(lambda r: r["tasks"] == report["tasks"])  # the agent's threads have ended
    rc, records = flight_json(bare.pid, "stack --native")
    assert {t["native_id"] for t in the(records, "stack")["threads"]} == set(report["tasks"])


def test_a_target_with_threading(target):
    rc, records = flight_json(target.pid, "stack")
    inside = the(records, "stack")["threads"]
    tasks = set(int(t) for t in os.listdir(f"/proc/{target.pid}/task"))
    assert all(t["native_id"] in tasks for t in inside) and all(t["thread_id"] for t in inside)
    rc, records = flight_json(target.pid, "stack --native")
    outside = the(records, "stack")["threads"]
    assert sorted((t["name"], t["native_id"], t["thread_id"]) for t in outside) == sorted(
        (t["name"], t["native_id"], t["thread_id"]) for t in inside
    )
    assert {"MainThread", "busy-0", "busy-1", "deep-sleeper", "reporter"} == {t["name"] for t in outside}
