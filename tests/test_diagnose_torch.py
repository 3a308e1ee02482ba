"""diagnose torch against a CPU training loop that keeps tensors (targets/torch_train.py --keep:
the first layer's 512 x 256 float32 activations of every 5th step, never released), in the torch
venv (skipped without Python 3.11, made by ``make torch-venv`` otherwise).

The diagnosis names the growing shape and device with a count that matches what the job kept,
the step's top ops, copies and synchronisations, its memory peak; every ``next`` line parses;
the job trains on unharmed (no profiler of ours left on, more steps, the loss going down).
"""

from __future__ import annotations

from conftest import flight_json
from jupyterlab_flight.commands.parser import parse_command
from test_torch import METHOD, TorchTarget, trains_on


def test_a_training_loop_that_keeps_tensors(torch_python, tmp_path):
    t = TorchTarget(torch_python, tmp_path, "--keep")
    try:
        before = t.report()
        rc, records = flight_json(t.pid, f"diagnose torch {METHOD} -d 2")
        after = t.report()
        assert rc == 0, records
        d = records[-1]
        assert d["kind"] == "diagnosis" and d["workflow"] == "torch", d
        assert d["classification"] == "tensor_growth", d
        assert d["summary"].startswith("float32 [512, 256] on cpu tensors grow: +")
        grew = next(f for f in d["findings"] if f["title"] == "Tensors that grew")
        kept = int(grew["evidence"].split(" +")[1].split(" tensors")[0])
        assert 1 <= kept <= after["kept"] - before["kept"], (grew, before, after)
        assert [records[i]["kind"] for i in grew["records"]] == ["torch_tensors", "torch_tensors"]
        inside = next(f for f in d["findings"] if f["title"] == "Inside one __main__.Trainer.train_step")
        assert "aten::" in inside["evidence"] and "(thread trainer)" in inside["evidence"]
        assert records[inside["records"][0]]["kind"] == "torch_profile"
        copies = next(f for f in d["findings"] if f["title"] == "Copies and synchronisations")
        assert "aten::item x" in copies["evidence"] and "on CPU there is no device" in copies["evidence"]
        memory = next(f for f in d["findings"] if f["title"] == "Memory of one step")
        assert "peak " in memory["evidence"] and "parameters" in memory["evidence"]
        assert records[memory["records"][0]]["kind"] == "torch_memory"
        for line in d["next"]:
            parse_command(line)
        trains_on(t, after)
    finally:
        err = t.stop()
        assert "Traceback" not in err, err
