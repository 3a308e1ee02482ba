"""The ``perf`` stream: one ``message``, a live ``profile`` after each chunk, the final
``profile`` (and the ``-f`` file, named in a ``message``), then ``end``.

Everything is checked before the first sample (the pid, -f's directory, --baseline's file,
py-spy itself), so bad input is one line and nothing runs. Whatever ends the stream (-d,
a stop, --timeout, the target's exit, an exception, the consumer closing the generator), every
sample taken so far is in the final record, and no py-spy is left running.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypedDict

from ..attach.inject import agent_package_dir
from ..attach.process import inspect_process
from ..errors import FlightError
from .aggregate import Aggregate
from .baseline import Baseline, read_baseline
from .export import check_writable, write_export
from .sampler import Sampler, SamplerOptions, find_pyspy, pyspy_version, thread_count
from .tree import record_trees, top_functions

NONBLOCKING_THREADS = 20  # py-spy's blocking mode pauses every thread per sample: many threads, slow target
LIVE_NODES = 5_000  # a live record is sent every second or so: kept small
FINAL_NODES = 20_000
SLOW_PICTURE_S = 0.25  # a picture that takes longer to make than this lengthens the chunks


class PerfRequest(TypedDict):
    pid: int | None
    duration: float | None
    rate: int
    file: str | None
    native: bool
    idle: bool
    gil: bool
    threads: bool
    subprocesses: bool
    nonblocking: bool
    baseline: str | None


FLAGS = ("native", "idle", "gil", "threads", "subprocesses", "nonblocking")


class Capture:
    """What a run knows besides the samples: for the records' header fields."""

    def __init__(self, pid: int, request: PerfRequest, engine_version: str, flags: dict, baseline: Baseline | None):
        self.pid = pid
        self.request = request
        self.engine_version = engine_version
        self.flags = flags
        self.baseline = baseline
        self.errors = 0
        self.behind = 0

    def record(self, agg: Aggregate, sampler: Sampler, live: bool) -> dict:
        flags = self.flags
        root, threads, pruned = record_trees(
            agg, flags["threads"], flags["subprocesses"], LIVE_NODES if live else FINAL_NODES
        )
        if self.baseline is not None:
            self.baseline.apply(root, self.baseline.merged)
            for entry in threads:
                self.baseline.apply(entry["root"], self.baseline.thread_base(entry["root"]["function"]))
        duration = sampler.sampled_s
        busiest = max((t["samples"] for t in threads), default=0)
        record: dict = {
            "v": 1,
            "kind": "profile",
            "pid": self.pid,
            "engine": "py-spy",
            "engine_version": self.engine_version,
            "live": live,
            "samples": agg.samples,
            "errors": self.errors,
            "rate": self.request["rate"],
            # sampling instants per second: the thread seen most often is in (nearly) every one
            "achieved_rate": round(busiest / duration, 1) if duration > 0 else 0.0,
            "duration_s": round(duration, 3),
            "lost_s": round(sampler.lost_s, 3),
            "flags": dict(flags),
            "root": root,
            "threads": threads,
            "top": top_functions(agg),
            "pruned": pruned,
            "baseline": self.baseline.describe(agg) if self.baseline is not None else None,
            "file": None,
        }
        if self.behind:
            record["behind"] = self.behind
        if agg.hidden:
            record["agent_samples"] = agg.hidden
        return record

    def title(self, agg: Aggregate, sampler: Sampler) -> str:
        return f"pid {self.pid}: {agg.samples:,} samples in {sampler.sampled_s:.1f} s (py-spy {self.engine_version})"


def _agent_dir() -> str | None:
    """Where our agent's code lives: its threads in an attached target are left out."""
    try:
        return agent_package_dir()
    except FlightError:
        return None


def _first_message(pid: int, request: PerfRequest, version: str, flags: dict, threads: int, auto: bool) -> str:
    until = f"for {request['duration']:g} s" if request["duration"] else "until stopped"
    text = f"sampling pid {pid} at {request['rate']} Hz with py-spy {version}, {until}"
    on = [name for name in FLAGS if flags[name] and not (name == "nonblocking" and auto)]
    if on:
        text += " (" + ", ".join(f"--{name}" for name in on) + ")"
    if auto:
        text += f"; --nonblocking: the target has {threads} threads (blocking mode would pause each per sample)"
    if request["baseline"]:
        text += f"; compared with {request['baseline']}"
    return text


def profile_stream(request: PerfRequest, pid: int, stop_reason: Callable[[], str | None]) -> Iterator[dict]:
    target = inspect_process(pid)  # no such pid, another user's, not Python: one line
    if request["file"]:
        check_writable(request["file"])
    baseline = read_baseline(request["baseline"]) if request["baseline"] else None
    engine = find_pyspy()
    version = pyspy_version(engine)
    threads = thread_count(pid)
    auto = not request["nonblocking"] and threads > NONBLOCKING_THREADS
    flags = {name: bool(request[name]) for name in FLAGS}  # type: ignore[literal-required]
    flags["nonblocking"] = flags["nonblocking"] or auto
    options = SamplerOptions(
        pid, request["rate"], flags["native"], flags["idle"], flags["gil"], flags["subprocesses"], flags["nonblocking"]
    )
    workdir = tempfile.mkdtemp(prefix="flight-perf-")
    sampler = Sampler(engine, version, options, target.version, workdir)
    capture = Capture(pid, request, version, flags, baseline)
    agg = Aggregate(hide_under=_agent_dir())
    error: FlightError | None = None
    try:
        if not sampler.start(stop_reason):
            yield {"v": 1, "kind": "message", "text": f"pid {pid}: stopped before py-spy took its first sample"}
            yield {"v": 1, "kind": "end", "reason": sampler.end_reason or "stopped", "hooks": False}
            return
        yield {
            "v": 1,
            "kind": "message",
            "text": _first_message(pid, request, version, flags, threads, auto),
            "stop_hint": "ends it and keeps every sample",
        }
        try:
            for chunk in sampler.chunks(stop_reason, request["duration"]):
                agg.add_collapsed(chunk.text)
                capture.errors += chunk.errors
                capture.behind += chunk.behind
                if chunk.last:
                    break
                began = time.monotonic()
                record = capture.record(agg, sampler, live=True)
                made = time.monotonic() - began
                if made > SLOW_PICTURE_S:  # a big tree: fewer, longer chunks (the picture stays fresh enough)
                    sampler.chunk_s = min(5.0, max(sampler.chunk_s, 4 * made))
                yield record
        except FlightError as e:  # py-spy failed mid-way: what was sampled is still the result
            error = e
        sampler.close()
        final = capture.record(agg, sampler, live=False)
        written = None
        if request["file"]:
            try:
                final["file"] = write_export(
                    request["file"],
                    agg,
                    capture.title(agg, sampler),
                    flags["threads"],
                    flags["subprocesses"],
                    baseline,
                )
                written = final["file"]
            except FlightError as e:
                error = error or e
        yield final
        if written is not None:
            text = f"profile written to {written['path']} ({written['format']}, {written['bytes']:,} bytes)"
            yield {"v": 1, "kind": "message", "text": text}
        if error is not None:
            yield {"v": 1, "kind": "error", "message": error.message}
        yield {"v": 1, "kind": "end", "reason": sampler.end_reason or ("error" if error else "stopped"), "hooks": False}
    finally:
        sampler.close()
        shutil.rmtree(workdir, ignore_errors=True)
