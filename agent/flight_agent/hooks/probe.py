"""The hook on an observed function, and the Call each observer sees.

The function's ``__code__`` is swapped for a small wrapper with the same free variables, so every
reference to the function object (callbacks, route tables, decorators) calls through it; the
wrapper reaches the probe through one of its own constants (put there after compiling), never
through the target's module globals. Removal puts the original code object back. For ``-nm`` the
outer function's code gets a wrapper in place of the nested function's code constant.

Why not ``sys.monitoring`` on 3.12+: measured on this project's observers (docs/benchmarks.md),
its two Python-level callbacks plus reading the arguments from ``frame.f_locals`` cost about
0.7 us more per call than the wrapper, and one mechanism on every version is simpler.

Observers must not raise: their errors are caught here, so nothing reaches the target's code
except the target's own return value or exception.
"""

from __future__ import annotations

import _thread
import sys
import time
import types

from ..errors import CommandError
from .locate import Site

_PLACEHOLDER = "__flight_probe_invoke__"
_lock = _thread.allocate_lock()
_probes: dict = {}  # code object -> Probe


class Call:
    """One call of an observed function, as observers see it."""

    __slots__ = (
        "site",
        "thread_id",
        "target",
        "args",
        "kwargs",
        "return_value",
        "exception",
        "cost_ms",
        "start",
        "state",
    )

    def __init__(self, site: Site, target, args: tuple, kwargs: dict):
        self.site = site
        self.thread_id = _thread.get_ident()
        self.target = target
        self.args = args
        self.kwargs = kwargs
        self.return_value = None
        self.exception: BaseException | None = None
        self.cost_ms = 0.0
        self.start = 0.0  # perf_counter at the start
        self.state: dict | None = None  # per-observer scratch space (trace keeps its tree here)

    def start_time(self) -> float:
        """Wall-clock start, for records: derived at the end, so the hot path needs no time.time()."""
        return time.time() - self.cost_ms / 1000.0


class Observer:
    """Base class: ``enter`` before the body runs, ``exit`` after it returned or raised."""

    wants_enter = False

    def enter(self, call: Call) -> None:
        pass

    def exit(self, call: Call) -> None:
        pass


def _split_target(site: Site, args: tuple) -> tuple:
    if site.bound_first and args:
        return args[0], args[1:]
    return None, args


def _positional_names(code: types.CodeType) -> tuple:
    return code.co_varnames[: code.co_argcount]


def _normalize(code: types.CodeType, args: tuple, kwargs: dict) -> tuple:
    """Positional parameters passed by keyword move into args, as the function's frame sees them:
    ``args`` in expressions is the same however the caller passed them."""
    if not kwargs:
        return args, kwargs
    names = _positional_names(code)
    if len(args) >= len(names) or names[len(args)] not in kwargs:
        return args, kwargs
    moved, kwargs = list(args), dict(kwargs)
    for name in names[len(args) :]:
        if name not in kwargs:
            break
        moved.append(kwargs.pop(name))
    return tuple(moved), kwargs


