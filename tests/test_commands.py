"""Every command end to end against real targets on every supported CPython."""

from __future__ import annotations

import os

from conftest import TARGETS, flight, flight_json


def only(records: list, kind: str) -> dict:
    found = [r for r in records if r.get("kind") == kind]
    assert len(found) == 1, records
    assert found[0]["v"] == 1
    return found[0]


def test_stack_threads_and_frames(target):
    rc, records = flight_json(target.pid, "stack")
    assert rc == 0, records
    stack = only(records, "stack")
    names = {t["name"]: t for t in stack["threads"]}
    assert {"MainThread", "busy-0", "busy-1", "deep-sleeper", "reporter"} <= set(names)
    assert names["MainThread"]["main"] and not names["MainThread"]["daemon"]
    assert names["busy-0"]["daemon"] is True
    deep = names["deep-sleeper"]["frames"]
    # traceback order: outermost first, innermost last; six nested deep() frames
    assert [f["function"] for f in deep].count("deep") == 6
    assert deep[-1]["function"] == "deep" and deep[-1]["file"].endswith("service.py")
    assert all({"function", "file", "line"} <= set(f) for f in deep)
    # the client adds each frame's source line (sourcelines.py): the same line for every front door
    assert deep[-1]["code"] == "time.sleep(0.05)" and deep[-2]["code"] == "return deep(n - 1)"
    # the agent's own threads are not shown
    assert len(stack["threads"]) == 5


def test_stack_to_file_and_text(target, tmp_path):
    out = tmp_path / "stacks.txt"
    done = flight(str(target.pid), "--cmd", f"stack -f {out}")
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "Thread" in text and '"deep-sleeper"' in text and "in deep" in text
    assert f"stacks written to {out}" in done.stdout


def test_stack_native_reads_from_outside(target):
    rc, records = flight_json(target.pid, "stack --native")
    assert rc == 0, records
    stack = only(records, "stack")
    assert stack["source"] == "pystack"
    assert sum(1 for t in stack["threads"] if t["gil"]) <= 1
    assert any(f.get("native") for t in stack["threads"] for f in t["frames"])
    assert any(f["function"] == "deep" for t in stack["threads"] for f in t["frames"])


def test_getglobal_module_class_expr(target):
    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG")
    assert rc == 0
    value = only(records, "value")
    assert value["type"] == "dict" and value["value"]["len"] == 4
    keys = [e["key"]["repr"] for e in value["value"]["entries"]]
    assert keys == ["'name'", "'limits'", "'big'", "'text'"]
    big = next(e["value"] for e in value["value"]["entries"] if e["key"]["repr"] == "'big'")
    # -x 2 by default: the list is expanded, with its middle cut (100 items: 10 + 10 shown)
    assert big["len"] == 100 and {"omitted": 80} in big["items"]

    rc, records = flight_json(target.pid, "getglobal __main__ Model registry")
    assert rc == 0 and only(records, "value")["value"]["entries"][0]["value"]["repr"] == "1"

    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG -e \"target['limits']['b'][-1] * 7\"")
    assert rc == 0 and only(records, "value")["value"]["repr"] == "21"


def test_render_rules_x_v_r(target):
    _, r1 = flight_json(target.pid, "getglobal __main__ CONFIG -x 1")
    limits = next(e["value"] for e in only(r1, "value")["value"]["entries"] if e["key"]["repr"] == "'limits'")
    assert "entries" not in limits and limits["repr"] == "{'a': 1, 'b': [1, 2, 3]}"
    _, r2 = flight_json(target.pid, "getglobal __main__ CONFIG -v")
    entries = only(r2, "value")["value"]["entries"]
    big = next(e["value"] for e in entries if e["key"]["repr"] == "'big'")
    assert len(big["items"]) == 100
    text = next(e["value"] for e in entries if e["key"]["repr"] == "'text'")
    assert "cut" not in text
    _, r3 = flight_json(target.pid, "getglobal __main__ CONFIG")
    text = next(e["value"] for e in only(r3, "value")["value"]["entries"] if e["key"]["repr"] == "'text'")
    assert text["cut"] == 1002  # repr length; shown cut to 256 characters
    _, r4 = flight_json(target.pid, "getglobal __main__ CONFIG -r")
    assert only(r4, "value")["value"]["repr"].startswith("{'name': 'svc'")
    # a broken __repr__ is shown, not raised
    rc, r5 = flight_json(target.pid, "getglobal __main__ broken -x 1 -r")
    assert rc == 0 and "repr failed: RuntimeError: no repr for you" in only(r5, "value")["value"]["repr"]


