"""trace module [class] method: the call tree under each call, with the time of every call.

While an observed call runs, a profile function is set on its thread only (``sys.setprofile``
is per thread) and removed when the call returns; a thread that already has a profiler is left
alone and the call is skipped. Calls that take less than ``-i`` ms are folded into their parent
(counted, with their total time); ``-d`` keeps only that many levels (and shows everything at
those levels). Only frames under the observed call are recorded. For async functions the time
the coroutine spent suspended is an ``await`` node, not CPU.
"""

from __future__ import annotations

import sys
import time

from .. import forksafe, native
from ..arguments import Arguments
from ..connection import Connection
from ..hooks import observing
from ..hooks.observing import ObservingStream, exception_info
from ..hooks.probe import Call

reset = observing.reset  # detach removes every hook; a stream's own go when it ends

MAX_NODES = 10000


class Node:
    __slots__ = (
        "function",
        "file",
        "line",
        "builtin",
        "await_",
        "start",
        "cost",
        "children",
        "folded_count",
        "folded_cost",
        "key",
        "raised",
    )

    def __init__(self, function: str, file: str, line: int, builtin: bool = False, key=None):
        self.function, self.file, self.line, self.builtin = function, file, line, builtin
        self.await_ = False
        self.start = time.perf_counter()
        self.cost = 0.0
        self.children: list = []
        self.folded_count = 0
        self.folded_cost = 0.0
        self.key = key
        self.raised = False  # a builtin that raised (c_exception); the root, from the call

    def as_record(self) -> dict:
        record = {
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "cost_ms": round(self.cost * 1000.0, 6),
            "builtin": self.builtin,
            "await": self.await_,
            "children": [c.as_record() for c in self.children],
            "folded": {"count": self.folded_count, "cost_ms": round(self.folded_cost * 1000.0, 6)}
            if self.folded_count
            else None,
        }
        if self.raised:
            record["raised"] = True
        return record


def _code_node(frame) -> Node:
    code = frame.f_code
    return Node(getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno, key=id(frame))


def _builtin_node(function) -> Node:
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", repr(function))
    module = getattr(function, "__module__", None)
    name = str(name)
    return Node(f"{module}.{name}" if module and module != "builtins" else name, "<built-in>", 0, builtin=True)


