"""torch profile / torch memory -r: torch.profiler (and CUDA memory history) around the next
calls of a function, from whichever thread makes them.

The observation hook (hooks/probe.py) runs ``enter`` on the calling thread before the body and
``exit`` after it: ``enter`` starts a ``torch.profiler.profile`` (CPU, CUDA when the process uses
it; shapes, Python stacks, memory) and, for ``memory -r`` on CUDA, the allocator's history when
the target does not record it already; ``exit`` stops them. One call is profiled at a time (a
call that starts while another is profiled, on another thread, is let through); after ``-n``
calls the hook goes. The results are read on the agent's connection thread (``tick``), not on
the target's, once the last call has ended (a profiler records every thread's Python calls): the op table (``key_averages``), the Chrome trace (bounded), and for memory the
profiler's categorised memory timeline and the allocations live at the peak by stack.
"""

from __future__ import annotations

import _thread
import importlib
import json
import os
import re
import time

from ...arguments import Arguments
from ...errors import CommandError
from ...hooks.observing import ObservingStream, thread_name
from ...hooks.probe import Call
from . import recording

MAX_EVENTS = 8_000  # trace events in the record (the notebook's timeline; a saved result keeps 2 MiB)
MAX_FILE_BYTES = 48 << 20  # a Chrome trace or snapshot sent back for -f
MAX_OPS = 200  # rows of the op table
MAX_SHAPES = 4  # input shapes kept per op
MAX_POINTS = 2000  # points of a memory timeline
MAX_STACKS = 20  # allocating stacks live at the peak
STACK_FRAMES = 4  # frames kept per allocating stack
HISTORY_ENTRIES = 100_000  # CUDA memory history we record (the target's own is left as it is)


def require_torch():
    torch = recording.torch_module()
    if torch is None:
        raise CommandError(
            "torch is not imported in this process: nothing to look at (flight never imports torch into a target)"
        )
    return torch


def cuda_in_use(torch) -> bool:
    """Whether the process uses CUDA: initialised already (asking is_available() would not start it)."""
    try:
        return bool(torch.cuda.is_initialized())
    except Exception:
        return False


def profiler_running(torch) -> bool:
    try:
        return bool(torch._C._autograd._profiler_enabled())
    except Exception:
        return False


