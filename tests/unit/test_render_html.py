"""The notebook's static HTML of every record kind and the MIME bundle, from the shared fixtures.

The HTML must read without the extension (nbconvert, nbviewer, GitHub): self-contained, inline
styles only, no scripts, and every string that came from the target escaped.
"""

from __future__ import annotations

import copy
import html.parser
import json
import pathlib

import pytest
from jupyterlab_flight.render.mime import MAX_NOTEBOOK_BYTES, MIME_TYPE, mime_bundle, record_html
from jupyterlab_flight.render.registry import HTML
from jupyterlab_flight.render.text import render_text

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"
ALL = sorted(p.stem for p in FIXTURES.glob("*.json"))
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
ALLOWED_TAGS = {"div", "pre", "details", "summary", "b", "span", "table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_TAGS |= {"svg", "g", "rect", "text", "title"}  # profile: an inline SVG flame graph, no scripts
ALLOWED_ATTRS = {"style", "open", "class"}
ALLOWED_ATTRS |= {"xmlns", "viewbox", "width", "height", "x", "y", "fill"}  # the SVG's


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


class Page(html.parser.HTMLParser):
    """The tags, attributes and text of a piece of HTML, as a browser would parse it."""

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


def hostile(record: dict) -> dict:
    """The record with every string value (not the keys, not the kind) starting with HOSTILE."""

    def walk(node, key=None):
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, str) and key != "kind":
            return HOSTILE + node
        return node

    return walk(copy.deepcopy(record))


# What a user reads in each kind's HTML (as text, once parsed).
FACTS = {
    "stack": [
        "pid 10916: 5 threads (read by the agent)",
        "MainThread (10916) [main]",
        "worker  /srv/app/observed.py:111",
    ],
    "value": ["FOUND: 5 instance(s), 2 used", "_name='worker'", "<function worker at 0x7f29df4a1f80>"],
    "gc": ["352 unreachable objects found"],
    "module": ["/srv/app/observed.py is imported as: __main__"],
    "console": ["hello", "'name': '<script>alert(1)</script>'"],
    "help": ["usage: watch"],
    "message": ["watching __main__.compute"],
    "error": ["error: expression 'target[\"missing\"]' raised: KeyError: 'missing'"],
    "watch": ["__main__.compute cost=0.022ms", "args = (13, 2)", "raised ValueError: thirteen"],
    "mem_summary": ["__main__.Point", "60,000", "2.7 MiB", "not in Python objects 16.0 MiB"],
    "mem_diff": ["__main__.Session", "+210", "+9.8 KiB"],
    "mem_refs": ["__main__._SESSIONS[1]", "module global"],
    "monitor": ["calls=193 ok=183 failed=10"],
    "trace": ["time.sleep  <built-in>"],
    "gil_stats": ["GIL busy 95 %: gil-hog held 59 %", "cruncher-1", "sleeper"],
    "gil_event": ["gil-hog held the GIL 23.8 ms (over 5 ms)", "line 36, in burst"],
    "tt_record": ["__main__.Shop.price"],
    "tt_list": ["INDEX", "1002"],
    "tt_detail": ["RETURNED:  9"],
    "end": ["(end: reached the -n limit; hooks removed)"],
    "processes": ["PID", "COMMAND", "10916", "25 MB", "6f0c2a41 analysis.ipynb (this kernel)"],
    "sessions": ["* 10916", "3.11.7"],
    "exceptions": [
        "exceptions (sys.monitoring, process-wide, tool id 3, 1.088 s): 410 raised in 2 groups",
        "'user <n> not found'",
        "Service.handle (service.py:45) 205",
        "service.py:34 in Service.lookup",
    ],
    "diagnosis": [
        "diagnosis (hang): deadlock, confidence 95%",
        "Deadlock between 'audit' and 'transfer'",
        "thread 'transfer' holds ACCOUNTS_LOCK (a with block at deadlock.py:31 in transfer)",
        "likely cause: a lock-order inversion",
        "stack --native",
    ],
    "torch_profile": ["torch profile of __main__.Trainer.train_step: 1 call", "aten::mm", "trainer"],
    "torch_memory": ["peak 3.1 MiB at 3.7 ms", "LIVE AT PEAK", "activations"],
    "torch_snapshot": ["fragmentation 43%", "train_step (/app/train.py:41)"],
    "torch_tensors": ["33 live tensors (cpu 1.9 MiB)", "EMBEDDINGS"],
    "job": ["3 ranks in all_reduce (rank 0, 1, 3); rank 2 in load_batch, job_rank.py:34", "diverges", "rank 2"],
    "reload": ["reloaded __main__.price from /srv/shop/app.py:12", "+    return round(qty * unit, 2)"],
    "profile": [
        "profile of pid 10916: 812 samples at 97.3 of 100 Hz",
        "price (/srv/app/busy.py:20)\n360 samples (44.33%), self 360",
        "/srv/app/busy.py:20",
    ],
}


