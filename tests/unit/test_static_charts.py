"""The static HTML draws the charts the JupyterLab view draws over a result's records: gilstat's
hold and wait shares per report, mem diff's top growing types over cycles (render/svgchart.py)."""

from __future__ import annotations

import copy
import json
import pathlib
import re

from jupyterlab_flight.render.mime import mime_bundle

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "records"


def fixture(kind: str) -> dict:
    return json.loads((FIXTURES / f"{kind}.json").read_text())


def charts(html: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r'<svg[^>]*data-chart="([^"]+)"[^>]*>.*?</svg>', html, re.S)}


def polyline_ys(svg: str) -> list[list[float]]:
    return [[float(p.split(",")[1]) for p in pts.split()] for pts in re.findall(r'<polyline points="([^"]+)"', svg)]


def test_gilstat_charts_each_busy_thread_per_report():
    first = fixture("gil_stats")
    later = copy.deepcopy(first)
    later["time"] += 1.0
    for t in later["threads"]:
        t["last"]["hold_pct"] = 0.0  # the hold share falls to 0 in the second report
    html = mime_bundle([first, later, fixture("gil_event")])["text/html"]
    drawn = charts(html)
    assert set(drawn) == {"gil-hold_pct", "gil-wait_pct"}
    names = {t["name"] for t in first["threads"]}
    hold = drawn["gil-hold_pct"]
    shown = {n for n in names if n in hold}
    assert shown and len(shown) == min(5, len(names))
    bottom = max(y for line in polyline_ys(hold) for y in line)
    for line in polyline_ys(hold):  # every line ends at 0 %, the bottom of the plot
        assert line[-1] == bottom
    assert html.index("data-chart") < html.index("<table")  # above the records, as in the view


def test_one_report_or_one_cycle_draws_no_chart():
    assert not charts(mime_bundle([fixture("gil_stats")])["text/html"])
    assert not charts(mime_bundle([fixture("mem_diff")])["text/html"])


def test_mem_diff_charts_the_top_growing_types_over_cycles():
    first = fixture("mem_diff")
    second = copy.deepcopy(first)
    second["time"] += 10
    second["cycle"] = first["cycle"] + 1
    grower = max(first["rows"], key=lambda r: r["size_delta"])
    for row in second["rows"]:
        if row is not None and row["type"] == grower["type"]:
            row["size"] += 4 * 1048576
    shrinking = copy.deepcopy(first["rows"][0])
    shrinking.update(type="<b>gone</b>", size_delta=-10_000, count_delta=-5)
    second["rows"].append(shrinking)
    html = mime_bundle([first, second])["text/html"]
    chart = charts(html)["mem-diff"]
    assert grower["type"] in chart and "gone" not in chart  # only what grew; names escaped anyway
    assert "<b>" not in chart
    assert "MiB" in chart and len(polyline_ys(chart)) >= 1