class CallStream(ObservingStream):
    """The next ``calls`` calls of a function, each inside a profiler of its own."""

    verb = "profiling"
    wants_enter = True

    def __init__(self, args: Arguments, mode: str):
        self.torch = require_torch()
        self.mode = mode  # "profile" or "memory"
        self.calls = args.integer("calls")
        self.file_format = args.optional_text("file_format")  # json, json.gz, pickle, or None
        super().__init__(args, limit=self.calls, filter_text=None)
        self.needs_args = False
        self.cuda = cuda_in_use(self.torch)
        self.device = f"cuda:{self.torch.cuda.current_device()}" if self.cuda else "cpu"
        self._call_lock = _thread.allocate_lock()  # one profiled call at a time
        self._active: Call | None = None
        self._session: dict = {}
        self._begun = 0
        self._done: list = []  # finished calls, appended on the target's thread
        self._results: list = []
        self._errors: list = []
        self.emitted = False

    def started_text(self) -> str:
        what = "profiling" if self.mode == "profile" else "recording memory during"
        calls = "the next call" if self.calls == 1 else f"the next {self.calls} calls"
        return f"{what} {calls} of {self.site.name} on {self.device}"  # the front door adds how to stop it

    # -- on the target's threads ------------------------------------------------------------------
    def enter(self, call: Call) -> None:
        if self.finished is not None:
            return
        with self._call_lock:
            if self._active is not None or self._begun >= self.calls:
                return
            self._active = call
            self._begun += 1
        try:
            self._session = self._start()
        except Exception as e:
            self._active = None
            self._errors.append(str(e) if isinstance(e, CommandError) else f"{type(e).__name__}: {e}")
            self.finish("error")

    def _start(self) -> dict:
        torch = self.torch
        if profiler_running(torch):
            raise CommandError(
                "a torch profiler is already running in this process (the target's own, or another "
                "command's): torch runs one at a time; stop it first"
            )
        activities = [torch.profiler.ProfilerActivity.CPU]
        if self.cuda:
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        profile = torch.profiler.profile(
            activities=activities, record_shapes=True, with_stack=True, profile_memory=True
        )
        session: dict = {"profile": profile, "history": False, "native_id": _thread.get_native_id()}
        if self.mode == "memory" and self.cuda:
            session["before"] = (torch.cuda.memory_allocated(), torch.cuda.memory_reserved())
            if not torch._C._cuda_isHistoryEnabled():
                torch.cuda.memory._record_memory_history(
                    enabled="all", context="all", stacks="python", max_entries=HISTORY_ENTRIES
                )
                recording.history_started(None)
                session["history"] = True
        if self.cuda:
            torch.cuda.synchronize()
        session["t0"] = time.time()
        try:
            profile.__enter__()
        except Exception:
            if session["history"]:
                recording.stop_history()
            raise
        recording.profiler_started(profile, _thread.get_ident())
        return session

    def exit(self, call: Call) -> None:
        if call is not self._active:
            return
        session, self._session = self._session, {}
        try:
            self._stop(session)
            session["cost_ms"] = call.cost_ms
            session["thread_id"] = call.thread_id
            self._done.append(session)
        except Exception as e:
            self._errors.append(f"stopping the profiler failed: {type(e).__name__}: {e}")
        finally:
            self._active = None

    def _stop(self, session: dict) -> None:
        torch, profile = self.torch, session["profile"]
        try:
            if self.cuda:
                torch.cuda.synchronize()
            profile.__exit__(None, None, None)
        finally:
            recording.profiler_stopped(profile)
            session["t1"] = time.time()
            if self.mode == "memory" and self.cuda:
                try:
                    session["snapshot"] = torch.cuda.memory._snapshot()
                finally:
                    if session["history"]:
                        recording.stop_history()

    # -- on the agent's connection thread ---------------------------------------------------------
    def tick(self) -> list:
        # the results are read once every call is done: reading one while the next is profiled
        # would put the reading's own Python calls (this thread's) into that next profile
        if len(self._done) + len(self._results) < self.calls and not self._errors:
            return []
        self._collect()
        if self._errors and not self.emitted:
            self.emitted = True
            self.finish("error")
            return [{"kind": "error", "message": f"{self.site.name}: {self._errors[0]}"}]
        if len(self._results) >= self.calls and not self.emitted:
            self.emitted = True
            self.finish("limit")
            return self._records()
        return []

    def _collect(self) -> None:
        while self._done:
            session = self._done.pop(0)
            try:
                self._results.append(self._read(session))
            except Exception as e:
                self._errors.append(f"reading the profile failed: {type(e).__name__}: {e}")

    def close(self) -> None:
        super().close()
        if self.emitted:
            return
        self._collect()
        self.emitted = True
        if self._errors:
            self.push({"kind": "error", "message": f"{self.site.name}: {self._errors[0]}"})
        elif self._results:
            for record in self._records():
                self.push(record)
        else:
            when = {"timeout": "before the timeout", "stopped": "before it was stopped"}
            self.push(
                {
                    "kind": "message",
                    "text": f"{self.site.name} was not called {when.get(self.finished or '', 'while this ran')}: "
                    "nothing recorded",
                }
            )

    def _read(self, session: dict) -> dict:
        profile = session["profile"]
        trace = chrome_trace(profile)
        result = {
            "trace": trace,
            "cost_ms": session["cost_ms"],
            "thread": thread_name(session["thread_id"]),
            "native_id": session["native_id"],
            "t0": session["t0"],
            "t1": session["t1"],
        }
        if self.mode == "profile":
            python = {e.get("name") for e in trace.get("traceEvents", []) if e.get("cat") == "python_function"}
            result["ops"] = {
                name: row for name, row in op_rows(profile).items() if name not in python and not _python_name(name)
            }
        else:
            result["categories"] = categories(self.torch, profile, self.device)
            result["snapshot"] = session.get("snapshot")
            result["before"] = session.get("before")
        return result

    def _records(self) -> list:
        results = self._results
        record: dict = {
            "kind": "torch_profile" if self.mode == "profile" else "torch_memory",
            "method": self.site.name,
            "calls": len(results),
            "calls_asked": self.calls,
            "device": self.device,
            "cost_ms": [round(r["cost_ms"], 3) for r in results],
            "threads": sorted({r["thread"] or "?" for r in results}),
        }
        events = merged_events(results)
        if self.mode == "profile":
            record.update(merged_ops(results, self.cuda))
            record["trace"] = compact_trace(events, results)
        else:
            record.update(memory_summary(results, events, self.device))
        notes = []
        if self.file_format is not None:
            data, note = self._file(results, events)
            if data is not None:
                record["file_data"] = data
            if note:
                notes.append(note)
        out = [record]
        out.extend({"kind": "message", "text": note} for note in notes)
        return out

    def _file(self, results: list, events: list) -> tuple:
        import base64
        import pickle  # here, not at the agent's start: nothing in the target's sys.modules for nothing

        if self.file_format == "pickle":
            snapshot = results[-1].get("snapshot")
            if snapshot is None:
                return None, (
                    "no CUDA allocator history in a process that does not use CUDA: nothing written "
                    "(-f FILE.json writes the profiler's trace, with its memory events)"
                )
            blob = pickle.dumps(snapshot)
            if len(blob) > MAX_FILE_BYTES:
                return (
                    None,
                    f"the snapshot is {len(blob) >> 20} MB, over the {MAX_FILE_BYTES >> 20} MB that travel: nothing written",
                )
            return {"format": "pickle", "encoding": "base64", "data": base64.b64encode(blob).decode("ascii")}, None
        first = results[0]["trace"]
        whole = dict(first, traceEvents=events if len(results) > 1 else first.get("traceEvents", []))
        text = json.dumps(whole)
        if len(text) > MAX_FILE_BYTES:
            return (
                None,
                f"the trace is {len(text) >> 20} MB, over the {MAX_FILE_BYTES >> 20} MB that travel: nothing written",
            )
        return {"format": "json", "encoding": "text", "data": text}, None


