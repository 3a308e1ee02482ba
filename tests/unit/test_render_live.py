"""A running stream's output (LiveBundle): each record rendered once, updates of bounded size,
and at the end exactly what mime_bundle gives for every record."""

from __future__ import annotations

import json
import pathlib

from jupyterlab_flight.render import mime
from jupyterlab_flight.render.mime import MAX_NOTEBOOK_BYTES, MIME_TYPE, LiveBundle, mime_bundle

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def watch_stream(n: int) -> list[dict]:
    start, call = fixture("message"), fixture("watch")
    return [start] + [dict(call, index=i, time=call["time"] + i) for i in range(1, n + 1)] + [fixture("end")]


def test_final_is_mime_bundle_of_every_record():
    records = [json.loads(p.read_text()) for p in sorted(FIXTURES.glob("*.json"))] + watch_stream(300)
    live = LiveBundle("watch __main__ compute", 10916)
    for r in records:
        live.add(r)
    assert len(live) == len(records) and live.records == records
    assert live.final() == mime_bundle(records, "watch __main__ compute", 10916)


def test_final_is_bounded_as_mime_bundle_is():
    big = {"v": 1, "kind": "message", "text": "x" * (MAX_NOTEBOOK_BYTES // 3)}
    records = [big] * 4 + [fixture("end")]
    live = LiveBundle("c", 1)
    for r in records:
        live.add(r)
    assert live.final() == mime_bundle(records, "c", 1) and live.final()[MIME_TYPE]["cut"] is True


def test_a_short_stream_shows_everything_while_live():
    records = watch_stream(3)
    live = LiveBundle("watch x", 1)
    for r in records:
        live.add(r)
    assert live.bundle() == mime_bundle(records, "watch x", 1)


def test_a_long_stream_shows_its_last_records_and_counts_the_others():
    records = watch_stream(1000)  # message, 1000 watch, end
    live = LiveBundle("watch x", 1, window=50)
    for r in records:
        live.add(r)
    bundle = live.bundle()
    shown = bundle[MIME_TYPE]["records"]
    assert len(shown) == 51 and shown[1:] == records[-50:]
    note = shown[0]["text"]
    assert shown[0]["kind"] == "message"
    assert note.startswith("... 952 earlier records are not shown while the stream runs")
    assert "(1,002 so far: 1 message, 1,000 watch, 1 end)" in note
    assert bundle["text/plain"].startswith(note) and note in bundle["text/html"]
    assert bundle["text/plain"].count("__main__.compute cost=") == 49  # and the end
    assert bundle[MIME_TYPE]["cut"] is False


def test_the_live_window_is_bounded_in_bytes_too():
    big = {"v": 1, "kind": "message", "text": "x" * (MAX_NOTEBOOK_BYTES // 3)}
    live = LiveBundle("c", 1, window=10)
    for _ in range(10):
        live.add(big)
    payload = live.bundle()[MIME_TYPE]
    assert payload["cut"] is True
    assert sum(len(json.dumps(r)) for r in payload["records"]) <= MAX_NOTEBOOK_BYTES


def test_each_record_is_rendered_once(monkeypatch):
    calls = {"text": 0, "html": 0}
    text, html = mime.render_text, mime.record_html

    def counted_text(record):
        calls["text"] += 1
        return text(record)

    def counted_html(record):
        calls["html"] += 1
        return html(record)

    cells = mime.ROWS.cells

    def counted_cells(record):  # a watch record's HTML is a row of the stream's table
        calls["html"] += 1
        return cells(record)

    monkeypatch.setattr(mime, "render_text", counted_text)
    monkeypatch.setattr(mime, "record_html", counted_html)
    monkeypatch.setattr(mime.ROWS, "cells", counted_cells)
    live = LiveBundle("watch x", 1, window=20)
    records = watch_stream(500)
    for r in records:
        live.add(r)
        live.bundle()
    live.final()
    # one rendering per record, plus the "not shown" line of each update once records were hidden
    notes = len(records) - 20
    assert calls == {"text": len(records) + notes, "html": len(records) + notes}
