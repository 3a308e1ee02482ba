"""The agent: a Unix socket server inside the target, one thread per client connection.

Who may talk to it (DESIGN.md, "Agent channel and safety"):
- the socket lives in a per-user 0700 directory (runtime.py) and is itself 0600;
- the peer's uid (SO_PEERCRED) must be the target's uid or root;
- the first frame must carry the random token from the 0600 token file.

Every connection is a Session; what a session installs (console output capture today, hooks of
later commands) belongs to it and is removed when it ends. ``detach`` stops the whole agent:
listening socket, every session, its files, and its modules in ``sys.modules``.

Only ``_thread`` is used for threads: importing ``threading`` for the first time from a
non-main thread would confuse the target's idea of its main thread on Python < 3.13.
"""

from __future__ import annotations

import _thread
import os
import select
import socket
import struct
import sys
import time

from . import SCHEMA_VERSION, VERSION, capture, native, protocol, runtime
from .commands import HANDLERS, STREAMS, tt
from .commands import console as console_command
from .expressions import ExpressionError
from .hooks import probe
from .lookup import LookupFailure
from .streams import POLL_S, Stream

MAX_SESSIONS = 32
HELLO_TIMEOUT_S = 5.0
BOOST_MAX_S = 2.0  # the attach's short switch interval ends after the first answer, or this long after the start

_agent = None  # the running Agent of this process, if any
_agent_lock = _thread.allocate_lock()


class Session:
    """One authenticated client connection and everything it owns."""

    def __init__(self, agent: Agent, sock: socket.socket, number: int):
        self.agent = agent
        self.sock = sock
        self.number = number
        self.thread_ident: int | None = None
        self.console_namespace = console_command.new_namespace()
        self.running_user_code = False
        self.send_lock = _thread.allocate_lock()
        self.stream: tuple | None = None  # (request id, Stream) while a stream runs here

    def send(self, message: dict) -> None:
        with self.send_lock:
            protocol.write_frame(self.sock, message)

    def run_user_code(self, fn, interruptible: bool = False):
        """Run code that comes from the user (expressions, console); Ctrl-C may interrupt it."""
        self.running_user_code = interruptible
        try:
            return fn()
        finally:
            self.running_user_code = False

    def interrupt(self) -> bool:
        """Raise KeyboardInterrupt in this session's thread if it is running user code."""
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


