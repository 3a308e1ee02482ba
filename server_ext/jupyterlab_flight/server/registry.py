"""The sessions this server holds: id -> (FlightSession, lock). One command at a time per session."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from ..session import FlightSession


@dataclass
class ServerSession:
    id: str
    flight: FlightSession
    kernel_id: str | None = None
    created: float = field(default_factory=time.time)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def describe(self) -> dict:
        hello = self.flight.hello
        return {
            "id": self.id,
            "pid": self.flight.pid,
            "kernel_id": self.kernel_id,
            "created": self.created,
            "connected": self.flight.connected,
            "python": hello.get("python"),
            "executable": hello.get("executable"),
        }


class SessionRegistry:
    def __init__(self):
        self._sessions: dict = {}
        self._lock = threading.Lock()

    def add(self, flight: FlightSession, kernel_id: str | None = None) -> ServerSession:
        with self._lock:
            for existing in self._sessions.values():
                if existing.flight.pid == flight.pid:  # one session per process
                    flight.close()
                    return existing
            session = ServerSession(uuid.uuid4().hex, flight, kernel_id)
            self._sessions[session.id] = session
            return session

    def get(self, session_id: str) -> ServerSession | None:
        return self._sessions.get(session_id)

    def remove(self, session_id: str) -> ServerSession | None:
        with self._lock:
            return self._sessions.pop(session_id, None)

    def all(self) -> list:
        return list(self._sessions.values())
