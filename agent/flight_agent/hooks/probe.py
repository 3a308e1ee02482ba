"""The hook on an observed function, and the Call each observer sees.

One Probe per observed code object, shared by every observer (watch, trace, tt, monitor, any
client). How it hooks the function, least visible first (docs/commands.md says what remains):

- CPython 3.12+: ``sys.monitoring`` events on that code object (monitoring.py). Nothing of the
  function changes, and nothing of ours is on its stack while its code runs.
- CPython 3.9-3.11: calls to the probe from inside a copy of its code object (codehook.py,
  rewrite.py): no frame between the function and its caller either, tracebacks unchanged.
- Otherwise (no free monitoring tool id; a function that nests too many blocks for the copy): a
  wrapper code object (wrapper.py), one frame of its own; the stream's first message says so.

When a call starts, the hook (native/observe.c; hooks/calls.py without the native library)
reads the probe's ``plan`` and keeps a record of the call by its frame: with no observer to run
then, only the parameters' values, start time and thread (no Python runs); otherwise the Call
that ``Probe.begin`` made after the observers' ``enter``. When it ends, ``finish`` gets the
record and runs the observers' ``exit``. A call reads its observers once, at the start, so an
observer that saw a call start sees it end. Observers must not raise: their errors are caught
here, so nothing reaches the target's code except the target's own return value or exception.
Removal leaves the function exactly as it was (the same code object).
"""

from __future__ import annotations

import _thread
import operator
import time
import types

from .. import forksafe
from ..errors import CommandError
from . import monitoring
from .codehook import CodeHook, original_code
from .locate import Site
from .wrapper import WrapperHook

CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
_lock = _thread.allocate_lock()
_probes: dict = {}  # original code object -> Probe
_perf_counter = time.perf_counter
_get_ident = _thread.get_ident


class Call:
    """One call of an observed function, as observers see it. Made by ``new_call`` (or field by
    field in ``finish``): a class without ``__init__`` is made at a fraction of the cost."""

    __slots__ = (
        "site",
        "probe",
        "observers",
        "thread_id",
        "target",
        "args",
        "kwargs",
        "return_value",
        "exception",
        "cost_ms",
        "start",
        "state",
        "frame",
    )

    site: Site
    probe: Probe | None
    observers: tuple
    thread_id: int
    target: object
    args: tuple
    kwargs: dict
    return_value: object
    exception: BaseException | None
    cost_ms: float
    start: float  # perf_counter at the start (calls made by Probe.begin and the wrapper)
    state: dict | None  # per-observer scratch space (trace keeps its tree here)
    frame: object  # the observed frame while observers enter (None with the wrapper)

    def start_time(self) -> float:
        """Wall-clock start, for records: derived at the end, so the hot path needs no time.time()."""
        return time.time() - self.cost_ms / 1000.0


def new_call(site: Site, target, args: tuple, kwargs: dict, probe: Probe | None = None, observers: tuple = ()) -> Call:
    call = Call()
    call.site, call.probe, call.observers, call.thread_id = site, probe, observers, _get_ident()
    call.target, call.args, call.kwargs = target, args, kwargs
    call.return_value = call.exception = call.state = call.frame = None
    call.cost_ms = call.start = 0.0
    return call


class Observer:
    """Base class: ``enter`` before the body runs, ``exit`` after it returned or raised.

    ``needs_args``: whether ``target``, ``args`` and ``kwargs`` are read (monitor's are not, so
    its calls skip reading them)."""

    wants_enter = False
    needs_args = True

    def enter(self, call: Call) -> None:
        pass

    def exit(self, call: Call) -> None:
        pass


def _reader(names: tuple):
    """A function of a frame's locals mapping that returns the values of ``names`` as a tuple."""
    if len(names) > 1:
        return operator.itemgetter(*names)
    if names:
        name = names[0]
        return lambda mapping: (mapping[name],)
    return lambda mapping: ()


class Parameters:
    """How a code object's parameter values become ``target``, ``args`` and ``kwargs``: args are
    the positional parameters (then ``*args``), kwargs the keyword-only ones (then ``**kwargs``),
    as the frame sees them when the call starts; ``target`` is the first for methods."""

    def __init__(self, code: types.CodeType, bound_first: bool):
        n, k = code.co_argcount, code.co_kwonlyargcount
        star, starstar = bool(code.co_flags & CO_VARARGS), bool(code.co_flags & CO_VARKEYWORDS)
        self.names = code.co_varnames[: n + k + star + starstar]
        self.read = _reader(self.names)
        self.n = n
        self.keyword = code.co_varnames[n : n + k]
        self.star = n + k if star else None
        self.starstar = n + k + star if starstar else None
        self.simple = not (k or star or starstar)
        self.bound_first = bound_first

    def split(self, values: tuple) -> tuple:
        """(target, args, kwargs) of a call whose parameters are not all plain positional ones."""
        n = self.n
        args = values[:n] + values[self.star] if self.star is not None else values[:n]
        kwargs = dict(zip(self.keyword, values[n : n + len(self.keyword)]))
        if self.starstar is not None:
            kwargs.update(values[self.starstar])
        if self.bound_first and args:
            return args[0], args[1:], kwargs
        return None, args, kwargs


