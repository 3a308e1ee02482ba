"""Transport and authentication: the agent's listening socket and one thread per connection.

Who may talk to the agent (DESIGN.md, "Agent channel and safety"):
- the socket lives in a per-user 0700 directory (runtime.py) and is itself 0600;
- the peer's uid (SO_PEERCRED) must be the target's uid or root;
- the first frame must carry the random token of the 0600 token file.

After the hello, each request of a connection is answered on that connection's thread
(dispatch.py). Only ``_thread`` is used for threads: importing ``threading`` for the first time
from a non-main thread would confuse the target's idea of its main thread on Python < 3.13.
"""

from __future__ import annotations

import _thread
import os
import select
import socket
import struct
import sys

from . import SCHEMA_VERSION, VERSION, dispatch, protocol, runtime
from .connection import Connection

TYPE_CHECKING = False  # typing's own constant would import typing into the target; mypy reads this one too
if TYPE_CHECKING:
    from .server import Agent

HELLO_TIMEOUT_S = 5.0
HELLO_MAX_BYTES = 4096


class Transport:
    def __init__(self, agent: Agent):
        self.agent = agent
        self.listener: socket.socket | None = None
        self.wake_r, self.wake_w = os.pipe()

    def listen(self) -> None:
        agent = self.agent
        runtime.ensure_private_dir(agent.runtime_dir)
        for path in (agent.paths["socket"], agent.paths["token"]):
            if os.path.lexists(path):
                os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(agent.paths["socket"])
        finally:
            os.umask(old_umask)
        listener.listen(16)
        self.listener = listener
        os.set_blocking(self.wake_r, False)
        _thread.start_new_thread(self._accept_loop, ())

    def wake(self) -> None:
        """Ends the accept loop (the agent is stopping)."""
        os.write(self.wake_w, b"x")

    def _write_token_file(self) -> None:
        """For the next clients (the first one brought the token). Every file operation releases
        the GIL, which costs a GIL wait on a busy target: this runs off the attach's critical path."""
        agent = self.agent
        runtime.write_private_file(
            agent.paths["token"],
            {
                "token": agent.token,
                "pid": agent.pid,
                "start_time": runtime.process_start_time(agent.pid),
                "agent": VERSION,
                "python": sys.version.split()[0],
            },
        )

    def _accept_loop(self) -> None:
        agent = self.agent
        agent.thread_started()
        listener = self.listener
        assert listener is not None
        try:
            self._write_token_file()
            runtime.remove_stale(agent.runtime_dir)  # agents of processes that are gone: their files go
            while not agent.stopping:
                timeout = agent.boost_left()  # a first request that streams never "answers"
                if timeout is not None and timeout <= 0:
                    agent.end_boost()
                    continue
                ready, _, _ = select.select([listener.fileno(), self.wake_r], [], [], timeout)
                if agent.stopping or self.wake_r in ready:
                    break
                if not ready:
                    continue
                try:
                    sock, _ = listener.accept()
                except OSError:
                    continue
                connection = agent.open_connection(sock) if _peer_allowed(sock, agent.uid) else None
                if connection is None:
                    sock.close()
                    continue
                _thread.start_new_thread(self._serve, (connection,))
        finally:
            agent.end_boost()
            listener.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            agent.thread_ended()
            agent.accepting_ended()

    def _serve(self, connection: Connection) -> None:
        agent = self.agent
        connection.thread_ident = _thread.get_ident()
        agent.thread_started()
        try:
            if not self._authenticate(connection):
                return
            while not agent.stopping:
                request = protocol.read_frame(connection.sock, protocol.MAX_REQUEST_BYTES)
                keep = dispatch.handle(connection, request)
                agent.end_boost()  # the attach has its first answer
                if not keep:
                    break
        except (protocol.ProtocolError, protocol.ConnectionClosed, OSError):
            pass
        except BaseException:  # never let anything out of the agent thread into the target
            pass
        finally:
            agent.close_connection(connection)
            agent.thread_ended()

    def _authenticate(self, connection: Connection) -> bool:
        agent = self.agent
        hello = protocol.read_frame(connection.sock, HELLO_MAX_BYTES, idle_timeout=HELLO_TIMEOUT_S)
        token = hello.get("token")
        if hello.get("op") != "hello" or not isinstance(token, str) or not _same_secret(token, agent.token):
            connection.send({"op": "error", "message": "authentication failed"})
            return False
        connection.send(
            {
                "op": "hello",
                "ok": True,
                "pid": agent.pid,
                "agent": VERSION,
                "schema": SCHEMA_VERSION,
                "python": sys.version.split()[0],
                "connection": connection.number,
                "executable": sys.executable,
            }
        )
        return True


def _peer_allowed(sock: socket.socket, uid: int) -> bool:
    try:
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, peer_uid, _gid = struct.unpack("3i", creds)
    except OSError:
        return False
    return peer_uid in (uid, 0)


def _same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison. _operator is built in: no import cost (hmac pulls in OpenSSL)."""
    import _operator

    return _operator._compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))
