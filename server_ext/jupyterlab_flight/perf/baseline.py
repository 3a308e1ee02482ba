"""``perf --baseline before.txt``: an earlier capture's samples on each path of this one.

The baseline is a collapsed-stack file (``frame;frame COUNT``, outermost first), e.g. what
``perf -f before.txt`` wrote, or a flamegraph.pl / inferno collapse. Paths are compared by their
code frames (function, file, line); thread and process levels are not part of a path, except
that a thread of this capture is compared with the baseline's thread of the same name when the
baseline has thread frames (``perf --threads -f before.txt``; without them, with all of the
baseline's threads). Each node of the record gets
``base``: the baseline's samples on the same path (0 where the path is new).
"""

from __future__ import annotations

import os

from ..errors import FlightError
from .aggregate import Aggregate, Node
from .frames import PROCESS, THREAD
from .tree import graft, thread_name, top_functions

MAX_BASELINE_BYTES = 256 * 1024 * 1024
CHANGES_SHOWN = 10
MIN_CHANGE_POINTS = 1.0  # percentage points of self samples: smaller moves are sampling noise


def self_shares(agg: Aggregate) -> dict[tuple, float]:
    """{(function, file): % of samples with it innermost}, every line of a function together."""
    shares: dict[tuple, float] = {}
    samples = agg.samples or 1
    for row in top_functions(agg, limit=None):
        key = (row["function"], row["file"])
        shares[key] = shares.get(key, 0.0) + 100.0 * row["self"] / samples
    return shares


class Baseline:
    def __init__(self, source: str, agg: Aggregate):
        self.source = source
        self.agg = agg
        self.samples = agg.samples
        self.merged = agg.merged
        self.by_thread: dict[str, Node] = {}
        for thread in agg.threads.values():
            if thread.name is not None or thread.thread_id:
                graft(self.by_thread.setdefault(thread_name(thread), Node()), thread.root)
        self.has_threads = bool(self.by_thread)
        self.shares = self_shares(agg)

    def describe(self, agg: Aggregate | None = None) -> dict:
        """The record's ``baseline``; with this capture's aggregate, its ``changes`` too."""
        out: dict = {"source": self.source, "samples": self.samples}
        if agg is not None:
            out["changes"] = self.changes(agg)
        return out

    def changes(self, agg: Aggregate) -> list[dict]:
        """The functions whose self share moved most against the baseline, largest move first."""
        now = self_shares(agg) if agg.samples else {}
        rows = []
        for key in set(now) | set(self.shares):
            after, before = now.get(key, 0.0), self.shares.get(key, 0.0)
            if abs(after - before) >= MIN_CHANGE_POINTS:
                rows.append((after - before, key, after, before))
        rows.sort(key=lambda r: (-abs(r[0]), r[1]))
        return [
            {
                "function": function,
                "file": file,
                "self_pct": round(after, 1),
                "base_self_pct": round(before, 1),
                "delta_pct": round(delta, 1),
            }
            for delta, (function, file), after, before in rows[:CHANGES_SHOWN]
        ]

    def _children(self, node: Node) -> dict[tuple, Node]:
        out = {}
        for fid, child in node.children.items():
            frame = self.agg.frames[fid]
            out[(frame.function, frame.file, frame.line)] = child
        return out

    def apply(self, root: dict, base: Node | None) -> None:
        """Set ``base`` on root and every node below it, comparing paths from ``base``. A thread
        level switches to the baseline's thread of that name; a process level is skipped."""
        work: list[tuple[dict, Node | None]] = [(root, base)]
        while work:
            node, other = work.pop()
            node["base"] = other.total if other is not None else 0
            index = self._children(other) if other is not None else {}
            for child in node["children"]:
                kind = _level(child)
                if kind == THREAD and self.has_threads:
                    work.append((child, self.by_thread.get(child["function"].split(": ", 1)[-1])))
                elif kind in (THREAD, PROCESS):
                    work.append((child, other))
                else:
                    work.append((child, index.get((child["function"], child["file"], child["line"]))))

    def thread_base(self, name: str) -> Node | None:
        """What a thread's own tree is compared with: the same thread, or every thread."""
        return self.by_thread.get(name) if self.has_threads else self.merged


def _level(node: dict) -> str | None:
    """Thread and process levels of the merged tree have no file and a label of their own."""
    if node["file"] is None and node["line"] is None:
        function = node["function"]
        if function.startswith("thread "):
            return THREAD
        if function.startswith("process "):
            return PROCESS
    return None


def read_baseline(path: str) -> Baseline:
    """Read a collapsed-stack file; one clear line if it cannot be used."""
    try:
        size = os.path.getsize(path)
        if size > MAX_BASELINE_BYTES:
            raise FlightError(f"--baseline {path}: {size:,} bytes is more than a collapsed-stack file should be")
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise FlightError(f"--baseline {path}: cannot read it: {e.strerror}") from None
    agg = Aggregate()
    agg.add_collapsed(text)
    if not agg.samples:
        raise FlightError(f"--baseline {path}: no stacks in it (expected lines of 'frame;frame;frame COUNT')")
    return Baseline(path, agg)
