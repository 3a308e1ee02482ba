"""The magics in a real kernel (nbclient), and the saved notebook as a report (nbconvert HTML)."""

from __future__ import annotations

import os
import re

import nbformat
import pytest
from conftest import TARGETS
from jupyter_client.multikernelmanager import MultiKernelManager
from nbclient import NotebookClient
from nbconvert import HTMLExporter

MIME = "application/vnd.jupyterlab-flight.v1+json"


@pytest.fixture
def version():
    """The notebook front door is the subject here: one target interpreter is enough."""
    return "3.12"


def outputs_of(cell) -> tuple[list, str]:
    bundles = [
        o["data"]
        for o in cell.outputs
        if o.get("output_type") in ("display_data", "execute_result") and MIME in o.get("data", {})
    ]
    stderr = "".join(
        o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"
    )
    assert not [o for o in cell.outputs if o.get("output_type") == "error"], cell.outputs
    return bundles, stderr


def records_of(cell) -> list:
    bundles, _ = outputs_of(cell)
    assert len(bundles) == 1, cell.outputs
    return bundles[0][MIME]["records"]


def test_magics_report_and_html(target, tmp_path):
    kernels = MultiKernelManager()  # as a Jupyter server does: connection file kernel-<id>.json
    other_kernel_id = kernels.start_kernel(kernel_name="python3")
    try:
        sources = [
            "%load_ext jupyterlab_flight\n%load_ext jupyterlab_flight",
            f"%flight attach {target.pid}",
            "%stack",
            "%getglobal __main__ CONFIG -x 2",
            "%vmtool -a getInstances -c __main__ Model",
            f"%module {os.path.join(TARGETS, 'service.py')}",
            "%flight console -c '6 * 7'",
            "%%flight console\nimport __main__\nprint('rows', len(__main__.CONFIG['big']))\n__main__.CONFIG['name']",
            "%getglobal __main__ nope",
            "%flight help getglobal",
            "%flight console -c 'while True: pass'",
            "%getglobal __main__ RESULTS -e \"target['errors']\"",
            "%flight sessions",
            f"%flight attach kernel:{other_kernel_id[:8]}",
            "%stack",
            "%flight attach self",
            "%stack",
            "%flight detach",
            f"%flight attach {target.pid}",
            "%flight detach",
            "%flight ps",
        ]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        interrupt_cell = sources.index("%flight console -c 'while True: pass'")
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=120,
            interrupt_on_timeout=True,
            timeout_func=lambda cell: 4 if cell.source == sources[interrupt_cell] else 120,
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
    finally:
        kernels.shutdown_all(now=True)
    cells = nb.cells
    assert "attached to pid" in records_of(cells[1])[0]["text"]
    stack = records_of(cells[2])[0]
    assert stack["kind"] == "stack" and "deep-sleeper" in {t["name"] for t in stack["threads"]}
    bundle = outputs_of(cells[2])[0][0]
    assert "deep-sleeper" in bundle["text/html"] and "<script" not in bundle["text/html"]
    assert "deep-sleeper" in bundle["text/plain"]
    assert records_of(cells[3])[0]["value"]["len"] == 4
    assert records_of(cells[4])[0]["count"] == 4
    assert records_of(cells[5])[0]["modules"] == ["__main__"]
    assert records_of(cells[6])[0]["value"]["repr"] == "42"
    console = records_of(cells[7])[0]
    assert console["stdout"] == "rows 100\n" and console["value"]["repr"] == "'svc'"
    bundles, stderr = outputs_of(cells[8])
    assert not stderr and bundles[0]["text/plain"] == "error: module '__main__' has no global named 'nope'"
    assert (
        "getglobal module [class] field" in records_of(cells[9])[0]["text"]
        or "usage: getglobal" in records_of(cells[9])[0]["text"]
    )
    interrupted = records_of(cells[10])
    assert interrupted[0]["error"]["type"] == "KeyboardInterrupt" and "interrupted" in interrupted[-1]["text"]
    assert records_of(cells[11])[0]["value"]["repr"] == "0"  # the target is fine after the interrupt
    sessions = records_of(cells[12])[0]["sessions"]
    assert [s["pid"] for s in sessions] == [target.pid] and sessions[0]["current"]
    assert "attached to pid" in records_of(cells[13])[0]["text"], records_of(cells[13])
    other_stack = records_of(cells[14])[0]
    assert any("ipykernel" in f["file"] for t in other_stack["threads"] for f in t["frames"]), [
        (t["name"], [f["file"] for f in t["frames"]]) for t in other_stack["threads"]
    ]
    own_stack = records_of(cells[16])[0]
    assert any("magics.py" in f["file"] for t in own_stack["threads"] for f in t["frames"]), [
        (t["name"], [f["file"] for f in t["frames"]][-3:]) for t in own_stack["threads"]
    ]  # the kernel sees itself
    assert "detached" in records_of(cells[17])[0]["text"]
    assert "detached" in records_of(cells[19])[0]["text"]
    assert target.wait_report(lambda r: not r["flight_modules"])
    processes = records_of(cells[20])[0]["processes"]
    assert any(p["pid"] == target.pid for p in processes) and any(p["self"] and p["kernel"] for p in processes)

    # the saved notebook reads as a report without the extension: nbconvert's HTML has the fallbacks
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, path)
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert "jupyterlab-flight-result" in html
    assert "deep-sleeper" in html  # the stack view
    assert re.search(r"(&#x27;|&#39;|')svc(&#x27;|&#39;|')", html)  # the console's value
    assert "has no global named" in html  # the error line


def test_streams_in_a_notebook_update_in_place_and_stop(tmp_path):
    from conftest import Target

    target = Target("3.12", "observed.py", tmp_path)
    try:
        sources = [
            "%load_ext jupyterlab_flight",
            f"%flight attach {target.pid}",
            "%watch __main__ compute -n 2 --expr 'args[0], return_obj'",
            "%trace __main__ Shop outer -n 1 -i 0",
            "%tt -t __main__ Shop price -n 2",
            "%tt -l",
            "%monitor __main__ compute -c 0.5",
            "%flight detach",
        ]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
        NotebookClient(
            nb,
            kernel_name="python3",
            timeout=120,
            interrupt_on_timeout=True,
            timeout_func=lambda cell: 3 if cell.source.startswith("%monitor") else 120,
            resources={"metadata": {"path": str(tmp_path)}},
        ).execute()
    finally:
        err = target.stop()
    assert "Traceback" not in err
    cells = nb.cells
    watch = records_of(cells[2])
    assert [r["kind"] for r in watch] == ["message", "watch", "watch", "end"] and watch[-1]["reason"] == "limit"
    assert "__main__.compute" in outputs_of(cells[2])[0][0]["text/html"]
    trace = records_of(cells[3])
    assert [r["kind"] for r in trace][1:] == ["trace", "end"]
    assert [r["index"] for r in records_of(cells[4]) if r["kind"] == "tt_record"] == [1000, 1001]
    assert len(records_of(cells[5])[0]["records"]) == 2
    monitor = records_of(cells[6])  # stopped by the kernel interrupt: the cycles collected stay
    kinds = [r["kind"] for r in monitor]
    assert (
        "monitor" in kinds
        and monitor[-2] == {"v": 1, "kind": "end", "reason": "stopped"}
        and "interrupted" in monitor[-1]["text"]
    )
    assert "detached" in records_of(cells[7])[0]["text"]