class Probe:
    def __init__(self, site: Site):
        self.site = site
        self.code = site.code
        self.observers: tuple = ()
        self.enter_observers: tuple = ()
        # Both lists in one tuple, replaced at once: a call reads them together, so an observer
        # that saw a call's enter always sees its exit (trace's profile function depends on it).
        self.snapshot: tuple = ((), ())
        self.wrapper_code: types.CodeType | None = None

    @staticmethod
    def _enter(observers: tuple, call: Call) -> None:
        for observer in observers:
            try:
                observer.enter(call)
            except Exception:
                pass  # an observer's failure never reaches the target

    @staticmethod
    def _exit(observers: tuple, call: Call) -> None:
        for observer in observers:
            try:
                observer.exit(call)
            except Exception:
                pass  # an observer's failure never reaches the target

    def set_observers(self, observers: tuple) -> None:
        self.observers = observers
        self.enter_observers = tuple(o for o in observers if o.wants_enter)
        self.snapshot = (observers, self.enter_observers)

    # -- every version (3.9-3.14): the wrapper ------------------------------------------------------
    def install_wrapper(self) -> None:
        func = self.site.func
        original = func.__code__
        self.original_function = types.FunctionType(
            original, func.__globals__, func.__name__, func.__defaults__, func.__closure__
        )
        self.original_function.__kwdefaults__ = func.__kwdefaults__
        self.wrapper_code = _wrapper_code(original, self.invoke_async if self.site.is_async else self.invoke)
        func.__code__ = self.wrapper_code

    def remove_wrapper(self) -> None:
        if self.site.func is None:
            return self.remove_nested_wrapper()
        func = self.site.func
        if func.__code__ is self.wrapper_code:
            func.__code__ = self.original_function.__code__
        # else: someone replaced __code__ after us; theirs stays (it may call ours, which now passes through)

    # -- -nm, every version: the outer function makes wrapper functions instead of the nested one -
    def install_nested_wrapper(self) -> None:
        outer = self.site.outer
        if self.site.code not in outer.__code__.co_consts:
            raise CommandError(f"{self.site.name}: the outer function is itself observed; stop that first")
        invoke = self.invoke_nested_async if self.site.is_async else self.invoke_nested
        self.wrapper_code = _nested_wrapper_code(self.site.code, invoke)
        self.outer_original = outer.__code__
        consts = tuple(self.wrapper_code if c is self.site.code else c for c in outer.__code__.co_consts)
        self.outer_patched = outer.__code__.replace(co_consts=consts)
        self.globals = outer.__globals__
        outer.__code__ = self.outer_patched

    def remove_nested_wrapper(self) -> None:
        outer = self.site.outer
        if outer.__code__ is self.outer_patched:
            outer.__code__ = self.outer_original

    def _nested_function(self, cells):
        return types.FunctionType(self.code, self.globals, self.code.co_name, None, cells.__closure__)

    def invoke_nested(self, args: tuple, kwargs: dict, cells):
        return self.call_observed(self._nested_function(cells), args, kwargs)

    async def invoke_nested_async(self, args: tuple, kwargs: dict, cells):
        return await self.call_observed_async(self._nested_function(cells), args, kwargs)

    def _begin(self, args: tuple, kwargs: dict, entering: tuple) -> Call:
        args, kwargs = _normalize(self.code, args, kwargs)
        target, args = _split_target(self.site, args)
        call = Call(self.site, target, args, kwargs)
        if entering:
            self._enter(entering, call)
        return call

    def invoke(self, args: tuple, kwargs: dict):
        return self.call_observed(self.original_function, args, kwargs)

    async def invoke_async(self, args: tuple, kwargs: dict):
        return await self.call_observed_async(self.original_function, args, kwargs)

    def call_observed(self, function, args: tuple, kwargs: dict):
        observers, entering = self.snapshot
        if not observers:
            return function(*args, **kwargs)
        call = self._begin(args, kwargs, entering)
        start = time.perf_counter()
        try:
            call.return_value = function(*args, **kwargs)
            return call.return_value
        except BaseException as e:
            call.exception = e
            raise
        finally:
            call.cost_ms = (time.perf_counter() - start) * 1000.0
            self._exit(observers, call)

    async def call_observed_async(self, function, args: tuple, kwargs: dict):
        observers, entering = self.snapshot
        if not observers:
            return await function(*args, **kwargs)
        call = self._begin(args, kwargs, entering)
        start = time.perf_counter()
        try:
            call.return_value = await function(*args, **kwargs)
            return call.return_value
        except BaseException as e:
            call.exception = e
            raise
        finally:
            call.cost_ms = (time.perf_counter() - start) * 1000.0
            self._exit(observers, call)


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


def _wrapper_code(original: types.CodeType, invoke) -> types.CodeType:
    """The wrapper of a function: ``(*args, **kwargs)`` handed to ``invoke(args, kwargs)``."""
    return _build_wrapper(original, "*args, **kwargs", "__flight_invoke(args, kwargs)", invoke)


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


def _nested_wrapper_code(original: types.CodeType, invoke) -> types.CodeType:
    """The wrapper of a nested function: the same signature (so the defaults MAKE_FUNCTION gives
    it apply), and its closure cells passed through a lambda over the same variables, from which
    the original function is rebuilt."""
    parameters, args, kwargs = _signature(original)
    freevars = original.co_freevars
    cells = f"lambda: ({', '.join(freevars)},)" if freevars else "lambda: None"
    return _build_wrapper(original, parameters, f"__flight_invoke({args}, {kwargs}, {cells})", invoke)


# -- the registry --------------------------------------------------


def _key(code: types.CodeType) -> types.CodeType:
    """The original code object, also when the function's __code__ is currently our wrapper."""
    for probe in _probes.values():
        if probe.wrapper_code is code:
            return probe.code
    return code


def add_observer(site: Site, observer: Observer) -> types.CodeType:
    """Start observing; returns the key to give remove_observer."""
    with _lock:
        key = _key(site.code)
        probe = _probes.get(key)
        if probe is None:
            probe = Probe(site)
            probe.set_observers((observer,))
            if site.func is None:
                probe.install_nested_wrapper()
            else:
                probe.install_wrapper()
            _probes[site.code] = probe
            return site.code
        probe.set_observers(probe.observers + (observer,))
        return key


def remove_observer(key: types.CodeType, observer: Observer) -> None:
    with _lock:
        probe = _probes.get(key)
        if probe is None or observer not in probe.observers:
            return
        probe.set_observers(tuple(o for o in probe.observers if o is not observer))
        if probe.observers:
            return
        del _probes[key]
        probe.remove_wrapper()


def active_sites() -> list:
    return [p.site.name for p in _probes.values()]


def remove_all() -> None:
    """Detach: every probe goes, whoever owned it."""
    for key, probe in list(_probes.items()):
        for observer in probe.observers:
            remove_observer(key, observer)
