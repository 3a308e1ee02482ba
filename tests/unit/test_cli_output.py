"""The CLI's text output at a terminal: a live snapshot is redrawn in place by the next record of
its kind, unless something else was printed in between or it would not fit the screen."""

from __future__ import annotations

import io
import json
import os

from jupyterlab_flight.cli import Output


class Screen(io.StringIO):
    def isatty(self) -> bool:
        return True


FIXTURE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "records", "profile.json")


def profile(live: bool, samples: int) -> dict:
    with open(FIXTURE) as f:
        record = json.load(f)
    record = record[0] if isinstance(record, list) else record
    return {**record, "live": live, "samples": samples}


def test_a_live_snapshot_is_redrawn_in_place(monkeypatch):
    monkeypatch.setitem(os.environ, "LINES", "200")
    monkeypatch.setitem(os.environ, "COLUMNS", "1000")  # no line wraps: a row a line
    screen = Screen()
    out = Output(as_json=False, stdout=screen)
    out.record(profile(True, 10))
    first = screen.getvalue()
    rows = first.count("\n")
    out.record(profile(True, 20))
    out.record(profile(False, 30))
    text = screen.getvalue()
    # twice up to the snapshot's first row and cleared from there: the final record replaces it
    assert text.count(f"\x1b[{rows}F\x1b[J") == 2
    # a message in between: the next snapshot goes below it, nothing is erased
    screen = Screen()
    out = Output(as_json=False, stdout=screen)
    out.record(profile(True, 10))
    out.record({"v": 1, "kind": "message", "text": "slow down"})
    out.record(profile(True, 20))
    assert "\x1b[" not in screen.getvalue()


def test_no_redraw_in_a_pipe_or_when_the_snapshot_does_not_fit(monkeypatch):
    pipe = io.StringIO()
    out = Output(as_json=False, stdout=pipe)
    out.record(profile(True, 10))
    out.record(profile(False, 20))
    assert "\x1b[" not in pipe.getvalue()
    monkeypatch.setitem(os.environ, "LINES", "3")
    screen = Screen()
    out = Output(as_json=False, stdout=screen)
    out.record(profile(True, 10))
    out.record(profile(False, 20))
    assert "\x1b[" not in screen.getvalue()
