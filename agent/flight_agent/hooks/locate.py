"""Find the function a command observes: ``module [class] method [-nm nested]``.

Nothing is imported: modules come from ``sys.modules`` (lookup.py). Class members are read from
the class ``__dict__`` along the MRO, so classmethods and staticmethods are seen as what they are.
A nested function (``-nm``, one level) is the code object of that name among the outer
function's constants: every function object made from it is observed.
"""

from __future__ import annotations

import types

from ..lookup import LookupFailure, find_class, find_global, find_module

CO_COROUTINE = 0x80
CO_GENERATOR = 0x20
CO_ASYNC_GENERATOR = 0x200


class Site:
    """What is observed: a code object, the function object holding it (None for -nm), and
    whether its first parameter is the instance or class (``target`` in expressions)."""

    def __init__(
        self, name: str, code: types.CodeType, func, bound_first: bool, module: str, owner: str | None, outer=None
    ):
        self.name = name  # module.Class.method[.nested], for the user
        self.code = code
        self.func = func
        self.outer = outer  # for -nm: the function whose code makes the nested one
        self.bound_first = bound_first
        self.module = module
        self.owner = owner
        self.is_async = bool(code.co_flags & CO_COROUTINE)
        if code.co_flags & (CO_GENERATOR | CO_ASYNC_GENERATOR):
            raise LookupFailure(f"{name} is a generator function: observing generators is not supported")


def _member(cls: type, name: str):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    raise LookupFailure(f"class {cls.__qualname__!r} has no method named {name!r}")


def locate(module_name: str, class_name: str | None, method_name: str, nested: str | None = None) -> Site:
    owner = None
    if class_name:
        cls = find_class(module_name, class_name)
        raw = _member(cls, method_name)
        owner = class_name
        if isinstance(raw, staticmethod):
            func, bound_first = raw.__func__, False
        elif isinstance(raw, classmethod):
            func, bound_first = raw.__func__, True
        else:
            func, bound_first = raw, True
        where = f"{module_name}.{class_name}.{method_name}"
    else:
        func, bound_first = find_global(find_module(module_name), method_name), False
        where = f"{module_name}.{method_name}"
    if not isinstance(func, types.FunctionType):
        kind = type(func).__name__
        raise LookupFailure(
            f"{where} is a {kind}, not a Python function: only functions written in Python can be observed"
        )
    if nested is None:
        return Site(where, func.__code__, func, bound_first, module_name, owner)
    for const in func.__code__.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == nested:
            return Site(f"{where}.{nested}", const, None, False, module_name, owner, outer=func)
    raise LookupFailure(f"{where} has no nested function named {nested!r}")
