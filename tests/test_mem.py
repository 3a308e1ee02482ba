"""mem end to end against a target with a heap of over a million objects and a known leak
(targets/leaky.py: RATE Session objects a second into _SESSIONS): everything on the oldest and the
newest CPython (`leaky`), the cheap checks on the versions between, with a smaller heap
(`small_leaky`); the walk itself is checked on every version in tests/unit/test_mem_command.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import HERE, VERSIONS, Target, flight, flight_json

RATE = 200  # targets/leaky.py
POINTS = 220_000  # BALLAST // 5 Point objects
SMALL_BALLAST = 100_000
EDGES = [VERSIONS[0], VERSIONS[-1]]
BETWEEN = VERSIONS[1:-1]


def _attached(version: str, tmp_path_factory, *args: str):
    t = Target(version, "leaky.py", tmp_path_factory.mktemp("mem"), *args)
    try:
        rc, records = flight_json(t.pid, "mem summary -l 1")  # attach once, outside the timings
        assert rc == 0, records
        yield t
    finally:
        err = t.stop()
        assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


@pytest.fixture(scope="module", params=EDGES)
def leaky(request, tmp_path_factory):
    yield from _attached(request.param, tmp_path_factory)


@pytest.fixture(scope="module", params=BETWEEN)
def small_leaky(request, tmp_path_factory):
    yield from _attached(request.param, tmp_path_factory, str(SMALL_BALLAST))


def one(records: list, kind: str) -> dict:
    found = [r for r in records if r["kind"] == kind]
    assert len(found) == 1, records
    return found[0]


def source_line(text: str) -> int:
    with open(os.path.join(HERE, "targets", "leaky.py")) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)


def gaps_during(target: Target, start: float, end: float) -> float:
    report = target.wait_report(lambda r: r["gaps"] is not None)
    return max([ms for t, ms in report["gaps"] if start <= t <= end + 0.2] or [0.0])


def test_summary_counts_the_heap_in_c_without_long_stalls(leaky):
    sentinel_refs = leaky.report()["sentinel_refs"]
    start = time.time()
    rc, records = flight_json(leaky.pid, "mem summary -l 5")
    end = time.time()
    assert rc == 0, records
    s = one(records, "mem_summary")
    assert records[-1] == {"kind": "end", "reason": "done", "v": 1}
    assert s["engine"] == "c" and s["total_count"] > 1_000_000, s
    assert s["total_count"] == s["tracked"] + s["untracked"]
    rows = {r["type"]: r for r in s["rows"]}
    assert rows["__main__.Point"]["count"] == POINTS
    # a slots object with two slots: the same size sys.getsizeof gives in the target
    assert rows["__main__.Point"]["size"] % POINTS == 0
    assert s["rows"] == sorted(s["rows"], key=lambda r: r["size"], reverse=True) and len(s["rows"]) == 5
    assert s["rss"] > s["total_size"] > 0 and s["unaccounted"] == s["rss"] - s["total_size"]
    assert s["gc_collected"] is None
    # the walk handed the GIL over: its longest hold took about its 5 ms budget of CPU time (its
    # wall clock also counts a loaded machine's preemption, so it is bounded leniently), and the
    # ticker thread kept running (bounds lenient for a shared, noisy machine)
    assert s["longest_hold_cpu_ms"] < 25 and s["longest_hold_ms"] < max(100, 0.5 * s["seconds"] * 1000), s
    assert gaps_during(leaky, start, end) < max(300, 0.8 * (end - start) * 1000)
    after = leaky.wait_report(lambda r: r["sentinel_refs"] == sentinel_refs, timeout=5)
    assert not after["tracing"]


def test_summary_and_refs_on_the_versions_between(small_leaky):
    sentinel_refs = small_leaky.report()["sentinel_refs"]
    rc, records = flight_json(small_leaky.pid, "mem summary -l 8")
    assert rc == 0, records
    s = one(records, "mem_summary")
    assert s["engine"] == "c" and s["total_count"] == s["tracked"] + s["untracked"] > SMALL_BALLAST, s
    assert any(r["type"] == "__main__.Point" and r["count"] == SMALL_BALLAST // 5 for r in s["rows"]), s["rows"]
    rc, records = flight_json(small_leaky.pid, "mem refs __main__ Session -n 1")
    (chain,) = one(records, "mem_refs")["chains"]
    assert chain["path"].startswith("__main__._SESSIONS[") and chain["root"] == "module global", chain
    rc, records = flight_json(small_leaky.pid, "mem refs __main__ NoSuchClass")
    assert rc != 0 and [r["message"] for r in records if r["kind"] == "error"] == [
        "no class named 'NoSuchClass' in module '__main__'"
    ], records
    small_leaky.wait_report(lambda r: r["sentinel_refs"] == sentinel_refs, timeout=5)


def test_summary_ascending_and_gc(leaky):
    # after the walks above, a full collection still ends (targets/leaky.py: _asyncio's freelist)
    rc, records = flight_json(leaky.pid, "mem summary -l 3 -o ascending --gc")
    s = one(records, "mem_summary")
    assert rc == 0 and s["gc_collected"] is not None and s["order"] == "ascending"
    assert s["rows"] == sorted(s["rows"], key=lambda r: r["size"]) and len(s["rows"]) == 3


def test_diff_by_type_finds_the_leak_at_its_rate(leaky):
    rc, records = flight_json(leaky.pid, "mem diff -i 1.5 -n 2 -l 10")
    assert rc == 0, records
    assert records[0]["kind"] == "message" and "first walk" in records[0]["text"]
    diffs = [r for r in records if r["kind"] == "mem_diff"]
    assert [d["cycle"] for d in diffs] == [1, 2] and records[-1]["reason"] == "limit"
    for d in diffs:
        rows = {r["type"]: r for r in d["rows"]}
        session = rows["__main__.Session"]
        # the leak is the top grower by count among the target's own types, at about RATE a second
        own = [r for r in d["rows"] if r["type"].startswith("__main__.")]
        assert own[0]["type"] == "__main__.Session"
        assert 0.5 * RATE * 1.5 <= session["count_delta"] <= 1.6 * RATE * 1.5, session
        assert session["size_delta"] > 0 and session["count"] >= session["count_delta"]
        # each Session holds a list: lists grow with it
        assert rows["list"]["count_delta"] >= 0.8 * session["count_delta"]
        assert list(d["rows"]) == sorted(d["rows"], key=lambda r: (r["size_delta"], r["count_delta"]), reverse=True)


def test_diff_by_site_names_the_allocating_lines_and_restores_tracemalloc(leaky):
    assert not leaky.report()["tracing"]
    rc, records = flight_json(leaky.pid, "mem diff --by site -i 2 -l 5")
    assert rc == 0, records
    assert "tracemalloc started" in records[0]["text"]
    d = one(records, "mem_diff")
    assert d["by"] == "site" and d["owned"] is True
    leak_lines = {source_line("_SESSIONS[n] = Session(n)"), source_line("self.payload = [number] * 8")}
    top = [r["site"] for r in d["rows"][:3]]
    expected = {f"{os.path.join(HERE, 'targets', 'leaky.py')}:{n}" for n in leak_lines}
    assert expected & set(top), top
    payload = next(r for r in d["rows"] if r["site"].endswith(f":{source_line('self.payload')}"))
    assert payload["traceback"][-1] == payload["site"] and len(payload["traceback"]) >= 2
    # two blocks a Session (the list and its items), RATE a second for 2 s
    assert 0.5 * RATE * 2 * 2 <= payload["count_delta"] <= 1.6 * RATE * 2 * 2
    # stopped after: the target is not traced any more
    leaky.wait_report(lambda r: not r["tracing"], timeout=5)


def test_refs_names_the_global_that_holds_the_leak(leaky):
    sentinel_refs = leaky.report()["sentinel_refs"]
    rc, records = flight_json(leaky.pid, "mem refs __main__ Session -n 2")
    assert rc == 0, records
    r = one(records, "mem_refs")
    assert r["instances"] > 0 and len(r["chains"]) == 2
    for chain in r["chains"]:
        assert chain["path"].startswith("__main__._SESSIONS[") and chain["root"] == "module global", chain
        assert chain["length"] == 2 and chain["type"] == "__main__.Session"
    leaky.wait_report(lambda rep: rep["sentinel_refs"] == sentinel_refs, timeout=5)


def test_refs_of_a_class_held_in_a_slots_list(leaky):
    rc, records = flight_json(leaky.pid, "mem refs __main__ Point -n 1 -d 3")
    (chain,) = one(records, "mem_refs")["chains"]
    assert chain["path"].startswith("__main__.ballast[") and chain["length"] == 2


@pytest.mark.parametrize(
    ("cls", "path", "root"),
    [
        ("Pinned", "__main__.Registry.pinned[0]", "class attribute"),
        ("Captured", "__main__.CALLBACK closure 'captured'", "closure"),
        ("Local", "thread holder hold() ({file}:{line}) local 'mine'", "thread frame local"),
    ],
)
def test_refs_names_class_attributes_closures_and_thread_locals(leaky, cls, path, root):
    rc, records = flight_json(leaky.pid, f"mem refs __main__ {cls} -n 1")
    (chain,) = one(records, "mem_refs")["chains"]
    expected = path.format(file=os.path.join(HERE, "targets", "leaky.py"), line=source_line("stop.wait()"))
    assert (chain["path"], chain["root"]) == (expected, root)


# the refusals made while parsing are all in tests/unit/test_mem_command.py: one of them here
@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("mem refs nosuch.module Session", "module 'nosuch.module' is not imported in the target"),
        ("mem refs __main__ NoSuchClass", "no class named 'NoSuchClass' in module '__main__'"),
        ("mem diff -i -3", "--interval must be a positive number of seconds; got -3"),
    ],
)
def test_bad_input_is_one_clear_line(leaky, command, message):
    rc, records = flight_json(leaky.pid, command)
    assert rc != 0
    errors = [r for r in records if r["kind"] == "error"]
    assert len(errors) == 1 and message in errors[0]["message"] and "\n" not in errors[0]["message"], records


def test_an_interval_longer_than_the_timeout_is_refused(leaky):
    done = flight(str(leaky.pid), "--cmd", "mem diff -i 5 -n 2", "--timeout", "3")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["error: mem takes at least 10 s: more than --timeout 3 s"]


def test_site_diffs_at_once_share_tracemalloc_and_stop_it_last(leaky):
    argv = [sys.executable, "-m", "jupyterlab_flight.cli", str(leaky.pid), "--json", "--cmd"]
    first = subprocess.Popen([*argv, "mem diff --by site -i 3 -l 3"], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        rc, records = flight_json(leaky.pid, "mem diff --by site -i 1 -l 3")
        assert rc == 0 and one(records, "mem_diff")["rows"], records
        out, _ = first.communicate(timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0 and '"mem_diff"' in out, out
    leaky.wait_report(lambda r: not r["tracing"], timeout=5)


def test_a_target_that_traces_already_is_left_tracing(leaky):
    rc, records = flight_json(leaky.pid, "console -c 'import tracemalloc; tracemalloc.start(2)'")
    assert rc == 0, records
    try:
        leaky.wait_report(lambda r: r["tracing"], timeout=5)
        rc, records = flight_json(leaky.pid, "mem diff --by site -i 1 -l 3")
        assert rc == 0 and "the target traces already (2 frames)" in records[0]["text"], records
        assert one(records, "mem_diff")["owned"] is False
        time.sleep(0.3)
        assert leaky.wait_report(lambda r: True)["tracing"]
    finally:
        flight_json(leaky.pid, "console -c 'import tracemalloc; tracemalloc.stop()'")
    leaky.wait_report(lambda r: not r["tracing"], timeout=5)


def test_mem_from_a_notebook(tmp_path):
    """%mem and %flight mem in a real kernel: records and the saved notebook's static HTML."""
    import nbformat
    from nbclient import NotebookClient

    target = Target("3.12", "leaky.py", tmp_path, "300000")
    try:
        sources = [
            "%load_ext jupyterlab_flight",
            f"%flight attach {target.pid}",
            "%mem summary -l 3",
            "%flight mem diff -i 1 -l 3",
            "%mem refs __main__ Session -n 1",
            "%flight detach",
        ]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        NotebookClient(
            nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
        ).execute()
    finally:
        err = target.stop()
    assert "Traceback" not in err
    mime = "application/vnd.jupyterlab-flight.v1+json"

    def bundle(cell):
        found = [o["data"] for o in cell.outputs if mime in o.get("data", {})]
        assert found and not [o for o in cell.outputs if o.get("output_type") == "error"], cell.outputs
        return found[-1]

    summary = bundle(nb.cells[2])
    kinds = [r["kind"] for r in summary[mime]["records"]]
    assert kinds == ["mem_summary", "end"] and "__main__.Point" in summary["text/html"]
    diff = bundle(nb.cells[3])
    assert [r["kind"] for r in diff[mime]["records"]] == ["message", "mem_diff", "end"]
    refs = bundle(nb.cells[4])
    (record,) = [r for r in refs[mime]["records"] if r["kind"] == "mem_refs"]
    assert record["chains"][0]["path"].startswith("__main__._SESSIONS[") and "_SESSIONS[" in refs["text/html"]
