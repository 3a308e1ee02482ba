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

from ..hooks.observing import ObservingStream, thread_name
from ..hooks.probe import Call
from ..streams import Stream

DEFAULT_INTERVAL_MS = 0.1
DEFAULT_LIMIT = 10
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

    def as_record(self) -> dict:
        return {
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
        self, root_frame_id: int | None, interval_s: float, depth: int | None, is_async: bool = False, owner=None
    ):
        self.interval = interval_s
        self.depth = depth
        self.root: Node | None = None
        self.root_frame = root_frame_id
        self.stack: list = []  # (frame id or None for builtins, node or None when beyond -d)
        self.nodes = 0
        self.cut = False
        self.suspended_at: float | None = None
        self.is_async = is_async  # only a coroutine's frame comes back after returning
        self.owner = owner  # the TraceStream: once it is closed, this profile function removes itself

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

    def _pop(self) -> None:
        _, node = self.stack.pop()
        if node is None:
            return
        node.cost += time.perf_counter() - node.start
        parent = self.stack[-1][1] if self.stack else None
        if parent is not None and self.depth is None and node.cost < self.interval:
            parent.children.remove(node)
            parent.folded_count += 1 + node.folded_count
            parent.folded_cost += node.cost

    def __call__(self, frame, event, arg):
        if self.owner is not None and self.owner.key is None:
            sys.setprofile(None)  # the trace ended while this call ran: leave nothing behind
            return
        try:
            if event == "call":
                if not self.stack:
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
                if self.stack and id(frame) == self.stack[-1][0]:
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
                    self._pop()
        except Exception:
            pass  # never disturb the traced code


class TraceStream(ObservingStream):
    wants_enter = True
    default_limit = DEFAULT_LIMIT
    verb = "tracing"

    def __init__(self, args: dict, session):
        super().__init__(args)
        interval = args.get("interval")
        self.interval_s = (DEFAULT_INTERVAL_MS if interval is None else float(interval)) / 1000.0
        self.depth = args.get("depth")
        self.entrance_ms = float(args.get("entrance_time") or 0)
        self.skipped_busy = 0

    def started_text(self) -> str:
        return super().started_text() + f" (calls under {self.interval_s * 1000:g} ms folded)"

    def enter(self, call: Call) -> None:
        if self.finished is not None or sys.getprofile() is not None:
            if sys.getprofile() is not None:
                self.skipped_busy += 1  # someone else profiles this thread: leave it alone
            return
        # the next 'call' event on this thread is the observed call
        tree = CallTree(None, self.interval_s, self.depth, self.site.is_async, owner=self)
        call.state = {"trace": tree}
        sys.setprofile(tree)

    def exit(self, call: Call) -> None:
        if not call.state or "trace" not in call.state:
            return  # not traced (another profiler was active)
        tree: CallTree = call.state.pop("trace")
        if sys.getprofile() is tree:
            sys.setprofile(None)
        self.report(call, tree)

    def report(self, call: Call, tree: CallTree) -> None:
        if tree.root is None or call.cost_ms < self.entrance_ms:
            return
        index, _ = self.admit(call)
        if index is None:
            return
        while tree.stack:  # frames left open (a profile event we did not see): close them
            if len(tree.stack) == 1:
                tree.root.cost += time.perf_counter() - tree.root.start
                tree.stack.pop()
            else:
                tree._pop()
        root = tree.root.as_record()
        root["cost_ms"] = round(call.cost_ms, 6)  # the observed call's own measure, awaits included
        record = {
            "kind": "trace",
            "index": index,
            "method": self.site.name,
            "thread_id": call.thread_id,
            "thread_name": thread_name(call.thread_id),
            "time": call.start_time(),
            "cost_ms": round(call.cost_ms, 6),
            "root": root,
        }
        if tree.cut:
            record["cut"] = f"more than {MAX_NODES} calls: the rest are not shown"
        self.push(record)
        self.shown(index)

    def close(self) -> None:
        super().close()
        if self.skipped_busy:
            self.push(
                {
                    "kind": "message",
                    "text": f"{self.skipped_busy} calls were not traced: their thread already had a profiler",
                }
            )


def stream(args: dict, session) -> Stream:
    return TraceStream(args, session)
