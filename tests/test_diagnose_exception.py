"""diagnose exception against a service whose handler raises on some inputs at known rates
(targets/failing_service.py: per 10 requests, one KeyError 'user N not found' raised in
Service.lookup and caught in Service.handle, one ValueError raised in Service.parse that escapes
handle and is caught in serve), on 3.13 (process-wide, sys.monitoring) and 3.9 (no process-wide
hook: refused; the given method through watch -e's hook).

The groups, their counts against the target's own, the raising and catching lines, the threads
and an example stack must be right, every ``next`` line parses, and the target is unharmed: still
serving at its rate, no sys.monitoring tool left, its threads' profile and trace functions as
before.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import Target, flight_json
from jupyterlab_flight.commands.parser import parse_command


@pytest.fixture(scope="module", params=["3.9", "3.13"])
def service(request, tmp_path_factory):
    t = Target(request.param, "failing_service.py", tmp_path_factory.mktemp("svc"))
    yield t
    err = t.stop()
    assert "Traceback" not in err, err


def monitoring(t: Target) -> bool:
    return tuple(map(int, t.version.split("."))) >= (3, 12)


def counts(t: Target) -> dict:
    return t.report()["counts"]


def rate(t: Target, seconds: float = 0.5) -> float:
    """Requests per second the target served over ``seconds``."""
    first = t.report()
    time.sleep(seconds)
    last = t.report()
    return (last["counts"]["requests"] - first["counts"]["requests"]) / max(last["time"] - first["time"], 1e-3)


def unharmed(t: Target, before_rate: float, hooks_before: dict) -> None:
    assert t.proc.poll() is None
    after = rate(t)
    assert after >= 0.6 * before_rate, (before_rate, after)
    hooks = t.wait_report(lambda r: r["hooks"] == hooks_before, timeout=3)["hooks"]
    assert hooks["tools"] == {}  # no sys.monitoring tool left (ours was freed)
    assert all(v == ["None", "None"] for v in hooks["threads"].values()), hooks


def diagnose(t: Target, line: str) -> tuple[list, dict]:
    rc, records = flight_json(t.pid, line)
    assert rc == 0, records
    assert records[-1]["kind"] == "diagnosis", records
    for next_line in records[-1]["next"]:
        parse_command(next_line)
    return records, records[-1]


def at(t: Target, name: str) -> str:
    report = t.report()
    return f"{os.path.basename(report['file'])}:{report['lines'][name]}"


def test_process_wide_groups_by_type_message_and_function(service):
    if not monitoring(service):
        pytest.skip("process-wide needs sys.monitoring (3.12+): see the next test")
    before_rate, hooks_before = rate(service), service.report()["hooks"]
    first, started = counts(service), time.monotonic()
    records, d = diagnose(service, "diagnose exception -d 2")
    last, wall = counts(service), time.monotonic() - started
    census = next(r for r in records if r["kind"] == "exceptions")
    assert census["mechanism"] == "sys.monitoring" and census["scope"] == "process" and census["tool_id"] in (3, 4)
    groups = {g["type"]: g for g in census["groups"]}
    assert set(groups) == {"KeyError", "ValueError"}, census["groups"]
    key, value = groups["KeyError"], groups["ValueError"]
    assert key["pattern"] == "'user <n> not found'" and value["pattern"] == "bad amount <n> for user <n>"
    assert key["function"] == "Service.lookup" and f"{os.path.basename(key['file'])}:{key['line']}" == at(
        service, "lookup-raise"
    )
    assert value["function"] == "Service.parse"
    # counted: no more than the target raised over the whole run, most of what it raised in -d
    for group, counter in ((key, "not_found"), (value, "bad")):
        raised = last[counter] - first[counter]
        assert 0.6 * raised * census["duration_s"] / wall <= group["count"] <= raised, (group["count"], raised)
    assert abs(key["count"] - value["count"]) <= 4  # one of each per 10 requests, per thread
    assert {t["name"] for t in key["threads"]} == {"worker-1", "worker-2"}
    # where each was caught: the except lines, every one of them
    [caught] = key["caught"]
    assert caught["function"] == "Service.handle" and caught["count"] == key["count"]
    assert f"{os.path.basename(caught['file'])}:{caught['line']}" == at(service, "handle-except")
    [caught] = value["caught"]
    assert caught["function"] == "serve" and f"{os.path.basename(caught['file'])}:{caught['line']}" == at(
        service, "serve-except"
    )
    assert key["not_caught"] == value["not_caught"] == 0
    stack = [f["function"] for f in key["example"]["stack"]]
    assert stack[-3:] == ["serve", "Service.handle", "Service.lookup"]
    assert key["example"]["message"] in key["samples"] and key["example"]["message"].startswith("'user ")
    # the diagnosis says it in words
    assert d["workflow"] == "exception" and d["classification"] == "caught", d
    finding = next(f for f in d["findings"] if f["title"].startswith("KeyError"))
    assert f"by Service.lookup ({at(service, 'lookup-raise')})" in finding["evidence"]
    assert f"caught in Service.handle ({at(service, 'handle-except')})" in finding["evidence"]
    assert "'worker-1'" in finding["evidence"] and records[finding["records"][0]]["kind"] == "exceptions"
    assert 'watch __main__ Service lookup -e -n 5 --expr "args, exception"' in d["next"]
    assert "tool id" in next(f for f in d["findings"] if f["title"] == "How the exceptions were counted")["evidence"]
    unharmed(service, before_rate, hooks_before)


def test_the_exceptions_escaping_a_method(service):
    before_rate, hooks_before = rate(service), service.report()["hooks"]
    first, started = counts(service), time.monotonic()
    records, d = diagnose(service, "diagnose exception __main__ Service handle -d 1")
    last, wall = counts(service), time.monotonic() - started
    census = next(r for r in records if r["kind"] == "exceptions")
    assert census["mechanism"] == "probe" and census["method"] == "__main__.Service.handle"
    [group] = census["groups"]  # the KeyError is caught inside handle: it never escapes
    assert group["type"] == "ValueError" and group["function"] == "Service.parse"
    assert f"{os.path.basename(group['file'])}:{group['line']}" == at(service, "parse-raise")
    raised = last["bad"] - first["bad"]
    assert 0.5 * raised * census["duration_s"] / wall <= group["count"] <= raised
    assert [f["function"] for f in group["example"]["stack"]][-3:] == ["serve", "Service.handle", "Service.parse"]
    assert d["classification"] == "escaping" and "escaped __main__.Service.handle" in d["summary"]
    assert 'watch __main__ Service parse -e -n 5 --expr "args, exception"' in d["next"]
    unharmed(service, before_rate, hooks_before)


def test_before_312_process_wide_is_refused_and_says_why(service):
    if monitoring(service):
        pytest.skip("3.12+ counts process-wide")
    rc, records = flight_json(service.pid, "diagnose exception -d 1")
    assert rc == 1 and records[-1]["kind"] == "diagnosis"  # the step's error is an error record
    d = records[-1]
    assert d["classification"] == "unknown"
    assert "no cheap process-wide exception hook" in d["cause"] and "module [class] method" in d["cause"]


def test_stopped_early_still_gives_a_diagnosis(service):
    """Ctrl-C at the CLI: the census so far, then the diagnosis, marked stopped."""
    line = "diagnose exception -d 20" if monitoring(service) else "diagnose exception __main__ Service handle -d 20"
    cli = [sys.executable, "-m", "jupyterlab_flight.cli", str(service.pid), "--cmd", line, "--json"]
    proc = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=15)
    assert time.monotonic() - started < 5, "the stop took too long"
    import json

    records = [json.loads(x) for x in out.splitlines() if x.strip()]
    assert records and records[-1]["kind"] == "diagnosis", (out, err)
    census = next(r for r in records if r["kind"] == "exceptions")
    assert census["reason"] == "stopped" and census["raised"] > 0
    assert records[-1]["stopped"] is True and records[-1]["classification"] in ("caught", "escaping")
    assert service.wait_report(lambda r: r["hooks"]["tools"] == {}, timeout=3)
