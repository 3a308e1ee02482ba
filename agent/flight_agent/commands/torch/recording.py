"""What torch recording flight has started in the target, in one place, and how to stop it.

The torch commands start two kinds of recording: a ``torch.profiler.profile`` around an observed
call (on the calling thread, stopped when that call ends) and CUDA memory history
(``torch.cuda.memory._record_memory_history``, only when the target did not have it on, turned
off again after the call). Each start registers here and each stop unregisters, so
``stop_recording()`` ends what it can (detach), and a forked child (where only the forking
thread lives on) has ``forget_in_child``. Recording the
target started itself is never in here and is never touched.
"""

from __future__ import annotations

import _thread
import sys

from ... import forksafe

_lock = _thread.allocate_lock()
_profilers: dict = {}  # id(profile) -> (profile, thread id that started it)
_history: list = []  # [device index or None] while our CUDA memory history is on


def torch_module():
    """The target's own torch, or None when it has not imported it (flight never imports it)."""
    module = sys.modules.get("torch")
    if module is None or not (hasattr(module, "profiler") and hasattr(module, "cuda")):
        return None  # not imported, or still being imported by another thread
    return module


def profiler_started(profile, thread_id: int) -> None:
    with _lock:
        _profilers[id(profile)] = (profile, thread_id)


def profiler_stopped(profile) -> None:
    with _lock:
        _profilers.pop(id(profile), None)


def history_started(device) -> None:
    with _lock:
        _history.append(device)


def history_stopped() -> None:
    with _lock:
        _history.clear()


def history_is_ours() -> bool:
    return bool(_history)


def active() -> dict:
    """What is on now (for tests and the report): profilers and whether our history is on."""
    return {"profilers": len(_profilers), "history": bool(_history)}


def stop_history() -> None:
    """Turn off the CUDA memory history flight turned on (none the target turned on itself)."""
    with _lock:
        devices, _history[:] = list(_history), []
    torch = torch_module()
    if not devices or torch is None:
        return
    for device in devices:
        try:
            torch.cuda.memory._record_memory_history(enabled=None, device=device)
        except Exception:
            pass


def stop_recording() -> None:
    """Stop the torch recording flight started: the CUDA memory history it turned on, and any
    profiler it started on this thread. A profiler started on another thread is left to the
    observed call's end, which stops it there (torch keeps a profiler's state per thread:
    stopping it from another thread would leave that thread's half on); the call still sees
    its observer end, after a detach too. Whatever is still on is said by ``active()``."""
    me = _thread.get_ident()
    with _lock:
        mine = [p for key, (p, thread_id) in list(_profilers.items()) if thread_id == me]
        for profile in mine:
            _profilers.pop(id(profile), None)
    for profile in mine:
        try:
            profile.__exit__(None, None, None)
        except Exception:
            pass
    stop_history()


def forget_in_child() -> None:
    """In the child of a fork (forksafe.py): a profiler we started on the forking thread (a
    DataLoader forking its workers inside a profiled call) is on in the child's only thread, and
    nothing would ever stop it there: it is switched off, torch's own state only (the parent's
    profile object is not touched). CUDA history is the parent's (CUDA cannot be used in a
    forked child): forgotten. No lock of ours is taken (a parent thread may have held it)."""
    global _lock
    _lock = _thread.allocate_lock()
    ours = [thread_id for _profile, thread_id in list(_profilers.values())]
    _profilers.clear()
    _history.clear()
    torch = torch_module()
    if torch is not None and _thread.get_ident() in ours:
        try:
            torch._C._autograd._disable_profiler()
        except Exception:
            pass


forksafe.register(forget_in_child)