class Probe:
    """The observation of one code object. Its ``plan`` is what the hooks read when a call starts
    (native/observe.c, or calls.py where the native library is missing): ``[snapshot, finish,
    open]``, with ``snapshot = (parameter names or None, begin or None, observers, self)`` replaced
    at once when observers change, and ``open`` the calls running, by frame."""

    def __init__(self, site: Site):
        self.site = site
        self.code = site.code
        self.parameters = Parameters(site.code, site.bound_first)
        self.observers: tuple = ()
        self.plan: list = [(None, None, (), self), finish, {}]
        self.hook: monitoring.MonitoringHook | CodeHook | WrapperHook | None = None
        self.fallback_reason: str | None = None  # why the wrapper (which the target sees) is used

    def set_observers(self, observers: tuple) -> None:
        entering = any(o.wants_enter for o in observers)
        names = self.parameters.names if any(o.needs_args for o in observers) else None
        self.plan[0] = (names, self.begin if entering else None, observers, self)
        self.observers = observers

    @property
    def visible(self) -> bool:
        return self.hook is not None and self.hook.visible

    # -- called by the hooks, on the target's threads ---------------------------------------------
    def arguments(self, values: tuple | None) -> tuple:
        """(target, args, kwargs) from the parameters' values (None: nobody reads them)."""
        parameters = self.parameters
        if values is None:
            return None, (), {}
        if not parameters.simple:
            return parameters.split(values)
        if parameters.bound_first and values:
            return values[0], values[1:], {}
        return None, values, {}

    def begin(self, frame, values: tuple | None) -> Call | None:
        """A call starts and an observer enters (trace): the record is a Call, made now.
        ``values``: the parameters' values, or None to read them from ``frame``."""
        names, _, observers, _ = self.plan[0]
        if not observers:
            return None
        if names is not None and values is None:
            values = self.parameters.read(frame.f_locals)
        target, args, kwargs = self.arguments(values if names is not None else None)
        call = new_call(self.site, target, args, kwargs, self, observers)
        call.frame = frame
        for observer in observers:
            if observer.wants_enter:
                try:
                    observer.enter(call)
                except Exception:
                    pass  # an observer's failure never reaches the target
        call.frame = None
        call.start = _perf_counter()
        return call

    def begin_passed(self, args: tuple, kwargs: dict) -> Call | None:
        """A call starts through the wrapper, with the arguments as passed."""
        observers = self.observers
        if not observers:
            return None
        target = None
        if self.site.bound_first and args:
            target, args = args[0], args[1:]
        call = new_call(self.site, target, args, kwargs, self, observers)
        for observer in observers:
            if observer.wants_enter:
                try:
                    observer.enter(call)
                except Exception:
                    pass
        call.start = _perf_counter()
        return call

    def end(self, call: Call, value, exception: BaseException | None, cost_ms: float | None = None) -> None:
        call.cost_ms = (_perf_counter() - call.start) * 1000.0 if cost_ms is None else cost_ms
        if exception is None:
            call.return_value = value
        else:
            call.exception = exception
        for observer in call.observers:
            try:
                observer.exit(call)
            except Exception:
                pass  # an observer's failure never reaches the target

    # -- install / remove -------------------------------------------------------------------------
    def choose_hook(self) -> None:
        hook = monitoring.MonitoringHook(self) if monitoring.AVAILABLE else CodeHook(self)
        if hook.prepare():
            self.hook = hook
            return
        self.hook = WrapperHook(self)
        self.fallback_reason = (
            f"sys.monitoring tool ids {' and '.join(map(str, sorted(monitoring.TOOL_IDS)))} are taken by other tools"
            if monitoring.AVAILABLE
            else "the function nests too many blocks to be hooked inside its own code"
        )

    @property
    def wraps(self) -> bool:
        """Whether the hook is the wrapper (which replaces code objects on its own)."""
        return isinstance(self.hook, WrapperHook)

    def install(self) -> None:
        assert self.hook is not None
        self.hook.install()

    def remove(self) -> None:
        if self.hook is not None:
            self.hook.remove()
        self.plan[2].clear()

    def patched_codes(self) -> tuple:
        """Code objects of ours that stand for the observed function (the registry finds its
        probe by them when the function is looked up again)."""
        hook = self.hook
        if isinstance(hook, WrapperHook):
            return (hook.installed_code,)
        return hook.patched_codes() if hook is not None else ()


