"""The hook of CPython 3.9-3.11: calls to the probe from inside the function's own code.

The function's ``__code__`` becomes rewrite.instrument's copy, whose prologue calls ``enter`` and
whose returns and outermost handler call ``leave``; both are builtins of native/observe.c (C
functions: no frame, nothing a trace function sees), or, without the native library, the Python
functions below, which run on top of the function's own frame. Either way, while the function's
code runs nothing of ours is on its stack, and its tracebacks are its own.

For ``-nm`` the outer function's code holds the instrumented copy of the nested code object among
its constants: every function the outer one makes from then on is observed. A function's code
object is composed by its FunctionCode (its own, the observed nested functions' copies, then its
own instrumentation if it is observed itself), so a function and functions nested in it can be
observed at once. Removal puts the original code object back (function objects the outer made
meanwhile keep the copy, whose hooks then pass straight through).
"""

from __future__ import annotations

import sys
import types

from .. import native
from . import rewrite
from .calls import end_call, start_call

_getframe = sys._getframe


class FunctionCode:
    """The code object of one function whose code the probes change: its original, with the
    observed nested functions' code objects replaced by their instrumented copies, and then
    instrumented itself when it is observed."""

    def __init__(self, function):
        self.function = function
        self.original = function.__code__
        self.current = self.original
        self.nested: dict = {}  # id(nested code) -> (nested code, its instrumented copy)
        self.hook: CodeHook | None = None  # the function's own observation

    @property
    def empty(self) -> bool:
        return not self.nested and self.hook is None

    def apply(self) -> None:
        """Put the composed code object in place, unless someone else replaced ours meanwhile
        (theirs stays; ours passes through)."""
        if self.function.__code__ is not self.current:
            return
        code = self.original
        if self.nested:
            code = code.replace(
                co_consts=tuple(self.nested[id(c)][1] if id(c) in self.nested else c for c in code.co_consts)
            )
        if self.hook is not None:
            code = rewrite.instrument(code, self.hook.enter_hook, self.hook.leave_hook) or code
        self.function.__code__ = self.current = code


_functions: dict = {}  # id(function) -> FunctionCode


def _function_code(function) -> FunctionCode:
    found = _functions.get(id(function))
    if found is None or found.function is not function:
        found = _functions[id(function)] = FunctionCode(function)
    return found


def original_code(function) -> types.CodeType:
    """A function's own code object, also while probes have replaced it."""
    found = _functions.get(id(function))
    return found.original if found is not None and found.function is function else function.__code__


class CodeHook:
    visible = False
    root_frame_known = True  # enter runs in the observed frame: trace starts its tree there

    def __init__(self, probe):
        self.probe = probe
        self.site = probe.site
        self.installed_code: types.CodeType | None = None  # -nm: the nested code's instrumented copy
        self.stop = None  # what a profile function sees called when the observed call ends

    def prepare(self) -> bool:
        """Make the hooks and check the code can be instrumented; False when it cannot."""
        hooks = native.observe_hooks(self.probe.plan)
        if hooks is not None:
            self.enter_hook, self.leave_hook = hooks
            self.stop = self.leave_hook  # a c_call event
        else:
            self.enter_hook, self.leave_hook = self.enter, self.leave
            self.stop = CodeHook.leave.__code__  # a call event
        self.installed_code = rewrite.instrument(self.site.code, self.enter_hook, self.leave_hook)
        return self.installed_code is not None

    def install(self) -> None:
        site = self.site
        if site.func is not None:
            code = _function_code(site.func)
            code.hook = self
        else:
            code = _function_code(site.outer)
            code.nested[id(site.code)] = (site.code, self.installed_code)
        code.apply()

    def remove(self) -> None:
        site = self.site
        function = site.func if site.func is not None else site.outer
        code = _functions.get(id(function))
        if code is None or code.function is not function:
            return
        if site.func is not None:
            if code.hook is self:
                code.hook = None
        else:
            code.nested.pop(id(site.code), None)
        code.apply()
        if code.empty:
            del _functions[id(function)]

    def patched_codes(self) -> tuple:
        """Code objects of ours that stand for the observed function (for the registry)."""
        if self.site.func is not None:
            code = _functions.get(id(self.site.func))
            return (code.current,) if code is not None else ()
        return (self.installed_code,)

    # -- without the native library: called from the instrumented code, on the target's threads --
    def enter(self, values: tuple) -> None:
        try:
            start_call(self.probe.plan, _getframe(1), values)
        except Exception:
            pass  # never disturb the observed call

    def leave(self, value, raised: bool):
        """Returns ``value``: the instrumented code returns what this returns."""
        try:
            if raised:
                end_call(self.probe.plan, _getframe(1), None, value)
            else:
                end_call(self.probe.plan, _getframe(1), value, None)
        except Exception:
            pass
        return value
