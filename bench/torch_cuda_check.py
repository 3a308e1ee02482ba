"""Exercise the torch command's CUDA paths on a machine with a GPU, and print what they showed.

    .venv/bin/python bench/torch_cuda_check.py [--python PYTHON_WITH_CUDA_TORCH]

``--python``: an interpreter whose torch sees a GPU (default ``.venv-torch/bin/python``; the CPU
wheel of these machines sees none, so give one with a CUDA build). For each of two targets
(tests/targets/torch_train.py --cuda: CUDA memory history off, and on as the target's own with
--history) it runs, while the job trains in its thread:

- ``torch profile`` (CUDA activity: kernels on stream rows, self CUDA time in the op table),
- ``torch memory -r -f step.pickle`` (history, the allocated/reserved timeline, the pickle),
- ``torch memory -s -f allocator.pickle`` (segments, fragmentation),
- ``torch tensors --device cuda``,

and checks after each that the target's profiler is off, its history is as it was, and steps
grow with the loss below the first. It prints one line per check and exits non-zero on a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "tests", "targets", "torch_train.py")
METHOD = "__main__ Trainer train_step"
failures: list = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def flight(pid: int, line: str, timeout: float = 120) -> list:
    done = subprocess.run(
        [sys.executable, "-m", "jupyterlab_flight.cli", str(pid), "--cmd", line, "--json", "--timeout", "60"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    records = [json.loads(x) for x in done.stdout.splitlines() if x.strip()]
    errors = [r for r in records if r.get("kind") == "error"]
    if done.returncode != 0 or errors:
        print(f"      {line}: rc {done.returncode} {errors or done.stderr.strip()[-500:]}")
    return records


def of(records: list, kind: str) -> dict:
    return next((r for r in records if r.get("kind") == kind), {})


def report(path: str) -> dict:
    for _ in range(50):
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.1)
    return {}


def trains_on(path: str, before: dict, history: bool, what: str) -> None:
    deadline = time.monotonic() + 30
    now = report(path)
    while now.get("steps", 0) <= before.get("steps", 0) + 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        now = report(path)
    check(
        now.get("steps", 0) > before.get("steps", 0)
        and now.get("profiler_enabled") is False
        and now.get("history") is history
        and now.get("errors") == 0
        and (now.get("loss") or 1e9) < (now.get("first_loss") or 0),
        f"{what}: trains on (steps {before.get('steps')} -> {now.get('steps')}, loss {now.get('loss')}), "
        f"no profiler on, history {'on' if history else 'off'} as it was",
    )


def run_target(python: str, tmp: str, own_history: bool) -> None:
    label = "target's own history on" if own_history else "no history of the target's"
    path = os.path.join(tmp, f"report-{int(own_history)}.json")
    args = [python, "-u", TARGET, path, "--cuda"] + (["--history"] if own_history else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
    try:
        line = proc.stdout.readline().strip()
        if line != "READY":
            check(False, f"{label}: the target did not start: {line} {proc.stderr.read()[-800:]}")
            return
        time.sleep(2)
        first = report(path)
        check(first.get("device") == "cuda", f"{label}: the target trains on {first.get('device')}")
        if first.get("device") != "cuda":
            return
        check(first.get("history") is own_history, f"{label}: history before: {first.get('history')}")

        records = flight(proc.pid, f"torch profile {METHOD} -n 2")
        profile = of(records, "torch_profile")
        kernels = [e for e in profile.get("trace", {}).get("events", []) if e.get("cat") == "kernel"]
        rows = [r["name"] for r in profile.get("trace", {}).get("rows", [])]
        print(
            f"      profile: {profile.get('calls')} calls on {profile.get('device')}, self CUDA {profile.get('self_device_us')} us, "
            f"{len(kernels)} kernel events, rows {rows}"
        )
        top = profile.get("ops", [])[:5]
        for op in top:
            print(
                f"        {op['name'][:50]:50} calls {op['calls']:4} self CUDA {op['self_device_us']} us self CPU {op['self_cpu_us']} us"
            )
        check(
            profile.get("self_device_us") not in (None, 0) and bool(kernels),
            f"{label}: profile has CUDA time and kernels",
        )
        trains_on(path, first, own_history, f"{label}, after profile")

        pickle_path = os.path.join(tmp, f"step-{int(own_history)}.pickle")
        before = report(path)
        records = flight(proc.pid, f"torch memory -r {METHOD} -f {pickle_path}")
        memory = of(records, "torch_memory")
        timeline = memory.get("timeline", {})
        print(
            f"      memory -r: source {memory.get('source')}, peak {memory.get('peak_bytes')} B, call peak {memory.get('call_peak_bytes')} B, "
            f"{len(timeline.get('t_us', []))} points, reserved max {max(timeline.get('reserved') or [0])}"
        )
        print(f"        at peak by category: {memory.get('at_peak', {}).get('categories')}")
        for s in memory.get("at_peak", {}).get("stacks", [])[:3]:
            print(f"        {s['bytes']:>10} B {s['blocks']:3} blocks  {s['stack'][:120]}")
        check(
            memory.get("source") == "cuda memory history" and bool(timeline.get("reserved")),
            f"{label}: memory -r read the CUDA history",
        )
        ok = os.path.exists(pickle_path)
        if ok:
            with open(pickle_path, "rb") as f:
                snapshot = pickle.load(f)
            ok = "segments" in snapshot and "device_traces" in snapshot
            print(
                f"      snapshot pickle: {os.path.getsize(pickle_path)} bytes, {len(snapshot.get('segments', []))} segments, "
                f"{sum(len(t) for t in snapshot.get('device_traces', []))} trace entries"
            )
        check(ok, f"{label}: -f wrote a memory_viz pickle")
        trains_on(path, before, own_history, f"{label}, after memory -r")

        allocator = os.path.join(tmp, f"allocator-{int(own_history)}.pickle")
        records = flight(proc.pid, f"torch memory -s -f {allocator}")
        snap = of(records, "torch_snapshot")
        print(
            f"      memory -s: {snap.get('allocated_bytes')} allocated of {snap.get('reserved_bytes')} reserved in {snap.get('segments')} segments, "
            f"fragmentation {snap.get('fragmentation')}, history {snap.get('history')}, stats {snap.get('stats')}"
        )
        check(
            snap.get("reserved_bytes", 0) >= snap.get("allocated_bytes", -1) > 0 and os.path.exists(allocator),
            f"{label}: memory -s",
        )

        records = flight(proc.pid, "torch tensors --device cuda -n 5")
        census = of(records, "torch_tensors")
        print(
            f"      tensors: {census.get('tensors')} on cuda, {census.get('total_bytes')} B; largest {[t.get('name') for t in census.get('largest', [])]}"
        )
        check(
            census.get("tensors", 0) > 0 and all(t["device"].startswith("cuda") for t in census.get("largest", [])),
            f"{label}: tensors --device cuda",
        )
        trains_on(path, report(path), own_history, f"{label}, at the end")
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=10)
        check("Traceback" not in err, f"{label}: the target printed no traceback")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=os.path.join(ROOT, ".venv-torch", "bin", "python"))
    args = parser.parse_args()
    probe = subprocess.run(
        [args.python, "-c", "import torch; print(torch.__version__, torch.cuda.is_available(), torch.version.cuda)"],
        capture_output=True,
        text=True,
    )
    print(f"torch in {args.python}: {probe.stdout.strip() or probe.stderr.strip()[-300:]}")
    if "True" not in probe.stdout.split()[1:2]:
        print("no CUDA device for this torch: nothing to check (give --python with a CUDA build)")
        return 2
    with tempfile.TemporaryDirectory(prefix="flight-torch-cuda-") as tmp:
        run_target(args.python, tmp, own_history=False)
        run_target(args.python, tmp, own_history=True)
    print(f"{len(failures)} failed" if failures else "all CUDA checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
