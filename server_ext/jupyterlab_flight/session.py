"""FlightSession: run parsed commands against one target, whichever way each command runs.

The CLI, the magics and the server extension all go through here, so a command behaves the same
from every front door: agent commands go to the agent; ``stack --native`` / ``stack PID`` are read
from outside; help and detach are answered here. Records come back as they are (schema v1).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator

from .attach import attach
from .client import AgentClient
from .commands import ParsedCommand, help_text, parse_command
from .errors import FlightError
from .outside import read_stack
from .render.text import render_text


def stop_stream(pid: int, session: int, request: int) -> bool:
    """End a stream another client runs in pid's agent (a notebook's live view: its kernel is
    busy with the stream). Never attaches: no agent means no stream. False if it has ended."""
    from .attach import find_agent, inspect_process

    client = find_agent(inspect_process(pid))
    if client is None:
        raise FlightError(f"pid {pid} has no agent: the stream has ended")
    try:
        return client.stop_stream(session, request)
    finally:
        client.close()


class FlightSession:
    def __init__(self, pid: int, client: AgentClient | None = None):
        self.pid = pid
        self._client = client

    @classmethod
    def open(cls, pid: int) -> FlightSession:
        return cls(pid, attach(pid))

    @property
    def client(self) -> AgentClient:
        if self._client is None or self._client.closed:
            self._client = attach(self.pid)
        return self._client

    def stream_ids(self) -> tuple:
        """(agent session number, request id) of the command in flight: what a stop from
        elsewhere names (stop_stream); Nones when nothing runs."""
        client = self._client
        if client is None or client.closed:
            return None, None
        return client.session, client.current_request

    def run_line(self, line: str) -> Iterator[dict]:
        return self.execute(parse_command(line))

    def execute(self, command: ParsedCommand) -> Iterator[dict]:
        if command.name == "help":
            yield {
                "v": 1,
                "kind": "help",
                "command": command.request.get("command"),
                "text": help_text(command.request.get("command")),
            }
            return
        if command.name == "detach":
            yield from self.detach()
            return
        if command.name == "console" and command.where == "local":
            raise FlightError("the interactive console needs a terminal: use console -c '<code>'")
        records: Iterable[dict]
        if command.where == "outside":
            records = [read_stack(command.request.get("pid") or self.pid, command.request.get("native", False))]
        else:
            records = self.client.run(command.name, command.request)
        for record in records:
            yield record
            if command.name == "stack" and command.request.get("file") and record.get("kind") == "stack":
                yield self._write_file(command.request["file"], render_text(record))

    @staticmethod
    def _write_file(path: str, text: str) -> dict:
        try:
            with open(path, "w") as f:
                f.write(text + "\n")
        except OSError as e:
            return {"v": 1, "kind": "error", "message": f"cannot write {path}: {e.strerror}"}
        return {"v": 1, "kind": "message", "text": f"stacks written to {path}"}

    def detach(self) -> Iterator[dict]:
        if self._client is None or self._client.closed:
            from .attach import find_agent, inspect_process

            self._client = find_agent(inspect_process(self.pid))
            if self._client is None:
                yield {"v": 1, "kind": "message", "text": f"pid {self.pid} has no agent: nothing to detach"}
                return
        records = self._client.detach()
        self._client = None
        yield from records

    def run_interruptible(self, command: ParsedCommand, on_record, timeout: float | None = None) -> bool:
        """Run a command, passing each record to ``on_record``; returns True if interrupted.

        In the main thread, the first Ctrl-C (a kernel interrupt, in a notebook) asks the agent
        to interrupt the command and the results still arrive; a second one gives up on the
        command and drops the connection (the session's hooks go with it).
        """
        interrupts: list = []

        def on_sigint(signum, frame):
            client = self._client
            if interrupts or client is None or client.closed:
                raise KeyboardInterrupt
            interrupts.append(signum)
            client.stop("stopped")  # a stream ends with its records
            try:
                client.interrupt()  # console code gets KeyboardInterrupt
            except FlightError:
                raise KeyboardInterrupt from None

        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
        timer = None
        if timeout is not None:  # --timeout: a stream ends with reason "timeout"
            timer = threading.Timer(timeout, self._stop_for_timeout)
            timer.daemon = True
            timer.start()
        try:
            for record in self.execute(command):
                on_record(record)
        except KeyboardInterrupt:
            interrupts.append(signal.SIGINT)
            if self._client is not None:
                self._client.close()
        finally:
            if timer is not None:
                timer.cancel()
            if in_main:
                signal.signal(signal.SIGINT, previous)
        return bool(interrupts)

    def _stop_for_timeout(self) -> None:
        if self._client is not None:
            self._client.stop("timeout")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
