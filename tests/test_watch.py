"""watch end to end on every supported CPython: what is seen, -n and filters, removal."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import flight_json


def events(records: list) -> list:
    return [r for r in records if r["kind"] == "watch"]


def end_reason(records: list) -> str:
    assert records[-1]["kind"] == "end", records[-3:]
    return records[-1]["reason"]


def untouched(target) -> dict:
    """The target's own view: original code objects, no monitoring tool, globals unchanged, correct."""
    return target.wait_report(
        lambda r: r["codes_original"] and not r["monitoring_tools"] and r["globals_same"] and r["checks"]["calls"] > 0
    )


def values(event: dict) -> dict:
    return {v["expr"]: v.get("value", v.get("error")) for v in event["values"]}


def test_module_function_args_result_cost(observed):
    rc, records = flight_json(observed.pid, "watch __main__ compute -n 3 --expr 'args, kwargs, return_obj, cost'")
    assert rc == 0, records
    got = events(records)
    assert len(got) == 3 and end_reason(records) == "limit"
    for e in got:
        v = values(e)
        assert e["method"] == "__main__.compute" and e["thread_name"] == "worker"
        assert v["kwargs"]["entries"][0]["key"]["repr"] == "'scale'"
        a = int(v["args"]["items"][0]["repr"])
        if e["exception"] is None:
            assert int(v["return_obj"]["repr"]) == (a + 2) * 3
        assert float(v["cost"]["repr"]) == pytest.approx(e["cost_ms"], rel=1e-3)
    assert untouched(observed)["checks"]["errors"] == 0


def test_filter_and_limit_count_shown_calls_only(observed):
    rc, records = flight_json(observed.pid, "watch __main__ compute -n 2 -f 'args[0] == 7' --expr 'args[0]'")
    got = events(records)
    assert rc == 0 and [values(e)["args[0]"]["repr"] for e in got] == ["7", "7"] and [e["index"] for e in got] == [1, 2]


def test_exceptions_only(observed):
    rc, records = flight_json(observed.pid, "watch __main__ compute -e -n 1")
    (e,) = events(records)
    assert e["exception"] == {"type": "ValueError", "message": "thirteen"}


def test_methods_classmethods_staticmethods(observed):
    _, records = flight_json(
        observed.pid, "watch __main__ Shop price -n 1 --expr 'target.name, args, kwargs, return_obj'"
    )
    v = values(events(records)[0])
    # price(i, discount=1): a positional parameter given by keyword is in args, as the frame sees it
    assert v["target.name"]["repr"] == "'s'" and v["kwargs"]["len"] == 0 and v["args"]["items"][1]["repr"] == "1"
    assert int(v["return_obj"]["repr"]) == int(v["args"]["items"][0]["repr"]) * 2 - 1
    _, records = flight_json(observed.pid, "watch __main__ Shop create -n 1 --expr 'target.__name__, args'")
    v = values(events(records)[0])
    assert v["target.__name__"]["repr"] == "'Shop'" and v["args"]["items"][0]["repr"] == "'x'"
    _, records = flight_json(observed.pid, "watch __main__ Shop fmt -n 1 --expr 'target, return_obj'")
    v = values(events(records)[0])
    assert v["target"]["repr"] == "None" and v["return_obj"]["repr"].startswith("'<")
    assert untouched(observed)["checks"]["errors"] == 0


def test_references_held_elsewhere_and_decorated(observed):
    _, records = flight_json(observed.pid, "watch __main__ callback -n 1 --expr 'args, return_obj'")
    assert values(events(records)[0])["return_obj"]["repr"] == "'GO'"  # called through ROUTES["cb"]
    _, records = flight_json(observed.pid, "watch __main__ decorated -n 1 --expr 'return_obj'")
    assert events(records)  # the name refers to the functools.wraps wrapper: its calls are seen
    assert untouched(observed)["checks"]["errors"] == 0


