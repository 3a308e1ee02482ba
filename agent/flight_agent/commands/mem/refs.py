"""``mem refs module class``: who keeps instances alive, as paths a user would write.

A breadth-first walk forward from the roots a user recognises (every module but the agent's, and
every frame on the target's threads), through ``gc.get_referents``, so the first chains that
reach an instance of the class (subclasses too) are the shortest. The walk keeps ids and parent
ids only (the frontier alone holds references, and only while the walk runs); a chain is then
re-walked from its root, each step checked against the object's referents (an object freed or
moved meanwhile drops its chain) and named: ``app.cache._SESSIONS[1234]``, ``app.Store.items``,
``thread MainThread handle() local 'req'``, ``make.<locals>.f closure 'x'``.

Bounded: at most DEPTH steps, TIME_LIMIT_S seconds, and N chains.
"""

from __future__ import annotations

import _thread
import gc
import sys
import time
import types

from ..vmtool import subclasses
from .walk import type_label

TIME_LIMIT_S = 20.0
_AGENT = "flight_agent"


def _roots() -> list:
    roots: list = []
    for name, module in list(sys.modules.items()):
        if isinstance(module, types.ModuleType) and not (name == _AGENT or name.startswith(_AGENT + ".")):
            roots.append((f"{name}", module, "module global"))
    # the target's threading if it has it: importing it here would change how its threads are named
    threading = sys.modules.get("threading")
    names = {t.ident: t.name for t in threading.enumerate()} if threading is not None else {}
    me = _thread.get_ident()
    for ident, frame in sys._current_frames().items():
        if ident == me:
            continue
        thread = names.get(ident, f"thread {ident}")
        f: types.FrameType | None = frame
        while f is not None:
            code = f.f_code
            # a module's own code: its locals are the module's globals, named from the module
            if not code.co_filename.startswith("<frozen") and code.co_name != "<module>":
                label = f"thread {thread} {code.co_name}() ({code.co_filename}:{f.f_lineno})"
                roots.append((label, f, "thread frame local"))
            f = f.f_back
        del frame, f
    return roots


def referents(obj) -> list:
    """What obj refers to; a running frame's locals too (3.11+ does not traverse them)."""
    if isinstance(obj, types.ModuleType):  # its globals, with no dict between (one step)
        return list(getattr(obj, "__dict__", {}).values())
    if isinstance(obj, type):  # its attributes, with no dict between, then its bases and mro
        attributes = type.__dict__["__dict__"].__get__(obj)
        return list(attributes.values()) + [r for r in gc.get_referents(obj) if type(r) is not dict]
    if type(obj) is types.FrameType:
        found = list(obj.f_locals.values())
        if obj.f_back is not None:
            found.append(obj.f_back)
        return found
    return gc.get_referents(obj)


def _identifier(key) -> bool:
    return isinstance(key, str) and key.isidentifier()


def _step(parent, child, attributes: bool) -> tuple:
    """(text, child is an attribute dict, kind) for one edge."""
    if isinstance(parent, types.ModuleType):
        for key, value in list(getattr(parent, "__dict__", {}).items()):
            if value is child:
                return (f".{key}" if _identifier(key) else f".__dict__[{key!r}]"), False, None
        return " (a global)", False, None
    if isinstance(parent, type):
        for key, value in list(type.__dict__["__dict__"].__get__(parent).items()):
            if value is child:
                return (f".{key}" if _identifier(key) else f".__dict__[{key!r}]"), False, None
    if isinstance(parent, dict):
        for key, value in list(parent.items()):
            if value is child:
                if attributes and _identifier(key):
                    return f".{key}", False, None
                return f"[{key!r}]", False, None
            if key is child:
                return f" key {key!r}", False, None
        return " (a value)", False, None
    if type(parent) in (list, tuple):
        for index, value in enumerate(parent):
            if value is child:
                return f"[{index}]", False, None
    if isinstance(parent, (set, frozenset)):
        return " (an item)", False, None
    if isinstance(parent, types.FrameType):
        for name, value in list(parent.f_locals.items()):
            if value is child:
                return f" local {name!r}", False, None
        if child is parent.f_back:
            return " (caller)", False, None
        return " (in the frame)", False, None
    if isinstance(parent, types.FunctionType):
        if child is parent.__closure__:
            return " closure", False, "closure"
        if child is parent.__defaults__:
            return ".__defaults__", False, None
        if child is parent.__globals__:
            return ".__globals__", True, None
    if isinstance(parent, types.CellType):
        return "", False, None
    if isinstance(parent, type) and type(child) is tuple:
        return ".__mro__" if child is parent.__mro__ else ".__bases__", False, None
    if isinstance(parent, types.MethodType):
        return (".__self__" if child is parent.__self__ else ".__func__"), False, None
    d = getattr(parent, "__dict__", None) if not isinstance(parent, type) else None
    if d is child:
        return "", True, None
    if isinstance(d, dict):  # 3.12+: an instance's values without a dict object between
        for key, value in list(d.items()):
            if value is child:
                return (f".{key}" if _identifier(key) else f".__dict__[{key!r}]"), False, None
    for klass in type(parent).__mro__:
        for slot in (
            klass.__dict__.get("__slots__", ())
            if isinstance(klass.__dict__.get("__slots__", ()), (tuple, list))
            else ()
        ):
            try:
                if getattr(parent, slot) is child:
                    return f".{slot}", False, None
            except AttributeError:
                continue
    return f" -> {type_label(type(child))}", False, None


