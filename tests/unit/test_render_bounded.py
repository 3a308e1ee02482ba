"""A long stream's saved result stays bounded: the last KEEP_PER_KIND records of a kind, a note that
sums up all of them, and the calls as one HTML table (issue 18, item 2)."""

from __future__ import annotations

import json
import pathlib
import re

from jupyterlab_flight.render.mime import KEEP_PER_KIND, MIME_TYPE, LiveBundle, mime_bundle

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def long_watch(n: int) -> list[dict]:
    call = fixture("watch")
    raised = {"type": "ValueError", "message": "too big"}
    calls = [
        dict(call, index=i, cost_ms=float(i % 100), exception=raised if i % 50 == 0 else None) for i in range(1, n + 1)
    ]
    return [fixture("message"), *calls, fixture("end")]


def test_a_long_stream_keeps_its_last_calls_and_a_summary_of_all():
    records = long_watch(2735)
    bundle = mime_bundle(records, "watch __main__ compute", 1)
    kept = bundle[MIME_TYPE]["records"]
    watches = [r for r in kept if r["kind"] == "watch"]
    assert len(watches) == KEEP_PER_KIND and watches[0]["index"] == 2735 - KEEP_PER_KIND + 1
    assert kept[0]["kind"] == "message" and kept[-1]["kind"] == "end"  # the stream's start and end stay
    note = kept[1]
    assert note["kind"] == "message" and note["summary"]["count"] == 2735 and note["summary"]["kept"] == 500
    assert note["summary"]["errors"] == 2735 // 50
    costs = sorted(float(i % 100) for i in range(1, 2736))
    assert note["summary"]["cost_ms"] == {
        "p50": costs[len(costs) // 2],
        "p90": costs[int(0.9 * len(costs))],
        "p99": costs[int(0.99 * len(costs))],
        "max": 99.0,
    }
    assert "2,735 watch records: the last 500 are kept" in note["text"] and "54 raised" in note["text"]
    assert note["text"] in bundle["text/plain"]
    # far below what every call would take (the issue saw 2.9 MB for 2,735 calls)
    size = len(json.dumps(bundle))
    assert size < len(json.dumps(mime_bundle(records[: KEEP_PER_KIND + 2], "c", 1))) * 1.2


def test_stream_calls_are_one_html_table():
    records = long_watch(60)
    html = mime_bundle(records, "watch __main__ compute", 1)["text/html"]
    assert html.count("<table") == 1 and html.count("<tr>") == 60 + 1  # the header row and one per call
    assert re.search(r"<th[^>]*>COST\(ms\)</th>", html)
    assert "raised ValueError: too big" in html  # the result cell of a call that raised


def test_live_final_is_bounded_the_same_way():
    records = long_watch(1200)
    live = LiveBundle("watch __main__ compute", 1)
    for record in records:
        live.add(record)
    assert live.final() == mime_bundle(records, "watch __main__ compute", 1)
    assert "the result keeps the last 500 of each kind" in live.bundle()["text/plain"]
