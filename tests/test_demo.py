"""binder/demo.ipynb runs top to bottom against the demo target, as `make demo` shows it."""

from __future__ import annotations

import os
import subprocess

import nbformat
from conftest import interpreter
from nbclient import NotebookClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINDER = os.path.join(ROOT, "binder")
MIME = "application/vnd.jupyterlab-flight.v1+json"


def test_demo_notebook_runs_clean(tmp_path, monkeypatch):
    pid_file = tmp_path / "demo.pid"
    monkeypatch.setenv("FLIGHT_DEMO_PID_FILE", str(pid_file))
    demo = subprocess.Popen([interpreter("3.11"), "demo_target.py"], cwd=BINDER, stdout=subprocess.PIPE, text=True)
    try:
        assert demo.stdout.readline().startswith("demo target running")
        nb = nbformat.read(os.path.join(BINDER, "demo.ipynb"), as_version=4)
        NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": BINDER}}).execute()
    finally:
        demo.kill()
        demo.wait()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not [o for o in cell.outputs if o.get("output_type") == "error"], cell.source
        records = [r for o in cell.outputs for r in o.get("data", {}).get(MIME, {}).get("records", [])]
        assert records, f"no result for: {cell.source}"
        assert not [r for r in records if r["kind"] == "error"], (cell.source, records)
