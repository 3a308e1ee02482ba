"""diagnose step ``locks``: what each thread waits on and which locks it holds (read-only).

The lock graph, which no other command tells the client's ``diagnose hang``:

- every thread's frames (function, file, line, the current source line);
- what it waits on: the ``self`` of the outermost ``threading``/``queue`` frame under a user
  frame (a Condition, Event, Semaphore, Queue, Thread), or the lock of the ``with X:`` /
  ``X.acquire()`` on the line a thread stands on (a lock taken in C has no Python frame);
- the locks it holds: the ``with`` blocks whose body the frame is in and the ``acquire()`` calls
  above the current line without a ``release()`` between, found in the function's source (read
  from the file, parsed with ast) and resolved through the frame's locals and globals;
- each thread's CPU time (a busy loop stays on one line between samples);
- each lock's state: locked, an RLock's owner (its repr), a queue's length, an event's flag.

Bounded: at most MAX_FRAMES frames per thread, source files up to MAX_SOURCE bytes. Expressions
are never evaluated: names, attributes (read from ``__dict__``) and constant subscripts of dicts
and lists are looked up, and nothing of the target's code is called but ``repr`` of an RLock
(C: names its owner) -- and of nothing else.
"""

from __future__ import annotations

import re
import sys
import time

from ... import threads
from ...connection import Connection

# Some stdlib modules are imported where they are used, not at the agent's start: each
# would enter the target's sys.modules. Annotations name them through this block only.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import ast

MAX_FRAMES = 200
MAX_SOURCE = 500_000  # bytes of a source file parsed (the GIL is held while the agent looks)
LIBRARY_MODULES = ("threading", "queue")


def _lock_kind(obj) -> str | None:
    """What kind of synchronisation object this is (None: not one), by type, never calling it."""
    import _thread

    t = type(obj)
    if t is _thread.LockType:
        return "lock"
    if t is type(_RLOCK):
        return "rlock"
    threading = sys.modules.get("threading")
    if threading is not None:
        for name, kind in (
            ("_RLock", "rlock"),
            ("Condition", "condition"),
            ("Event", "event"),
            ("BoundedSemaphore", "semaphore"),
            ("Semaphore", "semaphore"),
            ("Barrier", "barrier"),
            ("Thread", "thread"),
        ):
            cls = getattr(threading, name, None)
            if isinstance(cls, type) and isinstance(obj, cls):
                return kind
    queue = sys.modules.get("queue")
    if queue is not None:
        for name in ("Queue", "SimpleQueue"):
            cls = getattr(queue, name, None)
            if isinstance(cls, type) and isinstance(obj, cls):
                return "queue"
    return None


_RLOCK = __import__("_thread").RLock()


def _dict_of(obj):
    try:
        d = object.__getattribute__(obj, "__dict__")
    except Exception:
        return None
    return d if type(d) is dict else None


def _state(obj, kind: str) -> dict:
    """The object's state, read from its fields (and an RLock's repr)."""
    state: dict = {}
    try:
        if kind == "lock":
            state["locked"] = obj.locked()
        elif kind == "rlock":
            d = _dict_of(obj)
            if d is not None and "_owner" in d:  # threading._RLock (the Python one)
                state["owner"] = d["_owner"]
                state["locked"] = d["_owner"] is not None
            else:
                text = repr(obj)  # _thread.RLock: "<locked _thread.RLock object owner=140.. count=1 at 0x..>"
                owner = re.search(r"owner=(\d+)", text)
                state["owner"] = int(owner.group(1)) if owner and owner.group(1) != "0" else None
                state["locked"] = text.startswith("<locked")
        elif kind == "condition":
            d = _dict_of(obj) or {}
            inner = d.get("_lock")
            inner_kind = _lock_kind(inner)
            if inner_kind in ("lock", "rlock"):
                state.update(_state(inner, inner_kind))
            waiters = d.get("_waiters")
            state["waiters"] = len(waiters) if waiters is not None else None
        elif kind == "event":
            d = _dict_of(obj) or {}
            state["set"] = bool(d.get("_flag"))
        elif kind == "semaphore":
            d = _dict_of(obj) or {}
            state["value"] = d.get("_value")
        elif kind == "queue":
            d = _dict_of(obj)
            if d is not None and "queue" in d:
                state["size"] = len(d["queue"])
                state["maxsize"] = d.get("maxsize")
            else:  # SimpleQueue (C): qsize() is the type's own
                state["size"] = obj.qsize()
        elif kind == "thread":
            d = _dict_of(obj) or {}
            state["ident"] = d.get("_ident")
            state["thread_name"] = d.get("_name")
    except Exception as e:  # a state that cannot be read is said, never raised into the target
        state["error"] = f"{type(e).__name__}"
    return state