def chrome_trace(profile) -> dict:
    """The profile as Chrome trace JSON: torch writes it to a file only, so a private temporary one."""
    import tempfile  # here, not at the agent's start

    directory = tempfile.mkdtemp(prefix="flight-torch-")
    path = os.path.join(directory, "trace.json")
    try:
        profile.export_chrome_trace(path)
        with open(path) as f:
            return json.load(f)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
        os.rmdir(directory)


_PYTHON_EVENT = re.compile(r"^(\S+\.py\(\d+\): |<built-in )")


def _python_name(name: str) -> bool:
    """A Python function's event (with_stack), not an op: they are the trace's, not the op table's."""
    return bool(_PYTHON_EVENT.match(name))


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def op_rows(profile) -> dict:
    """name -> row: calls, self and total CPU time (us), device time, memory, input shapes."""
    rows: dict = {}
    for event in profile.key_averages(group_by_input_shape=True):
        name = event.key
        row = rows.get(name)
        if row is None:
            row = rows[name] = {
                "name": name,
                "calls": 0,
                "self_cpu_us": 0.0,
                "cpu_total_us": 0.0,
                "self_device_us": 0.0,
                "device_total_us": 0.0,
                "self_cpu_memory": 0,
                "self_device_memory": 0,
                "shapes": [],
            }
        row["calls"] += int(event.count)
        row["self_cpu_us"] += _number(event.self_cpu_time_total)
        row["cpu_total_us"] += _number(event.cpu_time_total)
        row["self_device_us"] += _number(getattr(event, "self_device_time_total", 0))
        row["device_total_us"] += _number(getattr(event, "device_time_total", 0))
        row["self_cpu_memory"] += int(_number(event.self_cpu_memory_usage))
        row["self_device_memory"] += int(_number(getattr(event, "self_device_memory_usage", 0)))
        shapes = [list(s) for s in (event.input_shapes or []) if isinstance(s, (list, tuple))]
        if any(shapes):
            _add_shape(row["shapes"], str(shapes), int(event.count))
    return rows