def test_every_fixture_has_facts_to_check():
    assert sorted(FACTS) == ALL


@pytest.mark.parametrize("kind", ALL)
def test_html_of_every_kind(kind):
    assert kind in HTML, f"{kind} would show through the fallback"
    page = Page(record_html(fixture(kind)))
    assert set(page.tags) <= ALLOWED_TAGS and page.attrs <= ALLOWED_ATTRS
    for fact in FACTS[kind]:
        assert fact in page.content, f"{kind}: {fact!r} not in\n{page.content}"


@pytest.mark.parametrize("kind", ALL)
def test_target_strings_are_escaped(kind):
    record = hostile(fixture(kind))
    markup = record_html(record)
    page = Page(markup)
    assert "script" not in page.tags and "img" not in page.tags
    assert page.attrs <= ALLOWED_ATTRS
    if "<script>" in render_text(record):  # gc has no strings to show
        assert "&lt;script&gt;" in markup and "<script>" in page.content


def test_html_is_the_text_where_no_layout_of_its_own():
    record = fixture("watch")
    assert Page(record_html(record)).content == render_text(record)


def test_stack_html_holds_one_box_per_thread_and_task():
    page = Page(record_html(fixture("stack")))
    assert page.tags.count("details") == 5 + 1
    assert "task Task-1 (waiting)" in page.content


def test_error_and_console_error_are_in_the_error_color():
    assert "color:#d9534f" in record_html(fixture("error"))
    record = {
        "v": 1,
        "kind": "console",
        "stdout": "partial output\n",
        "stderr": "",
        "value": None,
        "error": {"type": "ZeroDivisionError", "message": "division by zero", "traceback": "Traceback ...\n"},
    }
    markup = record_html(record)
    assert markup.index("partial output") < markup.index("color:#d9534f") < markup.index("Traceback")


def test_processes_are_a_table():
    page = Page(record_html(fixture("processes")))
    assert page.tags.count("tr") == 3 and page.tags.count("th") == 7


def test_unknown_kind_falls_back_to_its_text():
    record = {"v": 1, "kind": "from_a_newer_agent", "note": HOSTILE}
    page = Page(record_html(record))
    assert page.tags == ["pre"] and page.content == str(record)


def test_bundle_has_the_three_forms():
    records = [fixture(k) for k in ("message", "watch", "end")]
    bundle = mime_bundle(records, "watch __main__ compute <b>", 10916)
    assert set(bundle) == {MIME_TYPE, "text/html", "text/plain"}
    assert bundle[MIME_TYPE] == {
        "v": 1,
        "command": "watch __main__ compute <b>",
        "pid": 10916,
        "records": records,
        "cut": False,
    }
    assert bundle["text/plain"] == "\n".join(render_text(r) for r in records)
    page = Page(bundle["text/html"])
    assert page.content.startswith("flight 10916> watch __main__ compute <b>") and "b" not in page.tags
    assert bundle["text/html"].startswith('<div class="jupyterlab-flight-result">')


def test_bundle_without_command_has_no_header():
    bundle = mime_bundle([fixture("error")])
    assert Page(bundle["text/html"]).content == render_text(fixture("error"))


def test_bundle_is_bounded_and_says_so_in_all_three_forms():
    big = {"v": 1, "kind": "message", "text": "x" * (MAX_NOTEBOOK_BYTES // 2)}
    bundle = mime_bundle([big, big, fixture("end")], "c", 1)
    payload = bundle[MIME_TYPE]
    assert payload["cut"] is True
    # what does not fit is counted in one note at the end; the records after it that fit stay
    assert [r["kind"] for r in payload["records"]] == ["message", "end", "message"]
    note = payload["records"][2]["text"]
    assert note.startswith("1 record (1 message; ") and "left out of the notebook" in note
    assert note in bundle["text/plain"] and note in Page(bundle["text/html"]).content
