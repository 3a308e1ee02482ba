"""Connection: one authenticated client connection to the agent.

What a client starts through its connection (a stream's hooks, a console namespace) belongs to it:
when the client goes away, every command module's ``reset(connection)`` drops what it owns.
Connections are numbered per agent; another connection names one by its number to interrupt its
console code or to stop its stream.
"""

from __future__ import annotations

import _thread
import socket

from . import SCHEMA_VERSION, protocol
from .threads import NamedThread

TYPE_CHECKING = False  # typing's own constant would import typing into the target; mypy reads this one too
if TYPE_CHECKING:
    from .server import Agent
    from .streams import Stream


class Connection:
    def __init__(self, agent: Agent, sock: socket.socket, number: int):
        self.agent = agent
        self.sock = sock
        self.number = number
        self.thread_ident: int | None = None
        self.running_user_code = False
        self.send_lock = _thread.allocate_lock()
        self.stream: tuple[object, Stream] | None = None  # (request id, Stream) while a stream runs here

    def send(self, message: dict) -> None:
        with self.send_lock:
            protocol.write_frame(self.sock, message)

    def send_frames(self, frames: list) -> None:
        with self.send_lock:
            for frame in frames:
                self.sock.sendall(frame)

    def record(self, request_id, record: dict) -> None:
        """One record of request ``request_id``, not its last."""
        record.setdefault("v", SCHEMA_VERSION)
        self.send({"id": request_id, "record": record})

    def reply(self, request_id, *records: dict) -> None:
        """The last records of a request, then its end: one write (each write releases the GIL,
        and a busy target makes the agent wait for it back)."""
        frames = []
        for record in records:
            record.setdefault("v", SCHEMA_VERSION)
            frames.append(protocol.encode_frame({"id": request_id, "record": record}))
        frames.append(protocol.encode_frame({"id": request_id, "end": True}))
        with self.send_lock:
            self.sock.sendall(b"".join(frames))

    def run_user_code(self, fn, interruptible: bool = False, thread_name: str = "flight-console"):
        """Run code that comes from the user (console, a replay); Ctrl-C may interrupt it. The
        target's ``threading.current_thread()`` names this thread ``thread_name`` meanwhile."""
        self.running_user_code = interruptible
        try:
            with NamedThread(thread_name):
                return fn()
        finally:
            self.running_user_code = False

    def interrupt(self) -> bool:
        """Raise KeyboardInterrupt in this connection's thread if it is running user code."""
        if not self.running_user_code or self.thread_ident is None:
            return False
        import ctypes  # only when asked: most targets never need it

        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self.thread_ident), ctypes.py_object(KeyboardInterrupt)
        )
        return True

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
