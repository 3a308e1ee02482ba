"""Every sample taken so far, merged into one call tree per thread, in bounded memory.

py-spy's chunks (sampler.py) arrive as collapsed stacks; each line goes into its thread's tree,
so memory grows with the number of distinct call paths, never with time: ten minutes at 100 Hz
on 50 threads is 3 million samples but only as many nodes as the program has paths. Paths are
capped too (``max_nodes``): a sample whose path would need a node beyond the cap stays in the
total of the deepest node that exists (as pruning does, docs/schema.md), and is counted in
``beyond_cap``. Threads beyond ``max_threads`` are merged into one ``[other threads]``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType

from .frames import PROCESS, PYTHON, THREAD, Frame, complete, parse_frame, parse_line

MAX_NODES = 100_000
MAX_THREADS = 1_000
OTHER_THREADS = (0, -1)


_LEAF: Mapping[int, Node] = MappingProxyType({})


class Node:
    """A call path: samples in it (``total``), samples that ended in it (``self``), its callees
    by frame id. ``total - self - sum(children's totals)`` are samples cut at the node cap.
    Most nodes are leaves: they share one empty, read-only mapping until they get a child
    (half the objects, which the garbage collector would otherwise walk)."""

    __slots__ = ("total", "self", "children")

    def __init__(self) -> None:
        self.total = 0
        self.self = 0
        self.children: Mapping[int, Node] = _LEAF

    def child(self, fid: int) -> Node:
        """The child for this frame, made if it is not there."""
        node = self.children.get(fid)
        if node is None:
            if self.children is _LEAF:
                self.children = {}
            node = self.children[fid] = Node()  # type: ignore[index]
        return node


class ThreadTree:
    __slots__ = ("pid", "thread_id", "name", "root")

    def __init__(self, pid: int | None, thread_id: int, name: str | None):
        self.pid = pid
        self.thread_id = thread_id
        self.name = name
        self.root = Node()


class Aggregate:
    """``hide_under``: a folder whose code, as a thread's outermost Python frame, marks a thread
    to leave out (our agent's own threads in the target: they would be in every picture)."""

    def __init__(self, max_nodes: int = MAX_NODES, max_threads: int = MAX_THREADS, hide_under: str | None = None):
        self.max_nodes = max_nodes
        self.max_threads = max_threads
        self.hide_under = os.path.join(hide_under, "") if hide_under else None
        self.hidden = 0  # samples of hidden threads
        self.frames: list[Frame] = []  # frame id -> Frame
        self._ids: dict[str, int] = {}  # py-spy's frame text -> frame id
        self.threads: dict[tuple, ThreadTree] = {}  # (pid, thread id) -> its tree
        self.merged = Node()  # every thread's tree in one, kept as samples come
        self.processes: dict[int, str] = {}  # pid -> command line (with -s)
        self.nodes = 0
        self.samples = 0
        self.beyond_cap = 0  # samples whose path was cut at the node cap
        self.paths_beyond_cap = 0

    def frame_id(self, text: str, create: bool = True) -> int | None:
        fid = self._ids.get(text)
        if fid is None and create:
            fid = len(self.frames)
            self.frames.append(parse_frame(text))
            self._ids[text] = fid
        return fid

    def marker_id(self, frame: Frame) -> int:
        """The id of a thread or process level that the merged tree adds (not from py-spy)."""
        key = "\0" + frame.text()
        fid = self._ids.get(key)
        if fid is None:
            fid = self._ids[key] = len(self.frames)
            self.frames.append(frame)
        return fid

    def add_collapsed(self, text: str) -> int:
        """Merge collapsed-stack text (one ``frames COUNT`` per line); returns the samples added."""
        added = 0
        pending: str | None = None
        for line in text.splitlines():
            # py-spy writes a process's command line as it is: one with newlines (python -c
            # "...") spans lines, up to the '";' that ends the process frame
            if pending is not None:
                line = pending + " " + line
                pending = None
            if line.startswith("process ") and not complete(line):
                pending = line
                continue
            parsed = parse_line(line)
            if parsed is not None:
                self.add_stack(*parsed)
                added += parsed[1]
        return added

    def add_stack(self, texts: list[str], count: int) -> None:
        if count <= 0:
            return
        pid: int | None = None
        thread_id, thread_name = 0, None
        start = 0
        while start < len(texts) and texts[start].startswith("process "):  # its process, after its parents
            frame = parse_frame(texts[start])
            if frame.kind != PROCESS:
                break
            pid = frame.line
            self.processes.setdefault(pid or 0, frame.file or "")
            start += 1
        if len(texts) > start and texts[start].startswith("thread ("):
            frame = parse_frame(texts[start])
            if frame.kind == THREAD:
                thread_id, thread_name = frame.line or 0, frame.file
                start += 1
        if self.hide_under is not None and self._hidden(texts, start):
            self.hidden += count
            return
        thread = self._thread(pid, thread_id, thread_name)
        self.samples += count
        node, merged = thread.root, self.merged
        node.total += count
        merged.total += count
        for text in texts[start:]:
            fid = self.frame_id(text, create=self.nodes < self.max_nodes)
            child = node.children.get(fid) if fid is not None else None
            if child is None:
                if fid is None or self.nodes >= self.max_nodes:
                    self.beyond_cap += count
                    self.paths_beyond_cap += 1
                    return
                child = node.child(fid)
                self.nodes += 1
            assert fid is not None
            child.total += count
            node = child
            merged = merged.child(fid)  # a path of the merged tree is some thread's: no more nodes than theirs
            merged.total += count
        node.self += count
        merged.self += count

    def _hidden(self, texts: list[str], start: int) -> bool:
        assert self.hide_under is not None
        for text in texts[start:]:
            fid = self.frame_id(text, create=self.nodes < self.max_nodes)
            frame = self.frames[fid] if fid is not None else parse_frame(text)
            if frame.kind == PYTHON:
                return bool(frame.file and frame.file.startswith(self.hide_under))
        return False

    def _thread(self, pid: int | None, thread_id: int, name: str | None) -> ThreadTree:
        key = (pid, thread_id)
        thread = self.threads.get(key)
        if thread is None:
            if len(self.threads) >= self.max_threads:
                key = OTHER_THREADS
                thread = self.threads.get(key)
                if thread is None:
                    thread = self.threads[key] = ThreadTree(None, -1, "[other threads]")
                return thread
            thread = self.threads[key] = ThreadTree(pid, thread_id, name)
        elif name and thread.name != name and key != OTHER_THREADS:
            thread.name = name  # renamed since (threading.Thread.name is writable)
        return thread
