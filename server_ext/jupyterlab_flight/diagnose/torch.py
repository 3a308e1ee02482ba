"""diagnose torch module [class] method: a PyTorch job's step, what it costs and what it keeps.

Steps (read-only; the target's own torch, never imported by us):
1. ``torch tensors -n 10``: live tensors by device, dtype and shape;
2. ``torch profile module [class] method -n 1``: one step under torch.profiler: the top ops by
   self time, host-device copies (``aten::copy_`` / ``aten::_to_copy`` / ``Memcpy`` across
   devices) and synchronisations (``aten::item`` / ``aten::_local_scalar_dense``,
   ``cudaDeviceSynchronize``, ``cudaStreamSynchronize``, ``cudaMemcpy``: the host waits for
   the device);
3. ``torch memory -r module [class] method``: the memory of one step: its peak and what is live
   at it, by category (parameters, optimizer state, activations, gradients, ...);
4. ``torch tensors -n 10`` again, at least SECONDS after the first: the (device, dtype, shape)
   rows that grew, per second.
The profile and memory steps wait for the next call of the step, SECONDS at most each.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..errors import FlightError
from .steps import Steps, run_line, sleep_unless_stopped

COPY_OPS = ("aten::copy_", "aten::_to_copy", "aten::to", "Memcpy HtoD", "Memcpy DtoH", "Memcpy DtoD")
SYNC_OPS = (
    "aten::item",
    "aten::_local_scalar_dense",
    "cudaDeviceSynchronize",
    "cudaStreamSynchronize",
    "cudaEventSynchronize",
    "cudaMemcpy",
)
GROWTH_BYTES = 1 << 20  # a row that grew this much over the interval grows
COPY_SHARE = 0.2  # copies taking this share of a CUDA step's time are a finding
SYNCS_PER_STEP = 3  # more host waits than this per CUDA step are a finding
GRACE_S = 10.0


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _shape(row: dict) -> str:
    return f"{row['dtype']} {list(row['shape'])} on {row['device']}"


def run(steps: Steps, session, request: dict) -> Iterator[dict]:
    duration = request["duration"]
    method = " ".join(request["target"])
    found: dict = {}

    def step(line: str, name: str, seconds: float | None = None):
        try:
            for record in run_line(session, line, seconds):
                kind = record.get("kind")
                if kind in ("torch_tensors", "torch_profile", "torch_memory"):
                    found[name] = (record, steps.index())
                elif kind == "error":
                    found.setdefault("errors", []).append(record.get("message", ""))
                yield steps.emit(record)
        except FlightError as e:
            found.setdefault("errors", []).append(str(e))
            yield steps.emit({"v": 1, "kind": "error", "message": f"{line}: {e}"})

    yield steps.progress("torch tensors (live tensors by device, dtype, shape)")
    first_at = time.monotonic()
    yield from step("torch tensors -n 10", "before")
    if "before" not in found:
        errors = "; ".join(found.get("errors", [])) or "no answer"
        yield steps.diagnosis("unknown", 0.0, f"the tensors could not be read: {errors}", "", ["torch tensors"])
        return
    if not session.stop_reason:
        yield steps.progress(f"torch profile {method}: one step (waits {duration:g} s at most for the next call)")
        yield from step(f"torch profile {method} -n 1", "profile", duration + GRACE_S)
    if not session.stop_reason:
        yield steps.progress(f"torch memory -r {method}: one step's memory, its peak")
        yield from step(f"torch memory -r {method}", "memory", duration + GRACE_S)
    if not session.stop_reason:
        sleep_unless_stopped(session, first_at + duration - time.monotonic())
    if not session.stop_reason:
        yield steps.progress("torch tensors again: what grew")
        yield from step("torch tensors -n 10", "after")
    second_at = time.monotonic()

    next_: list = [f"torch profile {method} -n 3 -f /tmp/step.json.gz"]
    verdicts: list = []  # (verdict, confidence, summary, cause), most telling first

    # growth
    before, before_index = found["before"]
    if "after" in found:
        after, after_index = found["after"]
        seconds = max(second_at - first_at, 1e-3)
        rows_before = {(r["device"], r["dtype"], tuple(r["shape"])): r for r in before["rows"]}
        grew = []
        for row in after["rows"]:
            key = (row["device"], row["dtype"], tuple(row["shape"]))
            old = rows_before.get(key, {"count": 0, "bytes": 0})
            if row["bytes"] - old["bytes"] >= GROWTH_BYTES and row["count"] > old["count"]:
                grew.append((row, row["count"] - old["count"], row["bytes"] - old["bytes"]))
        total = after["total_bytes"] - before["total_bytes"]
        if grew:
            listed = "; ".join(
                f"{_shape(r)} +{n} tensors (+{_mib(b)}, {n / seconds:.1f}/s), now {r['count']}" for r, n, b in grew[:3]
            )
            names = [t["name"] for t in after.get("largest", []) if t.get("name")]
            named = [n for n in names if any(tuple(t["shape"]) == tuple(grew[0][0]["shape"]) for t in after["largest"])]
            steps.find(
                "Tensors that grew",
                f"{listed}; live tensors {before['tensors']} -> {after['tensors']} "
                f"({'+' if total >= 0 else ''}{_mib(total)}) over {seconds:.1f} s.",
                [before_index, after_index],
            )
            top, n, b = grew[0]
            verdicts.append(
                (
                    "tensor_growth",
                    0.8,
                    f"{_shape(top)} tensors grow: +{n} in {seconds:.1f} s ({_mib(b / seconds)}/s)",
                    f"the job keeps a {list(top['shape'])} tensor every few steps and never drops it (a list of "
                    "activations, losses kept as tensors instead of .item(), a cache): find what holds them"
                    + (f" (named: {', '.join(named[:2])})" if named else ""),
                )
            )
            next_.append("mem refs torch Tensor -n 3")
        else:
            steps.find(
                "Live tensors",
                f"{before['tensors']} -> {after['tensors']} tensors ({_mib(before['total_bytes'])} -> "
                f"{_mib(after['total_bytes'])}) over {seconds:.1f} s: no (device, dtype, shape) grew by "
                f"{_mib(GROWTH_BYTES)} or more.",
                [before_index, after_index],
            )

    # the profile of one step
    if "profile" in found:
        profile, profile_index = found["profile"]
        ops = profile.get("ops", [])
        cuda = str(profile.get("device", "cpu")).startswith("cuda")
        time_key = "self_device_us" if cuda else "self_cpu_us"
        total_us = sum((o.get(time_key) or 0) for o in ops) or 1e-9
        top = ", ".join(
            f"{o['name']} {(o.get(time_key) or 0) / 1000:.2f} ms ({(o.get(time_key) or 0) / total_us:.0%}, "
            f"{o['calls']} calls)"
            for o in ops[:4]
        )
        cost = profile.get("cost_ms") or [0]
        steps.find(
            f"Inside one {profile['method']}",
            f"the step took {cost[0]:.1f} ms on {profile.get('device')} (thread "
            f"{', '.join(profile.get('threads', []))}); top ops by self time: {top}.",
            [profile_index],
        )
        copies = [o for o in ops if o["name"] in COPY_OPS]
        syncs = [o for o in ops if o["name"] in SYNC_OPS]
        copy_us = sum(o.get("self_cpu_us") or 0 for o in copies)
        sync_calls = sum(o["calls"] for o in syncs)
        copy_text = (
            ", ".join(f"{o['name']} x{o['calls']} ({(o.get('self_cpu_us') or 0) / 1000:.2f} ms)" for o in copies)
            or "none"
        )
        sync_text = ", ".join(f"{o['name']} x{o['calls']}" for o in syncs) or "none"
        steps.find(
            "Copies and synchronisations",
            f"copies: {copy_text}; host waits on the device: {sync_text}"
            + ("" if cuda else " (on CPU there is no device to copy to or wait for: these matter on CUDA)")
            + ".",
            [profile_index],
        )
        step_us = max(cost[0] * 1000, 1e-9)
        if cuda and copy_us / step_us >= COPY_SHARE:
            verdicts.append(
                (
                    "host_device_copies",
                    0.7,
                    f"host-device copies take {copy_us / step_us:.0%} of a step",
                    "tensors move between host and device every step: keep them on the device, or pin memory and "
                    "copy with non_blocking=True",
                )
            )
        if cuda and sync_calls > SYNCS_PER_STEP:
            verdicts.append(
                (
                    "synchronisations",
                    0.7,
                    f"the host waits for the device {sync_calls} times a step ({sync_text})",
                    ".item(), .cpu() or printing a tensor each step makes the host wait: do it every N steps",
                )
            )

    # the memory of one step
    if "memory" in found:
        memory, memory_index = found["memory"]
        at_peak = (memory.get("at_peak") or {}).get("categories", [])
        live = ", ".join(f"{c['category']} {_mib(c['bytes'])}" for c in at_peak[:4]) or "not known"
        steps.find(
            "Memory of one step",
            f"peak {_mib(memory.get('peak_bytes') or 0)} at {(memory.get('peak_t_us') or 0) / 1000:.1f} ms into "
            f"the step (the step itself allocated {_mib(memory.get('call_peak_bytes') or 0)} at its peak; "
            f"{memory.get('source')}); live at the peak: {live}.",
            [memory_index],
        )
        if not verdicts:
            verdicts.append(
                (
                    "steady",
                    0.6,
                    f"no tensor grows; one step peaks at {_mib(memory.get('peak_bytes') or 0)} ({live})",
                    "the step's memory and time are as shown: profile more steps to compare",
                )
            )
    errors = found.get("errors", [])
    if errors:
        steps.find("Steps that failed", "; ".join(errors[:3]) + ".", [])
    if not verdicts:
        if "after" in found and "profile" in found:
            verdicts.append(
                ("steady", 0.5, "no tensor grows", "nothing stood out over the interval: diagnose over a longer one")
            )
        else:
            verdicts.append(
                (
                    "unknown",
                    0.2,
                    f"{method} was not profiled" + (f": {errors[0]}" if errors else ""),
                    f"is {method} called? (watch {method} -n 1)",
                )
            )
            next_.insert(0, f"watch {method} -n 1")
    next_.append(f"torch memory -r {method} -f /tmp/step_memory.json.gz")
    verdict, confidence, summary, cause = verdicts[0]
    yield steps.diagnosis(verdict, confidence, summary, cause, next_)