def _name(root_label: str, kind: str, path: list) -> tuple | None:
    """path: the objects from the root to the instance. (text, kind) or None if a step is gone."""
    text, attributes, previous = root_label, False, None
    for index in range(1, len(path)):
        parent, child = path[index - 1], path[index]
        step, attributes, step_kind = _step(parent, child, attributes)
        if isinstance(previous, types.FunctionType) and step_kind is None and type(parent) is tuple:
            code = previous.__code__  # closure tuple: the index names a free variable
            try:
                position = next(i for i, c in enumerate(parent) if c is child)
                step = f" {code.co_freevars[position]!r}"
            except (StopIteration, IndexError):
                pass
        if isinstance(parent, type) and kind == "module global":
            kind = "class attribute"
        if step_kind:
            kind = step_kind
        text += step
        previous = parent
    return text, kind


def search(cls: type, label: str, count: int, depth: int) -> dict:
    started = time.monotonic()
    wanted = set(subclasses(cls))
    wanted_ids = {id(t) for t in wanted}
    # one C call (instances of a Python class refer to it); never a list of every object held
    # while other threads run
    referrers = gc.get_referrers(*wanted)
    instances = sum(1 for o in referrers if id(type(o)) in wanted_ids)
    del referrers
    parent: dict = {}  # id -> parent id (None: a root)
    root_of: dict = {}  # root id -> (label, kind)
    frontier: list = []
    roots = _roots()
    for root_label, obj, kind in roots:
        if id(obj) not in parent:
            parent[id(obj)] = None
            root_of[id(obj)] = (root_label, kind)
            frontier.append(obj)
    own = {id(parent), id(root_of), id(frontier)}
    found: list = []  # ids of instances reached
    cut = None
    level = 0
    is_tracked = gc.is_tracked
    while frontier and len(found) < count and cut is None:
        if level >= depth:
            cut = "depth"
            break
        level += 1
        following: list = []
        own.add(id(following))
        for n, obj in enumerate(frontier):
            if n & 1023 == 0 and time.monotonic() - started > TIME_LIMIT_S:
                cut = "time"
                break
            if type(obj) in wanted:
                continue  # reached: its own referents are not the question
            # tuples and frozensets are expanded at once, never kept in the frontier: C code that
            # fills one needs its only reference (else SystemError), and other threads run
            # while this walk does
            todo = [(obj, referents(obj))]
            while todo and len(found) < count:
                holder, items = todo.pop()
                for r in items:
                    i = id(r)
                    if i in parent or i in own or not (is_tracked(r) or id(type(r)) in wanted_ids):
                        continue
                    parent[i] = id(holder)
                    if id(type(r)) in wanted_ids:
                        found.append(i)
                        if len(found) >= count:
                            break
                    if isinstance(r, (tuple, frozenset)):
                        todo.append((r, gc.get_referents(r)))
                    else:
                        following.append(r)
                del holder, items
            del todo
            if len(found) >= count:
                break
        frontier = following
    del frontier
    chains = []
    for target in found[:count]:
        ids = [target]
        while parent.get(ids[-1]) is not None:
            ids.append(parent[ids[-1]])
        ids.reverse()
        root_label, kind = root_of.get(ids[0], ("?", "?"))
        path = _resolve(ids, roots)
        if path is None:
            continue
        named = _name(root_label, kind, path)
        if named is not None:
            chains.append(
                {"path": named[0], "root": named[1], "length": len(path) - 1, "type": type_label(type(path[-1]))}
            )
        del path
    parent.clear()
    root_of.clear()
    del roots
    return {
        "kind": "mem_refs",
        "target": label,
        "instances": instances,
        "chains": chains,
        "depth": depth,
        "cut": cut,
        "seconds": round(time.monotonic() - started, 3),
    }


def _resolve(ids: list, roots: list) -> list | None:
    """The objects along ids, from the root, each step found again among its parent's referents."""
    first = None
    for _label, obj, _kind in roots:
        if id(obj) == ids[0]:
            first = obj
            break
    if first is None:
        return None
    path = [first]
    for i in ids[1:]:
        step = next((r for r in referents(path[-1]) if id(r) == i), None)
        if step is None:
            return None
        path.append(step)
    return path
