"""``perf -f FILE``: the whole capture in the format its suffix names, written on the client.

- ``.txt``: collapsed stacks, ``frame;frame;frame COUNT`` per line, outermost first, as
  flamegraph.pl and inferno read them (frame text ``function (file:line)``, py-spy's); thread
  frames with --threads, process frames with --subprocesses. ``perf --baseline`` reads it back.
- ``.json``: speedscope's file format (https://www.speedscope.app/file-format-schema.json), one
  ``sampled`` profile per thread, weights in samples.
- ``.svg``: a standalone flame graph (svg.py).

Exports are made from the aggregate, not from the (pruned) record: every sample is in them.
Samples cut at the aggregate's node cap end in a ``[beyond the node cap]`` frame.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator

from .. import __version__
from ..errors import FlightError
from .aggregate import Aggregate, Node, ThreadTree
from .frames import PROCESS, THREAD, Frame
from .svg import WIDTH, flame_svg
from .tree import merged_node, thread_name

FORMATS = {".svg": "svg", ".json": "speedscope", ".txt": "collapsed"}
CUT_FRAME = "[beyond the node cap]"


def export_format(path: str) -> str | None:
    return FORMATS.get(os.path.splitext(path)[1].lower())


def check_writable(path: str) -> None:
    """Refuse, before sampling, a file that could not be written at the end."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise FlightError(f"-f {path}: is a directory")
    if not os.path.isdir(directory):
        raise FlightError(f"-f {path}: no such directory {directory}")
    if not os.access(directory, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise FlightError(f"-f {path}: not writable")


def _paths(thread: ThreadTree) -> Iterator[tuple[list[int], int, bool]]:
    """(frame ids outermost first, samples ending there, cut at the cap) for every path with samples."""
    work: list[tuple[Node, list[int]]] = [(thread.root, [])]
    while work:
        node, path = work.pop()
        if node.self:
            yield path, node.self, False
        cut = node.total - node.self - sum(c.total for c in node.children.values())
        if cut > 0:
            yield path, cut, True
        for fid, child in node.children.items():
            work.append((child, [*path, fid]))


def collapsed_lines(agg: Aggregate, thread_levels: bool, process_levels: bool) -> Iterator[str]:
    for thread in agg.threads.values():
        prefix = []
        if process_levels and thread.pid is not None:
            prefix.append(Frame(PROCESS, "process", agg.processes.get(thread.pid, ""), thread.pid).text())
        if thread_levels and thread.thread_id >= 0:
            prefix.append(Frame(THREAD, "thread", thread.name, thread.thread_id).text())
        for path, count, cut in _paths(thread):
            frames = prefix + [agg.frames[fid].text() for fid in path] + ([CUT_FRAME] if cut else [])
            if frames:
                yield f"{';'.join(frames)} {count}"


def speedscope(agg: Aggregate, name: str) -> dict:
    frames: list[dict] = []
    index: dict[int, int] = {}

    def frame_index(fid: int) -> int:
        if fid not in index:
            frame = agg.frames[fid]
            entry: dict = {"name": frame.label()}
            if frame.file is not None:
                entry["file"] = frame.file
            if frame.line is not None and frame.kind not in (THREAD, PROCESS):
                entry["line"] = frame.line
            index[fid] = len(frames)
            frames.append(entry)
        return index[fid]

    cut_index: int | None = None
    profiles = []
    for thread in sorted(agg.threads.values(), key=lambda t: -t.root.total):
        samples, weights = [], []
        for path, count, cut in _paths(thread):
            stack = [frame_index(fid) for fid in path]
            if cut:
                if cut_index is None:
                    cut_index = len(frames)
                    frames.append({"name": CUT_FRAME})
                stack.append(cut_index)
            samples.append(stack)
            weights.append(count)
        label = thread_name(thread)
        if thread.pid is not None:
            label = f"{label} (pid {thread.pid})"
        profiles.append(
            {
                "type": "sampled",
                "name": label,
                "unit": "none",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        )
    return {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": profiles,
        "name": name,
        "activeProfileIndex": 0,
        "exporter": f"jupyterlab-flight {__version__}",
    }


def write_export(path: str, agg: Aggregate, title: str, thread_levels: bool, process_levels: bool, base=None) -> dict:
    """Write the file; returns the record's ``file`` ({path, format, bytes})."""
    fmt = export_format(path)
    if fmt == "collapsed":
        text = "\n".join(collapsed_lines(agg, thread_levels, process_levels)) + "\n"
    elif fmt == "speedscope":
        text = json.dumps(speedscope(agg, title), separators=(",", ":"))
    elif fmt == "svg":
        root = merged_node(agg, thread_levels, process_levels, min_total=math.ceil(agg.samples / WIDTH))
        base_samples = None
        if base is not None:
            base.apply(root, base.merged)
            base_samples = base.samples
        text = flame_svg(root, title, standalone=True, base_samples=base_samples)
    else:
        raise FlightError(f"-f {path}: the suffix names no format (.svg, .json or .txt)")
    path = os.path.abspath(path)
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise FlightError(f"cannot write {path}: {e.strerror}") from None
    return {"path": path, "format": fmt, "bytes": len(text.encode("utf-8"))}
