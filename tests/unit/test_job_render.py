"""The job record's renderers and the process list's job rows, on records made here."""

from __future__ import annotations

from jupyterlab_flight.fanout import group
from jupyterlab_flight.render.registry import HTML
from jupyterlab_flight.render.text import render_text


def frames(*names):
    return [{"function": n, "file": f"/srv/{n}.py", "line": i + 1} for i, n in enumerate(names)]


def proc(pid, role, label, rank=None, status="ok", stack=(), reason=None):
    p = {"pid": pid, "role": role, "label": label, "rank": rank, "status": status, "stack": list(stack)}
    if reason:
        p["reason"] = reason
    return p


def record(processes):
    return {
        "v": 1,
        "kind": "job",
        "pid": 1,
        "root": 1,
        "command": "stack",
        "samples": 1,
        "by": "function",
        "elapsed_ms": 5.0,
        "processes": processes,
        "groups": group(processes),
    }


def test_groups_tiers_majority_and_divergence():
    step = frames("main", "train_step", "all_reduce")
    processes = [
        proc(10, "rank", "rank 0", 0, stack=step),
        proc(11, "rank", "rank 1", 1, stack=frames("main", "train_step", "load_batch")),
        proc(12, "rank", "rank 2", 2, stack=step),
        proc(13, "rank", "rank 3", 3, status="denied", reason="Operation not permitted <x>"),
        proc(14, "worker", "rank 0 worker 0", 0, stack=frames("main", "fetch")),
    ]
    groups = record(processes)["groups"]
    assert [(g["tier"], g["count"], g["ranks"], g["status"]) for g in groups] == [
        ("rank", 1, [1], "ok"),
        ("rank", 1, [3], "denied"),
        ("rank", 2, [0, 2], "ok"),
        ("worker", 1, None, "ok"),
    ]
    assert groups[0]["diverges_at"] == 2 and groups[2]["majority"] and groups[2]["diverges_at"] is None
    text = render_text(record(processes))
    assert "2 ranks in all_reduce (rank 0, 2); rank 1 in load_batch, load_batch.py:3; rank 3: permission denied" in text
    assert "load_batch  load_batch.py:3  << diverges from the majority here" in text
    assert "permission denied: Operation not permitted <x>" in text
    html = HTML.render(record(processes))
    assert "Operation not permitted &lt;x&gt;" in html and "<x>" not in html


def test_a_job_listed_without_a_command_is_a_tree():
    listed = record([])
    listed.update(
        command="",
        groups=[],
        processes=[
            {"pid": 1, "depth": 0, "label": "launcher (torchrun)", "python": True, "cmdline": "torchrun x.py"},
            {"pid": 2, "depth": 1, "label": "rank 0", "python": True, "cmdline": "python x.py"},
            {"pid": 3, "depth": 2, "label": "rank 0 worker 0", "python": True, "cmdline": "python x.py"},
            {"pid": 4, "depth": 2, "label": "nvidia-smi", "python": False, "cmdline": "nvidia-smi"},
        ],
    )
    lines = render_text(listed).splitlines()
    assert lines[0] == "job of pid 1 (root 1): 4 processes"
    assert lines[1].startswith("1  launcher (torchrun)")
    assert lines[3].startswith("    3  rank 0 worker 0")
    assert "(not Python)" in lines[4]


def test_the_process_list_shows_a_job_as_a_tree():
    processes = [
        {"pid": 1, "cmdline": "torchrun x.py", "job": 1, "depth": 0, "label": "launcher (torchrun)"},
        {"pid": 2, "cmdline": "python x.py", "job": 1, "depth": 1, "label": "rank 0"},
        {"pid": 9, "cmdline": "python other.py", "job": None, "depth": 0, "label": None},
    ]
    text = render_text({"v": 1, "kind": "processes", "processes": processes})
    assert "  2  " in text and "[rank 0] python x.py" in text
    assert "[launcher (torchrun)] torchrun x.py" in text
    assert "python other.py" in text and "[None]" not in text