def _add_shape(shapes: list, text: str, count: int) -> None:
    for entry in shapes:
        if entry["shapes"] == text:
            entry["calls"] += count
            return
    shapes.append({"shapes": text[:300], "calls": count})


def merged_ops(results: list, cuda: bool) -> dict:
    rows: dict = {}
    for result in results:
        for name, row in result["ops"].items():
            into = rows.get(name)
            if into is None:
                rows[name] = dict(row, shapes=[dict(s) for s in row["shapes"]])
                continue
            for key in (
                "calls",
                "self_cpu_us",
                "cpu_total_us",
                "self_device_us",
                "device_total_us",
                "self_cpu_memory",
                "self_device_memory",
            ):
                into[key] += row[key]
            for shape in row["shapes"]:
                _add_shape(into["shapes"], shape["shapes"], shape["calls"])
    order = "self_device_us" if cuda else "self_cpu_us"
    ops = sorted(rows.values(), key=lambda r: r[order], reverse=True)
    for row in ops:
        row["shapes"] = sorted(row["shapes"], key=lambda s: s["calls"], reverse=True)[:MAX_SHAPES]
        for key in ("self_cpu_us", "cpu_total_us", "self_device_us", "device_total_us"):
            row[key] = round(row[key], 3)
        if not cuda:
            for key in ("self_device_us", "device_total_us", "self_device_memory"):
                row[key] = None
    return {
        "ops": ops[:MAX_OPS],
        "ops_total": len(ops),
        "self_cpu_us": round(sum(r["self_cpu_us"] for r in ops), 3),
        "self_device_us": round(sum(r["self_device_us"] for r in ops), 3) if cuda else None,
    }


def merged_events(results: list) -> list:
    events: list = []
    for result in results:
        events.extend(result["trace"].get("traceEvents", []))
    return events


def compact_trace(events: list, results: list) -> dict:
    """The trace for the notebook's timeline: spans and instants, times in us from the first,
    at most MAX_EVENTS (the longest kept), rows named as threading names the threads."""
    names: dict = {}
    processes: dict = {}
    for event in events:
        if event.get("ph") == "M":
            args = event.get("args") or {}
            if event.get("name") == "thread_name":
                names[(event.get("pid"), event.get("tid"))] = str(args.get("name", ""))
            elif event.get("name") == "process_name":
                processes[event.get("pid")] = str(args.get("name", ""))
    ours = {r["native_id"]: r["thread"] for r in results if r.get("thread")}
    kept = [
        e
        for e in events
        if e.get("ph") in ("X", "i")
        and isinstance(e.get("ts"), (int, float))
        and type(e.get("pid")) is int  # the profiler's own rows ("Spans", "Traces") are not the job's
        and type(e.get("tid")) is int
        and not (e.get("cat") == "python_function" and "flight_agent/" in str(e.get("name")))  # our hook's frame
    ]
    total = len(kept)
    if total > MAX_EVENTS:
        kept.sort(key=lambda e: _number(e.get("dur")), reverse=True)
        kept = kept[:MAX_EVENTS]
    kept.sort(key=lambda e: e["ts"])
    base = kept[0]["ts"] if kept else 0.0
    out = []
    rows: dict = {}
    for e in kept:
        key = (e.get("pid"), e.get("tid"))
        if key not in rows:
            tid = e.get("tid")
            label = ours.get(tid) or names.get(key) or f"thread {tid}"
            if isinstance(tid, str) or (e.get("cat") in ("kernel", "gpu_memcpy", "gpu_memset")):
                label = names.get(key) or f"stream {tid}"
            rows[key] = {"pid": e.get("pid"), "tid": tid, "name": label, "process": processes.get(e.get("pid"), "")}
        item = {
            "name": str(e.get("name", ""))[:200],
            "cat": e.get("cat"),
            "ph": e["ph"],
            "ts": round(e["ts"] - base, 3),
            "dur": round(_number(e.get("dur")), 3),
            "pid": e.get("pid"),
            "tid": e.get("tid"),
        }
        if e.get("name") == "[memory]":
            args = e.get("args") or {}
            item["bytes"] = int(_number(args.get("Bytes")))
            item["total"] = int(_number(args.get("Total Allocated")))
        out.append(item)
    return {
        "events": out,
        "events_total": total,
        "truncated": total > len(out),
        "rows": list(rows.values()),
        "duration_us": round(max((i["ts"] + i["dur"] for i in out), default=0.0), 3),
    }


