"""Every sample taken so far, merged into one call tree per thread, in bounded memory.

py-spy's chunks (sampler.py) arrive as collapsed stacks; each line goes into its thread's tree,
so memory grows with the number of distinct call paths, never with time: ten minutes at 100 Hz
on 50 threads is 3 million samples but only as many nodes as the program has paths. Paths are
capped too (``max_nodes``): a sample whose path would need a node beyond the cap stays in the
total of the deepest node that exists (as pruning does, docs/schema.md), and is counted in
``beyond_cap``. Threads beyond ``max_threads`` are merged into one ``[other threads]``.
"""

from __future__ import annotations

from .frames import PROCESS, THREAD, Frame, parse_frame, parse_line

MAX_NODES = 100_000
MAX_THREADS = 1_000
OTHER_THREADS = (0, -1)


class Node:
    """A call path: samples in it (``total``), samples that ended in it (``self``), its callees
    by frame id. ``total - self - sum(children's totals)`` are samples cut at the node cap."""

    __slots__ = ("total", "self", "children")

    def __init__(self) -> None:
        self.total = 0
        self.self = 0
        self.children: dict[int, Node] = {}


class ThreadTree:
    __slots__ = ("pid", "thread_id", "name", "root")

    def __init__(self, pid: int | None, thread_id: int, name: str | None):
        self.pid = pid
        self.thread_id = thread_id
        self.name = name
        self.root = Node()


class Aggregate:
    def __init__(self, max_nodes: int = MAX_NODES, max_threads: int = MAX_THREADS):
        self.max_nodes = max_nodes
        self.max_threads = max_threads
        self.frames: list[Frame] = []  # frame id -> Frame
        self._ids: dict[str, int] = {}  # py-spy's frame text -> frame id
        self.threads: dict[tuple, ThreadTree] = {}  # (pid, thread id) -> its tree
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
        for line in text.splitlines():
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
        if texts and texts[0].startswith("process "):
            frame = parse_frame(texts[0])
            if frame.kind == PROCESS:
                pid = frame.line
                self.processes.setdefault(pid or 0, frame.file or "")
                start = 1
        if len(texts) > start and texts[start].startswith("thread ("):
            frame = parse_frame(texts[start])
            if frame.kind == THREAD:
                thread_id, thread_name = frame.line or 0, frame.file
                start += 1
        thread = self._thread(pid, thread_id, thread_name)
        self.samples += count
        node = thread.root
        node.total += count
        for text in texts[start:]:
            fid = self.frame_id(text, create=self.nodes < self.max_nodes)
            child = node.children.get(fid) if fid is not None else None
            if child is None:
                if fid is None or self.nodes >= self.max_nodes:
                    self.beyond_cap += count
                    self.paths_beyond_cap += 1
                    return
                child = node.children[fid] = Node()
                self.nodes += 1
            child.total += count
            node = child
        node.self += count

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
