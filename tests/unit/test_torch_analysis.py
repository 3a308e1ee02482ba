"""The torch command's analysis of what torch hands back, where no GPU is needed to check it:
a CUDA allocator snapshot (history entries, segments, blocks) and allocation replays, in the
shapes torch 2.13's torch.cuda.memory._snapshot() documents. The end-to-end paths run in
tests/test_torch.py (CPU) and bench/torch_cuda_check.py (a GPU)."""

from __future__ import annotations

from flight_agent.commands.torch.calls import _cuda_allocations, live_at_peak, memory_summary
from flight_agent.commands.torch.census import segments_summary

MB = 1 << 20
T0 = 1_790_000_000.0  # epoch s of the call's start


def frames(*names):
    return [{"filename": "/app/train.py", "line": 40 + i, "name": n} for i, n in enumerate(names)] + [
        {"filename": "/usr/lib/python3.11/site-packages/torch/nn/modules/linear.py", "line": 125, "name": "forward"}
    ]


def entry(action, addr, size, dt_ms, *names):
    return {
        "action": action,
        "addr": addr,
        "size": size,
        "stream": 0,
        "time_us": (T0 + dt_ms / 1000) * 1e6,
        "frames": frames(*names) if names else [],
    }


SNAPSHOT = {
    "segments": [],
    "device_traces": [
        [
            entry("alloc", 1, 4 * MB, -5000, "before_the_call"),  # the target's own history, earlier: left out
            entry("segment_alloc", 100, 20 * MB, 1),
            entry("alloc", 2, 8 * MB, 2, "train_step"),
            entry("alloc", 3, 2 * MB, 3, "loss_of", "train_step"),
            entry("free_requested", 3, 2 * MB, 4),
            entry("free_completed", 3, 2 * MB, 4),
            entry("alloc", 4, 6 * MB, 5, "train_step"),  # the peak: 8 + 6 live
            entry("free_completed", 2, 8 * MB, 6),
            entry("free_completed", 9, 1 * MB, 7),  # a block from before the call
        ]
    ],
}


def test_history_is_read_within_the_call():
    allocations, reserved = _cuda_allocations(SNAPSHOT, 0, T0, T0 + 0.010)
    assert [a[2] for a in allocations] == [8 * MB, 2 * MB, -2 * MB, 6 * MB, -8 * MB, -1 * MB]
    assert reserved[0][1] == 20 * MB
    assert allocations[0][3] == "train_step (train.py:40)"  # torch's own frames left out
    assert allocations[1][3] == "loss_of (train.py:40) < train_step (train.py:41)"


def test_live_at_peak_groups_by_stack():
    allocations, _ = _cuda_allocations(SNAPSHOT, 0, T0, T0 + 0.010)
    peak, ts, stacks = live_at_peak(allocations)
    assert peak == 14 * MB
    assert ts == (T0 + 0.005) * 1e6
    assert stacks == [{"stack": "train_step (train.py:40)", "bytes": 14 * MB, "blocks": 2}]


def test_cuda_memory_summary():
    result = {
        "snapshot": SNAPSHOT,
        "t0": T0,
        "t1": T0 + 0.010,
        "before": (3 * MB, 32 * MB),
        "cost_ms": 10.0,
        "categories": None,
        "trace": {"traceEvents": []},
    }
    summary = memory_summary([result], [], "cuda:0")
    assert summary["source"] == "cuda memory history"
    timeline = summary["timeline"]
    assert timeline["allocated"][0] == 3 * MB  # what was allocated before, then the call's own
    assert max(timeline["allocated"]) == summary["peak_bytes"] == 3 * MB + 8 * MB + 6 * MB
    assert timeline["allocated"][-1] == 3 * MB + 6 * MB - 1 * MB
    assert timeline["reserved"][-1] == 52 * MB
    assert summary["call_peak_bytes"] == 14 * MB
    assert summary["peak_t_us"] == 4000.0  # from the first entry of the call


def test_segments_summary():
    snapshot = {
        "segments": [
            {
                "device": 0,
                "address": 1000,
                "total_size": 20 * MB,
                "allocated_size": 14 * MB,
                "stream": 0,
                "segment_type": "large",
                "blocks": [
                    {
                        "size": 8 * MB,
                        "requested_size": 8 * MB,
                        "state": "active_allocated",
                        "address": 1000,
                        "frames": frames("train_step"),
                    },
                    {"size": 6 * MB, "requested_size": 5 * MB, "state": "active_allocated", "address": 2000},
                    {"size": 4 * MB, "state": "inactive", "address": 3000},
                    {"size": 2 * MB, "state": "inactive", "address": 4000},
                ],
            },
            {
                "device": 0,
                "address": 9000,
                "total_size": 2 * MB,
                "allocated_size": 0,
                "stream": 0,
                "segment_type": "small",
                "blocks": [{"size": 2 * MB, "state": "inactive", "address": 9000}],
            },
        ],
        "device_traces": [[]],
    }
    s = segments_summary(snapshot)
    assert (s["segments"], s["reserved_bytes"], s["allocated_bytes"], s["free_bytes"]) == (2, 22 * MB, 14 * MB, 8 * MB)
    assert s["largest_free_bytes"] == 4 * MB
    assert s["fragmentation"] == 0.5  # half the cached free memory is outside the largest free block
    assert [b["bytes"] for b in s["largest_blocks"]] == [8 * MB, 6 * MB]
    assert s["largest_blocks"][0]["stack"] == ["train_step (/app/train.py:40)"]
    assert s["segment_rows"][0]["largest_free_bytes"] == 4 * MB
    assert s["history"] is False