class CallTree:
    """The profile function of one traced call, and the tree it builds."""

    def __init__(
        self,
        root_frame,
        interval_s: float,
        depth: int | None,
        is_async: bool = False,
        owner=None,
        stop=None,
    ):
        """``root_frame``: the observed call's frame, already running (None: the next call that
        starts is the root). ``stop``: what the observation's hook runs when the observed call
        ends, a code object (a call event) or a builtin (a c_call event); None when no profile event
        reaches us from the hooks."""
        self.interval = interval_s
        self.depth = depth
        self.root: Node | None = None
        self.root_frame = None
        self.stack: list = []  # (frame id or None for builtins, node or None when beyond -d)
        self.nodes = 0
        self.cut = False
        self.suspended_at: float | None = None
        self.is_async = is_async  # only a coroutine's frame comes back after returning
        self.owner = owner  # the TraceStream: once it is closed, this profile function removes itself
        self.stop = stop
        self.stopped = False
        if root_frame is not None:
            self.root = _code_node(root_frame)
            self.root_frame = id(root_frame)
            self.stack.append((id(root_frame), self.root))

    def finish_root(self) -> None:
        """Close what is open: the observed call has ended."""
        while self.stack:
            if len(self.stack) == 1:
                if self.root is not None:
                    self.root.cost += time.perf_counter() - self.root.start
                self.stack.pop()
            else:
                self._pop()

    def _push(self, frame_key, node: Node | None) -> None:
        if node is not None:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                self.cut = True
                node = None
            elif self.depth is not None and len(self.stack) >= self.depth:
                node = None
        parent = self.stack[-1][1] if self.stack else None
        if node is not None and parent is not None:
            parent.children.append(node)
        self.stack.append((frame_key, node))

    def _pop(self, raised: bool = False) -> None:
        _, node = self.stack.pop()
        if node is None:
            return
        node.cost += time.perf_counter() - node.start
        node.raised = raised
        parent = self.stack[-1][1] if self.stack else None
        if parent is not None and self.depth is None and node.cost < self.interval and not raised:
            parent.children.remove(node)
            parent.folded_count += 1 + node.folded_count
            parent.folded_cost += node.cost

    def __call__(self, frame, event, arg):
        if self.owner is not None and self.owner.key is None:
            sys.setprofile(None)  # the trace ended while this call ran: leave nothing behind
            return
        if self.stopped:
            return
        try:
            if event == "call":
                if frame.f_code is self.stop:  # our hook: the observed call is over
                    self.stopped = True
                    self.finish_root()
                elif not self.stack:
                    if self.root is None and (self.root_frame is None or id(frame) == self.root_frame):
                        self.root = _code_node(frame)
                        self.root_frame = id(frame)
                        self.stack.append((id(frame), self.root))
                    elif self.is_async and self.root is not None and id(frame) == self.root_frame:  # resumed
                        now = time.perf_counter()
                        if self.suspended_at is not None:
                            waited = Node("[await]", self.root.file, self.root.line)
                            waited.await_, waited.cost = True, now - self.suspended_at
                            self.root.children.append(waited)
                            self.suspended_at = None
                        self.root.start = now
                        self.stack.append((id(frame), self.root))
                elif frame.f_back is not None and id(frame.f_back) == self.stack[-1][0]:
                    self._push(id(frame), _code_node(frame))
            elif event == "c_call":
                if arg is self.stop:  # our hook: the observed call is over
                    self.stopped = True
                    self.finish_root()
                elif self.stack and id(frame) == self.stack[-1][0]:
                    self._push(None, _builtin_node(arg))
            elif event == "return":
                if self.stack and self.stack[-1][0] == id(frame):
                    if len(self.stack) == 1:  # the root returns, or suspends at an await
                        self.root.cost += time.perf_counter() - self.root.start
                        self.stack.pop()
                        self.suspended_at = time.perf_counter()
                    else:
                        self._pop()
            elif event in ("c_return", "c_exception"):
                if self.stack and self.stack[-1][0] is None:
                    self._pop(raised=event == "c_exception")
        except Exception:
            pass  # never disturb the traced code


class ProfileMarker:
    def __repr__(self) -> str:
        return "<jupyterlab-flight trace>"


def _native_tree(library, count: int) -> dict:
    """The C tracer's nodes (parents before children) as a call node tree."""
    cast, py_object = library.ctypes.cast, library.ctypes.py_object
    nodes = library.flight_tracer_nodes()
    records: list = []
    for i in range(count):
        node = nodes[i]
        obj = cast(node.obj, py_object).value
        if node.builtin:
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
            module = getattr(obj, "__module__", None)
            function, file, line = (
                (f"{module}.{name}" if module and module != "builtins" else str(name)),
                "<built-in>",
                0,
            )
        else:
            function, file, line = getattr(obj, "co_qualname", obj.co_name), obj.co_filename, obj.co_firstlineno
        record = {
            "function": function,
            "file": file,
            "line": line,
            "cost_ms": round(node.cost_ns / 1e6, 6),
            "builtin": bool(node.builtin),
            "await": False,
            "children": [],
            "folded": {"count": node.folded_count, "cost_ms": round(node.folded_ns / 1e6, 6)}
            if node.folded_count
            else None,
        }
        if node.raised:
            record["raised"] = True
        records.append(record)
        if node.parent >= 0:
            records[node.parent]["children"].append(record)
    return records[0]


