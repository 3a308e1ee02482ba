"""Read a process's stacks from outside with pystack: no agent, no code run in the target.

Used for ``stack --native`` (native frames interleaved, which thread holds the GIL) and for
``stack PID`` of a process we are not attached to; it also serves a wedged target whose agent
cannot run. ``--native`` pauses the process while it is read (pystack needs that to unwind).
The result is the same ``stack`` record the agent produces, with ``"source": "pystack"``.
"""

from __future__ import annotations

from .attach.process import inspect_process
from .errors import FlightError


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


def read_stack(pid: int, native: bool) -> dict:
    inspect_process(pid)  # same clear errors as attach: no such pid, permission, not Python
    try:
        from pystack.engine import NativeReportingMode, StackMethod, get_process_threads
        from pystack.errors import PystackError
        from pystack.types import NativeFrame, frame_type
    except ImportError:
        raise FlightError("pystack is not installed: pip install pystack (Linux only)") from None
    mode = NativeReportingMode.PYTHON if native else NativeReportingMode.OFF
    try:
        threads = list(
            get_process_threads(pid, stop_process=native, native_mode=mode, locals=False, method=StackMethod.AUTO)
        )
    except PystackError as e:
        raise FlightError(f"pystack cannot read pid {pid}: {e}") from None
    out = []
    for t in threads:
        if native:
            frames = _merged_frames(t, frame_type, NativeFrame.FrameType.EVAL, NativeFrame.FrameType.IGNORE)
        else:
            frames = [_python_frame(f) for f in t.frames]
        out.append(
            {
                "thread_id": t.tid,
                "native_id": t.tid,
                "name": t.name,
                "daemon": None,
                "main": t.tid == pid,
                "gil": bool(t.holds_the_gil > 0),
                "frames": frames,
            }
        )
    return {"v": 1, "kind": "stack", "pid": pid, "source": "pystack", "native": native, "threads": out}
