"""Capture what console code prints, without taking the target's stdout from its own threads.

While console code runs, ``sys.stdout`` / ``sys.stderr`` are a router: writes from a thread that
is running console code go to that run's buffer, every other thread's writes go to the stream
that was there before. The router is removed when the last capture ends, and only if nobody
replaced it meanwhile (then the router stays harmlessly in their chain: it passes writes through).
"""

from __future__ import annotations

import _thread
import io
import sys

from . import forksafe

_lock = _thread.allocate_lock()
_buffers: dict = {}  # thread ident -> StringIO
_installed: dict = {}  # "stdout"/"stderr" -> router


class _Router:
    def __init__(self, name: str, original):
        self._name = name
        self._original = original

    def write(self, text):
        buf = _buffers.get(_thread.get_ident())
        if buf is not None:
            return buf[self._name].write(text)
        return self._original.write(text)

    def flush(self):
        if _thread.get_ident() not in _buffers:
            self._original.flush()

    def __getattr__(self, name):
        return getattr(self._original, name)


class Capture:
    """``with Capture() as out:`` ... ``out.stdout`` / ``out.stderr`` afterwards."""

    def __enter__(self):
        self.streams = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        with _lock:
            for name in ("stdout", "stderr"):
                current = getattr(sys, name)
                if _installed.get(name) is not current:
                    router = _Router(name, current)
                    _installed[name] = router
                    setattr(sys, name, router)
            _buffers[_thread.get_ident()] = self.streams
        return self

    def __exit__(self, *exc):
        with _lock:
            _buffers.pop(_thread.get_ident(), None)
            if not _buffers:
                uninstall_locked()
        self.stdout = self.streams["stdout"].getvalue()
        self.stderr = self.streams["stderr"].getvalue()
        return False


def uninstall_locked() -> None:
    for name, router in list(_installed.items()):
        if getattr(sys, name) is router:
            setattr(sys, name, router._original)
        del _installed[name]


def uninstall() -> None:
    with _lock:
        _buffers.clear()
        uninstall_locked()


def _forget_in_child() -> None:
    """In the child of a fork (forksafe.py): console output is not captured there (fresh lock:
    a thread of the parent may have held this one)."""
    global _lock
    _lock = _thread.allocate_lock()
    _buffers.clear()
    uninstall_locked()


forksafe.register(_forget_in_child)
