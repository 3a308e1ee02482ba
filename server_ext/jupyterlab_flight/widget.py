"""The live view of a streaming magic (watch, trace, tt -t, monitor): an ipywidgets widget.

While the stream runs, the cell shows a FlightStreamWidget: its records travel as custom comm
messages (only the new ones, in batches), and the JupyterLab view (src/widget.ts) adds them to one
growing table, with Pause (the view holds new records) and Stop. The kernel is busy running the
magic, so it reads no message from the view: Stop goes through the server extension
(``POST flight/streams/stop``) to the agent, which ends the stream by its ids.

When the stream ends, the output is replaced (same display id) by the static MIME bundle and the
widget is closed: what the notebook keeps is the result, never widget state. Frontends without
the widget manager show the bundle's static fallback until then.
"""

from __future__ import annotations

import time
from typing import Callable

from ipywidgets import DOMWidget
from traitlets import Int, Unicode

from .render.mime import mime_bundle

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
MODULE_NAME = "jupyterlab-flight"
MODULE_VERSION = "^0.1.0"  # the npm package's version (package.json)
SEND_INTERVAL_S = 0.1  # records are sent in batches at most this often


class FlightStreamWidget(DOMWidget):
    _model_name = Unicode("FlightStreamModel").tag(sync=True)
    _model_module = Unicode(MODULE_NAME).tag(sync=True)
    _model_module_version = Unicode(MODULE_VERSION).tag(sync=True)
    _view_name = Unicode("FlightStreamView").tag(sync=True)
    _view_module = Unicode(MODULE_NAME).tag(sync=True)
    _view_module_version = Unicode(MODULE_VERSION).tag(sync=True)

    command = Unicode("").tag(sync=True)
    pid = Int(0).tag(sync=True)
    # what the stop button sends to the server: the agent's connection number and request id
    agent_connection = Int(0).tag(sync=True)
    request = Int(0).tag(sync=True)
    status = Unicode("running").tag(sync=True)  # running | ended
    reason = Unicode("").tag(sync=True)
    count = Int(0).tag(sync=True)


class LiveWidgetOutput:
    """One cell output for a stream: the widget while it runs, the static result at the end."""

    def __init__(self, line: str, pid: int | None, stream_ids: Callable[[], tuple]):
        from IPython.display import display

        self.line, self.pid = line, pid
        self.records: list = []
        self._live_index: int | None = None  # the last record, while it is a live snapshot
        self.widget: FlightStreamWidget | None = None
        self._display = display
        self._stream_ids = stream_ids
        self._handle = None
        self._pending: list = []
        self._last_send = 0.0
        self._reason = ""

    def add(self, record: dict) -> None:
        kind = record.get("kind")
        if self._live_index is not None and self.records[self._live_index].get("kind") == kind:
            self.records[self._live_index] = record  # a live snapshot (perf) is superseded, not kept
        else:
            self.records.append(record)
        self._live_index = len(self.records) - 1 if record.get("live") is True else None
        self._pending.append(record)
        if record.get("kind") == "end":
            self._reason = str(record.get("reason", ""))
        if self.widget is None:
            self._open()
        elif time.monotonic() - self._last_send >= SEND_INTERVAL_S:
            self._send()

    def _open(self) -> None:
        # The ids are known once the agent answered: the first record is the earliest moment.
        connection, request = self._stream_ids()
        self.widget = FlightStreamWidget(
            command=self.line, pid=self.pid or 0, agent_connection=connection or 0, request=request or 0
        )
        fallback = mime_bundle([], self.line, self.pid)
        fallback["text/plain"] = f"flight {self.pid}> {self.line} (streaming; the result follows when it ends)"
        fallback[WIDGET_VIEW_MIME] = {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        self._handle = self._display(fallback, raw=True, display_id=True)
        self._send()

    def _send(self) -> None:
        if self.widget is None or not self._pending:
            return
        batch, self._pending = self._pending, []
        self.widget.send({"records": batch})
        self.widget.count += len(batch)
        self._last_send = time.monotonic()

    def flush(self) -> None:
        """The stream is over: the static result replaces the widget, which is closed."""
        if self.widget is None:
            if self.records:
                self._display(mime_bundle(self.records, self.line, self.pid), raw=True)
            return
        try:
            self._send()
            self.widget.reason = self._reason or "ended"
            self.widget.status = "ended"
            if self._handle is not None:
                self._handle.update(mime_bundle(self.records, self.line, self.pid), raw=True)
        finally:
            self.widget.close()
