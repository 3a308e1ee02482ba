"""torch profile / memory -r / memory -s / tensors against a real PyTorch job training in a thread.

The target (targets/torch_train.py) runs in the torch venv (``make torch-venv``: Python 3.11,
the CPU build torch 2.13.0). After every command it must train on unharmed: no profiler left
enabled, steps growing, loss going down. CUDA tests run only where the venv's torch sees a GPU.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import subprocess
import sys
import time
import uuid

import pytest
from conftest import TARGETS, Target, flight, flight_json
from jupyterlab_flight.render.mime import MAX_NOTEBOOK_BYTES
from jupyterlab_flight.render.text import render_text

METHOD = "__main__ Trainer train_step"


class TorchTarget(Target):
    """targets/torch_train.py in the torch venv."""

    def __init__(self, python: str, tmp_path, *args: str):  # noqa: D107 (Target's, with another Python)
        self.version = "3.11"
        self.report_path = str(tmp_path / f"report-torch-{uuid.uuid4().hex[:8]}.json")
        self.proc = subprocess.Popen(
            [python, "-u", os.path.join(TARGETS, "torch_train.py"), self.report_path, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"},
            cwd=str(tmp_path),
        )
        line = self.proc.stdout.readline()
        if line.strip() != "READY":
            self.proc.kill()
            raise RuntimeError(f"target did not start: {line!r} {self.proc.stderr.read()}")
        self.wait_report(lambda r: r.get("steps", 0) > 2 or "device" not in r, timeout=60)  # no-torch: at once


def _start(python, tmp_path, *args):
    target = TorchTarget(python, tmp_path, *args)
    return target


@pytest.fixture
def trainer(torch_python, tmp_path):
    t = _start(torch_python, tmp_path)
    yield t
    err = t.stop()
    assert "Traceback" not in err, f"the target printed a traceback:\n{err}"


def records_of(records: list, kind: str) -> list:
    return [r for r in records if r.get("kind") == kind]


def trains_on(target: Target, after: dict) -> dict:
    """The job still trains: no profiler of ours left on, more steps, the loss below the first."""
    now = target.wait_report(lambda r: r["steps"] > after["steps"] + 3, timeout=30)
    assert now["profiler_enabled"] is False
    assert now["history"] is False
    assert now["errors"] == 0
    assert now["loss"] < now["first_loss"]
    return now


def test_profile_next_calls_while_training(trainer, tmp_path):
    before = trainer.report()
    path = tmp_path / "trace.json.gz"
    rc, records = flight_json(trainer.pid, f"torch profile {METHOD} -n 2 -f {path}", "--timeout", "45")
    assert rc == 0, records
    (profile,) = records_of(records, "torch_profile")
    assert profile["calls"] == 2 and profile["method"] == "__main__.Trainer.train_step"
    assert profile["threads"] == ["trainer"] and profile["device"] == "cpu"
    ops = {op["name"]: op for op in profile["ops"]}
    assert ops["aten::addmm"]["calls"] == 6  # three linear layers, two calls
    assert any("512, 64" in s["shapes"] for s in ops["aten::addmm"]["shapes"])
    assert all(op["self_device_us"] is None for op in profile["ops"])  # no CUDA here
    assert not any(name.startswith("<built-in") or ".py(" in name for name in ops)  # Python frames are the trace's
    trace = profile["trace"]
    assert trace["events"] and "trainer" in [row["name"] for row in trace["rows"]]
    assert any(e["name"] == "aten::addmm" and e["ph"] == "X" for e in trace["events"])
    assert any(e["name"] == "[memory]" and e["bytes"] != 0 for e in trace["events"])
    assert "file_data" not in profile
    assert any(r.get("text", "").startswith(f"wrote the Chrome trace to {path}") for r in records)
    written = json.loads(gzip.decompress(path.read_bytes()))
    assert sum(1 for e in written["traceEvents"] if e.get("name") == "aten::addmm") == 6
    assert records[-1] == {"kind": "end", "reason": "limit", "v": 1}
    text = render_text(profile)
    assert "aten::addmm" in text and "SELF CPU" in text
    trains_on(trainer, before)


def test_a_long_profile_stays_within_a_saved_result(trainer):
    rc, records = flight_json(trainer.pid, f"torch profile {METHOD} -n 20", "--timeout", "45")
    (profile,) = records_of(records, "torch_profile")
    trace = profile["trace"]
    assert profile["calls"] == 20 and trace["truncated"] and trace["events_total"] > len(trace["events"]) == 8000
    assert len(json.dumps(profile)) < MAX_NOTEBOOK_BYTES * 0.75  # a saved notebook keeps it, with room to spare
    longest = min(e["dur"] for e in trace["events"])
    assert all(e["dur"] >= longest for e in trace["events"])


def test_memory_of_a_call_on_cpu(trainer, tmp_path):
    before = trainer.report()
    path = tmp_path / "memory.json"
    rc, records = flight_json(trainer.pid, f"torch memory -r {METHOD} -f {path}", "--timeout", "45")
    assert rc == 0, records
    (memory,) = records_of(records, "torch_memory")
    assert memory["source"] == "profiler memory events"
    categories = {c["category"]: c["bytes"] for c in memory["at_peak"]["categories"]}
    # the model: 64*256 + 256*256 + 256 weights (+ biases) as float32; Adam keeps two of each
    parameters = (64 * 256 + 256 + 256 * 256 + 256 + 256 + 1) * 4
    assert categories["parameters"] == parameters
    # exp_avg and exp_avg_sq of each, and a float32 step counter per parameter tensor (six)
    assert categories["optimizer state"] == 2 * parameters + 6 * 4
    assert categories.get("activations", 0) > 0
    assert memory["peak_bytes"] >= sum(categories.values())
    timeline = memory["timeline"]
    assert len(timeline["t_us"]) == len(timeline["allocated"]) > 10 and timeline["reserved"] is None
    assert max(timeline["allocated"]) == memory["peak_bytes"]
    stacks = memory["at_peak"]["stacks"]
    assert stacks and all("train_step" in s["stack"] for s in stacks[:3])
    assert memory["call_peak_bytes"] >= stacks[0]["bytes"] > 0
    assert "traceEvents" in json.loads(path.read_text())
    text = render_text(memory)
    assert "LIVE AT PEAK" in text and "parameters" in text
    trains_on(trainer, before)
    # a CUDA snapshot cannot be had on the CPU: said, nothing written
    pickle_path = tmp_path / "memory.pickle"
    rc, records = flight_json(trainer.pid, f"torch memory -r {METHOD} -f {pickle_path}", "--timeout", "45")
    assert rc == 0 and records_of(records, "torch_memory")
    assert any("no CUDA allocator history" in r.get("text", "") for r in records)
    assert not pickle_path.exists()


def test_tensors_and_cpu_snapshot(trainer):
    rc, records = flight_json(trainer.pid, "torch tensors -n 6")
    assert rc == 0, records
    (census,) = records_of(records, "torch_tensors")
    assert sum(r["count"] for r in census["rows"]) == census["tensors"]
    assert sum(r["bytes"] for r in census["rows"]) == census["total_bytes"]
    names = [t["name"] for t in census["largest"]]
    # 1000x128 float32 is among the largest (a step's 512x256 activations may be larger, briefly)
    assert len(names) == 6 and "EMBEDDINGS" in names[:3]
    assert "TRAINER.model.2.weight" in names
    assert any(str(n).startswith("TRAINER.optimizer.state[TRAINER.model.2.weight]['exp_avg") for n in names)
    assert {"device": "cpu", "dtype": "float32", "shape": [1000, 128], "count": 1, "bytes": 512000} in census["rows"]
    rc, records = flight_json(trainer.pid, "torch tensors --device cuda")
    assert rc == 0, records
    assert records_of(records, "torch_tensors")[0]["tensors"] == 0
    rc, records = flight_json(trainer.pid, "torch memory -s")
    assert rc == 0, records
    assert "CPU only" in records[0]["text"] and records_of(records, "torch_tensors")
    assert records[-1]["reason"] == "done"
    trains_on(trainer, trainer.report())


def test_many_censuses_while_training_leave_the_job_unharmed(torch_python, tmp_path):
    # the census once read .grad while backward wrote it (heap corruption) and held every object
    # while the target built tuples (SystemError in its code): both would show here
    target = _start(torch_python, tmp_path)
    try:
        before = target.report()
        for _ in range(15):
            rc, records = flight_json(target.pid, "torch tensors -n 10")
            assert rc == 0 and records_of(records, "torch_tensors"), records
        trains_on(target, before)
    finally:
        err = target.stop()
    assert "corrupted" not in err and "Error" not in err and "Warning" not in err, err


def test_bad_input_one_line_each(trainer, torch_python, tmp_path):
    before = trainer.report()
    # never called before --timeout: said, and the hook goes
    rc, records = flight_json(trainer.pid, "torch profile __main__ Trainer evaluate", "--timeout", "2")
    assert any("was not called before the timeout" in r.get("text", "") for r in records), records
    assert records[-1]["reason"] == "timeout"
    # what the client refuses before anything starts in the target
    for line, words in (
        (f"torch profile {METHOD} -f {tmp_path}/no/such/dir/t.json", "no such directory"),
        (f"torch profile {METHOD} -f {tmp_path}", "suffix names the format"),
        (f"torch profile {METHOD} -f {tmp_path}/t.txt", "suffix names the format"),
        (f"torch memory -s -r {METHOD}", "not both"),
        ("torch memory", "give one of"),
        ("torch profile __main__", "expected 'module [class] method'"),
        ("torch flames", "one of profile, memory, tensors"),
    ):
        done = flight(str(trainer.pid), "--cmd", line)
        assert done.returncode != 0 and words in done.stdout + done.stderr, (line, done.stdout, done.stderr)
        assert len((done.stdout + done.stderr).strip().splitlines()) <= 2, (line, done.stdout, done.stderr)
    trains_on(trainer, before)


def test_a_detach_during_a_profiled_call_leaves_no_profiler(torch_python, tmp_path):
    target = _start(torch_python, tmp_path, "--slow")
    profile = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab_flight.cli",
            str(target.pid),
            "--cmd",
            "torch profile __main__ Trainer slow_step",
            "--json",
            "--timeout",
            "30",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3.0)  # slow_step is called every 5 steps and lasts a second: one is being profiled
        done = flight(str(target.pid), "--cmd", "detach")
        assert done.returncode == 0, done.stdout + done.stderr
        profile.communicate(timeout=60)
        before = target.report()
        now = target.wait_report(lambda r: r["steps"] > before["steps"] + 10, timeout=30)
        assert now["profiler_enabled"] is False and now["errors"] == 0
    finally:
        profile.kill()
        assert "Traceback" not in target.stop()


def test_the_targets_own_profiler_is_said_and_left_on(torch_python, tmp_path):
    target = _start(torch_python, tmp_path, "--own-profiler")
    try:
        assert target.report()["profiler_enabled"] is True
        rc, records = flight_json(target.pid, f"torch profile {METHOD}", "--timeout", "30")
        errors = records_of(records, "error")
        assert rc != 0 and len(errors) == 1 and "a torch profiler is already running" in errors[0]["message"], records
        assert records[-1] == {"kind": "end", "reason": "error", "v": 1}
        before = target.report()
        now = target.wait_report(lambda r: r["steps"] > before["steps"] + 3, timeout=30)
        assert now["profiler_enabled"] is True and now["errors"] == 0  # still the target's, still on
    finally:
        assert "Traceback" not in target.stop()


def test_a_target_without_torch_is_told_and_not_given_it(torch_python, tmp_path):
    target = _start(torch_python, tmp_path, "--no-torch")
    try:
        rc, records = flight_json(target.pid, f"torch profile {METHOD}")
        assert rc != 0 and "torch is not imported in this process" in records[-1]["message"], records
        rc, records = flight_json(target.pid, "torch tensors")
        assert "torch is not imported" in records[-1]["message"]
        rc, records = flight_json(target.pid, "console -c \"import sys; print('torch' in sys.modules)\"")
        assert records_of(records, "console")[0]["stdout"].strip() == "False"
    finally:
        assert "Traceback" not in target.stop()


def test_a_child_forked_in_a_profiled_call_runs_no_profiler(torch_python, tmp_path):
    target = _start(torch_python, tmp_path, "--fork")
    try:
        child = target.report_path + ".child"
        rc, records = flight_json(target.pid, "torch profile __main__ Trainer fork_step", "--timeout", "45")
        assert rc == 0 and records_of(records, "torch_profile"), records
        with open(child) as f:  # one line per child, the child of the profiled call among them
            lines = [json.loads(line) for line in f]
        assert lines and all(line == {"profiler_enabled": False} for line in lines), lines
        trains_on(target, target.report())
    finally:
        assert "Traceback" not in target.stop()


def _cuda(python: str) -> bool:
    done = subprocess.run(
        [python, "-c", "import torch; print(torch.cuda.is_available())"], capture_output=True, text=True
    )
    return done.stdout.strip() == "True"


@pytest.fixture
def cuda_trainer(torch_python, tmp_path, request):
    if not _cuda(torch_python):
        pytest.skip("the torch venv sees no CUDA device")
    t = _start(torch_python, tmp_path, "--cuda", *getattr(request, "param", ()))
    yield t
    assert "Traceback" not in t.stop()


@pytest.mark.parametrize("cuda_trainer", [(), ("--history",)], indirect=True, ids=["ours", "the target's own"])
def test_cuda_memory_record_and_snapshot(cuda_trainer, tmp_path):
    had = cuda_trainer.report()["history"]
    path = tmp_path / "step.pickle"
    rc, records = flight_json(cuda_trainer.pid, f"torch memory -r {METHOD} -f {path}", "--timeout", "45")
    assert rc == 0, records
    (memory,) = records_of(records, "torch_memory")
    assert memory["source"] == "cuda memory history" and memory["device"].startswith("cuda")
    assert memory["timeline"]["reserved"] and memory["peak_bytes"] > 0
    snapshot = pickle.loads(path.read_bytes())
    assert "segments" in snapshot and "device_traces" in snapshot
    now = cuda_trainer.wait_report(lambda r: r["steps"] > 0)
    assert now["history"] == had  # the target's own history stays on; ours goes
    rc, records = flight_json(cuda_trainer.pid, "torch memory -s")
    (snap,) = records_of(records, "torch_snapshot")
    assert snap["reserved_bytes"] >= snap["allocated_bytes"] > 0
    rc, records = flight_json(cuda_trainer.pid, f"torch profile {METHOD}", "--timeout", "45")
    (profile,) = records_of(records, "torch_profile")
    assert profile["self_device_us"] is not None
