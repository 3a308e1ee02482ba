"""Names for Tab completion: modules, and what a module or class holds, read from the live
process (the client's prompt and the sidebar complete ``watch app.se<Tab>`` from here).

Read-only: ``sys.modules`` and ``__dict__``s only, no attribute access that could run code, no
import. Private names only when the prefix asks for them; the agent's own modules never.
"""

from __future__ import annotations

import sys
import types

MAX_CANDIDATES = 200
KINDS = ("function", "field", "class")  # module [class] method | module [class] field | module class


def _visible(name: str, prefix: str) -> bool:
    return isinstance(name, str) and name.startswith(prefix) and (prefix.startswith("_") or not name.startswith("_"))


def _names(namespace: dict, prefix: str, wanted) -> list:
    return [name for name, value in list(namespace.items()) if _visible(name, prefix) and wanted(value)]


def _is_function(value) -> bool:
    # isinstance only: hasattr could run a proxy's __getattr__ in the target
    return isinstance(value, (types.FunctionType, staticmethod, classmethod))


def _class_namespace(cls: type) -> dict:
    found: dict = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's own members are not what anyone observes
        found.update(klass.__dict__)
    return found


def candidates(kind: str, words: list) -> list:
    """``words``: the names typed so far (``module``, then ``class``...); the last is the prefix."""
    if kind not in KINDS or not words or not all(isinstance(w, str) for w in words):
        return []
    *before, prefix = words
    if not before:
        names = [m for m in list(sys.modules) if _visible(m, prefix) and not m.split(".")[0] == "flight_agent"]
        return sorted(names)[:MAX_CANDIDATES]
    module = sys.modules.get(before[0])
    namespace = getattr(module, "__dict__", None)
    if not isinstance(namespace, dict):
        return []
    if len(before) == 1:
        if kind == "class":
            wanted = lambda v: isinstance(v, type)  # noqa: E731
        elif kind == "function":
            wanted = lambda v: isinstance(v, type) or _is_function(v)  # noqa: E731
        else:
            wanted = lambda v: not isinstance(v, types.ModuleType)  # noqa: E731
        return sorted(_names(namespace, prefix, wanted))[:MAX_CANDIDATES]
    if len(before) == 2 and kind in ("function", "field"):
        cls = namespace.get(before[1])
        if not isinstance(cls, type):
            return []
        members = _class_namespace(cls)
        wanted = _is_function if kind == "function" else (lambda v: True)
        return sorted(_names(members, prefix, wanted))[:MAX_CANDIDATES]
    return []
