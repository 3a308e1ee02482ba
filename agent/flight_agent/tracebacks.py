"""Tracebacks for the user: the target's code and theirs, never the agent's own frames.

``tt -i N`` shows the traceback of a recorded call as it was when the call ended (from the
observed function down to where it raised); a replay (``tt -i N -p``) and console code run on the
agent's thread, whose frames are left out: the traceback starts in the user's code.
"""

from __future__ import annotations

import os

_AGENT_DIR = os.path.dirname(os.path.abspath(__file__))
_AGENT_FILES = ("<flight probe>", "<flight bootstrap>")  # the fallback wrapper and the boot's code


def is_agent_file(filename: str) -> bool:
    if filename in _AGENT_FILES:
        return True
    directory = os.path.dirname(os.path.abspath(filename))
    return directory == _AGENT_DIR or directory.startswith(_AGENT_DIR + os.sep)


def user_traceback(exception: BaseException, tb=None) -> str:
    """The formatted exception (chained ones included) with the agent's frames left out.
    ``tb``: the traceback to show (default: the exception's own)."""
    import traceback

    tb = exception.__traceback__ if tb is None else tb
    shown = traceback.TracebackException(type(exception), exception, tb)
    seen: set = set()
    todo = [shown]
    while todo:
        te = todo.pop()
        if id(te) in seen:
            continue
        seen.add(id(te))
        te.stack = traceback.StackSummary.from_list([f for f in te.stack if not is_agent_file(f.filename)])
        todo.extend(t for t in (te.__cause__, te.__context__) if t is not None)
        todo.extend(getattr(te, "exceptions", None) or ())  # exception groups (3.11+)
    return "".join(shown.format())