class _Sources:
    """Parsed source files, once per request."""

    def __init__(self):
        self._trees: dict = {}
        self._scopes: dict = {}

    def scope(self, code):
        """The function node of this code (once per code object and request)."""
        if code not in self._scopes:
            parsed = self.tree(code.co_filename)
            self._scopes[code] = None if parsed is None else _function_node(parsed[0], code)
        return self._scopes[code]

    def tree(self, filename: str):
        import ast
        import linecache

        if filename not in self._trees:
            self._trees[filename] = None
            lines = linecache.getlines(filename)
            text = "".join(lines)
            if text and len(text) <= MAX_SOURCE:
                try:
                    self._trees[filename] = (ast.parse(text), text)
                except (SyntaxError, ValueError):
                    pass
        return self._trees[filename]


def _function_node(tree, code):
    """The def whose code this is (by first line and name), or the module."""
    import ast

    first = code.co_firstlineno
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if start == first or node.lineno == first:
                return node
    return tree if code.co_name == "<module>" else None


def _own_nodes(scope):
    """The nodes of a function, not of the functions and classes defined inside it."""
    import ast

    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


_MISSING = object()


def _resolve(node, frame, depth: int = 0):
    """The object an expression names, looked up without running code; _MISSING if unknown."""
    import ast

    if depth > 8:
        return _MISSING
    if isinstance(node, ast.Name):
        f_locals = frame.f_locals
        if node.id in f_locals:
            return f_locals[node.id]
        if node.id in frame.f_globals:
            return frame.f_globals[node.id]
        return _MISSING
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, frame, depth + 1)
        if base is _MISSING:
            return _MISSING
        d = _dict_of(base)
        if d is not None and node.attr in d:
            return d[node.attr]
        return _MISSING
    if isinstance(node, ast.Subscript):
        base = _resolve(node.value, frame, depth + 1)
        key = node.slice
        if isinstance(key, ast.Index):  # 3.8 shape, kept for safety
            key = key.value  # type: ignore[attr-defined]
        if not isinstance(key, ast.Constant):
            return _MISSING
        try:
            if type(base) is dict:
                return base.get(key.value, _MISSING)
            if type(base) in (list, tuple) and type(key.value) is int:
                return base[key.value]
        except Exception:
            return _MISSING
    return _MISSING


def _describe(obj, kind: str, name: str) -> dict:
    return {"name": name, "type": type(obj).__qualname__, "kind": kind, "id": id(obj), **_state(obj, kind)}


def _segment(text: str, node) -> str:
    import ast

    return ast.get_source_segment(text, node) or "?"


def _frame_locks(frame, sources: _Sources, innermost: bool) -> tuple[list, dict | None]:
    """(locks this frame holds, the lock its current line takes if innermost) from its source."""
    import ast

    code = frame.f_code
    parsed = sources.tree(code.co_filename)
    if parsed is None:
        return [], None
    tree, text = parsed
    scope = sources.scope(code)
    if scope is None:
        return [], None
    line = frame.f_lineno
    held: list = []
    taking = None
    acquires: list[ast.Attribute] = []
    releases: list[ast.Attribute] = []
    for node in _own_nodes(scope):
        if isinstance(node, (ast.With, ast.AsyncWith)) and node.body:
            in_body = node.body[0].lineno <= line <= (node.end_lineno or node.lineno)
            on_line = node.lineno <= line < node.body[0].lineno
            for item in node.items:
                if not (in_body or (on_line and innermost)):
                    continue
                obj = _resolve(item.context_expr, frame)
                kind = _lock_kind(obj) if obj is not _MISSING else None
                if kind is None:
                    continue
                entry = _describe(obj, kind, _segment(text, item.context_expr))
                entry.update(how="with", line=item.context_expr.lineno)
                if in_body:
                    held.append(entry)
                elif item.context_expr.lineno == line or taking is None:
                    taking = entry
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "acquire":
                acquires.append(node.func)
            elif node.func.attr == "release":
                releases.append(node.func)
    for call in acquires:
        expr = _segment(text, call.value)
        if call.lineno < line:
            released = any(call.lineno < r.lineno <= line and _segment(text, r.value) == expr for r in releases)
            if released:
                continue
        elif not (call.lineno == line and innermost):
            continue
        obj = _resolve(call.value, frame)
        kind = _lock_kind(obj) if obj is not _MISSING else None
        if kind is None:
            continue
        entry = _describe(obj, kind, expr)
        entry.update(how="acquire()", line=call.lineno)
        if call.lineno < line:
            if entry.get("locked", True):
                held.append(entry)
        else:
            taking = entry
    return held, taking


