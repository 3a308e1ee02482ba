"""Read a process's stacks from outside with pystack: no agent, no code run in the target.

Used for ``stack --native`` (native frames interleaved, which thread holds the GIL) and for
``stack PID`` of a process we are not attached to; it also serves a wedged target whose agent
cannot run. ``--native`` pauses the process while it is read (pystack needs that to unwind).
The result is the same ``stack`` record the agent produces, with ``"source": "pystack"``.

pystack knows threads by their native ids and OS names. Threads are named as the agent names
them (threads.py: ``threading``'s names, "MainThread"), with their idents, when the target
already has an agent that answers (asked before pystack pauses the process; never injected);
the agent's own threads are left out, known by their native ids, or, without an agent that
answers (a wedged target), by their frames: Python frames of flight_agent, native frames of our
boot library (the boot thread of an attach that waits for the GIL).
"""

from __future__ import annotations

import os

from .attach import find_agent
from .attach.inject import BOOT_LIBRARY, agent_package_dir
from .attach.process import inspect_process
from .errors import FlightError

AGENT_ANSWER_S = 0.5  # a wedged target's agent never answers: do not wait long for it


def _python_frame(frame) -> dict:
    code = frame.code
    return {"function": code.scope, "file": code.filename, "line": code.location.lineno}


def _native_frame(frame) -> dict:
    return {
        "function": frame.symbol,
        "file": frame.path or frame.library,
        "line": frame.linenumber,
        "library": frame.library,
        "native": True,
    }


def _merged_frames(thread, frame_type, eval_type, ignore_type) -> list:
    """Python frames with the native frames between them, outermost first (pystack's merge rule)."""
    frames = []
    current = thread.first_frame
    eval_frames = sum(1 for f in thread.native_frames if frame_type(f, thread.python_version) == eval_type)
    entry_frames = sum(1 for f in thread.all_frames if f.is_entry)
    if eval_frames != entry_frames:  # not enough native information to interleave: Python only
        while current is not None:
            if not current.is_shim:
                frames.append(_python_frame(current))
            current = current.next
        return frames
    for native in thread.native_frames:
        kind = frame_type(native, thread.python_version)
        if kind == eval_type:
            while current is not None:
                if not current.is_shim:
                    frames.append(_python_frame(current))
                current = current.next
                if current is None or current.is_entry:
                    break
        elif kind != ignore_type:
            frames.append(_native_frame(native))
    return frames


def _agent_threads(target) -> tuple:
    """(the running agent's ``threads`` answer, its connection) or (None, None). The connection
    stays open until pystack is done: its thread in the agent is one the answer lists."""
    client = find_agent(target, timeout=AGENT_ANSWER_S)
    if client is None:
        return None, None
    try:
        for record in client.request({"op": "threads"}, timeout=AGENT_ANSWER_S * 2):
            if record.get("kind") == "threads":
                return record, client
    except FlightError:
        pass
    client.close()
    return None, None


def _is_ours(python_frames: list, native_frames: list) -> bool:
    """An agent thread or a waiting boot thread, known by where it started: its outermost Python
    frame is the agent's, or (no Python frame yet) its outermost native frames are our boot
    library's. (A target thread can be inside the agent's code: an observer, trace's profile
    function; its outermost frames are its own.)"""
    if python_frames:
        file = python_frames[0]["file"] or ""
        try:
            agent_dir = agent_package_dir()
        except FlightError:
            agent_dir = None
        return file.startswith("<flight") or bool(agent_dir and os.path.dirname(file).startswith(agent_dir))
    boot = os.path.basename(BOOT_LIBRARY)
    return any(os.path.basename(f.get("library") or "") == boot for f in native_frames[:4])


def _process_name(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def read_stack(pid: int, native: bool) -> dict:
    target = inspect_process(pid)  # same clear errors as attach: no such pid, permission, not Python
    try:
        from pystack.engine import NativeReportingMode, StackMethod, get_process_threads
        from pystack.errors import PystackError
        from pystack.types import NativeFrame, frame_type
    except ImportError:
        raise FlightError("pystack is not installed: pip install pystack (Linux only)") from None
    agent, client = _agent_threads(target)  # before pystack pauses the process
    mode = NativeReportingMode.PYTHON if native else NativeReportingMode.OFF
    try:
        threads = list(
            get_process_threads(pid, stop_process=native, native_mode=mode, locals=False, method=StackMethod.AUTO)
        )
    except PystackError as e:
        raise FlightError(f"pystack cannot read pid {pid}: {e}") from None
    finally:
        if client is not None:
            client.close()
    own = set(agent["agent_native_ids"]) if agent else set()
    named = {t.get("native_id"): t for t in agent["threads"]} if agent else {}
    comm = _process_name(pid)
    out = []
    for t in threads:
        python_frames = [_python_frame(f) for f in t.frames]
        if native:
            frames = _merged_frames(t, frame_type, NativeFrame.FrameType.EVAL, NativeFrame.FrameType.IGNORE)
        else:
            frames = python_frames
        natives = [f for f in frames if f.get("native")]
        if t.tid in own or _is_ours(python_frames, natives):
            continue
        known = named.get(t.tid)
        if known is not None:
            thread_id, name, daemon, main = known["thread_id"], known["name"], known["daemon"], known["main"]
        else:  # no agent to ask: the main thread is the process's first; other names are the OS's
            main = t.tid == pid
            thread_id, daemon = None, (False if main else None)
            name = "MainThread" if main else (t.name if t.name and t.name != comm else None)
        out.append(
            {
                "thread_id": thread_id,
                "native_id": t.tid,
                "name": name,
                "daemon": daemon,
                "main": main,
                "gil": bool(t.holds_the_gil > 0),
                "frames": frames,
            }
        )
    out.sort(key=lambda t: (not t["main"], t["name"] or "", t["native_id"]))
    return {"v": 1, "kind": "stack", "pid": pid, "source": "pystack", "native": native, "threads": out}
