"""FlightSession: run parsed commands against one target, whichever way each command runs.

The CLI, the magics and the server extension all go through here, so a command behaves the same
from every front door: what the descriptor says (commands/) decides where it runs; a command with
no runner of its own goes to the agent. Records come back as they are (schema v1).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator

from .attach import attach, find_agent, inspect_process
from .client import AgentClient
from .commands import ParsedCommand, parse_command
from .completion import complete_line
from .errors import CommandSyntaxError, FlightError, TargetNotFound, TimedOut
from .sourcelines import add_source_lines

TIMEOUT_GRACE_S = 2.0  # after --timeout, how long an interrupted one-shot command may take to end


def stop_stream(pid: int, connection: int, request: int) -> bool:
    """End a stream another client runs in pid's agent (a notebook's live view: its kernel is
    busy with the stream). Never attaches: no agent means no stream. False if it has ended."""
    client = find_agent(inspect_process(pid))
    if client is None:
        raise TargetNotFound(f"pid {pid} has no agent: the stream has ended")
    try:
        return client.stop_stream(connection, request)
    finally:
        client.close()


class FlightSession:
    """One front door's attachment to one target. The agent connection opens on first use."""

    def __init__(self, pid: int, client: AgentClient | None = None):
        self.pid = pid
        self._client = client
        # Why a stream that runs here (outside the target: perf) was asked to end, if it was:
        # "stopped" or "timeout". Runners poll ``stop_reason``; agent streams get a stop frame.
        self._stop_reason: str | None = None

    @classmethod
    def open(cls, pid: int) -> FlightSession:
        return cls(pid, attach(pid))

    @property
    def client(self) -> AgentClient:
        """The agent connection, attaching (or reattaching) when there is none."""
        if self._client is None or self._client.closed:
            self._client = attach(self.pid)
        return self._client

    @property
    def connected(self) -> bool:
        return self._client is not None and not self._client.closed

    @property
    def hello(self) -> dict:
        """What the agent said when this session connected ({} when not connected)."""
        return self._client.hello if self._client is not None else {}

    def stream_ids(self) -> tuple:
        """(agent connection number, request id) of the command in flight: what a stop from
        elsewhere names (stop_stream); Nones when nothing runs."""
        if not self.connected or self._client is None:
            return None, None
        return self._client.connection, self._client.current_request

    def run_line(self, line: str) -> Iterator[dict]:
        return self.execute(parse_command(line))

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def request_stop(self, reason: str = "stopped") -> None:
        """End the stream in flight, wherever it runs (safe from a signal handler or a thread)."""
        if self._stop_reason is None:
            self._stop_reason = reason
        if self.connected and self._client is not None:
            self._client.stop(reason)

    def execute(self, command: ParsedCommand) -> Iterator[dict]:
        self._stop_reason = None
        if command.interactive:
            raise FlightError(command.command.needs_terminal)
        runner = command.command.run
        records = runner(command, self) if runner is not None else self.run_in_agent(command)
        for record in records:
            yield add_source_lines(record)

    def run_in_agent(self, command: ParsedCommand) -> Iterator[dict]:
        return self.client.run(command.name, command.request, long_running=command.long_running)

    def detach(self) -> Iterator[dict]:
        if not self.connected:
            self._client = find_agent(inspect_process(self.pid))
            if self._client is None:
                yield {"v": 1, "kind": "message", "text": f"pid {self.pid} has no agent: nothing to detach"}
                return
        assert self._client is not None
        records = self._client.detach()
        self._client = None
        yield from records

    def complete(self, line: str) -> list:
        """Tab completion of ``line``'s last word: commands and flags here, target names from the
        agent when attached (completion.py)."""
        client = self._client if self.connected else None
        return complete_line(line, client.complete if client is not None else None)

    def cancel(self) -> bool:
        """Stop the command in flight (a stream ends with its records; console code is
        interrupted). False when the agent cannot be reached for it."""
        if self._stop_reason is None:
            self._stop_reason = "stopped"
        if not self.connected or self._client is None:
            return True  # a stream that runs here ends at its next look at stop_reason
        return self._client.cancel()

    def run_interruptible(self, command: ParsedCommand, on_record, timeout: float | None = None) -> bool:
        """Run a command, passing each record to ``on_record``; returns True if interrupted.

        In the main thread, the first Ctrl-C (a kernel interrupt, in a notebook) asks the agent
        to interrupt the command and the results still arrive; a second one gives up on the
        command and drops the connection (the session's hooks go with it). ``timeout``
        (--timeout) ends a stream with reason "timeout"; a one-shot command still running then is
        interrupted in the target (TIMEOUT_GRACE_S later the connection is dropped) and the run
        fails with a TimedOut error after what it returned.
        """
        needs = command.command.needs_seconds
        if timeout is not None and needs is not None and needs(command.request) > timeout:
            raise CommandSyntaxError(
                f"{command.name} takes at least {needs(command.request):g} s: more than --timeout {timeout:g} s"
            )
        interrupts: list = []

        def on_sigint(signum, frame):
            # nothing to ask to stop yet (attaching, or a one-shot read from outside): give up now
            if interrupts or not (self.connected or command.streams):
                raise KeyboardInterrupt
            interrupts.append(signum)
            if not self.cancel():
                raise KeyboardInterrupt

        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, on_sigint) if in_main else None
        timers: list = []
        timed_out = threading.Event()

        def on_timeout():
            timed_out.set()
            self.request_stop("timeout")
            if not command.streams:  # a stream ends by itself, with reason "timeout"
                self.cancel()
                drop = threading.Timer(TIMEOUT_GRACE_S, self._drop_connection)
                drop.daemon = True
                timers.append(drop)
                drop.start()

        if timeout is not None:
            timers.append(threading.Timer(timeout, on_timeout))
            timers[0].daemon = True
            timers[0].start()
        try:
            for record in self.execute(command):
                on_record(record)
        except KeyboardInterrupt:
            interrupts.append(signal.SIGINT)
            if self._client is not None:
                self._client.close()
        except FlightError:
            if not (timed_out.is_set() and not command.streams):
                raise
        finally:
            for timer in timers:
                timer.cancel()
            if in_main:
                signal.signal(signal.SIGINT, previous)
        if timed_out.is_set() and not command.streams:
            raise TimedOut(f"{command.name} did not finish within --timeout {timeout:g} s: it was interrupted")
        return bool(interrupts)

    def _drop_connection(self) -> None:
        if self._client is not None:
            self._client.close()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