class Agent:
    def __init__(self, runtime_dir: str, token: str | None = None):
        self.pid = os.getpid()
        self.uid = os.geteuid()
        self.runtime_dir = runtime_dir
        self.paths = runtime.agent_paths(runtime_dir, self.pid)
        # The attaching client may bring the token (it connects as soon as the socket exists);
        # otherwise (attach self) a fresh one.
        self.token = token if isinstance(token, str) and len(token) >= 32 else os.urandom(32).hex()
        self.sessions: dict = {}
        self.session_counter = 0
        self.lock = _thread.allocate_lock()
        self.stopping = False
        self.thread_idents: set = set()
        self.wake_r, self.wake_w = os.pipe()
        self.listener: socket.socket | None = None
        self.started = time.time()
        # The attach's short switch interval: from the start until the first answer, or BOOST_MAX_S
        self.boost: runtime.ShortSwitchInterval | None = None
        self.boost_deadline = 0.0

    # -- life cycle --------------------------------------------------------------------------
    def start(self, switch_interval: float | None = None) -> None:
        """``switch_interval``: the target's own, when the bootstrap already shortened it."""
        self.boost = runtime.ShortSwitchInterval(switch_interval)
        self.boost_deadline = time.monotonic() + BOOST_MAX_S
        try:
            self._listen()
        except BaseException:
            self.end_boost()
            raise

    def end_boost(self) -> None:
        if self.boost is not None:
            self.boost.end()

    def _listen(self) -> None:
        runtime.ensure_private_dir(self.runtime_dir)
        for path in (self.paths["socket"], self.paths["token"]):
            if os.path.lexists(path):
                os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            listener.bind(self.paths["socket"])
        finally:
            os.umask(old_umask)
        listener.listen(16)
        self.listener = listener
        os.set_blocking(self.wake_r, False)
        _thread.start_new_thread(self._accept_loop, ())

    def _write_token_file(self) -> None:
        """For the next clients (the first one brought the token). Every file operation releases
        the GIL, which costs a GIL wait on a busy target: this runs off the attach's critical path."""
        runtime.write_private_file(
            self.paths["token"],
            {
                "token": self.token,
                "pid": self.pid,
                "start_time": runtime.process_start_time(self.pid),
                "agent": VERSION,
                "python": sys.version.split()[0],
            },
        )

    def stop(self, keep: Session | None = None) -> None:
        """Detach: stop accepting, end every session (but ``keep``, which ends itself), remove our
        files and, when the accept loop ends, our modules."""
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
            sessions = [s for s in self.sessions.values() if s is not keep]
        # Files first: from now on a new client finds no agent here and starts a fresh one.
        for path in (self.paths["socket"], self.paths["token"]):
            try:
                os.unlink(path)
            except OSError:
                pass
        os.write(self.wake_w, b"x")
        self.end_boost()
        probe.remove_all()  # now, not when each session's thread notices: detach answers after this
        tt.TUNNEL.clear()
        for s in sessions:
            s.close()
        capture.uninstall()

    def own_thread_idents(self) -> set:
        return set(self.thread_idents)

    # -- accepting ---------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        self.thread_idents.add(_thread.get_ident())
        listener = self.listener
        assert listener is not None
        try:
            self._write_token_file()
            while not self.stopping:
                timeout = None
                if self.boost is not None and self.boost.active:  # a first request that streams never "answers"
                    timeout = self.boost_deadline - time.monotonic()
                    if timeout <= 0:
                        self.end_boost()
                        continue
                ready, _, _ = select.select([listener.fileno(), self.wake_r], [], [], timeout)
                if self.stopping or self.wake_r in ready:
                    break
                if not ready:
                    continue
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                if not self._peer_allowed(conn) or len(self.sessions) >= MAX_SESSIONS:
                    conn.close()
                    continue
                with self.lock:
                    self.session_counter += 1
                    session = Session(self, conn, self.session_counter)
                    self.sessions[session.number] = session
                _thread.start_new_thread(self._serve, (session,))
        finally:
            self.end_boost()
            listener.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            self.thread_idents.discard(_thread.get_ident())
            _forget_agent(self)

    def _peer_allowed(self, conn: socket.socket) -> bool:
        try:
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
        except OSError:
            return False
        return uid in (self.uid, 0)

    # -- one session -------------------------------------------------------------------------
    def _serve(self, session: Session) -> None:
        session.thread_ident = _thread.get_ident()
        self.thread_idents.add(session.thread_ident)
        try:
            hello = protocol.read_frame(session.sock, 4096, idle_timeout=HELLO_TIMEOUT_S)
            token = hello.get("token")
            if hello.get("op") != "hello" or not isinstance(token, str) or not _same_secret(token, self.token):
                session.send({"op": "error", "message": "authentication failed"})
                return
            session.send(
                {
                    "op": "hello",
                    "ok": True,
                    "pid": self.pid,
                    "agent": VERSION,
                    "schema": SCHEMA_VERSION,
                    "python": sys.version.split()[0],
                    "session": session.number,
                    "executable": sys.executable,
                }
            )
            while not self.stopping:
                request = protocol.read_frame(session.sock, protocol.MAX_REQUEST_BYTES)
                keep = self._handle(session, request)
                self.end_boost()  # the attach has its first answer
                if not keep:
                    break
        except (protocol.ProtocolError, protocol.ConnectionClosed, OSError):
            pass
        except BaseException:  # never let anything out of the agent thread into the target
            pass
        finally:
            with self.lock:
                self.sessions.pop(session.number, None)
            session.close()
            self.thread_idents.discard(session.thread_ident)

    def _handle(self, session: Session, request: dict) -> bool:
        """Answer one request; False ends the session."""
        op = request.get("op")
        rid = request.get("id")
        if op == "run":
            command = request.get("command")
            if command in STREAMS or command == "console":  # long runs: the target's own interval
                self._run_command(session, rid, command, request.get("args") or {})
            else:
                with runtime.ShortSwitchInterval():
                    self._run_command(session, rid, command, request.get("args") or {})
            return True
        if op == "interrupt":
            target = self.sessions.get(request.get("session"))
            done = target.interrupt() if target is not None else False
            session.send(
                {
                    "id": rid,
                    "record": {
                        "v": SCHEMA_VERSION,
                        "kind": "message",
                        "text": "interrupted" if done else "nothing to interrupt",
                    },
                }
            )
            session.send({"id": rid, "end": True})
            return True
        if op == "stop_stream":
            # Another connection ends this session's stream: a notebook's live view cannot reach
            # its busy kernel, so its stop button comes here through the server extension.
            stopped = self._stop_other_stream(request.get("session"), request.get("request"))
            session.send(
                {
                    "id": rid,
                    "record": {
                        "v": SCHEMA_VERSION,
                        "kind": "message",
                        "text": "stopping the stream" if stopped else "no such stream: it has ended",
                        "stopped": stopped,
                    },
                }
            )
            session.send({"id": rid, "end": True})
            return True
        if op == "detach":
            self.stop(keep=session)
            session.send(
                {
                    "id": rid,
                    "record": {
                        "v": SCHEMA_VERSION,
                        "kind": "message",
                        "text": f"detached from pid {self.pid}: agent stopped, all hooks removed",
                    },
                }
            )
            session.send({"id": rid, "end": True})
            return False
        if op == "ping":
            session.send({"id": rid, "end": True})
            return True
        session.send(
            {"id": rid, "record": {"v": SCHEMA_VERSION, "kind": "error", "message": f"unknown request {op!r}"}}
        )
        session.send({"id": rid, "end": True})
        return True

    def _stop_other_stream(self, number, request_id) -> bool:
        target = self.sessions.get(number) if isinstance(number, int) else None
        running = target.stream if target is not None else None
        if running is None or running[0] != request_id or running[1].finished is not None:
            return False
        running[1].finish("stopped")
        return True

    def _run_command(self, session: Session, rid, command, args) -> None:
        handler = HANDLERS.get(command) if isinstance(command, str) else None
        opener = STREAMS.get(command) if isinstance(command, str) else None
        try:
            if handler is None and opener is None:
                raise LookupError(f"unknown command {command!r}")
            if not isinstance(args, dict):
                raise ValueError("args must be an object")
            stream = opener(args, session) if opener is not None else None
            if stream is not None:
                self._run_stream(session, rid, stream)
            elif handler is not None:
                for record in handler(args, session):
                    record.setdefault("v", SCHEMA_VERSION)
                    session.send({"id": rid, "record": record})
        except (ExpressionError, LookupFailure, LookupError, ValueError, TypeError, KeyError) as e:
            record = {"v": SCHEMA_VERSION, "kind": "error", "message": _message(e)}
            if isinstance(e, ExpressionError):
                record["exception"] = {"type": e.error_type, "message": e.error_message}
            session.send({"id": rid, "record": record})
        except (OSError, protocol.ProtocolError, protocol.ConnectionClosed):
            raise
        except Exception as e:
            session.send(
                {
                    "id": rid,
                    "record": {
                        "v": SCHEMA_VERSION,
                        "kind": "error",
                        "message": f"internal error in {command}: {type(e).__name__}: {e}",
                        "traceback": _traceback_text(),
                    },
                }
            )
        session.send({"id": rid, "end": True})

    def _run_stream(self, session: Session, rid, stream: Stream) -> None:
        """Send a stream's records until it ends; the client's ``stop`` ends it. Its hooks are
        removed before the final ``end`` record, whatever ends it (the connection too)."""

        def send(records: list) -> None:
            if not records:
                return
            for record in records:
                record.setdefault("v", SCHEMA_VERSION)
            frames = protocol.encode_batches(rid, records)
            with session.send_lock:
                for frame in frames:
                    session.sock.sendall(frame)

        session.stream = (rid, stream)
        try:
            send(stream.start())
            while stream.finished is None and not self.stopping:
                send(stream.drain() + stream.tick())
                if stream.finished is not None:
                    break
                ready, _, _ = select.select([session.sock], [], [], POLL_S)
                if ready:
                    message = protocol.read_frame(session.sock, protocol.MAX_REQUEST_BYTES)
                    if message.get("op") == "stop" and message.get("id") == rid:
                        reason = message.get("reason")
                        stream.finish(reason if reason in ("stopped", "timeout") else "stopped")
                    elif message.get("op") != "stop":
                        session.send(
                            {
                                "id": message.get("id"),
                                "record": {
                                    "v": SCHEMA_VERSION,
                                    "kind": "error",
                                    "message": "a stream is running on this connection: stop it first",
                                },
                            }
                        )
                        session.send({"id": message.get("id"), "end": True})
        finally:
            session.stream = None
            stream.close()
        last = stream.drain()
        if stream.dropped:
            last.append(
                {"kind": "message", "text": f"{stream.dropped} records were dropped: the client did not keep up"}
            )
        last.append({"kind": "end", "reason": stream.finished or "detached"})
        send(last)