class TraceStream(ObservingStream):
    wants_enter = True
    verb = "tracing"

    def __init__(self, args: Arguments):
        self.interval_s = args.number("interval") / 1000.0
        self.depth = args.optional_integer("depth")  # None: every level
        self.entrance_ms = args.optional_number("entrance_time") or 0.0  # None: every call
        super().__init__(args, limit=args.integer("limit"), filter_text=args.optional_text("filter"))
        self.skipped_busy = 0
        self.marker = ProfileMarker()  # what sys.getprofile() shows while the C tracer runs

    def started_text(self) -> str:
        return super().started_text() + f" (calls under {self.interval_s * 1000:g} ms folded)"

    def enter(self, call: Call) -> None:
        if self.finished is not None:
            return
        if sys.getprofile() is not None:
            self.skipped_busy += 1  # someone else profiles this thread (or a recursive call): leave it
            return
        hook = call.probe.hook if call.probe is not None else None
        if hook is None:
            return
        root = call.frame if hook.root_frame_known else None  # None: the next call to start is the root
        library = native.tracer() if not self.site.is_async else None
        if library is not None:
            interval_ns = int(self.interval_s * 1e9)
            started = library.begin(interval_ns, self.depth or 0, MAX_NODES, self.marker, id(self), root, hook.stop)
            if started == 0:
                call.state = {"native": library}
                return
        # the Python profile function: async functions (await nodes), or no native library
        tree = CallTree(root, self.interval_s, self.depth, self.site.is_async, owner=self, stop=hook.stop)
        call.state = {"trace": tree}
        sys.setprofile(tree)

    def exit(self, call: Call) -> None:
        state = call.state
        if not state:
            return  # not traced (another profiler was active)
        library = state.get("native")
        if library is not None:
            count = library.stop()
            try:
                root, cut = None, False
                if count > 0 and call.cost_ms >= self.entrance_ms:
                    index, filter_error = self.admit(call)
                    if index is not None:
                        root, cut = _native_tree(library, count), bool(library.cut())
                        self.report(call, index, root, cut, filter_error)
            finally:
                library.free()
            return
        tree: CallTree = state.pop("trace")
        if sys.getprofile() is tree:
            sys.setprofile(None)
        if tree.root is None or call.cost_ms < self.entrance_ms:
            return
        index, filter_error = self.admit(call)
        if index is None:
            return
        tree.finish_root()  # frames left open (a profile event we did not see): close them
        self.report(call, index, tree.root.as_record(), tree.cut, filter_error)

    def report(self, call: Call, index: int, root: dict, cut: bool, filter_error: dict | None) -> None:
        root["cost_ms"] = round(call.cost_ms, 6)  # the observed call's own measure, awaits included
        record = self.call_record("trace", index, call)
        record["root"] = root
        if call.exception is not None:  # the observed call raised: say what, and mark the root
            record["exception"] = exception_info(call.exception)
            root["raised"] = True
        if filter_error is not None:  # -f raised: the call is shown, and why
            record["filter_error"] = filter_error
        if cut:
            record["cut"] = f"more than {MAX_NODES} calls: the rest are not shown"
        self.push(record)
        self.shown(index)

    def close(self) -> None:
        super().close()
        library = native.tracer()
        if library is not None:
            library.flight_tracer_cancel(id(self))  # calls still running drop their tracer
        if self.skipped_busy:
            self.push(
                {
                    "kind": "message",
                    "text": f"{self.skipped_busy} calls were not traced: their thread already had a profiler",
                }
            )


def _forget_in_child() -> None:
    """In the child of a fork (forksafe.py) from inside a traced call: the forking thread's
    profile function goes (the C one with its nodes, or the Python CallTree)."""
    library = native.loaded_tracer()
    if library is not None:
        library.stop()  # takes our C profile function off this thread, if it is there
        library.free()
    if isinstance(sys.getprofile(), (CallTree, ProfileMarker)):
        sys.setprofile(None)


forksafe.register(_forget_in_child)


def run(args: Arguments, connection: Connection) -> TraceStream:
    return TraceStream(args)
