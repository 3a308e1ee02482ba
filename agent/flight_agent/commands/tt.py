"""tt (time tunnel): record calls, list them, look at one, replay one.

    tt -t module [class] method [-n N] [-f EXPR]    record calls (a stream; indices from 1000)
    tt -l [-m module.class.method] [-f EXPR]        list what is recorded
    tt -i N [-x N -r -v]                            one call: args, kwargs, return or exception
    tt -i N -p                                      call again with the same arguments (a new index)
    tt -d N | tt -da                                forget one, or all

Records keep references to the call's objects (that is what makes replay possible), so they are
bounded: at most MAX_RECORDS records and about MAX_BYTES of their objects (estimated with
sys.getsizeof, one level deep); the oldest go first and ``evicted`` says how many. Detach forgets
everything.
"""

from __future__ import annotations

import _thread
import sys
import time
from collections import OrderedDict

from .. import forksafe
from ..arguments import Arguments
from ..connection import Connection
from ..errors import CommandError
from ..expressions import ExpressionError, evaluate
from ..hooks import observing
from ..hooks.locate import Site
from ..hooks.observing import ObservingStream, exception_info, thread_name
from ..hooks.probe import Call, new_call
from ..tracebacks import user_traceback
from ..values import TreeOptions, value_tree

FIRST_INDEX = 1000
MAX_RECORDS = 1000
MAX_BYTES = 64 << 20


def _size(obj) -> int:
    try:
        size = sys.getsizeof(obj)
        if isinstance(obj, (tuple, list)):
            size += sum(sys.getsizeof(x) for x in obj[:1000])
        elif isinstance(obj, dict):
            size += sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in list(obj.items())[:1000])
        return size
    except Exception:
        return 64


REPLAY_THREAD = "flight-replay"  # what the target's threading calls the agent's thread during a replay


class Record:
    def __init__(self, index: int, site: Site, call: Call, replay_of: int | None = None):
        self.index = index
        self.site = site
        self.time = call.start_time()
        self.cost_ms = call.cost_ms
        self.thread_id = call.thread_id
        self.thread_name = REPLAY_THREAD if replay_of is not None else thread_name(call.thread_id)
        self.target, self.args, self.kwargs = call.target, call.args, call.kwargs
        self.return_value = call.return_value
        self.exception = call.exception
        # as it is when the call ends: from the observed function down (the exception's own grows
        # as it goes up the target's stack)
        self.traceback = call.exception.__traceback__ if call.exception is not None else None
        self.replay_of = replay_of
        self.size = _size(call.args) + _size(call.kwargs) + _size(call.return_value) + 200

    def names(self) -> dict:
        return {
            "target": self.target,
            "args": self.args,
            "kwargs": self.kwargs,
            "return_obj": self.return_value,
            "cost": self.cost_ms,
            "exception": self.exception,
        }

    def row(self) -> dict:
        return {
            "kind": "tt_record",
            "index": self.index,
            "method": self.site.name,
            "time": self.time,
            "cost_ms": round(self.cost_ms, 6),
            "thread_name": self.thread_name,
            "is_return": self.exception is None,
            "is_exception": self.exception is not None,
            "exception": exception_info(self.exception),
        }

    def detail(self, options: TreeOptions) -> dict:
        record = self.row()
        record.update(
            {
                "kind": "tt_detail",
                "thread_id": self.thread_id,
                "target": value_tree(self.target, options) if self.target is not None else None,
                "args": value_tree(self.args, options),
                "kwargs": value_tree(self.kwargs, options),
                "return_obj": value_tree(self.return_value, options) if self.exception is None else None,
            }
        )
        if self.exception is not None:
            record["exception"] = dict(
                exception_info(self.exception) or {},
                traceback=user_traceback(self.exception, self.traceback),
            )
        if self.replay_of is not None:
            record["replay_of"] = self.replay_of
        return record