def frame_qualname(frame) -> str:
    """co_qualname (3.11+); before, Class.method when the first argument's class (or the class
    itself, for a classmethod) has this code as that name, read from the classes' __dict__."""
    code = frame.f_code
    qualname = getattr(code, "co_qualname", None)
    if qualname is not None:
        return qualname
    if code.co_argcount:
        first = frame.f_locals.get(code.co_varnames[0], _MISSING)
        if first is not _MISSING:
            cls = first if isinstance(first, type) else type(first)
            for klass in cls.__mro__:
                found = klass.__dict__.get(code.co_name)
                if type(found) in (classmethod, staticmethod):
                    found = found.__func__  # type: ignore[union-attr]
                if type(found) is type(frame_qualname) and found.__code__ is code:
                    return f"{klass.__qualname__}.{code.co_name}"
    return code.co_name


def _source_line(filename: str, line: int) -> str:
    import linecache

    return linecache.getline(filename, line).strip()


def _thread_locks(frame, sources: _Sources) -> dict:
    chain: list = []
    while frame is not None and len(chain) < MAX_FRAMES:
        chain.append(frame)
        frame = frame.f_back
    chain.reverse()  # outermost first
    frames, held = [], []
    waiting = None
    library_from = len(chain)  # index of the outermost threading/queue frame under the last user frame
    for i in range(len(chain) - 1, -1, -1):
        if chain[i].f_globals.get("__name__") in LIBRARY_MODULES:
            library_from = i
        else:
            break
    user_last = library_from - 1
    for i, f in enumerate(chain):
        code = f.f_code
        entry = {
            "function": frame_qualname(f),
            "file": code.co_filename,
            "line": f.f_lineno,
            "code": _source_line(code.co_filename, f.f_lineno),
        }
        frames.append(entry)
        if i > user_last:
            continue
        frame_held, taking = _frame_locks(f, sources, innermost=i == user_last and library_from == len(chain))
        for lock in frame_held:
            lock.update(function=entry["function"], file=entry["file"])
        held.extend(frame_held)
        if taking is not None:
            taking.update(function=entry["function"], file=entry["file"], via=taking["how"])
            waiting = taking
    if library_from < len(chain) and user_last >= 0:
        lib = chain[library_from]
        user = chain[user_last]
        obj = lib.f_locals.get("self", _MISSING)
        kind = _lock_kind(obj) if obj is not _MISSING else None
        if kind is not None:
            name = _call_name(user, sources, lib.f_code.co_name) or type(obj).__name__
            waiting = _describe(obj, kind, name)
            ucode = user.f_code
            waiting.update(
                via=f"{type(obj).__name__}.{lib.f_code.co_name}",
                function=frame_qualname(user),
                file=ucode.co_filename,
                line=user.f_lineno,
            )
    return {"frames": frames, "held": held, "waiting": waiting}


def _call_name(frame, sources: _Sources, method: str) -> str | None:
    """How the user's line names the object whose ``method`` it calls (``jobs`` in ``jobs.get()``)."""
    import ast

    parsed = sources.tree(frame.f_code.co_filename)
    if parsed is None:
        return None
    tree, text = parsed
    scope = sources.scope(frame.f_code)
    if scope is None:
        return None
    for node in _own_nodes(scope):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.lineno == frame.f_lineno:
            if node.func.attr == method:
                return _segment(text, node.func.value)
    for node in _own_nodes(scope):
        if isinstance(node, (ast.With, ast.AsyncWith)) and node.lineno == frame.f_lineno:
            return _segment(text, node.items[0].context_expr)
    return None


def _cpu_seconds(ident: int) -> float | None:
    """The thread's CPU time (a thread at the same line that burns CPU is running)."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, OverflowError):
        return None


def thread_locks(connection: Connection) -> list:
    """One ``thread_locks`` record: every thread but the agent's, with its frames, waits and locks."""
    agent = connection.agent
    own = agent.own_thread_idents()
    current = {ident: frame for ident, frame in sys._current_frames().items() if ident not in own}
    described = threads.describe(list(current), known=dict(agent.threads))
    sources = _Sources()
    out = []
    try:
        for ident, frame in current.items():
            info = described[ident]
            entry = {
                "thread_id": ident,
                "name": info["name"],
                "native_id": info["native_id"],
                "main": info["main"],
                "cpu_s": _cpu_seconds(ident),
            }
            try:
                entry.update(_thread_locks(frame, sources))
            except Exception as e:  # one thread's frames that cannot be read do not lose the others
                entry.update(frames=[], held=[], waiting=None, error=f"{type(e).__name__}: {e}")
            out.append(entry)
    finally:
        del current
    out.sort(key=lambda t: (not t["main"], t["name"] or "", t["thread_id"]))
    return [{"kind": "thread_locks", "threads": out}]
