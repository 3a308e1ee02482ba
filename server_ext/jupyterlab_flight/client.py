"""AgentClient: one authenticated connection to a target's agent.

    for record in client.run("getglobal", {"module": "__main__", "field": "x"}):
        ...

The wire format is flight_agent.protocol (length-prefixed JSON); the agent's records come back
as they are. A connection owns what its commands install in the target: closing it removes them.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator

from flight_agent import protocol, runtime
from flight_agent.runtime import agent_paths as _agent_paths

from . import __version__
from .errors import AgentRefused, AttachFailed, ConnectionLost, FlightError, UnsafeRuntime


def runtime_dir_for(uid: int) -> str:
    return runtime.default_dir(uid)


def agent_paths(uid: int, pid: int) -> dict:
    directory = runtime_dir_for(uid)
    if os.path.lexists(directory):
        try:
            runtime.check_private_dir(directory, uid)
        except runtime.UnsafeRuntimeDir as e:
            raise UnsafeRuntime(str(e)) from None
    return _agent_paths(directory, pid)


class AgentClient:
    def __init__(self, pid: int, sock: socket.socket, hello: dict, socket_path: str, token: str):
        self.pid = pid
        self.sock = sock
        self.hello = hello
        self.connection = hello.get("connection")  # this connection's number in the agent
        self._socket_path = socket_path
        self._token = token
        self._ids = itertools.count(1)
        self.closed = False
        self.current_request: int | None = None

    @classmethod
    def connect(cls, pid: int, socket_path: str, token: str, timeout: float = 5.0) -> AgentClient:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(socket_path)
            protocol.write_frame(sock, {"op": "hello", "token": token, "client": f"jupyterlab-flight {__version__}"})
            hello = protocol.read_frame(sock, protocol.MAX_RESPONSE_BYTES, idle_timeout=timeout)
        except (OSError, protocol.ProtocolError, protocol.ConnectionClosed) as e:
            sock.close()
            raise AttachFailed(f"cannot reach the agent of pid {pid}: {e or type(e).__name__}") from None
        if not hello.get("ok"):
            sock.close()
            raise AgentRefused(
                f"the agent of pid {pid} refused the connection: {hello.get('message', 'unknown reason')}"
            )
        sock.settimeout(None)
        return cls(pid, sock, hello, socket_path, token)

    @property
    def python_version(self) -> str:
        return self.hello.get("python", "?")

    def request(self, message: dict, timeout: float | None = None) -> Iterator[dict]:
        """Send one request and yield its records until the agent says it is done."""
        if self.closed:
            raise ConnectionLost("this connection to the agent is closed")
        rid = next(self._ids)
        message = dict(message, id=rid)
        self.current_request = rid
        try:
            protocol.write_frame(self.sock, message)
            while True:
                frame = protocol.read_frame(self.sock, protocol.MAX_RESPONSE_BYTES, idle_timeout=timeout)
                if frame.get("id") != rid:
                    continue
                if frame.get("end"):
                    return
                record = frame.get("record")
                if isinstance(record, dict):
                    yield record
                batch = frame.get("records")  # a stream's records, several per frame
                if isinstance(batch, list):
                    for record in batch:
                        if isinstance(record, dict):
                            yield record
        except protocol.ConnectionClosed:
            self.closed = True
            raise ConnectionLost(f"the agent of pid {self.pid} closed the connection (did the process exit?)") from None
        except (OSError, protocol.ProtocolError) as e:
            self.closed = True
            raise ConnectionLost(f"lost the connection to the agent of pid {self.pid}: {e}") from None
        finally:
            self.current_request = None

    def stop(self, reason: str = "stopped") -> None:
        """End the streaming command in flight on this connection (its records keep coming until
        the agent's ``end`` record). Safe from a signal handler or another thread."""
        rid = self.current_request
        if rid is None or self.closed:
            return
        try:
            protocol.write_frame(self.sock, {"op": "stop", "id": rid, "reason": reason})
        except OSError:
            pass

    def run(self, command: str, args: dict, long_running: bool = False, timeout: float | None = None) -> Iterator[dict]:
        """Run a command in the agent. ``long_running`` (streams, console) keeps the target's own
        switch interval while it runs; one-shot commands get the short one."""
        message = {"op": "run", "command": command, "args": args, "long_running": long_running}
        return self.request(message, timeout=timeout)

    def cancel(self) -> bool:
        """Stop what this connection runs, whatever it is: a stream ends with its records (and
        its ``end``), console code gets KeyboardInterrupt. False when the interrupt cannot reach
        the agent (then only dropping the connection ends the command)."""
        self.stop("stopped")
        try:
            self.interrupt()
        except FlightError:
            return False
        return True

    def interrupt(self) -> None:
        """Ask the agent, over a second connection, to interrupt what this connection runs."""
        other = AgentClient.connect(self.pid, self._socket_path, self._token, timeout=2.0)
        try:
            list(other.request({"op": "interrupt", "connection": self.connection}, timeout=2.0))
        finally:
            other.close()

    def complete(self, kind: str, words: list) -> list:
        """Names for Tab completion from the target (flight_agent/completion.py), over a second
        connection: the first may be busy with a stream."""
        other = AgentClient.connect(self.pid, self._socket_path, self._token, timeout=2.0)
        try:
            records = list(other.request({"op": "complete", "complete": kind, "words": words}, timeout=2.0))
        finally:
            other.close()
        found = records[0].get("candidates") if records else None
        return found if isinstance(found, list) else []

    def stop_stream(self, connection: int, request: int) -> bool:
        """End the stream that request ``request`` of another connection runs; False when there
        is no such stream (it has ended)."""
        message = {"op": "stop_stream", "connection": connection, "request": request}
        records = list(self.request(message, timeout=5.0))
        for record in records:
            if record.get("kind") == "error":
                raise FlightError(record.get("message", "the agent refused to stop the stream"))
        return any(record.get("stopped") for record in records)

    def detach(self) -> list:
        records = list(self.request({"op": "detach"}, timeout=10.0))
        self.close()
        return records

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:  # wakes a read blocked in another thread (close alone would not)
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self.sock.close()
            except OSError:
                pass
