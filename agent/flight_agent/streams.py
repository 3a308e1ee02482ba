"""Streams: commands whose results keep coming (watch, trace, tt -t, monitor) until stopped.

Observed calls happen on the target's threads; they only append finished records to a bounded
queue (no I/O, no lock held while the target's code runs). The connection's thread drains the
queue every POLL_S, sends the records, and reads the client's ``stop`` (pump.py). When a stream
ends (limit reached, stopped, client gone, detach), its hooks are removed before the final
``end`` record is sent.
"""

from __future__ import annotations

import _thread

POLL_S = 0.05
QUEUE_LIMIT = 10000  # records waiting for the client; beyond, new ones are dropped and counted


class Stream:
    """Base class. Subclasses install hooks in ``start`` and remove them in ``close``."""

    def __init__(self):
        self._lock = _thread.allocate_lock()
        self._queue: list = []
        self.dropped = 0
        self.finished: str | None = None  # the end reason once finished

    # called from the target's threads
    def push(self, record: dict) -> None:
        with self._lock:
            if len(self._queue) >= QUEUE_LIMIT:
                self.dropped += 1
                return
            self._queue.append(record)

    def finish(self, reason: str) -> None:
        if self.finished is None:
            self.finished = reason

    # called from the connection's thread
    def drain(self) -> list:
        with self._lock:
            records, self._queue = self._queue, []
        return records

    def tick(self) -> list:
        """Periodic records (monitor's cycles); called every POLL_S."""
        return []

    def start(self) -> list:
        """Install hooks; return the records to send first."""
        return []

    def close(self) -> None:
        """Remove every hook (idempotent)."""