# -- memory ---------------------------------------------------------------------------------------

CATEGORY_NAMES = {
    "PARAMETER": "parameters",
    "OPTIMIZER_STATE": "optimizer state",
    "INPUT": "inputs",
    "TEMPORARY": "temporaries",
    "ACTIVATION": "activations",
    "GRADIENT": "gradients",
    "AUTOGRAD_DETAIL": "autograd detail",
}


def categories(torch, profile, device: str) -> dict | None:
    """The profiler's memory timeline by category (torch.profiler._memory_profiler, what
    export_memory_timeline draws): times (us) and bytes per category, or None where torch
    cannot tell (a private API: its failure leaves the other results)."""
    try:
        # the target's own torch has imported it (torch.profiler does): nothing new is loaded
        memory_profiler = importlib.import_module("torch.profiler._memory_profiler")
        timeline = memory_profiler.MemoryProfileTimeline(profile._memory_profile())
        times, sizes = timeline._coalesce_timeline(device)
        order = list(memory_profiler._CATEGORY_TO_INDEX)
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"[:300]}
    labels = [CATEGORY_NAMES.get(getattr(c, "name", ""), "unknown") if c is not None else "unknown" for c in order]
    series: dict = {label: [] for label in labels}
    for row in sizes:
        for index, label in enumerate(labels):
            series[label].append(int(row[index + 1]) if index + 1 < len(row) else 0)
    return {"t_us": [float(t) for t in times], "series": series}


def _downsample(t: list, columns: dict, key: str) -> tuple:
    """At most MAX_POINTS points, keeping in each bucket the one where ``key`` is highest."""
    n = len(t)
    if n <= MAX_POINTS:
        return t, columns
    step = n / MAX_POINTS
    picks = []
    for b in range(MAX_POINTS):
        lo, hi = int(b * step), max(int((b + 1) * step), int(b * step) + 1)
        best = max(range(lo, min(hi, n)), key=lambda i: columns[key][i])
        picks.append(best)
    return [t[i] for i in picks], {k: ([v[i] for i in picks] if v is not None else None) for k, v in columns.items()}


def _frame_text(name: str) -> str:
    return name[:160]


def _cpu_allocations(events: list, device_type: int) -> list:
    """(ts, addr, bytes, stack) of each allocation and free in the trace, ``stack`` the
    innermost Python frames and op around it on its thread (with_stack)."""
    by_tid: dict = {}
    for e in events:
        if e.get("ph") == "X" and e.get("cat") in ("python_function", "cpu_op"):
            by_tid.setdefault(e.get("tid"), {"spans": [], "memory": []})["spans"].append(e)
        elif e.get("name") == "[memory]":
            args = e.get("args") or {}
            if int(_number(args.get("Device Type"))) != device_type:
                continue
            by_tid.setdefault(e.get("tid"), {"spans": [], "memory": []})["memory"].append(e)
    out = []
    for lists in by_tid.values():
        spans = sorted(lists["spans"], key=lambda e: (e["ts"], -_number(e.get("dur"))))
        memory = sorted(lists["memory"], key=lambda e: e["ts"])
        open_: list = []
        i = 0
        for m in memory:
            ts = m["ts"]
            while i < len(spans) and spans[i]["ts"] <= ts:
                span = spans[i]
                while open_ and open_[-1][0] < span["ts"]:
                    open_.pop()
                open_.append((span["ts"] + _number(span.get("dur")), span))
                i += 1
            while open_ and open_[-1][0] < ts:
                open_.pop()
            frames = [s for _, s in open_]
            stack = _stack_of(frames)
            args = m.get("args") or {}
            out.append((ts, args.get("Addr"), int(_number(args.get("Bytes"))), stack))
    out.sort(key=lambda a: a[0])
    return out


