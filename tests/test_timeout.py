"""--timeout applies to every command, not only to streams (issue 18, item 4)."""

from __future__ import annotations

import time

from conftest import flight_json


def test_timeout_interrupts_a_one_shot_command(target):
    flight_json(target.pid, "console -c '1'")  # attach first: the timing below is the command's
    started = time.monotonic()
    rc, records = flight_json(target.pid, "console -c 'import time; time.sleep(30)'", "--timeout", "1")
    took = time.monotonic() - started
    assert rc == 1
    errors = [r for r in records if r["kind"] == "error"]
    assert errors and errors[-1]["message"] == "console did not finish within --timeout 1 s: it was interrupted"
    assert took < 15, took  # 1 s, the 2 s grace, the client's start; far from the 30 s sleep
    # code that runs Python is interrupted in the target and says so
    rc, records = flight_json(target.pid, "console -c 'while True: pass'", "--timeout", "1")
    assert rc == 1 and any(r.get("error", {}) and r["error"]["type"] == "KeyboardInterrupt" for r in records)
    # the target goes on, and the next command runs
    rc, records = flight_json(target.pid, "console -c '6 * 7'")
    assert rc == 0 and records[0]["value"]["repr"] == "42"


def test_timeout_ends_a_stream_with_its_records(target):
    rc, records = flight_json(target.pid, "watch __main__ work -n 100000", "--timeout", "1")
    assert rc == 0 and records[-1] == {"v": 1, "kind": "end", "reason": "timeout"}
