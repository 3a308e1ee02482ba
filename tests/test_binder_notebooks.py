"""binder/'s notebooks run top to bottom in a fresh kernel (nbclient), each against the demo
target its first cell starts, and read as reports without the extension (nbconvert's HTML):
flame graphs and charts as inline SVG, tables as tables, a diagnosis as its report.

Each notebook runs in a copy of binder/ under tmp_path, so what it writes (before.txt, the
tour's report) stays out of the checkout. The torch notebook's target runs under the torch venv
(``make torch-venv``; the kernel's .venv has no torch), through FLIGHT_DEMO_TORCH_PYTHON.
"""

from __future__ import annotations

import glob
import html
import os
import re
import shutil
import signal
import subprocess
import time
from html.parser import HTMLParser

import nbformat
import pytest
from conftest import TORCH_VENV
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient
from nbconvert import HTMLExporter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINDER = os.path.join(ROOT, "binder")
MIME = "application/vnd.jupyterlab-flight.v1+json"
RESULT = 'class="jupyterlab-flight-result"'


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie (not reaped yet) has ended
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def workdir(tmp_path) -> str:
    """A copy of binder/'s scripts and notebooks: the notebooks' cwd, as on Binder."""
    for path in glob.glob(os.path.join(BINDER, "*.py")) + glob.glob(os.path.join(BINDER, "*.ipynb")):
        shutil.copy(path, tmp_path)
    return str(tmp_path)


def run_notebook(name: str, cwd: str):
    nb = nbformat.read(os.path.join(cwd, name), as_version=4)
    started = time.monotonic()
    NotebookClient(nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": cwd}}).execute()
    return nb, time.monotonic() - started


def flight_outputs(cell) -> list:
    return [o for o in cell.outputs if MIME in o.get("data", {})]


def records_of(nb) -> list:
    return [r for c in nb.cells if c.cell_type == "code" for o in flight_outputs(c) for r in o["data"][MIME]["records"]]


def check_clean_run(nb) -> None:
    """No cell raised; every %flight cell shows a result and none is an error."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], (cell.source, cell.outputs)
        records = [r for o in flight_outputs(cell) for r in o["data"][MIME]["records"]]
        if "%" in cell.source:
            assert records, f"no result for: {cell.source}"
        assert not [r for r in records if r["kind"] == "error"], (cell.source, records)


def result_segments(page: str) -> list[str]:
    """The HTML of each flight result in nbconvert's page, each up to the next output or cell."""
    return [
        re.split(r'<div class="jp-(?:Cell|OutputArea-child)\b', part, maxsplit=1)[0] for part in page.split(RESULT)[1:]
    ]


def visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def check_html(nb) -> str:
    """nbconvert's page shows every result from its text/html (the extension's MIME type is not
    rendered there), with no script of ours."""
    page, _ = HTMLExporter().from_notebook_node(nb)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in flight_outputs(c)]
    segments = result_segments(page)
    assert len(segments) == len(outputs), "a result without its static HTML in the page"
    for segment in segments:
        assert "<script" not in segment.lower()
    return page


def stopped_target(nb) -> None:
    """The last cell stopped the demo target the first cell started."""
    pid = next(int(m) for r in records_of(nb) for m in re.findall(r"attached to pid (\d+)", r.get("text", "")))
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(pid), f"the demo target {pid} outlived its notebook"


def kinds(nb) -> list[str]:
    return [r["kind"] for r in records_of(nb)]


def test_tour(tmp_path):
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("demo.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    assert {"stack", "value", "watch", "trace", "tt_record", "monitor", "processes"} <= set(kinds(nb))
    assert "<table" in page
    with open(os.path.join(cwd, "tour-report.html"), encoding="utf-8") as f:
        check_report(f.read(), nb)
    print(f"tour: {seconds:.1f} s")


class _Fetches(HTMLParser):
    """Whatever in a page a browser would run or fetch from elsewhere."""

    URL_ATTRS = {"src", "href", "xlink:href", "srcset", "action", "formaction", "poster", "data", "background"}

    def __init__(self):
        super().__init__()
        self.found: list = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "link", "base"):
            self.found.append(tag)
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on") or (name in self.URL_ATTRS and not value.startswith("#")):
                self.found.append(f"{tag} {name}={value[:60]}")
            if name == "style" and "url(" in value:
                self.found.append(f"{tag} style url()")

    def handle_data(self, data):
        if "@import" in data or re.search(r"url\(\s*['\"]?(https?:)?//", data):
            self.found.append("css fetch")