def _stack_of(spans: list) -> str:
    """The innermost op and the innermost Python frames outside torch, innermost first."""
    op = next((s["name"] for s in reversed(spans) if s.get("cat") == "cpu_op"), None)
    frames = []
    for s in reversed(spans):
        if s.get("cat") != "python_function":
            continue
        name = str(s.get("name", ""))
        if (
            "torch/" in name
            or "flight_agent/" in name
            or name.startswith(("<built-in", "threading.py("))
            or "nn.Module" in name
        ):
            continue
        frames.append(_frame_text(name))
        if len(frames) >= STACK_FRAMES:
            break
    parts = ([op] if op else []) + frames
    return " < ".join(parts) if parts else "(no stack)"


def _cuda_allocations(snapshot: dict, device_index: int, t0: float, t1: float) -> tuple:
    """(allocations as _cpu_allocations gives, reserved deltas (ts, bytes)) from the history."""
    traces = snapshot.get("device_traces") or []
    entries = traces[device_index] if device_index < len(traces) else []
    lo, hi = t0 * 1e6 - 2000, t1 * 1e6 + 2000
    timed = [e for e in entries if lo <= _number(e.get("time_us")) <= hi]
    if timed:
        entries = timed
    allocations, reserved = [], []
    for index, e in enumerate(entries):
        ts = _number(e.get("time_us")) or float(index)
        action, size = e.get("action"), int(_number(e.get("size")))
        if action == "alloc":
            allocations.append((ts, e.get("addr"), size, _cuda_stack(e.get("frames") or [])))
        elif action == "free_completed":
            allocations.append((ts, e.get("addr"), -size, ""))
        elif action == "segment_alloc":
            reserved.append((ts, size))
        elif action == "segment_free":
            reserved.append((ts, -size))
    return allocations, reserved


def _cuda_stack(frames: list) -> str:
    kept = []
    for f in frames:
        filename = str(f.get("filename", ""))
        if "/torch/" in filename or filename.startswith("??"):
            continue
        kept.append(_frame_text(f"{f.get('name', '?')} ({os.path.basename(filename)}:{f.get('line', '?')})"))
        if len(kept) >= STACK_FRAMES:
            break
    return " < ".join(kept) if kept else "(no Python stack)"


def live_at_peak(allocations: list) -> tuple:
    """Replay allocations and frees: (peak of what the call allocated, its time, the blocks
    live then grouped by allocating stack)."""
    live: dict = {}
    current = peak = 0
    peak_index = -1
    for index, (_ts, addr, size, _stack) in enumerate(allocations):
        if size >= 0:
            live[addr] = size
            current += size
        else:
            current -= live.pop(addr, 0)
        if current > peak:
            peak, peak_index = current, index
    stacks: dict = {}
    blocks: dict = {}
    for _ts, addr, size, stack in allocations[: peak_index + 1]:
        if size >= 0:
            blocks[addr] = (size, stack)
        else:
            blocks.pop(addr, None)
    for size, stack in blocks.values():
        entry = stacks.setdefault(stack, {"stack": stack, "bytes": 0, "blocks": 0})
        entry["bytes"] += size
        entry["blocks"] += 1
    ranked = sorted(stacks.values(), key=lambda s: s["bytes"], reverse=True)
    peak_ts = allocations[peak_index][0] if peak_index >= 0 else None
    return peak, peak_ts, ranked[:MAX_STACKS]


