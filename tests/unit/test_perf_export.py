"""perf -f: the three exports read back (perf/export.py, svg.py), without a target."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from jupyterlab_flight.errors import FlightError
from jupyterlab_flight.perf.aggregate import Aggregate
from jupyterlab_flight.perf.baseline import read_baseline
from jupyterlab_flight.perf.export import check_writable, collapsed_lines, speedscope, write_export
from jupyterlab_flight.perf.svg import flame_svg
from jupyterlab_flight.perf.tree import merged_node

SVG = "{http://www.w3.org/2000/svg}"
TEXT = """thread (10): MainThread;<module> (/a.py:1);a (/a.py:5);work (/a.py:2) 25
thread (10): MainThread;<module> (/a.py:1);b (/a.py:8);work (/a.py:2) 75
thread (10): MainThread;<module> (/a.py:1);b (/a.py:8) 4
thread (11): worker;run (/w.py:1);work (/a.py:2) 16
thread (11): worker;run (/w.py:1);PyObject_Call (/usr/lib/libpython3.12.so.1.0) 3
"""


@pytest.fixture
def agg() -> Aggregate:
    agg = Aggregate()
    agg.add_collapsed(TEXT)
    return agg


def test_collapsed_stacks_read_back_the_same(agg, tmp_path):
    lines = sorted(collapsed_lines(agg, thread_levels=False, process_levels=False))
    assert lines == sorted(
        [
            "<module> (/a.py:1);a (/a.py:5);work (/a.py:2) 25",
            "<module> (/a.py:1);b (/a.py:8);work (/a.py:2) 75",
            "<module> (/a.py:1);b (/a.py:8) 4",
            "run (/w.py:1);work (/a.py:2) 16",
            "run (/w.py:1);PyObject_Call (/usr/lib/libpython3.12.so.1.0) 3",
        ]
    )
    with_threads = sorted(collapsed_lines(agg, thread_levels=True, process_levels=False))
    assert with_threads == sorted(line for line in TEXT.splitlines() if line)  # py-spy -t's own text
    path = tmp_path / "p.txt"
    written = write_export(str(path), agg, "t", thread_levels=True, process_levels=False)
    assert written == {"path": str(path), "format": "collapsed", "bytes": path.stat().st_size}
    back = Aggregate()
    back.add_collapsed(path.read_text())
    assert back.samples == agg.samples and set(back.threads) == set(agg.threads)
    assert read_baseline(str(path)).samples == agg.samples  # what --baseline reads


def test_samples_cut_at_the_cap_are_in_a_frame_of_their_own():
    agg = Aggregate(max_nodes=2)
    agg.add_collapsed("f (/a.py:1);g (/a.py:2) 3\nf (/a.py:1);h (/a.py:3);i (/a.py:4) 5\n")
    assert sorted(collapsed_lines(agg, False, False)) == [
        "f (/a.py:1);[beyond the node cap] 5",
        "f (/a.py:1);g (/a.py:2) 3",
    ]


def test_speedscope_file_format(agg, tmp_path):
    path = tmp_path / "p.json"
    write_export(str(path), agg, "pid 4242", thread_levels=False, process_levels=False)
    data = json.loads(path.read_text())
    # the shape of https://www.speedscope.app/file-format-schema.json (FileFormat.File)
    assert data["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    assert set(data) <= {"$schema", "shared", "profiles", "name", "activeProfileIndex", "exporter"}
    frames = data["shared"]["frames"]
    for frame in frames:
        assert isinstance(frame["name"], str) and set(frame) <= {"name", "file", "line", "col"}
        assert isinstance(frame.get("line", 0), int) and isinstance(frame.get("file", ""), str)
    assert [p["name"] for p in data["profiles"]] == ["MainThread", "worker"]
    for profile in data["profiles"]:
        assert profile["type"] == "sampled" and profile["unit"] == "none" and profile["startValue"] == 0
        assert len(profile["samples"]) == len(profile["weights"])
        assert profile["endValue"] == sum(profile["weights"])
        assert all(0 <= i < len(frames) for stack in profile["samples"] for i in stack)
    assert sum(sum(p["weights"]) for p in data["profiles"]) == agg.samples == 123
    # stacks outermost first, and the sums per frame are right
    main = data["profiles"][0]
    by_name = {i: f["name"] for i, f in enumerate(frames)}
    b = sum(w for s, w in zip(main["samples"], main["weights"]) if "b" in [by_name[i] for i in s])
    assert b == 79 and all(by_name[s[0]] == "<module>" for s in main["samples"])
    native = next(f for f in frames if f["name"] == "PyObject_Call")
    assert native["file"] == "/usr/lib/libpython3.12.so.1.0" and "line" not in native
    assert speedscope(agg, "x")["activeProfileIndex"] == 0


def svg_tree(markup: str) -> ET.Element:
    return ET.fromstring(markup.split("?>", 1)[-1])


def test_standalone_svg(agg, tmp_path):
    path = tmp_path / "p.svg"
    write_export(str(path), agg, 'pid 4242 <&> "quoted"', thread_levels=False, process_levels=False)
    text = path.read_text()
    assert text.startswith('<?xml version="1.0"')
    root = ET.parse(path).getroot()
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert "script" not in tags and {"svg", "style", "rect", "title", "text", "g"} <= tags
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)
    assert "prefers-color-scheme: dark" in text  # a dark background of its own where asked
    titles = [el.text for el in root.iter(f"{SVG}title")]
    assert "b (/a.py:8)\n79 samples (64.23%), self 4" in titles
    assert any(t.startswith("PyObject_Call (/usr/lib/libpython3.12.so.1.0)") and t.endswith(", native") for t in titles)
    assert 'pid 4242 <&> "quoted"' in [el.text for el in root.iter(f"{SVG}text")]


def test_frames_under_one_pixel_are_left_out():
    text = "big (/a.py:1) 5000\n" + "".join(f"tiny{i} (/a.py:{i + 2}) 1\n" for i in range(50))
    agg = Aggregate()
    agg.add_collapsed(text)
    markup = flame_svg(merged_node(agg, False, False), "t")
    root = svg_tree(markup)
    titles = [el.text for el in root.iter(f"{SVG}title")]
    assert len(titles) == 2 and "50 frames narrower than 1 px left out" in markup  # all, big
    assert all(float(r.get("width")) >= 0.7 for r in root.iter(f"{SVG}rect"))


def test_labels_fit_their_frame_and_the_diff_colors():
    agg = Aggregate()
    agg.add_collapsed("a_function_with_a_rather_long_name (/a.py:1) 10\nshort (/a.py:9) 990\n")
    root = merged_node(agg, False, False)
    texts = [el.text for el in svg_tree(flame_svg(root, "")).iter(f"{SVG}text")]
    assert "short" in texts and not any(t and t.startswith("a_function_with") for t in texts)  # 12 px: no room
    root["base"], root["children"][0]["base"], root["children"][1]["base"] = 1000, 900, 100
    markup = flame_svg(root, "", base_samples=1000)
    # short: 90 % of the baseline, 99 % now: red; the other one shrank from 10 % to 1 %: blue
    assert "change +9.00 points" in markup and "change -9.00 points" in markup
    fills = [r.get("fill") for r in svg_tree(markup).iter(f"{SVG}rect")]
    assert fills[0] == "rgb(255,255,255)"  # all: the same share, 100 %
    assert fills[1] in ("rgb(255,65,65)", "rgb(255,66,66)") and fills[2] in ("rgb(65,65,255)", "rgb(66,66,255)")
    empty = flame_svg({"function": "all", "file": None, "line": None, "total": 0, "self": 0, "children": []}, "")
    assert "no samples" in empty


def test_what_cannot_be_written_is_refused_before_sampling(tmp_path):
    check_writable(str(tmp_path / "ok.svg"))
    with pytest.raises(FlightError, match="no such directory"):
        check_writable(str(tmp_path / "missing" / "p.svg"))
    (tmp_path / "d.svg").mkdir()
    with pytest.raises(FlightError, match="is a directory"):
        check_writable(str(tmp_path / "d.svg"))
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(FlightError, match="not writable"):
            check_writable(str(locked / "p.svg"))