def report_sections(page: str) -> list[tuple[str, str]]:
    """(heading, result HTML) of each section of a %flight report page."""
    return re.findall(r"<section><h2>(.*?)</h2>.*?(<div class=\"jupyterlab-flight-result\">.*?)</section>", page, re.S)


def check_report(page: str, nb) -> None:
    """%flight report: one standalone page (nothing to run, nothing fetched) with every result
    the notebook's kernel showed before it, in order, each under the magic line that made it and
    with the same static HTML as the notebook's output."""
    parser = _Fetches()
    parser.feed(page)
    assert not parser.found, parser.found
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    expected = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "%flight report" in cell.source:
            continue
        for output in flight_outputs(cell):
            command = output["data"][MIME]["command"]
            magic = f"%%flight {command}" if cell.source.startswith("%%flight") else f"%flight {command}"
            without_header = re.sub(
                r'^(<div class="jupyterlab-flight-result">)<div [^>]*>flight [^<]*</div>',
                r"\1",
                output["data"]["text/html"],
            )
            expected.append((f"In [{cell.execution_count}]: {html.escape(magic)}", without_header))
    sections = report_sections(page)
    assert [h for h, _ in sections] == [h for h, _ in expected]
    for (heading, got), (_, want) in zip(sections, expected):
        assert visible_text(got).split() == visible_text(want).split(), heading


