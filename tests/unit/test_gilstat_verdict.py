"""gilstat's pure parts: the one-line verdict from a report's threads, and the interpreters it
refuses (free-threaded without a GIL, 3.14+) with one line instead of hooking anything."""

from __future__ import annotations

import sys

from flight_agent.commands import gilstat


def row(name: str, hold: float, wait: float, avg_hold_ms: float = 1.0) -> dict:
    return {"name": name, "last": {"hold_pct": hold, "wait_pct": wait, "avg_hold_ns": int(avg_hold_ms * 1e6)}}


def test_the_verdict_names_the_holder_its_bursts_and_who_waited():
    rows = [
        row("gil-hog", 41, 2, avg_hold_ms=20),
        row("cruncher-0", 28, 38),
        row("cruncher-1", 27, 37),
        row("idle", 0, 0),
    ]
    assert gilstat.verdict(rows) == (
        "GIL busy 96 %: gil-hog held 41 % in ~20 ms bursts, cruncher-0 held 28 % in ~1.0 ms bursts; "
        "cruncher-0 and cruncher-1 waited 38 %"
    )


def test_the_verdict_of_an_idle_gil_and_of_no_figures():
    assert gilstat.verdict([row("main", 1, 0), row("w", 0.5, 0)]) == "GIL mostly free: busy 2 %"
    assert gilstat.verdict([]) == "no GIL activity measured yet"


def test_waiters_far_apart_are_said_apart():
    rows = [row("a", 90, 1, 5), row("b", 1, 80), row("c", 1, 40)]
    assert gilstat.verdict(rows).endswith("; b waited 80 %; c waited 40 %")


def test_free_threaded_and_newer_pythons_are_refused_in_one_line(monkeypatch):
    assert gilstat.not_applicable() is None  # this venv's CPython
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert "not applicable" in gilstat.not_applicable()
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    assert "not yet supported on Python 3.14" in gilstat.not_applicable()