def finish(record, value, exception, end_ns: int) -> None:
    """A call ends (called by the hooks with the record its start left): its observers' exits.

    The hot path of observation (every observed call comes here once, on the target's thread),
    hence the Call made field by field here."""
    if type(record) is not tuple:  # a Call from Probe.begin
        record.probe.end(record, value, exception, end_ns / 1e6 - record.start * 1000.0)
        return
    snapshot, values, start_ns, thread_id = record
    probe = snapshot[3]
    call = Call()
    if values is None:
        call.target, call.args = None, ()
        call.kwargs = {}
    else:
        parameters = probe.parameters
        if not parameters.simple:
            call.target, call.args, call.kwargs = parameters.split(values)
        elif parameters.bound_first and values:
            call.target, call.args = values[0], values[1:]
            call.kwargs = {}
        else:
            call.target, call.args = None, values
            call.kwargs = {}
    call.site = probe.site
    call.probe = probe
    call.observers = observers = snapshot[2]
    call.thread_id = thread_id
    call.return_value = value
    call.exception = exception
    call.cost_ms = (end_ns - start_ns) / 1e6
    call.state = call.frame = None
    for observer in observers:
        try:
            observer.exit(call)
        except Exception:
            pass  # an observer's failure never reaches the target


# -- the registry --------------------------------------------------------------------------------


def _key(code: types.CodeType) -> types.CodeType:
    """The original code object, also when the function's __code__ is currently one of ours."""
    for probe in _probes.values():
        if code in probe.patched_codes():
            return probe.code
    return code


def _check_conflicts(new: Probe) -> None:
    """A function and a function nested in it (-nm) cannot both be observed when either is
    hooked with the wrapper (both would replace the outer function's code object)."""
    site = new.site
    for probe in _probes.values():
        if not (new.wraps or probe.wraps):
            continue
        if site.func is None and probe.site.func is site.outer:
            raise CommandError(f"{site.name}: the outer function is itself observed; stop that first")
        if probe.site.func is None and probe.site.outer is site.func and site.func is not None:
            raise CommandError(f"{site.name}: a function nested in it is observed (-nm); stop that first")


def add_observer(site: Site, observer: Observer) -> types.CodeType:
    """Start observing; returns the key to give remove_observer."""
    with _lock:
        if site.func is not None:  # its own code object, also while probes have replaced it
            site.code = original_code(site.func)
        key = _key(site.code)
        probe = _probes.get(key)
        if probe is None:
            probe = Probe(site)
            probe.set_observers((observer,))
            probe.choose_hook()
            try:
                _check_conflicts(probe)
            except CommandError:
                probe.remove()  # gives back a monitoring tool id it took
                raise
            probe.install()
            _probes[site.code] = probe
            return site.code
        probe.set_observers(probe.observers + (observer,))
        return key


def probe_of(key: types.CodeType) -> Probe | None:
    return _probes.get(key)


def remove_observer(key: types.CodeType, observer: Observer) -> None:
    with _lock:
        probe = _probes.get(key)
        if probe is None or observer not in probe.observers:
            return
        probe.set_observers(tuple(o for o in probe.observers if o is not observer))
        if probe.observers:
            return
        del _probes[key]
        probe.remove()


def active_sites() -> list:
    return [p.site.name for p in _probes.values()]


def observes(function) -> bool:
    """Whether a probe watches this function or a function nested in it (reload must wait)."""
    return any(p.site.func is function or p.site.outer is function for p in list(_probes.values()))


def remove_all() -> None:
    """Detach: every probe goes, whoever owned it."""
    for key, probe in list(_probes.items()):
        for observer in probe.observers:
            remove_observer(key, observer)


def _forget_in_child() -> None:
    """In the child of a fork (forksafe.py): every probe goes, without the lock (a thread of the
    parent may have held it). Observers first, so that a call the forking thread is in records
    nothing when it ends; then each hook's removal (original code objects back, monitoring
    events off, the tool id freed); the streams they fed go with them."""
    global _lock
    _lock = _thread.allocate_lock()
    probes = list(_probes.values())
    _probes.clear()
    for probe in probes:
        probe.set_observers(())
    for probe in probes:
        try:
            probe.remove()
        except Exception:
            pass
    monitoring.forget_in_child()


forksafe.register(_forget_in_child)