def test_slow_service(tmp_path):
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("slow_service.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    profiles = [r for r in records_of(nb) if r["kind"] == "profile" and not r.get("live")]
    assert len(profiles) == 2 and profiles[1]["baseline"]["samples"] > 0
    lookups = [sum(t["self"] for t in p["top"] if t["function"] == "lookup") / p["samples"] for p in profiles]
    assert lookups[0] > 0.3 and lookups[1] < lookups[0] / 3, lookups  # the fix shows in the profiles
    profile_html = [s for s in result_segments(page) if "profile of pid" in s]
    assert len(profile_html) == 2
    for segment in profile_html:
        assert "<svg" in segment and "<table" in segment  # the flame graph inline, the top functions a table
    assert "lookup" in visible_text(profile_html[0])  # after the fix lookup is too quick to be sampled at all
    assert "compared with" in visible_text(profile_html[1])  # the differential one says against what
    traces = [visible_text(s) for s in result_segments(page) if "&gt; trace __main__ handle" in s]
    assert len(traces) == 2 and "lookup  " in traces[0]  # the call tree: lookup under handle, before the fix
    print(f"slow_service: {seconds:.1f} s")


def test_memory_leak(tmp_path):
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("memory_leak.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    records = records_of(nb)
    by_type = [r for r in records if r["kind"] == "mem_diff" and r["by"] == "type"]
    assert len(by_type) == 3 and all(
        any(row["type"].endswith("Session") and row["count_delta"] > 0 for row in r["rows"]) for r in by_type
    )
    by_site = [r for r in records if r["kind"] == "mem_diff" and r["by"] == "site"]
    assert any("leaky_service.py" in row["site"] for row in by_site[0]["rows"])
    refs = next(r for r in records if r["kind"] == "mem_refs")
    assert refs["chains"] and all("_SESSIONS" in c["path"] for c in refs["chains"])
    segments = result_segments(page)
    summary = next(s for s in segments if "mem summary" in s)
    assert "<table" in summary and "RSS" in visible_text(summary) and "<td" in summary
    diff = next(s for s in segments if "mem diff by type" in s)
    chart = re.search(r'<svg[^>]*data-chart="mem-diff".*?</svg>', diff, re.S)
    assert chart and "<polyline" in chart.group(0) and "Session" in visible_text(chart.group(0))
    assert diff.count("<table") == 3  # a table per cycle
    assert any("_SESSIONS" in visible_text(s) for s in segments if "mem refs" in s)
    print(f"memory_leak: {seconds:.1f} s")


def test_hung_service(tmp_path):
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("hung_service.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    diagnosis = next(r for r in records_of(nb) if r["kind"] == "diagnosis")
    assert diagnosis["workflow"] == "hang" and "deadlock" in diagnosis["classification"]
    report = next(s for s in result_segments(page) if "diagnosis (hang)" in s)
    text = visible_text(report)
    assert "ACCOUNTS_LOCK" in text and "LEDGER_LOCK" in text and "likely cause" in text and "next:" in text
    stack = next(s for s in result_segments(page) if "frames, innermost last" in s)
    assert "with LEDGER_LOCK:" in visible_text(stack)  # the source line each deadlocked thread stands on
    print(f"hung_service: {seconds:.1f} s")


def test_gil_contention(tmp_path):
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("gil_contention.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    reports = [r for r in records_of(nb) if r["kind"] == "gil_stats"]
    assert len(reports) >= 3
    segment = next(s for s in result_segments(page) if "gilstat" in s)
    for which in ("hold_pct", "wait_pct"):
        chart = re.search(rf'<svg[^>]*data-chart="gil-{which}".*?</svg>', segment, re.S)
        assert chart and "<polyline" in chart.group(0) and "reindex" in visible_text(chart.group(0)), which
    # the long holds' stacks: sorted(ROWS), or the sleep after it where the stack was read late
    assert "<table" in segment and re.search(r"reindex\s+\S*gil_service.py:3[45]", visible_text(segment))
    print(f"gil_contention: {seconds:.1f} s")


def torch_python() -> str:
    path = os.path.join(TORCH_VENV, "bin", "python")
    if not os.path.exists(path):
        pytest.skip("no torch interpreter (make torch-venv)")
    return path


def test_torch_training(tmp_path, monkeypatch):
    monkeypatch.setenv("FLIGHT_DEMO_TORCH_PYTHON", torch_python())
    cwd = workdir(tmp_path)
    nb, seconds = run_notebook("torch_training.ipynb", cwd)
    check_clean_run(nb)
    page = check_html(nb)
    stopped_target(nb)
    records = records_of(nb)
    profile = next(r for r in records if r["kind"] == "torch_profile")
    assert profile["calls"] == 2 and profile["device"] == "cpu"
    memory = next(r for r in records if r["kind"] == "torch_memory")
    assert memory["peak_bytes"] > 0
    tensors = [r for r in records if r["kind"] == "torch_tensors"]
    assert len(tensors) == 2 and tensors[1]["tensors"] > tensors[0]["tensors"]  # the leak shows
    segments = result_segments(page)
    timeline = next(s for s in segments if "torch profile of" in s)
    assert "<svg" in timeline and "<table" in timeline and "aten::" in visible_text(timeline)
    chart = next(s for s in segments if "torch memory of" in s)
    assert "<svg" in chart and "peak" in visible_text(chart) and "<table" in chart
    assert sum(1 for s in segments if "live tensors" in s and "<table" in s) == 2
    print(f"torch_training: {seconds:.1f} s")


def test_a_demo_target_ends_with_its_kernel(tmp_path):
    """The kernel is killed (SIGKILL: nothing of it runs after) and its demo target ends."""
    cwd = workdir(tmp_path)
    manager, client = start_new_kernel(kernel_name="python3", cwd=cwd)
    printed: list = []
    try:
        reply = client.execute_interactive(
            'from demo_lifeline import start\nservice = start("hung_service.py")\nprint(service.pid)',
            timeout=60,
            output_hook=printed.append,
        )
    except Exception:
        manager.shutdown_kernel(now=True)
        raise
    assert reply["content"]["status"] == "ok"
    pid = int(next(m["content"]["text"] for m in printed if m["msg_type"] == "stream"))
    assert alive(pid)
    os.kill(manager.provisioner.process.pid, signal.SIGKILL)
    client.stop_channels()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert not alive(pid), "the demo target outlived its kernel"
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
        manager.cleanup_resources()


def test_make_demo_opens_the_tour_and_lists_the_others():
    """What `make demo` would run (make -n: nothing is started) names every notebook of binder/."""
    recipe = subprocess.run(["make", "-n", "demo"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "lab/tree/demo.ipynb" in recipe
    listed = re.search(r"for nb in ([^;]*); do", recipe)
    assert listed, recipe
    others = {os.path.basename(p) for p in glob.glob(os.path.join(BINDER, "*.ipynb"))} - {"demo.ipynb"}
    assert set(listed.group(1).split()) == others and len(others) == 5
