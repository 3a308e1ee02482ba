"""Collapsed stacks -> the profile record's trees, top functions, pruning, bounds and baseline
(perf/aggregate.py, tree.py, baseline.py), without a target."""

from __future__ import annotations

import random

import pytest
from jupyterlab_flight.errors import FlightError
from jupyterlab_flight.perf.aggregate import Aggregate
from jupyterlab_flight.perf.baseline import read_baseline
from jupyterlab_flight.perf.tree import count_nodes, merged_node, prune, record_trees, top_functions

MAIN = "thread (10): MainThread"
WORKER = "thread (11): worker"
TEXT = f"""{MAIN};<module> (/a.py:1);a (/a.py:5);work (/a.py:2) 25
{MAIN};<module> (/a.py:1);b (/a.py:8);work (/a.py:2) 75
{MAIN};<module> (/a.py:1);b (/a.py:8) 4
{WORKER};run (/w.py:1);work (/a.py:2) 16
"""


def agg_of(text: str, **kwargs) -> Aggregate:
    agg = Aggregate(**kwargs)
    agg.add_collapsed(text)
    return agg


def child(node: dict, function: str) -> dict:
    return next(c for c in node["children"] if c["function"] == function)


def assert_consistent(node: dict) -> None:
    """total = self + children's totals, everywhere (nothing pruned); children by total."""
    work = [node]
    while work:
        n = work.pop()
        assert n["total"] == n["self"] + sum(c["total"] for c in n["children"]), n["function"]
        totals = [c["total"] for c in n["children"]]
        assert totals == sorted(totals, reverse=True)
        work.extend(n["children"])


def test_threads_and_the_merged_tree():
    agg = agg_of(TEXT)
    root, threads, pruned = record_trees(agg, thread_levels=False, process_levels=False, budget=20_000)
    assert agg.samples == root["total"] == 120 and pruned == {"nodes": 0, "samples": 0}
    assert [(t["name"], t["thread_id"], t["samples"]) for t in threads] == [("MainThread", 10, 104), ("worker", 11, 16)]
    main = threads[0]["root"]
    assert main["function"] == "MainThread" and main["file"] is None
    b = child(child(main, "<module>"), "b")
    assert (b["total"], b["self"], b["file"], b["line"]) == (79, 4, "/a.py", 8)
    assert child(b, "work")["total"] == 75
    assert root["function"] == "all" and {c["function"] for c in root["children"]} == {"<module>", "run"}
    assert_consistent(root)
    assert_consistent(main)


def test_thread_and_process_levels():
    text = (
        'process 9:"python a.py";' + MAIN + ";f (/a.py:1) 3\n" + 'process 12:"python b.py";thread (13);g (/b.py:1) 2\n'
    )
    agg = agg_of(text)
    root = merged_node(agg, thread_levels=True, process_levels=True)
    assert [c["function"] for c in root["children"]] == ["process 9: python a.py", "process 12: python b.py"]
    thread = root["children"][0]["children"][0]
    assert thread["function"] == "thread 10: MainThread" and thread["file"] is None and thread["total"] == 3
    assert thread["children"][0]["function"] == "f"
    _, threads, _ = record_trees(agg, True, True, 100)
    assert {(t["pid"], t["thread_id"]) for t in threads} == {(9, 10), (12, 13)}
    assert_consistent(root)


def test_top_merges_call_sites_and_counts_a_sample_once_in_recursion():
    text = f"""{MAIN};main (/a.py:1);fib (/a.py:3);fib (/a.py:3);fib (/a.py:3) 10
{MAIN};main (/a.py:1);fib (/a.py:3) 5
{MAIN};main (/a.py:1);other (/a.py:9);fib (/a.py:3) 5
"""
    top = {row["function"]: row for row in top_functions(agg_of(text))}
    assert top["fib"]["self"] == 20 and top["fib"]["total"] == 20  # not 10*3 + 5 + 5
    assert top["main"]["total"] == 20 and top["main"]["self"] == 0
    assert top["fib"]["self_pct"] == 100.0 and top["other"]["total_pct"] == 25.0
    assert list(top)[0] == "fib"  # by self samples


def test_deep_recursion_walks_without_python_recursion():
    depth = 5000
    text = MAIN + ";" + ";".join(["f (/a.py:1)"] * depth) + " 7\n"
    agg = agg_of(text)
    root, threads, _ = record_trees(agg, False, False, 20_000)
    assert count_nodes([root]) == depth + 1
    assert top_functions(agg)[0]["total"] == 7


def test_prune_keeps_the_largest_and_says_what_went():
    rng = random.Random(4)
    lines = []
    for _ in range(400):
        path = ";".join(f"f{rng.randrange(6)} (/m.py:{d})" for d in range(rng.randrange(1, 12)))
        lines.append(f"{MAIN};{path} {rng.randrange(1, 50)}")
    agg = agg_of("\n".join(lines))
    full, threads, _ = record_trees(agg, False, False, 10**9)
    everything = count_nodes([full, *(t["root"] for t in threads)]) - 1 - len(threads)
    root, threads, pruned = record_trees(agg, False, False, 300)
    kept = count_nodes([root, *(t["root"] for t in threads)]) - 1 - len(threads)
    assert kept <= 300 and pruned["nodes"] == everything - kept and pruned["samples"] > 0
    assert root["total"] == agg.samples  # samples of what went stay in the parents' totals
    work = [root]
    while work:
        n = work.pop()
        assert n["total"] >= n["self"] + sum(c["total"] for c in n["children"])
        work.extend(n["children"])