def test_async_function_cost_includes_awaiting(observed):
    _, records = flight_json(observed.pid, "watch __main__ fetch -n 2 --expr 'args, return_obj'")
    got = events(records)
    assert len(got) == 2 and all(e["cost_ms"] >= 15 for e in got) and values(got[0])["return_obj"]["repr"] == "0.04"
    assert got[0]["thread_name"] == "loop"


def test_nested_function(observed, version):
    rc, records = flight_json(observed.pid, "watch __main__ Shop outer -nm inner -n 2 --expr 'args, return_obj'")
    assert rc == 0, records
    got = events(records)
    assert len(got) == 2 and got[0]["method"] == "__main__.Shop.outer.inner"
    assert untouched(observed)["checks"]["errors"] == 0


def test_two_watchers_stop_independently(observed):
    cli = [sys.executable, "-m", "jupyterlab_flight.cli", str(observed.pid), "--json", "--cmd"]
    long_one = subprocess.Popen(
        [*cli, "watch __main__ compute -n 100000 --expr 'args[0]'", "--timeout", "4"], stdout=subprocess.PIPE, text=True
    )
    time.sleep(1.0)
    rc, short = flight_json(observed.pid, "watch __main__ compute -n 3 --expr 'args[0]'")
    assert rc == 0 and len(events(short)) == 3
    out, _ = long_one.communicate(timeout=30)
    long_records = [json.loads(line) for line in out.splitlines()]
    assert end_reason(long_records) == "timeout" and len(events(long_records)) > 50
    assert untouched(observed)["checks"]["errors"] == 0


def test_client_killed_mid_stream_removes_the_hook(observed):
    cli = [
        sys.executable,
        "-m",
        "jupyterlab_flight.cli",
        str(observed.pid),
        "--json",
        "--cmd",
        "watch __main__ Shop price -n 100000",
    ]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, text=True)
    assert json.loads(proc.stdout.readline())["kind"] == "message"
    assert json.loads(proc.stdout.readline())["kind"] == "watch"
    observed.wait_report(lambda r: not r["codes_original"] or r["monitoring_tools"])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert untouched(observed)["checks"]["errors"] == 0


def test_ctrl_c_ends_the_stream(observed):
    cli = [
        sys.executable,
        "-m",
        "jupyterlab_flight.cli",
        str(observed.pid),
        "--json",
        "--cmd",
        "watch __main__ compute -n 100000",
    ]
    proc = subprocess.Popen(
        cli, stdout=subprocess.PIPE, text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    proc.stdout.readline()
    proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    records = [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 0 and end_reason(records) == "stopped"
    assert untouched(observed)["checks"]["errors"] == 0


def test_detach_removes_active_watches(observed):
    cli = [
        sys.executable,
        "-m",
        "jupyterlab_flight.cli",
        str(observed.pid),
        "--json",
        "--cmd",
        "watch __main__ compute -n 100000",
    ]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()
    proc.stdout.readline()
    rc, records = flight_json(observed.pid, "detach")
    assert rc == 0 and "detached" in records[0]["text"]
    out, _ = proc.communicate(timeout=30)
    untouched(observed)
    # the agent's thread drops its modules as it exits, a moment after detach answered
    assert observed.wait_report(lambda r: not r["flight_modules"])["codes_original"]


def test_bad_targets_are_clear_errors(observed):
    for line, message in [
        ("watch __main__ nope", "module '__main__' has no global named 'nope'"),
        ("watch __main__ Shop nope", "class 'Shop' has no method named 'nope'"),
        ("watch __main__ CHECKS", "is a dict, not a Python function"),
        ("watch json dumps -n 1", None),  # json is imported: a real function, fine
        ("watch wave open", "module 'wave' is not imported"),
        ("watch __main__ compute --expr 'args['", "is not valid: SyntaxError"),
    ]:
        rc, records = flight_json(observed.pid, line, *(["--timeout", "0.5"] if message is None else []))
        if message is None:
            continue
        assert rc == 1 and message in [r for r in records if r["kind"] == "error"][0]["message"], (line, records)
    assert untouched(observed)["checks"]["errors"] == 0