class Tunnel:
    """The records of this agent (shared by every client of it)."""

    def __init__(self):
        self.lock = _thread.allocate_lock()
        self.records: OrderedDict = OrderedDict()
        self.next_index = FIRST_INDEX
        self.bytes = 0
        self.evicted = 0

    def add(self, site: Site, call: Call, replay_of: int | None = None) -> Record:
        with self.lock:
            record = Record(self.next_index, site, call, replay_of)
            self.next_index += 1
            self.records[record.index] = record
            self.bytes += record.size
            while len(self.records) > MAX_RECORDS or (self.bytes > MAX_BYTES and len(self.records) > 1):
                _, old = self.records.popitem(last=False)
                self.bytes -= old.size
                self.evicted += 1
            return record

    def get(self, index: int) -> Record:
        record = self.records.get(index)
        if record is None:
            raise CommandError(f"no tt record with index {index} (tt -l lists them)")
        return record

    def delete(self, index: int) -> None:
        with self.lock:
            record = self.records.pop(index, None)
            if record is None:
                raise CommandError(f"no tt record with index {index}")
            self.bytes -= record.size

    def clear(self) -> None:
        with self.lock:
            self.records.clear()
            self.bytes = 0
            self.evicted = 0
            self.next_index = FIRST_INDEX


TUNNEL = Tunnel()


def _forget_in_child() -> None:
    """In the child of a fork (forksafe.py): the parent's records are dropped (fresh lock: a
    thread of the parent may have held this one)."""
    TUNNEL.lock = _thread.allocate_lock()
    TUNNEL.records.clear()
    TUNNEL.bytes = TUNNEL.evicted = 0


forksafe.register(_forget_in_child)


class RecordStream(ObservingStream):
    verb = "recording calls of"

    def __init__(self, args: Arguments):
        super().__init__(args, limit=args.integer("limit"), filter_text=args.optional_text("filter"))
        self.needs_args = True  # a record keeps them: it can be shown and replayed

    def exit(self, call: Call) -> None:
        index, _ = self.admit(call)
        if index is None:
            return
        self.push(TUNNEL.add(self.site, call).row())
        self.shown(index)


def _matches_method(record: Record, wanted: str) -> bool:
    name = record.site.name
    if wanted == name:
        return True
    # PyFlightProfiler writes module functions as module.None.function
    return record.site.owner is None and wanted == f"{record.site.module}.None.{name.rsplit('.', 1)[-1]}"


def _replay(record: Record, connection: Connection) -> Record:
    site = record.site
    if site.func is None:
        raise CommandError("a nested function (-nm) cannot be replayed: it has no function object of its own")
    args = ((record.target,) if site.bound_first else ()) + tuple(record.args)
    call = new_call(site, record.target, record.args, record.kwargs)
    start = time.perf_counter()

    def run():
        result = site.func(*args, **record.kwargs)
        if site.is_async:
            import asyncio

            result = asyncio.run(result)
        return result

    try:
        call.return_value = connection.run_user_code(run, interruptible=True, thread_name=REPLAY_THREAD)
    except Exception as e:
        call.exception = e
    call.cost_ms = (time.perf_counter() - start) * 1000.0
    return TUNNEL.add(site, call, replay_of=record.index)


ACTIONS = ("record", "list", "show", "replay", "delete", "delete_all")


def run(args: Arguments, connection: Connection):
    """``action`` record: a Stream; the others: records."""
    action = args.choice("action", ACTIONS)
    if action == "record":
        return RecordStream(args)
    if action == "list":
        return [_list(args.optional_text("method"), args.optional_text("filter"))]
    if action == "show":
        index = args.integer("index")
        return [TUNNEL.get(index).detail(TreeOptions.from_arguments(args))]
    if action == "replay":
        return _replay_records(TUNNEL.get(args.integer("index")), TreeOptions.from_arguments(args), connection)
    if action == "delete":
        index = args.integer("index")
        TUNNEL.delete(index)
        return [{"kind": "message", "text": f"record {index} deleted"}]
    count = len(TUNNEL.records)  # delete_all
    TUNNEL.clear()
    return [{"kind": "message", "text": f"{count} records deleted"}]


def _list(method: str | None, filter_text: str | None) -> dict:
    records = list(TUNNEL.records.values())
    if method:
        records = [r for r in records if _matches_method(r, method)]
    if filter_text:
        kept = []
        for r in records:
            try:
                if evaluate(filter_text, r.names()):
                    kept.append(r)
            except ExpressionError:
                continue
        records = kept
    return {"kind": "tt_list", "records": [r.row() for r in records], "evicted": TUNNEL.evicted}


def _replay_records(record: Record, options: TreeOptions, connection: Connection):
    yield {
        "kind": "message",
        "text": f"replaying {record.index}: {record.site.name} runs again, side effects included",
    }
    yield _replay(record, connection).detail(options)


def reset(connection: Connection | None = None) -> None:
    """The records belong to the agent, not to a connection: detach (None) forgets them, and
    removes every hook."""
    if connection is None:
        observing.reset()
        TUNNEL.clear()
