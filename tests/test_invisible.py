"""Observation is invisible to the target's own code, on every supported CPython.

targets/invisible.py checks, in a loop, what its functions see of their stack (tracebacks it
formats itself, warnings' stacklevel, sys._getframe, inspect.stack, logging's caller lookup,
traceback.extract_stack; through functions, methods, nested functions, coroutines) against what
they saw before anyone attached. Here every one of those functions is watched, traced and
recorded at once, each stream until it has seen calls, and the target must never have seen a
difference. tt and console show tracebacks of the user's code only.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from conftest import TARGETS, Target, flight_json
from jupyterlab_flight.attach import attach
from jupyterlab_flight.commands.parser import parse_command

# Each is a stream that ends by itself once it has shown calls (its -n)
STREAMS = [
    "watch __main__ raises -n 3 -e",
    "watch __main__ deeper -n 3 -e",
    "watch __main__ warns -n 3",
    "watch __main__ who_calls -n 3",
    "watch __main__ stack_seen -n 3",
    "watch __main__ extracted -n 3",
    "watch __main__ log_for_caller -n 3",
    "watch __main__ Service check -n 3",
    "watch __main__ Service handle -n 3",
    "watch __main__ outer -nm inner -n 3",
    "watch __main__ outer -n 3",
    "watch __main__ fetch -n 3",
    "trace __main__ caller_of_raises -n 3",
    "trace __main__ caller_of_log -n 3",
    "monitor __main__ caller_of_warns -c 0.2 -n 2",
    "tt -t __main__ caller_of_nested -n 3",
]


def run_streams(pid: int, lines: list) -> dict:
    """Run every stream at once (one connection each); {line: records}."""
    results: dict = {}
    clients = [attach(pid) for _ in lines]

    def run(client, line):
        parsed = parse_command(line)
        results[line] = list(client.run(parsed.name, parsed.request, long_running=True, timeout=60))

    workers = [threading.Thread(target=run, args=(c, line)) for c, line in zip(clients, lines)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(90)
    for c in clients:
        c.close()
    return results


def kinds(records: list, kind: str) -> list:
    return [r for r in records if r["kind"] == kind]


@pytest.fixture
def invisible(version, tmp_path):
    t = Target(version, "invisible.py", tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def test_observed_functions_see_their_stack_as_unobserved(invisible):
    before = invisible.wait_report(lambda r: r["rounds"] > 3)
    results = run_streams(invisible.pid, STREAMS)  # outer and outer.inner at once too
    for line, records in results.items():
        assert records and records[-1] == {"v": 1, "kind": "end", "reason": "limit"}, (line, records[-3:])
        assert not any("hooked with a wrapper" in r.get("text", "") for r in records), line
    assert len(kinds(results["trace __main__ caller_of_raises -n 3"], "trace")) == 3
    report = invisible.wait_report(lambda r: r["rounds"] > before["rounds"] + 3)
    assert report["mismatches"] == []
    rc, records = flight_json(invisible.pid, "detach")
    assert rc == 0
    report = invisible.wait_report(lambda r: r["rounds"] > before["rounds"] + 6)
    assert report["code_original"] and not any(report["tools"].values()) and report["mismatches"] == []


def test_tt_and_console_show_the_users_code_only(invisible):
    flight_json(invisible.pid, "tt -da")
    rc, records = flight_json(invisible.pid, "tt -t __main__ raises -n 1")
    (row,) = kinds(records, "tt_record")
    rc, records = flight_json(invisible.pid, f"tt -i {row['index']}")
    recorded = kinds(records, "tt_detail")[0]["exception"]["traceback"]
    # the call as it ended: from the observed function down, the target's file only
    assert recorded.splitlines()[1].strip().startswith('File "') and "in raises" in recorded.splitlines()[1]
    # nothing of ours in it (the checkout's own path may contain "flight": it is taken out first)
    ours = recorded.replace(os.path.join(TARGETS, "invisible.py"), "")
    assert "flight" not in ours and "ValueError: bad 3" in recorded
    rc, records = flight_json(invisible.pid, f"tt -i {row['index']} -p")
    replay = kinds(records, "tt_detail")[0]
    assert replay["replay_of"] == row["index"] and replay["thread_name"] == "flight-replay"
    assert replay["exception"]["traceback"] == recorded
    rc, records = flight_json(invisible.pid, "console -c 'import __main__; __main__.deeper(1)'")
    text = kinds(records, "console")[0]["error"]["traceback"]
    frames = [line.strip() for line in text.splitlines() if line.strip().startswith("File ")]
    assert frames[0].startswith('File "<flight console>"') and len(frames) == 3
    assert all("invisible.py" in f for f in frames[1:]) and "flight_agent" not in text
    rc, records = flight_json(invisible.pid, "console -c '1/0'")
    text = kinds(records, "console")[0]["error"]["traceback"]
    assert [line for line in text.splitlines() if "File" in line] == ['  File "<flight console>", line 1, in <module>']
    # the replay's and the console's threading names leave nothing in the target's threading
    rc, records = flight_json(
        invisible.pid, "console -c 'import threading; sorted(t.name for t in threading.enumerate())'"
    )
    names = [item["repr"] for item in kinds(records, "console")[0]["value"]["items"]]
    assert "'flight-console'" in names and not any("Dummy" in n or "flight-replay" in n for n in names)
    rc, records = flight_json(invisible.pid, "getglobal threading _active -x 1")
    assert "flight" not in str(kinds(records, "value")[0]["value"]) and "Dummy" not in str(records)


def test_ctrl_c_reaches_the_target_while_observed(invisible):
    """The target's SIGINT handler runs in whatever the main thread runs, the agent's code included:
    its KeyboardInterrupt must go on into the target's code, never be swallowed."""
    done: list = []
    command = "watch __main__ tick -n 100000000 -f 'cost < 0'"  # every call observed, none shown
    runner = threading.Thread(target=lambda: done.append(flight_json(invisible.pid, command, "--timeout", "6")))
    runner.start()
    try:
        invisible.wait_report(lambda r: r["ticks"] > 0)
        time.sleep(1.5)  # the watch is on
        # one SIGINT at a time, the next once the target has counted it: two signals that arrive
        # before the main thread runs Python's handler are one call of it (CPython's own coalescing)
        for sent in range(1, 31):
            invisible.proc.send_signal(signal.SIGINT)
            invisible.wait_report(lambda r, sent=sent: r["interrupts"] >= sent, timeout=3)
        assert invisible.report()["interrupts"] == 30
    finally:
        runner.join(60)
    rc, records = done[0]
    assert rc == 0 and records[0]["text"].startswith("watching __main__.tick") and records[-1]["reason"] == "timeout"


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_other_sys_monitoring_tools_keep_their_ids(version, tmp_path):
    # The target holds tool 4 for its own counter on raises: the agent takes 3, invisibly.
    t = Target(version, "invisible.py", tmp_path, "hold-tools=4")
    try:
        before = t.wait_report(lambda r: r["own_tool_calls"] > 0)
        (records,) = run_streams(t.pid, ["watch __main__ raises -n 3 -e"]).values()
        assert records[-1]["reason"] == "limit" and len(kinds(records, "watch")) == 3
        assert "hooked with a wrapper" not in str(records)
        flight_json(t.pid, "detach")
        after = t.wait_report(lambda r: r["own_tool_calls"] > before["own_tool_calls"] + 10)
        assert after["tools"] == {"0": None, "1": None, "2": None, "3": None, "4": "target-tool-4", "5": None}
        assert after["mismatches"] == [] and after["code_original"]
    finally:
        assert "Traceback" not in t.stop()
    # Every id but the debuggers' is taken: the wrapper, and the stream says so.
    t = Target(version, "invisible.py", tmp_path, "hold-tools=1,2,3,4,5")
    try:
        before = t.wait_report(lambda r: r["own_tool_calls"] > 0)
        (records,) = run_streams(t.pid, ["watch __main__ raises -n 3 -e"]).values()
        assert len(kinds(records, "watch")) == 3
        note = kinds(records, "message")[1]["text"]
        assert "tool ids 3 and 4 are taken" in note and "wrapper" in note
        flight_json(t.pid, "detach")
        after = t.wait_report(lambda r: r["own_tool_calls"] > before["own_tool_calls"] + 10)
        assert after["tools"] == {"0": None, **{str(i): f"target-tool-{i}" for i in range(1, 6)}}
        assert after["code_original"]
    finally:
        assert "Traceback" not in t.stop()


def test_an_expression_that_exits_is_reported_and_the_target_goes_on(invisible):
    rc, records = flight_json(invisible.pid, "watch __main__ raises -n 1 -e -f 'exit()' --expr 'quit(3)'")
    (call,) = kinds(records, "watch")
    assert call["filter_error"]["type"] == "SystemExit" and call["values"][0]["error"]["type"] == "SystemExit"
    rc, records = flight_json(invisible.pid, "getglobal __main__ STATE -e 'exit()'")
    assert rc == 1 and "SystemExit" in kinds(records, "error")[0]["message"]
    before = invisible.report()["rounds"]
    assert invisible.wait_report(lambda r: r["rounds"] > before + 3)["mismatches"] == []
    assert invisible.proc.poll() is None
