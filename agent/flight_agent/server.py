"""The agent's life: started once per process, stopped by ``detach``.

``start_agent`` is the entry point of the attach's bootstrap and of ``attach self``. The Agent
holds what lives as long as it does: its files (runtime.py), its token, its connections
(connection.py, served by transport.py, answered by dispatch.py) and the attach's short switch
interval. ``detach`` stops it all: the listening socket, every connection, whatever every command
installed (each command module's ``reset``), its files, and its modules in ``sys.modules``.
"""

from __future__ import annotations

import _thread
import os
import socket
import sys
import time

from . import dispatch, forksafe, native, runtime
from .connection import Connection
from .transport import Transport

MAX_CONNECTIONS = 32
BOOST_MAX_S = 2.0  # the attach's short switch interval ends after the first answer, or this long after the start

_agent = None  # the running Agent of this process, if any
_agent_lock = _thread.allocate_lock()


class Agent:
    def __init__(self, runtime_dir: str, token: str | None = None):
        self.pid = os.getpid()
        self.uid = os.geteuid()
        self.runtime_dir = runtime_dir
        self.paths = runtime.agent_paths(runtime_dir, self.pid)
        # The attaching client may bring the token (it connects as soon as the socket exists);
        # otherwise (attach self) a fresh one.
        self.token = token if isinstance(token, str) and len(token) >= 32 else os.urandom(32).hex()
        self.connections: dict = {}  # number -> Connection
        self.connection_counter = 0
        self.lock = _thread.allocate_lock()
        self.stopping = False
        self.threads: dict = {}  # ident -> native id of the agent's own threads (hidden everywhere)
        self.transport = Transport(self)
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
            self.transport.listen()
        except BaseException:
            self.end_boost()
            raise

    def end_boost(self) -> None:
        if self.boost is not None:
            self.boost.end()

    def boost_left(self) -> float | None:
        """Seconds until the attach's short switch interval must end; None once it has."""
        if self.boost is None or not self.boost.active:
            return None
        return self.boost_deadline - time.monotonic()

    def stop(self, keep: Connection | None = None) -> None:
        """Detach: stop accepting, end every connection (but ``keep``, which ends itself), undo
        what the commands installed, remove our files and, when the accept loop ends, our modules."""
        with self.lock:
            if self.stopping:
                return
            self.stopping = True
            others = [c for c in self.connections.values() if c is not keep]
        # Files first: from now on a new client finds no agent here and starts a fresh one.
        for path in (self.paths["socket"], self.paths["token"]):
            try:
                os.unlink(path)
            except OSError:
                pass
        self.transport.wake()
        self.end_boost()
        dispatch.reset()  # now, not when each connection's thread notices: detach answers after this
        for connection in others:
            connection.close()

    def accepting_ended(self) -> None:
        _forget_agent(self)

    def own_thread_idents(self) -> set:
        return set(self.threads)

    def thread_started(self) -> None:
        """Called first on each thread of the agent's."""
        self.threads[_thread.get_ident()] = _thread.get_native_id()

    def thread_ended(self) -> None:
        self.threads.pop(_thread.get_ident(), None)

    # -- connections -------------------------------------------------------------------------
    def open_connection(self, sock: socket.socket) -> Connection | None:
        """A numbered Connection for an accepted peer, or None when there are too many."""
        with self.lock:
            if len(self.connections) >= MAX_CONNECTIONS:
                return None
            self.connection_counter += 1
            connection = Connection(self, sock, self.connection_counter)
            self.connections[connection.number] = connection
            return connection

    def close_connection(self, connection: Connection) -> None:
        """Its client went away (or detached): what it owned goes with it."""
        with self.lock:
            self.connections.pop(connection.number, None)
        connection.close()
        dispatch.reset(connection)


def _traceback_text() -> str:
    import traceback

    return traceback.format_exc(limit=8)


def _forget_agent(agent: Agent) -> None:
    global _agent
    with _agent_lock:
        if _agent is agent:
            _agent = None
            forksafe.clear()  # the fork handler the interpreter keeps does nothing from now on
            # Leave no trace in sys.modules: a later attach loads a fresh copy.
            for name in [n for n in sys.modules if n == "flight_agent" or n.startswith("flight_agent.")]:
                sys.modules.pop(name, None)


def _forget_in_child() -> None:
    """In the child of a fork (forksafe.py): the parent's agent is not the child's. Its
    descriptors are closed (close, never shutdown: the parent's connections are the same
    sockets; its files stay: they are the parent's), its connections, streams and threads'
    state dropped, and its modules leave ``sys.modules``, so an attach to the child starts a
    fresh agent. Runs after the other modules' callbacks (registered when they were imported)."""
    global _agent, _agent_lock
    agent, _agent = _agent, None
    _agent_lock = _thread.allocate_lock()  # a thread of the parent may have held it
    if agent is not None:
        agent.stopping = True
        agent.lock = _thread.allocate_lock()
        for connection in list(agent.connections.values()):
            connection.stream = None
            _close(connection.sock)
        agent.connections.clear()
        agent.threads.clear()
        transport = agent.transport
        if transport.listener is not None:
            _close(transport.listener)
        for fd in (transport.wake_r, transport.wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
    runtime.forget_in_child()
    for name in [n for n in sys.modules if n == "flight_agent" or n.startswith("flight_agent.")]:
        sys.modules.pop(name, None)


def _close(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


forksafe.register(_forget_in_child)


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