def test_vmtool_instances_subclasses_and_gc(target):
    rc, records = flight_json(target.pid, "vmtool -a getInstances -c __main__ Model")
    assert rc == 0
    value = only(records, "value")
    assert value["count"] == 4  # three Model and one SubModel
    types = sorted(item["type"] for item in value["value"]["items"])
    assert types == ["__main__.Model"] * 3 + ["__main__.SubModel"]
    rc, records = flight_json(target.pid, "vmtool -a getInstances -c __main__ Model -n 2")
    assert only(records, "value")["shown"] == 2 and len(only(records, "value")["value"]["items"]) == 2
    rc, records = flight_json(
        target.pid, "vmtool -a getInstances -c __main__ Model -n -1 -e 'sum(m.score() for m in instances)'"
    )
    assert rc == 0 and only(records, "value")["value"]["repr"] == str(2 * (0 + 1 + 2 + 10))
    rc, records = flight_json(target.pid, "vmtool -a forceGc")
    assert rc == 0 and only(records, "gc")["collected"] >= 0


def test_module_command(target):
    rc, records = flight_json(target.pid, f"module {os.path.join(TARGETS, 'service.py')}")
    assert rc == 0 and only(records, "module")["modules"] == ["__main__"]
    rc, records = flight_json(target.pid, "module /nonexistent/file.py")
    assert rc == 1 and "is not imported in the target process" in only(records, "error")["message"]


def test_console_snippet(target):
    rc, records = flight_json(
        target.pid, 'console -c \'import __main__; print("hello", __main__.CONFIG["name"]); 6 * 7\''
    )
    assert rc == 0
    console = only(records, "console")
    assert console["stdout"] == "hello svc\n" and console["value"]["repr"] == "42" and console["error"] is None
    rc, records = flight_json(target.pid, "console -c '1/0'")
    assert rc == 1
    error = only(records, "console")["error"]
    assert error["type"] == "ZeroDivisionError" and "division by zero" in error["traceback"]
    # console code runs in a private namespace: the target's globals are untouched
    flight_json(target.pid, "console -c 'CONFIG = None'")
    rc, records = flight_json(target.pid, "getglobal __main__ CONFIG -x 1")
    assert only(records, "value")["type"] == "dict"
    # what console code prints does not reach the target's stdout, and the streams are restored
    report = target.wait_report(lambda r: r["results"]["iterations"] > 0)
    assert report["stdout_original"] and report["stderr_original"]


def test_help_text_and_json(target):
    done = flight(str(target.pid), "--cmd", "help")
    assert done.returncode == 0 and "getglobal" in done.stdout and "vmtool" in done.stdout
    rc, records = flight_json(target.pid, "help vmtool")
    assert rc == 0 and "getInstances" in only(records, "help")["text"]


def test_stack_asyncio_tasks(version, tmp_path):
    from conftest import Target

    t = Target(version, "async_service.py", tmp_path)
    try:
        rc, records = flight_json(t.pid, "stack -a")
        assert rc == 0, records
        tasks = {task["name"]: task for task in only(records, "stack")["tasks"]}
        assert {"slow-poller", "fast-poller"} <= set(tasks)
        slow = tasks["slow-poller"]
        assert [f["function"].split(".")[-1] for f in slow["frames"]] == ["middle", "leaf", "sleep"]
        assert slow["coroutine"].endswith("middle")
        done = flight(str(t.pid), "--cmd", "stack -a")
        assert 'Task "slow-poller"' in done.stdout
    finally:
        t.stop()


def test_stack_of_another_pid_reads_from_outside(target, tmp_path):
    from conftest import Target

    other = Target(target.version, "service.py", tmp_path, "0")
    try:
        rc, records = flight_json(target.pid, f"stack {other.pid}")
        stack = only(records, "stack")
        assert rc == 0 and stack["pid"] == other.pid and stack["source"] == "pystack"
        assert any(f["function"] == "deep" for th in stack["threads"] for f in th["frames"])
        # reading from outside never injects an agent into the other process
        assert not other.report()["flight_modules"]
    finally:
        other.stop()


def test_getglobal_names_a_function_and_hints_at_attributes(target):
    rc, records = flight_json(target.pid, "getglobal __main__ deep")
    assert rc == 0, records
    value = only(records, "value")["value"]
    assert value["qualname"] == "__main__.deep" and value["signature"] == "(n)"
    assert value["file"].endswith("service.py") and value["line"] > 1
    done = flight(str(target.pid), "--cmd", "getglobal __main__ CONFIG.limits")
    assert done.returncode != 0
    assert "getglobal __main__ CONFIG -e \"target['limits']\"" in done.stderr + done.stdout