def _same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison. _operator is built in: no import cost (hmac pulls in OpenSSL)."""
    import _operator

    return _operator._compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _traceback_text() -> str:
    import traceback

    return traceback.format_exc(limit=8)


def _message(e: BaseException) -> str:
    if isinstance(e, KeyError):
        return f"missing argument {e.args[0]!r}" if e.args else "missing argument"
    return str(e)


def _forget_agent(agent: Agent) -> None:
    global _agent
    with _agent_lock:
        if _agent is agent:
            _agent = None
            # Leave no trace in sys.modules: a later attach loads a fresh copy.
            for name in [n for n in sys.modules if n == "flight_agent" or n.startswith("flight_agent.")]:
                sys.modules.pop(name, None)


def start_agent(
    runtime_dir: str, token: str | None = None, native_library: str | None = None, switch_interval: float | None = None
) -> Agent:
    """Start the agent once per process; a second call returns the running one. ``switch_interval``:
    the target's own, when the attach's bootstrap shortened it (restored after the first answer)."""
    global _agent
    native.set_library(native_library)
    with _agent_lock:
        if _agent is not None and not _agent.stopping:
            if switch_interval is not None:  # the running agent answers at once
                runtime.ShortSwitchInterval(switch_interval).end()
            return _agent
        agent = Agent(runtime_dir, token)
        try:
            agent.start(switch_interval)
        except BaseException:
            runtime.write_private_file(
                runtime.agent_paths(runtime_dir, os.getpid())["error"], {"error": _traceback_text()}
            )
            raise
        _agent = agent
        return agent
