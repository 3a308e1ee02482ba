"""Find modules, classes and fields in the target without side effects.

Modules are looked up in ``sys.modules`` only: flight never imports a module of the target (that
would run its import-time code). Module globals are read from the module's ``__dict__``, so a
module-level ``__getattr__`` (often a lazy import) is never triggered.
"""

from __future__ import annotations

import sys
import types

from .errors import CommandError


class LookupFailure(CommandError):
    """A module, class or field that is not there; the message says which."""


def find_module(name: str) -> types.ModuleType:
    module = sys.modules.get(name)
    if module is None:
        raise LookupFailure(f"module {name!r} is not imported in the target (flight never imports modules)")
    return module


def find_global(module: types.ModuleType, name: str):
    d = getattr(module, "__dict__", {})
    if name not in d:
        head, dot, rest = name.partition(".")
        if dot and head in d:  # app.config: a part of a global is an expression on it
            first, _, more = rest.partition(".")
            # a dict's key reads as an item; anything else as an attribute
            expr = f"target[{first!r}]" if isinstance(d[head], dict) else f"target.{first}"
            expr += f".{more}" if more else ""
            raise LookupFailure(
                f"module {module.__name__!r} has no global named {name!r}; for a part of the"
                f' global {head!r}: getglobal {module.__name__} {head} -e "{expr}"'
            )
        raise LookupFailure(f"module {module.__name__!r} has no global named {name!r}")
    return d[name]


def find_class(module_name: str, class_name: str) -> type:
    module = find_module(module_name)
    obj = module
    for part in class_name.split("."):  # nested classes: Outer.Inner
        d = getattr(obj, "__dict__", {})
        if part not in d:
            raise LookupFailure(f"no class named {class_name!r} in module {module_name!r}")
        obj = d[part]
    if not isinstance(obj, type):
        raise LookupFailure(f"{module_name}.{class_name} is a {type(obj).__name__}, not a class")
    return obj


def find_class_field(cls: type, name: str):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            value = klass.__dict__[name]
            # staticmethod/classmethod objects: show what attribute access would give.
            if isinstance(value, (staticmethod, classmethod)):
                return getattr(cls, name)
            return value
    raise LookupFailure(f"class {cls.__qualname__!r} has no field named {name!r}")