def memory_summary(results: list, events: list, device: str) -> dict:
    """The torch_memory record's fields: timeline, peak, what was live at the peak."""
    result = max(results, key=lambda r: r["cost_ms"]) if len(results) > 1 else results[0]
    snapshot = result.get("snapshot")
    cats = result.get("categories") or {}
    notes = []
    if snapshot is not None:
        index = int(device.split(":")[1]) if ":" in device else 0
        allocations, reserved_deltas = _cuda_allocations(snapshot, index, result["t0"], result["t1"])
        before_alloc, before_reserved = result.get("before") or (0, 0)
        source = "cuda memory history"
    else:
        allocations = _cpu_allocations(result["trace"].get("traceEvents", []), 0)
        reserved_deltas, before_alloc, before_reserved = [], 0, None
        source = "profiler memory events"
    base = min([a[0] for a in allocations] + [d[0] for d in reserved_deltas], default=0.0)
    # the timeline of allocated (and reserved) bytes, from the allocations replayed
    t, allocated, reserved = [], [], []
    current, held = before_alloc, before_reserved
    merged = sorted([(a[0], a[2], 0, a[1]) for a in allocations] + [(d[0], d[1], 1, None) for d in reserved_deltas])
    known: dict = {}  # on the CPU, a free of a block allocated before profiling started is not seen allocated
    for ts, size, kind, addr in merged:
        if kind == 1:
            held = (held or 0) + size
        elif snapshot is not None:
            current += size
        elif size >= 0:
            known[addr] = size
            current += size
        else:
            current -= known.pop(addr, 0)
        t.append(round(ts - base, 3))
        allocated.append(current)
        reserved.append(held)
    peak_call, peak_ts, stacks = live_at_peak(allocations)
    columns = {"allocated": allocated, "reserved": reserved if snapshot is not None else None}
    t, columns = _downsample(t, columns, "allocated")
    timeline = {"t_us": t, "allocated": columns["allocated"], "reserved": columns["reserved"]}
    by_category: list = []
    category_timeline = None
    peak_bytes = max(allocated, default=before_alloc)
    if "series" in cats:
        totals = [sum(values) for values in zip(*cats["series"].values())] if cats["series"] else []
        if totals:
            at = max(range(len(totals)), key=totals.__getitem__)
            by_category = sorted(
                ({"category": k, "bytes": v[at]} for k, v in cats["series"].items() if v[at] > 0),
                key=lambda c: c["bytes"],
                reverse=True,
            )
            # torch's memory profile has a clock of its own: its timeline starts at its first time
            cat_base = min((x for x in cats["t_us"] if x > 0), default=0.0)
            ct = [round(x - cat_base, 3) if x > 0 else 0.0 for x in cats["t_us"]]
            ct, series = _downsample(ct, dict(cats["series"], total=totals), "total")
            totals_kept = series.pop("total")
            category_timeline = {"t_us": ct, "series": series}
            if snapshot is None:
                # on the CPU the categorised timeline also counts what was allocated before the
                # call and used in it (parameters, optimizer state): the timeline of record
                peak_bytes = totals[at]
                peak_ts, base = max(cats["t_us"][at], cat_base), cat_base
                timeline = {"t_us": ct, "allocated": totals_kept, "reserved": None}
    elif "error" in cats:
        notes.append(f"no categories: torch's memory profile failed ({cats['error']})")
    return {
        "source": source,
        "timeline": timeline,
        "category_timeline": category_timeline,
        "peak_bytes": int(peak_bytes),
        "peak_t_us": round(peak_ts - base, 3) if peak_ts is not None else None,
        "call_peak_bytes": int(peak_call),
        "at_peak": {"categories": by_category, "stacks": stacks},
        "notes": notes,
    }
