"""Terminal text of every record kind, from the shared fixtures (tests/fixtures/records/)."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from jupyterlab_flight.render.registry import TEXT, Registry
from jupyterlab_flight.render.text import processes_rows, render_text, value_text

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"
CLOCK = r"\d\d:\d\d:\d\d\.\d{3}"


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


ALL = sorted(p.stem for p in FIXTURES.glob("*.json"))

# What a user reads in each kind's text: the facts of the fixture record.
FACTS = {
    "stack": [
        'Thread 10916 "MainThread" (main) (most recent call last):',
        'Thread 10918 "worker" (daemon) (most recent call last):',
        '  File "/srv/app/observed.py", line 111, in worker',
        'Task "Task-1" (waiting) coroutine async_worker.<locals>.main',
        "  awaiting <_asyncio.FutureIter object at 0x7f29df47e500>",
    ],
    "value": [
        "EXPR:  instances",
        "TYPE:  list",
        "FOUND: 5 instance(s), 2 used",
        "  threading.Thread(\n    _target=<function worker at 0x7f29df4a1f80>,\n    _name='worker',",
    ],
    "gc": ["garbage collection done: 352 unreachable objects found, 0 uncollectable"],
    "module": ["/srv/app/observed.py is imported as: __main__"],
    "console": ["hello\ncareful\n{", "'sizes': [", "... 10 more ...", "'name': '<script>alert(1)</script>'"],
    "help": ["usage: watch [-nm NAME]", "examples:\n  watch __main__ handle"],
    "message": ["watching __main__.compute (up to 1); Ctrl-C / stop ends it"],
    "error": ["error: expression 'target[\"missing\"]' raised: KeyError: 'missing'"],
    "watch": [
        "__main__.compute cost=0.022ms thread=worker",
        "  raised ValueError: thirteen",
        "  args = (13, 2)",
        "  return_obj = None",
        "  exception = ValueError('thirteen')",
        "  1/0 -> raised ZeroDivisionError: division by zero",
    ],
    "mem_summary": [
        "mem summary: 328,643 objects, 17.3 MiB in 153 types (walk 0.07 s, c, longest GIL hold 8.3 ms (4.9 ms CPU))",
        "TYPE            COUNT   SIZE     SHARE",
        "__main__.Point  60,000  2.7 MiB  15.9%",
        "(149 more types; -l to show more)",
        "RSS 33.3 MiB, PSS 29.0 MiB, not in Python objects 16.0 MiB",
    ],
    "mem_diff": [
        "mem diff by type, cycle 1 (1 s): +1,237 objects, +101.5 KiB (10 types changed); RSS +84.0 KiB to 37.4 MiB",
        "__main__.Session  +210    +9.8 KiB   880     41.2 KiB",
    ],
    "mem_refs": [
        "mem refs __main__.Session: 1,200 live instances, 2 chains",
        "  __main__._SESSIONS[1]   (module global, 2 steps)",
    ],
    "gil_stats": [
        "GIL busy 95 %: gil-hog held 59 % in ~14 ms bursts, cruncher-1 held 19 % in ~1.4 ms bursts; "
        "sleeper waited 78 %; cruncher-0 and cruncher-1 waited 62 %",
        "THREAD      TID    HOLD%  WAIT%  TAKES",
        "gil-hog     31719  59.1   9.4    42     14.4 ms   2.3 ms    63.2 ms",
    ],
    "gil_event": [
        "gil-hog held the GIL 23.8 ms (over 5 ms) in burst (/srv/app/jobs.py:36)",
        '  File "/srv/app/jobs.py", line 54, in hog',
    ],
    "monitor": ["__main__.compute cycle 1: calls=193 ok=183 failed=10 avg=0.008ms p50=0.007ms p99=0.037ms max=0.040ms"],
    "trace": [
        "__main__.slow cost=400.158ms thread=slow",
        "[400.158ms 100%] slow  /srv/app/observed.py:76",
        "`-- [400.138ms 100%] time.sleep  <built-in>",
    ],
    "tt_record": ["1000", "0.002", "yes", "no", "worker", "__main__.Shop.price"],
    "tt_list": ["INDEX", "COST(ms)", "RETURNED", "RAISED", "1000", "1001", "1002", "__main__.Shop.price"],
    "tt_detail": [
        "INDEX:     1000",
        "METHOD:    __main__.Shop.price",
        "COST:      0.002ms",
        "THREAD:    worker",
        "TARGET:    __main__.Shop(\n    name='s'\n  )",
        "ARGS:      (5, 1)",
        "KWARGS:    {}",
        "RETURNED:  9",
    ],
    "end": ["(end: reached the -n limit; hooks removed)"],
    "processes": ["PID", "PYTHON", "10916", "3.11", "25 MB", "6f0c2a41 analysis.ipynb (this kernel)"],
    "sessions": ["* 10916", "3.11.7", "/root/.pyenv/versions/3.11.7/bin/python", "  11020"],
    "exceptions": [
        "exceptions (sys.monitoring, process-wide, tool id 3, 1.088 s): 410 raised in 2 groups",
        "205    188.4  KeyError    'user <n> not found'         Service.lookup (service.py:34)  Service.handle (service.py:45) 205",
        "    service.py:34 in Service.lookup",
    ],
    "diagnosis": [
        "diagnosis (hang): deadlock, confidence 95%",
        "  1. Deadlock between 'audit' and 'transfer'  [records #1, #2]",
        "thread 'audit' holds LEDGER_LOCK (acquire() at deadlock.py:38 in audit) and waits for ACCOUNTS_LOCK",
        "likely cause: a lock-order inversion",
        "next:\n  stack --native",
    ],
    "torch_profile": [
        "torch profile of __main__.Trainer.train_step: 1 call (9.0 ms) on cpu, thread trainer",
        "the timeline keeps the 34 longest of 848 events",
        "aten::mm                  5      1.4 ms",
    ],
    "torch_memory": ["peak 3.1 MiB at 3.7 ms", "activations      1.0 MiB", "train_step"],
    "torch_snapshot": [
        "15.0 MiB allocated of 22.0 MiB reserved in 2 segments",
        "fragmentation 43%",
        "train_step (/app/train.py:41)",
    ],
    "torch_tensors": ["33 live tensors (cpu 1.9 MiB)", "EMBEDDINGS", "1000x128"],
    "job": [
        "3 ranks in all_reduce (rank 0, 1, 3); rank 2 in load_batch, job_rank.py:34",
        "load_batch  job_rank.py:34  << diverges from the majority here",
        "launcher (job_launcher.py)",
    ],
    "reload": [
        "reloaded __main__.price from /srv/shop/app.py:12",
        "-    return qty * unit",
        "+    return round(qty * unit, 2)",
    ],
    "profile": [
        "profile of pid 10916: 812 samples at 97.3 of 100 Hz in 5.1 s (py-spy 0.4.3); 0.12 s not sampled",
        "  2 threads: MainThread 500, worker 312",
        "SELF%  TOTAL%  SAMPLES  FUNCTION",
        " 81.3    81.3      660  price                    /srv/app/busy.py:20",
    ],
}


def test_every_fixture_has_facts_to_check():
    assert sorted(FACTS) == ALL


@pytest.mark.parametrize("kind", ALL)
def test_text_of_every_kind(kind):
    record = fixture(kind)
    assert kind in TEXT, f"{kind} would show through the fallback"
    text = render_text(record)
    for fact in FACTS[kind]:
        assert fact in text, f"{kind}: {fact!r} not in\n{text}"
    assert not text.startswith("{'v'"), "the fallback's repr"


def test_watch_line_names_the_call():
    text = render_text(fixture("watch"))
    assert re.match(rf"\[x\] #1 {CLOCK} __main__\.compute cost=0\.022ms thread=worker$", text.splitlines()[0])
    ok = dict(fixture("watch"), exception=None)
    assert render_text(ok).startswith("[+] #1 ")
    assert "raised ValueError" not in render_text(ok)


def test_watch_filter_error_is_shown_with_the_call():
    record = dict(fixture("watch"), filter_error={"expr": "args[7]", "type": "IndexError", "message": "out of range"})
    assert "  filter 'args[7]' raised IndexError: out of range (call shown)" in render_text(record)


def test_tt_record_is_a_row_without_header():
    text = render_text(fixture("tt_record"))
    assert "\n" not in text and "INDEX" not in text
    assert re.match(rf"1000\s+{CLOCK}\s+0\.002\s+yes\s+no\s+worker\s+__main__\.Shop\.price$", text)


def test_tt_list_empty_and_evicted():
    text = render_text({"v": 1, "kind": "tt_list", "records": [], "evicted": 4})
    assert (
        text
        == "no records (tt -t module [class] method records calls)\n(4 older records were evicted to stay within bounds)"
    )


def test_tt_detail_of_a_replay_that_raised():
    record = dict(
        fixture("tt_detail"),
        replay_of=1000,
        index=1003,
        exception={"type": "ValueError", "message": "no", "traceback": "Traceback ...\nValueError: no\n"},
    )
    text = render_text(record)
    assert "INDEX:     1003 (replay of 1000)" in text
    assert "RAISED:    Traceback ...\nValueError: no" in text and "RETURNED" not in text


def test_trace_folded_calls_and_await():
    record = fixture("trace")
    record["root"]["children"].append(
        {"function": "sleep", "file": "x.py", "line": 1, "cost_ms": 0, "await": True, "children": [], "folded": None}
    )
    record["root"]["folded"] = {"count": 3, "cost_ms": 0.0123}
    lines = render_text(record).splitlines()
    assert lines[2] == "|-- [400.138ms 100%] time.sleep  <built-in>"
    assert lines[3] == "|-- [0.000ms 0%] [await] suspended  x.py:1"
    assert lines[4] == "`-- (3 calls under -i, 0.012ms in all)"


def test_stack_from_pystack_with_native_frames_and_no_tasks():
    record = {
        "v": 1,
        "kind": "stack",
        "pid": 7,
        "source": "pystack",
        "native": True,
        "tasks": [],
        "threads": [
            {
                "thread_id": 1,
                "native_id": 7,
                "name": None,
                "gil": True,
                "frames_omitted": 2,
                "frames": [{"function": "pthread_cond_wait", "native": True, "library": "libc.so.6"}],
            }
        ],
    }
    text = render_text(record)
    assert 'Thread 7 "?" (holds the GIL) (most recent call last):' in text
    assert "  ... 2 outer frames omitted ..." in text
    assert "  (C) pthread_cond_wait (libc.so.6)" in text
    assert "no pending asyncio tasks" in text
    assert text.endswith("(read from outside by pystack, native frames)")


def test_console_error_shows_the_traceback():
    record = {
        "v": 1,
        "kind": "console",
        "stdout": "1\n",
        "stderr": "",
        "value": None,
        "error": {"type": "ZeroDivisionError", "message": "division by zero", "traceback": None},
    }
    assert render_text(record) == "1\nZeroDivisionError: division by zero"


def test_end_reasons_and_unknown_reason():
    assert render_text({"v": 1, "kind": "end", "reason": "stopped"}) == "(end: stopped; hooks removed)"
    assert render_text({"v": 1, "kind": "end", "reason": "later"}) == "(end: later; hooks removed)"


def test_sessions_empty():
    assert render_text({"v": 1, "kind": "sessions", "sessions": []}) == "no sessions: %flight attach <pid>"


def test_processes_rows_are_shared_with_html():
    headers, rows = processes_rows(fixture("processes"))
    assert headers == ["PID", "USER", "PYTHON", "CPU%", "RSS", "KERNEL", "COMMAND"]
    assert rows[1][:6] == [11020, "root", "3.12", 0.5, "100 MB", "6f0c2a41 analysis.ipynb (this kernel)"]
    long = {"v": 1, "kind": "processes", "processes": [{"pid": 1, "cmdline": "python " + "x" * 200}]}
    assert len(processes_rows(long)[1][0][6]) == 100  # long command lines are cut


def test_value_text_layout():
    leaf = {"type": "int", "repr": "1"}
    assert value_text({"type": "tuple", "len": 1, "items": [leaf]}) == "(1,)"
    assert value_text({"type": "str", "repr": "'xx", "cut": 5000}) == "'xx  [cut: 5000 characters]"
    assert value_text({"type": "collections.deque", "len": 0, "items": []}) == "collections.deque([])"
    nested = {"type": "list", "len": 2, "items": [{"type": "list", "len": 1, "items": [leaf]}, {"omitted": 3}]}
    assert value_text(nested) == "[\n  [1],\n  ... 3 more ...\n]"
    obj = {"type": "app.Box", "attrs": [{"name": "a", "value": leaf}, {"omitted": 2}]}
    assert value_text(obj) == "app.Box(\n  a=1,\n  ... 2 more ...\n)"


def test_unknown_kind_falls_back_to_the_record():
    record = {"v": 1, "kind": "from_a_newer_agent", "x": 1}
    assert "from_a_newer_agent" not in TEXT
    assert render_text(record) == str(record)


def test_registry_refuses_a_second_renderer_for_a_kind():
    registry = Registry("test", fallback=lambda r: "?")

    @registry.renderer("a", "b")
    def first(record):
        return "first"

    assert registry.kinds() == ["a", "b"] and registry.render({"kind": "b"}) == "first"
    assert registry.render({"kind": "c"}) == "?"
    with pytest.raises(ValueError, match="'a' is already registered"):
        registry.renderer("a")(first)
