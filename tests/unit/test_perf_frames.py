"""py-spy's frame text read back (perf/frames.py), from lines py-spy 0.4 writes."""

from __future__ import annotations

import pytest
from jupyterlab_flight.perf.frames import (
    NATIVE,
    OTHER,
    PROCESS,
    PYTHON,
    THREAD,
    Frame,
    complete,
    parse_frame,
    parse_line,
    split_stack,
)


@pytest.mark.parametrize(
    "text, frame",
    [
        ("work (/tmp/t.py:2)", Frame(PYTHON, "work", "/tmp/t.py", 2)),
        ("<module> (/srv/app.py:1)", Frame(PYTHON, "<module>", "/srv/app.py", 1)),
        ("<module> (<string>:1)", Frame(PYTHON, "<module>", "<string>", 1)),
        (
            "Thread._bootstrap (/usr/lib/python3.13/threading.py:998)",
            Frame(PYTHON, "Thread._bootstrap", "/usr/lib/python3.13/threading.py", 998),
        ),
        ("f.<locals>.<lambda> (/a b/c (copy).py:7)", Frame(PYTHON, "f.<locals>.<lambda>", "/a b/c (copy).py", 7)),
        (
            "thread_run (/usr/lib/libpython3.13.so.1.0)",
            Frame(NATIVE, "thread_run", "/usr/lib/libpython3.13.so.1.0", None),
        ),
        (
            "0x7efc7564524a (/usr/lib/x86_64-linux-gnu/libc.so.6)",
            Frame(NATIVE, "0x7efc7564524a", "/usr/lib/x86_64-linux-gnu/libc.so.6", None),
        ),
        (
            "std::vector<int>::push_back(int const&) (/lib/libfoo.so)",
            Frame(NATIVE, "std::vector<int>::push_back(int const&)", "/lib/libfoo.so", None),
        ),
        (
            "_PyEval_EvalFrameDefault (Python/ceval.c:4200)",
            Frame(NATIVE, "_PyEval_EvalFrameDefault", "Python/ceval.c", 4200),
        ),
        ("operator() (int) (lib.cpp:12)", Frame(NATIVE, "operator() (int)", "lib.cpp", 12)),
        ("thread (26236): MainThread", Frame(THREAD, "thread", "MainThread", 26236)),
        ("thread (26239): worker (1); with: colons", Frame(THREAD, "thread", "worker (1); with: colons", 26239)),
        ("thread (28120)", Frame(THREAD, "thread", None, 28120)),
        ("thread (0x7f1a2b3c4d50): worker", Frame(THREAD, "thread", "worker", 0x7F1A2B3C4D50)),
        ('process 4242:"python app.py --x 1"', Frame(PROCESS, "process", "python app.py --x 1", 4242)),
        ("[unknown]", Frame(OTHER, "[unknown]", None, None)),
        ("main", Frame(OTHER, "main", None, None)),
    ],
)
def test_parse_frame(text, frame):
    assert parse_frame(text) == frame
    if frame.kind != OTHER:
        assert parse_frame(frame.text()) == frame  # our collapsed export writes it back the same


def test_labels():
    assert parse_frame("thread (12): MainThread").label() == "thread 12: MainThread"
    assert parse_frame("thread (12)").label() == "thread 12"
    assert parse_frame('process 7:"python x.py"').label() == "process 7: python x.py"
    assert parse_frame("work (/t.py:2)").label() == "work"


def test_parse_line():
    line = "thread (5): MainThread;<module> (/t.py:1);b (/t.py:7);work (/t.py:2) 103\n"
    assert parse_line(line) == (["thread (5): MainThread", "<module> (/t.py:1)", "b (/t.py:7)", "work (/t.py:2)"], 103)
    assert parse_line("") is None and parse_line("   \n") is None and parse_line("a;b notanumber") is None
    assert parse_line("one (/t.py:1) 4") == (["one (/t.py:1)"], 4)


def test_split_process_frames():
    assert split_stack('process 1:"a";process 2:"b;c";thread (3);f (/a.py:1)') == [
        'process 1:"a"',
        'process 2:"b;c"',
        "thread (3)",
        "f (/a.py:1)",
    ]
    assert not complete('process 1:"python -c x') and complete('process 1:"python -c x\ny";thread (2);f (/a.py:1) 1')


def test_a_process_command_line_may_hold_semicolons():
    line = 'process 9:"sh -c a;b";thread (10): MainThread;f (/t.py:1) 3'
    texts, count = parse_line(line)
    assert texts == ['process 9:"sh -c a;b"', "thread (10): MainThread", "f (/t.py:1)"] and count == 3
    assert parse_frame(texts[0]) == Frame(PROCESS, "process", "sh -c a;b", 9)


def test_a_command_line_with_newlines_spans_lines():
    from jupyterlab_flight.perf.aggregate import Aggregate

    agg = Aggregate()
    agg.add_collapsed(
        'process 9:"python -c import time\ndef kid():\n    kid()";thread (10): MainThread;kid (<string>:2) 5\n'
    )
    assert agg.samples == 5 and agg.processes == {9: "python -c import time def kid():     kid()"}
    (thread,) = agg.threads.values()
    assert (thread.pid, thread.thread_id, thread.name) == (9, 10, "MainThread")
    assert [agg.frames[f].function for f in thread.root.children] == ["kid"]
