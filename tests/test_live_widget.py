"""Streaming magics as live widgets, in a real kernel started the way a Jupyter server starts one.

What the frontend sees is read from the kernel's iopub channel: the widget opening with the
stream's ids, batches of records as custom messages, then the static result replacing the widget
(same display id) and the widget closing. Stop comes from outside the busy kernel, by the ids the
widget carries (the server's route for it is tested in test_server.py).
"""

from __future__ import annotations

import os
import queue
import time

import pytest
from jupyter_client.manager import KernelManager
from jupyterlab_flight.session import stop_stream

MIME = "application/vnd.jupyterlab-flight.v1+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def version():
    """The kernel-side widget is the subject here: one target interpreter is enough."""
    return "3.12"


@pytest.fixture
def manager(tmp_path):
    manager = KernelManager(kernel_name="python3")
    # a Jupyter server sets JPY_SESSION_NAME for the kernels of its sessions: widgets are "auto"
    manager.start_kernel(env=dict(os.environ, JPY_SESSION_NAME=str(tmp_path / "live.ipynb")), cwd=str(tmp_path))
    yield manager
    manager.shutdown_kernel(now=True)


@pytest.fixture
def kernel(manager):
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()


def run_cell(client, code: str, on_message=None, timeout: float = 60.0) -> list:
    """Execute code; return the iopub messages of that execution (until idle)."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            message = client.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no idle after {timeout}s: {[m['msg_type'] for m in messages]}") from None
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if on_message is not None:
            on_message(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return messages


def of_type(messages: list, msg_type: str) -> list:
    return [m for m in messages if m["msg_type"] == msg_type]


def brings_calls(message) -> bool:
    """A batch of records to the widget with at least one observed call in it."""
    if message["msg_type"] != "comm_msg":
        return False
    records = message["content"].get("data", {}).get("content", {}).get("records", [])
    return any(r["kind"] == "watch" for r in records)


def test_a_stream_is_a_live_widget_stopped_from_outside(kernel, observed):
    run_cell(kernel, "%load_ext jupyterlab_flight")
    run_cell(kernel, f"%flight attach {observed.pid}")
    stopped = []

    def stop_once_records_came(message):
        # the kernel is busy with the magic: stop it from here, by the ids the widget carries
        if brings_calls(message) and not stopped:
            [state] = [
                m["content"]["data"]["state"] for m in opened if "agent_connection" in m["content"]["data"]["state"]
            ]
            stopped.append(stop_stream(state["pid"], state["agent_connection"], state["request"]))

    opened: list = []
    messages = run_cell(
        kernel,
        "%flight watch __main__ compute -n 1000000",
        on_message=lambda m: opened.append(m) if m["msg_type"] == "comm_open" else stop_once_records_came(m),
    )
    assert stopped == [True]
    assert not of_type(messages, "error"), of_type(messages, "error")
    [comm_open] = [m for m in opened if m["content"]["data"]["state"].get("_model_name") == "FlightStreamModel"]
    comm_id = comm_open["content"]["comm_id"]
    state = comm_open["content"]["data"]["state"]
    assert state["_model_module"] == "jupyterlab-flight" and state["_view_name"] == "FlightStreamView"
    assert state["command"] == "watch __main__ compute -n 1000000" and state["pid"] == observed.pid
    assert state["agent_connection"] > 0 and state["request"] > 0 and state["status"] == "running"

    # the cell shows the widget (with a static fallback for frontends without widgets)
    [shown] = of_type(messages, "display_data")
    display_id = shown["content"]["transient"]["display_id"]
    assert shown["content"]["data"][WIDGET_VIEW]["model_id"] == comm_id
    assert shown["content"]["data"][MIME]["records"] == [] and "streaming" in shown["content"]["data"]["text/plain"]

    # records travel as custom messages, only the new ones each time
    comm_messages = [m["content"]["data"] for m in of_type(messages, "comm_msg") if m["content"]["comm_id"] == comm_id]
    batches = [d["content"]["records"] for d in comm_messages if d.get("method") == "custom"]
    streamed = [r for batch in batches for r in batch]
    assert any(r["kind"] == "watch" for r in streamed)
    assert streamed[-1] == {"v": 1, "kind": "end", "reason": "stopped"}
    updates = [d["state"] for d in comm_messages if d.get("method") == "update"]
    assert {"status": "ended"} in updates and {"reason": "stopped"} in updates
    assert max(u["count"] for u in updates if "count" in u) == len(streamed)

    # the end: the static result replaces the widget, which is closed
    [final] = of_type(messages, "update_display_data")
    assert final["content"]["transient"]["display_id"] == display_id
    assert WIDGET_VIEW not in final["content"]["data"]
    assert final["content"]["data"][MIME]["records"] == streamed
    assert [m["content"]["comm_id"] for m in of_type(messages, "comm_close")] == [comm_id]
    assert observed.wait_report(lambda r: r["codes_original"] and not r["monitoring_tools"])

    # -n ends a stream too
    messages = run_cell(kernel, "%flight watch __main__ compute -n 3")
    [final] = of_type(messages, "update_display_data")
    assert final["content"]["data"][MIME]["records"][-1]["reason"] == "limit"
    assert len(of_type(messages, "comm_close")) == 1


def test_the_kernel_interrupt_still_stops_a_live_stream(manager, kernel, observed):
    run_cell(kernel, "%load_ext jupyterlab_flight")
    run_cell(kernel, f"%flight attach {observed.pid}")
    interrupted = []

    def interrupt_once_records_came(message):
        if brings_calls(message) and not interrupted:
            manager.interrupt_kernel()
            interrupted.append(True)

    messages = run_cell(kernel, "%flight watch __main__ compute -n 1000000", on_message=interrupt_once_records_came)
    assert interrupted and not of_type(messages, "error"), of_type(messages, "error")
    [final] = of_type(messages, "update_display_data")
    records = final["content"]["data"][MIME]["records"]
    assert any(r["kind"] == "watch" for r in records)
    assert {"v": 1, "kind": "end", "reason": "stopped"} in records
    assert records[-1]["text"] == "interrupted: the command was stopped in the target"
    assert len(of_type(messages, "comm_close")) == 1
    assert observed.wait_report(lambda r: r["codes_original"] and not r["monitoring_tools"])


def test_stop_of_a_diagnosis_in_a_notebook_keeps_what_it_gathered(manager, kernel, observed):
    # a diagnosis runs in the kernel (its steps are the agent's streams one after another): the
    # widget's Stop interrupts the kernel, and the run ends with a diagnosis marked stopped
    run_cell(kernel, "%load_ext jupyterlab_flight")
    run_cell(kernel, f"%flight attach {observed.pid}")
    interrupted: list = []

    def interrupt_once_it_streams(message):
        if message["msg_type"] == "comm_msg" and not interrupted:
            time.sleep(1.0)  # into the first steps
            manager.interrupt_kernel()
            interrupted.append(time.monotonic())

    started = time.monotonic()
    messages = run_cell(kernel, "%flight diagnose hang -d 30", on_message=interrupt_once_it_streams, timeout=90)
    assert interrupted and not of_type(messages, "error"), of_type(messages, "error")
    assert time.monotonic() - started < 25  # -d 30: the interrupt ended it
    [final] = of_type(messages, "update_display_data")
    records = final["content"]["data"][MIME]["records"]
    [diagnosis] = [r for r in records if r["kind"] == "diagnosis"]
    assert diagnosis["stopped"] is True and diagnosis["workflow"] == "hang"
    assert len(of_type(messages, "comm_close")) == 1
    assert observed.wait_report(lambda r: r["codes_original"] and not r["monitoring_tools"])


def test_widgets_off_and_non_stream_commands_use_plain_displays(kernel, observed):
    run_cell(kernel, "%load_ext jupyterlab_flight")
    run_cell(kernel, f"%flight attach {observed.pid}")
    messages = run_cell(kernel, "%stack")
    assert not of_type(messages, "comm_open") and of_type(messages, "display_data")
    messages = run_cell(kernel, "%flight widgets")
    [shown] = of_type(messages, "display_data")
    assert "auto (used in this kernel)" in shown["content"]["data"]["text/plain"]
    messages = run_cell(kernel, "%flight widgets off")
    assert "off (not used" in of_type(messages, "display_data")[0]["content"]["data"]["text/plain"]
    messages = run_cell(kernel, "%flight watch __main__ compute -n 3")
    assert not of_type(messages, "comm_open")
    final = (of_type(messages, "update_display_data") or of_type(messages, "display_data"))[-1]
    assert final["content"]["data"][MIME]["records"][-1]["reason"] == "limit"
    messages = run_cell(kernel, "%flight widgets sometimes")
    [error] = of_type(messages, "display_data")
    assert "usage: %flight widgets [auto|on|off]" in error["content"]["data"]["text/plain"]
