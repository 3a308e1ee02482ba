"""stack: every Python thread's frames (and asyncio tasks with -a), read inside the target.

Threads are named as ``threading`` would name them, also when the target never imported it (the
main thread is "MainThread"), with both ids: ``thread_id`` (the ident: lock owners, ``threading``)
and ``native_id`` (the kernel's: top, py-spy, pystack). The agent's own threads are left out.
Which thread holds the GIL cannot be known from inside (the agent holds it while it looks), so
``gil`` is null here; reading the process from outside (``--native``) reports it.
"""

from __future__ import annotations

import sys

from .. import threads
from ..arguments import Arguments
from ..connection import Connection

MAX_FRAMES = 2000  # per thread; deeper stacks are cut at the outermost end


def _frame_list(frame, limit: int = MAX_FRAMES) -> tuple[list, int]:
    frames: list = []
    while frame is not None and len(frames) < limit:
        code = frame.f_code
        frames.append(
            {
                "function": getattr(code, "co_qualname", code.co_name),
                "file": code.co_filename,
                "line": frame.f_lineno,
                "module": frame.f_globals.get("__name__"),
            }
        )
        frame = frame.f_back
    omitted = 0
    while frame is not None:
        omitted += 1
        frame = frame.f_back
    frames.reverse()  # traceback order: outermost first, innermost last
    return frames, omitted


def collect_threads(agent) -> list:
    """Every Python thread but the agent's own, named as ``threading`` would (threads.py)."""
    own = agent.own_thread_idents()
    current = {ident: frame for ident, frame in sys._current_frames().items() if ident not in own}
    described = threads.describe(list(current), known=dict(agent.threads))
    out = []
    for ident, frame in current.items():
        info = described[ident]
        frames, omitted = _frame_list(frame)
        entry = {
            "thread_id": ident,
            "native_id": info["native_id"],
            "name": info["name"],
            "daemon": info["daemon"],
            "main": info["main"],
            "gil": None,
            "frames": frames,
        }
        if omitted:
            entry["frames_omitted"] = omitted
        out.append(entry)
    out.sort(key=lambda t: (not t["main"], t["name"] or "", t["thread_id"]))
    return out


def thread_list(agent) -> dict:
    """For the client (stack --native, read from outside): the agent's own native ids, to leave
    out, and every other thread's names and ids, to name what pystack reads."""
    own = agent.own_thread_idents()
    idents = [ident for ident in sys._current_frames() if ident not in own]
    described = threads.describe(idents, known=dict(agent.threads))
    return {
        "kind": "threads",
        "agent_native_ids": sorted(n for n in agent.threads.values() if n is not None),
        "threads": [dict(info, thread_id=ident) for ident, info in described.items()],
    }


def _all_tasks() -> list:
    tasks_module = sys.modules.get("asyncio.tasks")
    if tasks_module is None:
        return []
    found = []
    for name in ("_all_tasks", "_scheduled_tasks", "_eager_tasks"):
        container = getattr(tasks_module, name, None)
        if container is not None:
            try:
                found.extend(list(container))
            except Exception:
                pass
    seen, unique = set(), []
    for task in found:
        if id(task) not in seen:
            seen.add(id(task))
            unique.append(task)
    return unique


def _await_chain(coro) -> tuple[list, str | None]:
    """Frames of a suspended coroutine and what it awaits, outermost first."""
    frames, awaiting = [], None
    depth = 0
    while coro is not None and depth < 200:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            frames.append(
                {
                    "function": getattr(code, "co_qualname", code.co_name),
                    "file": code.co_filename,
                    "line": frame.f_lineno,
                }
            )
        nxt = getattr(coro, "cr_await", None)
        if nxt is None:
            nxt = getattr(coro, "gi_yieldfrom", None)
        if nxt is not None and not (hasattr(nxt, "cr_frame") or hasattr(nxt, "gi_frame")):
            awaiting = type(nxt).__name__
            try:
                awaiting = repr(nxt)[:200]
            except Exception:
                pass
            break
        coro = nxt
        depth += 1
    return frames, awaiting


def collect_tasks() -> list:
    out = []
    for task in _all_tasks():
        try:
            if task.done():
                continue
            coro = task.get_coro()
            frames, awaiting = _await_chain(coro)
            loop = task.get_loop()
            out.append(
                {
                    "name": task.get_name(),
                    "state": "waiting" if getattr(task, "_fut_waiter", None) is not None else "pending",
                    "coroutine": getattr(coro, "__qualname__", type(coro).__name__),
                    "thread_id": getattr(loop, "_thread_id", None),
                    "awaiting": awaiting,
                    "frames": frames,
                }
            )
        except Exception:
            continue
    return out


def run(args: Arguments, connection: Connection) -> list:
    """``asyncio`` (-a); ``pid``, ``file`` and ``native`` are for the client (stack from outside, -f)."""
    asyncio = args.flag("asyncio")
    record = {
        "kind": "stack",
        "pid": connection.agent.pid,
        "source": "agent",
        "threads": collect_threads(connection.agent),
    }
    if asyncio:
        record["tasks"] = collect_tasks()
    return [record]
