"""The exception census's folding and bounds (flight_agent/commands/diagnose/exceptions.py),
in this process: messages that differ by numbers and ids group; groups, samples and catch sites
are capped; nothing of an exception is kept alive."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest
from flight_agent.commands.diagnose import exceptions
from flight_agent.commands.diagnose.exceptions import Census, fold


@pytest.mark.parametrize(
    "message, pattern",
    [
        ("user 17 not found", "user <n> not found"),
        ("'user-42'", "'user-<n>'"),
        ("timeout after 2.5 s", "timeout after <n> s"),
        ("<Job object at 0x7f3a2c1b9e50> failed", "<Job object at <hex>> failed"),
        ("no row 123e4567-e89b-12d3-a456-426614174000", "no row <uuid>"),
        ("bad token 9f86d081884c7d65", "bad token <id>"),
        ("plain words", "plain words"),
    ],
)
def test_fold(message, pattern):
    assert fold(message) == pattern


def _raise(message):
    try:
        raise KeyError(message)
    except KeyError as e:
        return e, sys._getframe()


class Payload:
    pass


def test_groups_and_bounds(monkeypatch):
    monkeypatch.setattr(exceptions, "MAX_GROUPS", 3)
    census = Census(track_fate=True)
    frame = sys._getframe()
    for i in range(50):
        exc, _ = _raise(f"user {i} not found")
        census.raised_at(exc, frame, 1)
    for i in range(5):
        exc = ValueError(f"distinct message {'x' * i}")
        census.raised_at(exc, frame, 1)
    record = census.record(duration_s=1.0)
    assert record["raised"] == 55 and len(record["groups"]) == 3
    top = record["groups"][0]
    assert top["count"] == 50 and top["pattern"] == "'user <n> not found'"
    assert len(top["samples"]) == exceptions.MAX_SAMPLES
    assert record["overflow"] == [{"type": "ValueError", "count": 3}]


def test_fate_keeps_no_exception_alive():
    census = Census(track_fate=True)
    frame = sys._getframe()

    def fail():
        payload = Payload()  # a local of the raising frame: a kept traceback would keep it
        ref = weakref.ref(payload)
        try:
            raise RuntimeError("boom 1")
        except RuntimeError as e:
            census.raised_at(e, frame, 7)
            census.opened(e, 7, next(iter(census.groups.values())))
        return ref

    ref = fail()
    gc.collect()
    assert ref() is None
    census.settle_all()
    [group] = census.record(duration_s=1.0)["groups"]
    assert group["not_caught"] == 1
