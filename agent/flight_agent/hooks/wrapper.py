"""The fallback hook: the function's ``__code__`` swapped for a small wrapper that calls it.

Used only where the invisible hooks cannot be (probe.py says when: on 3.12+ no free
``sys.monitoring`` tool id, on 3.9/3.10 a function already nesting many blocks). The wrapper is a
frame of its own, so the target's tracebacks and caller lookups see ``<flight probe>`` and the
probe's frames while a call runs: the stream's first message says so.

The wrapper has the same free variables as the function and reaches the probe through one of its
own constants (put there after compiling), never through the target's module globals. For ``-nm``
the outer function's code gets a wrapper code object in place of the nested one's (same
signature, so default values still apply; the closure cells come through a lambda over the same
variables). Removal puts the original code object back.
"""

from __future__ import annotations

import sys
import types

from ..errors import CommandError

_PLACEHOLDER = "__flight_probe_invoke__"


def _normalize(code: types.CodeType, args: tuple, kwargs: dict) -> tuple:
    """Positional parameters passed by keyword move into args, as the function's frame sees them."""
    if not kwargs:
        return args, kwargs
    names = code.co_varnames[: code.co_argcount]
    if len(args) >= len(names) or names[len(args)] not in kwargs:
        return args, kwargs
    moved, kwargs = list(args), dict(kwargs)
    for name in names[len(args) :]:
        if name not in kwargs:
            break
        moved.append(kwargs.pop(name))
    return tuple(moved), kwargs


class WrapperHook:
    visible = True
    stop = None  # the wrapper calls the function: a profile function sees it start as usual
    root_frame_known = False

    def __init__(self, probe):
        self.probe = probe
        self.site = probe.site
        self.installed_code: types.CodeType | None = None  # what we put in place (for the registry)

    # -- install / remove ---------------------------------------------------------------------------
    def install(self) -> None:
        if self.site.func is None:
            return self._install_nested()
        func = self.site.func
        original = func.__code__
        self.original_function = types.FunctionType(
            original, func.__globals__, func.__name__, func.__defaults__, func.__closure__
        )
        self.original_function.__kwdefaults__ = func.__kwdefaults__
        invoke = self.invoke_async if self.site.is_async else self.invoke
        self.installed_code = _build_wrapper(original, "*args, **kwargs", "__flight_invoke(args, kwargs)", invoke)
        func.__code__ = self.installed_code

    def remove(self) -> None:
        if self.site.func is None:
            outer = self.site.outer
            if outer.__code__ is getattr(self, "outer_patched", None):
                outer.__code__ = self.outer_original
            return
        func = self.site.func
        if self.installed_code is not None and func.__code__ is self.installed_code:
            func.__code__ = self.original_function.__code__
        # else: someone replaced __code__ after us; theirs stays (it may call ours, which now passes through)

    def _install_nested(self) -> None:
        outer = self.site.outer
        if self.site.code not in outer.__code__.co_consts:
            raise CommandError(f"{self.site.name}: the outer function is itself observed; stop that first")
        invoke = self.invoke_nested_async if self.site.is_async else self.invoke_nested
        parameters, args, kwargs = _signature(self.site.code)
        freevars = self.site.code.co_freevars
        cells = f"lambda: ({', '.join(freevars)},)" if freevars else "lambda: None"
        self.installed_code = _build_wrapper(
            self.site.code, parameters, f"__flight_invoke({args}, {kwargs}, {cells})", invoke
        )
        self.outer_original = outer.__code__
        consts = tuple(self.installed_code if c is self.site.code else c for c in outer.__code__.co_consts)
        self.outer_patched = outer.__code__.replace(co_consts=consts)
        self.globals = outer.__globals__
        outer.__code__ = self.outer_patched

    # -- calls --------------------------------------------------------------------------------------
    def _nested_function(self, cells):
        code = self.site.code
        return types.FunctionType(code, self.globals, code.co_name, None, cells.__closure__)

    def invoke(self, args: tuple, kwargs: dict):
        return self.call(self.original_function, args, kwargs)

    async def invoke_async(self, args: tuple, kwargs: dict):
        return await self.call_async(self.original_function, args, kwargs)

    def invoke_nested(self, args: tuple, kwargs: dict, cells):
        return self.call(self._nested_function(cells), args, kwargs)

    async def invoke_nested_async(self, args: tuple, kwargs: dict, cells):
        return await self.call_async(self._nested_function(cells), args, kwargs)

    def call(self, function, args: tuple, kwargs: dict):
        probe = self.probe
        if not probe.observers:
            return function(*args, **kwargs)
        call = probe.begin_passed(*_normalize(self.site.code, args, kwargs))
        if call is None:
            return function(*args, **kwargs)
        try:
            value = function(*args, **kwargs)
        except BaseException as e:
            probe.end(call, None, e)
            raise
        probe.end(call, value, None)
        return value

    async def call_async(self, function, args: tuple, kwargs: dict):
        probe = self.probe
        if not probe.observers:
            return await function(*args, **kwargs)
        call = probe.begin_passed(*_normalize(self.site.code, args, kwargs))
        if call is None:
            return await function(*args, **kwargs)
        try:
            value = await function(*args, **kwargs)
        except BaseException as e:
            probe.end(call, None, e)
            raise
        probe.end(call, value, None)
        return value


