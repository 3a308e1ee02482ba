"""The profile record's text, its static HTML (an inline SVG flame graph and the top table), and
live profiles superseded in the notebook's output (render/kinds/profile.py, render/mime.py)."""

from __future__ import annotations

import copy
import html.parser
import json
import pathlib

from jupyterlab_flight.render.mime import MIME_TYPE, LiveBundle, mime_bundle, newest, record_html
from jupyterlab_flight.render.text import render_text

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "records" / "profile.json"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
# what the HTML of every other kind may hold (test_render_html.py), and the SVG of a flame graph
ALLOWED_TAGS = {"div", "pre", "details", "summary", "b", "span", "table", "thead", "tbody", "tr", "th", "td"}
SVG_TAGS = {"svg", "g", "rect", "text", "title"}
ALLOWED_ATTRS = {"style", "open", "class", "xmlns", "viewbox", "width", "height", "x", "y", "fill"}


def profile() -> dict:
    return json.loads(FIXTURE.read_text())


class Page(html.parser.HTMLParser):
    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: set[str] = set()
        self.text: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_data(self, data):
        self.text.append(data)

    @property
    def content(self) -> str:
        return "".join(self.text)


def test_text_is_a_header_and_the_top_functions():
    text = render_text(profile())
    lines = text.splitlines()
    assert lines[0] == "profile of pid 10916: 812 samples at 97.3 of 100 Hz in 5.1 s (py-spy 0.4.3); 0.12 s not sampled"
    assert "  written to /tmp/profile.svg (svg)" in lines and "  2 threads: MainThread 500, worker 312" in lines
    header = next(line for line in lines if line.startswith("SELF%"))
    assert header.split() == ["SELF%", "TOTAL%", "SAMPLES", "FUNCTION", "FILE:LINE"]
    rows = lines[lines.index(header) + 1 :]
    assert rows[0].split() == ["81.3", "81.3", "660", "price", "/srv/app/busy.py:20"]
    assert rows[1].split() == ["14.8", "14.8", "120", "parse", "/srv/app/busy.py:5"]
    assert len(rows) <= 20


def test_text_of_a_live_record_with_flags_and_losses():
    record = dict(profile(), live=True, errors=3, behind=2, file=None)
    record["flags"] = dict(record["flags"], idle=True, nonblocking=True)
    first = render_text(record).splitlines()[0]
    assert first.endswith(
        "(py-spy 0.4.3; idle, nonblocking); 0.12 s not sampled, 3 sampling errors, py-spy fell behind: lower the rate [live]"
    )
    empty = dict(profile(), samples=0, top=[], threads=[])
    assert "no samples" in render_text(empty)


def test_html_is_an_inline_flame_graph_and_the_table():
    markup = record_html(profile())
    page = Page(markup)
    assert set(page.tags) <= ALLOWED_TAGS | SVG_TAGS and page.attrs <= ALLOWED_ATTRS
    assert "script" not in page.tags and page.tags.count("svg") == 1 and page.tags.count("tr") == 12
    assert "profile of pid 10916: 812 samples at 97.3 of 100 Hz" in page.content
    assert "price (/srv/app/busy.py:20)\n360 samples (44.33%), self 360" in page.content  # a frame's tooltip
    assert "/srv/app/busy.py:20" in page.content and "SELF%" in page.content
    assert 'fill="currentColor"' in markup  # text outside the frames takes the page's color


def test_target_strings_are_escaped():
    def walk(node, key=None):
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and key not in ("kind", "format"):
            return HOSTILE + node
        return node

    record = walk(copy.deepcopy(profile()))
    markup = record_html(record)
    page = Page(markup)
    assert "script" not in page.tags and "img" not in page.tags and page.attrs <= ALLOWED_ATTRS
    assert "&lt;script&gt;" in markup and HOSTILE in page.content
    assert HOSTILE in render_text(record)


def test_a_baseline_colors_the_flame_graph_by_change():
    record = profile()
    record["baseline"] = {"source": "/tmp/before.txt", "samples": 812}
    work = [record["root"]]
    while work:
        node = work.pop()
        node["base"] = node["total"] // 2 if node["function"] == "price" else node["total"]
        work.extend(node["children"])
    page = Page(record_html(record))
    assert "compared with /tmp/before.txt (812 samples)" in page.content
    assert "baseline 180 samples (22.17%), change +22.17 points" in page.content


def test_the_functions_that_changed_most_are_a_table_and_text_lines():
    record = profile()
    changes = [
        {"function": "lookup", "file": "/srv/app.py", "self_pct": 0.0, "base_self_pct": 61.2, "delta_pct": -61.2},
        {"function": "render", "file": "/srv/app.py", "self_pct": 30.4, "base_self_pct": 12.0, "delta_pct": 18.4},
    ]
    record["baseline"] = {"source": "/tmp/before.txt", "samples": 812, "changes": changes}
    text = render_text(record)
    assert "changed most against the baseline" in text
    assert "-61.2     61.2   0.0  lookup    /srv/app.py" in text and "+18.4" in text
    page = Page(record_html(record))
    assert "changed most against the baseline" in page.content and "lookup" in page.content
    assert "-61.2" in page.content and "+18.4" in page.content


def stream(n: int) -> list[dict]:
    final = profile()
    lives = [dict(final, live=True, samples=100 * i) for i in range(1, n + 1)]
    return [
        {"v": 1, "kind": "message", "text": "sampling pid 10916"},
        *lives,
        final,
        {"v": 1, "kind": "end", "reason": "duration"},
    ]


def test_a_live_profile_is_superseded_by_the_next():
    records = stream(5)
    assert [r.get("samples") for r in newest(records)] == [None, 812, None]
    live = LiveBundle("perf", 10916)
    for i, record in enumerate(records[:4]):
        live.add(record)
        shown = live.bundle()[MIME_TYPE]["records"]
        assert [r["kind"] for r in shown] == ["message", "profile"][: i + 1]
        if i:
            assert shown[-1]["samples"] == 100 * i  # the newest picture only
    for record in records[4:]:
        live.add(record)
    assert [r["kind"] for r in live.records] == ["message", "profile", "end"] and live.records[1]["live"] is False
    assert live.final() == mime_bundle(records, "perf", 10916)
    bundle = mime_bundle(records, "perf", 10916)
    assert bundle["text/html"].count("<svg") == 1 and bundle["text/plain"].count("profile of pid") == 1


def test_records_that_are_not_live_are_all_kept():
    records = [profile(), profile()]
    assert newest(records) == records
    live = LiveBundle("x", 1)
    for r in records:
        live.add(r)
    assert len(live) == 2