def test_prune_of_dict_trees_removes_smallest_subtrees_first():
    def node(name, total, *children):
        return {
            "function": name,
            "total": total,
            "self": total - sum(c["total"] for c in children),
            "children": list(children),
        }

    root = node("all", 100, node("a", 60, node("a1", 50), node("a2", 10)), node("b", 40, node("b1", 1)))
    pruned = prune([root], 3)
    assert pruned == {"nodes": 2, "samples": 11}
    assert [c["function"] for c in root["children"]] == ["a", "b"]
    assert [c["function"] for c in root["children"][0]["children"]] == ["a1"]
    assert root["children"][1]["children"] == []


def test_memory_is_bounded_by_the_node_cap():
    # ten minutes at 100 Hz on 50 threads: 3 million samples; the paths are what is kept
    agg = Aggregate(max_nodes=2_000, max_threads=50)
    rng = random.Random(1)
    for _ in range(200):
        lines = []
        for t in range(60):  # more threads than the bound
            path = ";".join(f"g{rng.randrange(40)} (/m.py:{d})" for d in range(rng.randrange(3, 9)))
            lines.append(f"thread ({t}): t{t};{path} {rng.randrange(1, 20)}")
        agg.add_collapsed("\n".join(lines))
    assert agg.nodes <= 2_000 and len(agg.threads) <= 51 and len(agg.frames) <= 2_000 + 60
    assert agg.beyond_cap > 0 and agg.paths_beyond_cap > 0
    root, threads, pruned = record_trees(agg, False, False, 20_000)
    assert root["total"] == agg.samples
    assert pruned["samples"] >= agg.beyond_cap and any(t["name"] == "[other threads]" for t in threads)


def test_baseline_on_every_path(tmp_path):
    before = tmp_path / "before.txt"
    before.write_text(
        f"{MAIN};<module> (/a.py:1);a (/a.py:5);work (/a.py:2) 50\n{MAIN};<module> (/a.py:1);gone (/a.py:20) 10\n"
    )
    baseline = read_baseline(str(before))
    assert baseline.describe() == {"source": str(before), "samples": 60}
    agg = agg_of(TEXT)
    root, threads, _ = record_trees(agg, False, False, 1000)
    baseline.apply(root, baseline.merged)
    module = child(root, "<module>")
    assert root["base"] == 60 and module["base"] == 60
    assert child(module, "a")["base"] == 50 and child(child(module, "a"), "work")["base"] == 50
    assert child(module, "b")["base"] == 0  # new since
    for entry in threads:
        baseline.apply(entry["root"], baseline.thread_base(entry["root"]["function"]))
    assert threads[0]["root"]["base"] == 60  # MainThread matched by name
    assert threads[1]["root"]["base"] == 0  # no worker in the baseline


def test_baseline_changes_name_what_moved_most_gone_functions_included(tmp_path):
    before = tmp_path / "before.txt"
    # work's line moved since the baseline (an edit): functions match by name and file
    before.write_text(
        f"{MAIN};<module> (/a.py:1);a (/a.py:5);work (/a.py:3) 50\n{MAIN};<module> (/a.py:1);gone (/a.py:20) 10\n"
    )
    baseline = read_baseline(str(before))
    described = baseline.describe(agg_of(TEXT))
    assert described["source"] == str(before) and described["samples"] == 60
    assert described["changes"] == [
        {"function": "gone", "file": "/a.py", "self_pct": 0.0, "base_self_pct": 16.7, "delta_pct": -16.7},
        {"function": "work", "file": "/a.py", "self_pct": 96.7, "base_self_pct": 83.3, "delta_pct": 13.3},
        {"function": "b", "file": "/a.py", "self_pct": 3.3, "base_self_pct": 0.0, "delta_pct": 3.3},
    ]
    # a move under a point is sampling noise: not listed
    same = tmp_path / "same.txt"
    same.write_text(TEXT)
    assert read_baseline(str(same)).describe(agg_of(TEXT))["changes"] == []


def test_baseline_without_thread_frames_compares_with_all_of_it(tmp_path):
    before = tmp_path / "before.txt"
    before.write_text("<module> (/a.py:1);b (/a.py:8);work (/a.py:2) 30\n")
    baseline = read_baseline(str(before))
    root = merged_node(agg_of(TEXT), thread_levels=True, process_levels=False)
    baseline.apply(root, baseline.merged)
    main = child(root, "thread 10: MainThread")
    assert main["base"] == 30 and child(child(main, "<module>"), "b")["base"] == 30


def test_a_baseline_that_is_not_one(tmp_path):
    bad = tmp_path / "x.txt"
    bad.write_text("hello\n")
    with pytest.raises(FlightError, match="no stacks in it"):
        read_baseline(str(bad))
    with pytest.raises(FlightError, match="cannot read it"):
        read_baseline(str(tmp_path / "missing.txt"))


def test_the_agents_own_threads_are_left_out():
    text = (
        f"{MAIN};<module> (/srv/app.py:1);work (/srv/app.py:2) 10\n"
        "thread (12);Transport._accept_loop (/opt/x/flight_agent/transport.py:75) 7\n"
        "thread (13);0x7f00 (/lib/libc.so.6);Transport._serve (/opt/x/flight_agent/transport.py:109);read_frame (/opt/x/flight_agent/protocol.py:37) 5\n"
        f"{MAIN};<module> (/srv/app.py:1);wrapper (/opt/x/flight_agent/hooks/probe.py:9);work (/srv/app.py:2) 3\n"
    )
    agg = agg_of(text, hide_under="/opt/x/flight_agent")
    assert agg.samples == 13 and agg.hidden == 12 and set(agg.threads) == {(None, 10)}
    # a hook of the agent inside the program's own thread is the program's cost: it stays
    assert any(
        agg.frames[f].function == "wrapper"
        for f in agg.threads[(None, 10)].root.children[agg.frame_id("<module> (/srv/app.py:1)")].children
    )