def _build_wrapper(original: types.CodeType, parameters: str, call: str, invoke) -> types.CodeType:
    """Compile ``def <name>(<parameters>): return <call>`` with the original's free variables,
    where ``call`` calls the local ``__flight_invoke``: a placeholder string constant that is then
    replaced by ``invoke`` (loaded into a local, so the compiler neither folds nor warns about it)."""
    freevars = original.co_freevars
    keep = f"        if 0:\n            {', '.join(freevars)}\n" if freevars else ""
    is_async = bool(original.co_flags & 0x80)
    assignments = "".join(f"    {name} = None\n" for name in freevars)
    source = (
        f"def _outer():\n{assignments}"
        f"    {'async ' if is_async else ''}def {original.co_name}({parameters}):\n{keep}"
        f"        __flight_invoke = {_PLACEHOLDER!r}\n"
        f"        return {'await ' if is_async else ''}{call}\n"
        f"    return {original.co_name}\n"
    )
    namespace: dict = {}
    exec(compile(source, "<flight probe>", "exec", dont_inherit=True), namespace)
    inner = next(c for c in namespace["_outer"].__code__.co_consts if isinstance(c, types.CodeType))
    if _PLACEHOLDER not in inner.co_consts or inner.co_freevars != freevars:
        raise RuntimeError(f"cannot build an observation wrapper for {original.co_name}")
    consts = tuple(invoke if (type(c) is str and c == _PLACEHOLDER) else c for c in inner.co_consts)
    if sys.version_info >= (3, 11):
        return inner.replace(co_consts=consts, co_qualname=original.co_qualname)
    return inner.replace(co_consts=consts)


def _signature(code: types.CodeType) -> tuple:
    """(parameter list, args expression, kwargs expression) mirroring a code object's signature,
    so that the defaults MAKE_FUNCTION gives the wrapper apply exactly as to the original."""
    names = code.co_varnames
    n, kwonly = code.co_argcount, code.co_kwonlyargcount
    positional = list(names[:n])
    params = []
    for i, name in enumerate(positional):
        params.append(name)
        if code.co_posonlyargcount and i == code.co_posonlyargcount - 1:
            params.append("/")
    index = n + kwonly
    star = starstar = None
    if code.co_flags & 0x04:
        star = names[index]
        index += 1
    if code.co_flags & 0x08:
        starstar = names[index]
    keyword = list(names[n : n + kwonly])
    if star:
        params.append("*" + star)
    elif keyword:
        params.append("*")
    params.extend(keyword)
    if starstar:
        params.append("**" + starstar)
    args = "(" + "".join(f"{p}, " for p in positional) + ")" + (f" + {star}" if star else "")
    kwargs = "{" + ", ".join(f"{k!r}: {k}" for k in keyword) + (f", **{starstar}" if starstar else "") + "}"
    return ", ".join(params), args, kwargs
