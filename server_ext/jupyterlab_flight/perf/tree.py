"""The aggregate (aggregate.py) -> the ``profile`` record's call trees and top functions.

- ``thread_nodes``: one NODE tree per thread; ``merged_node``: every thread in one tree under
  ``all`` (with thread levels for --threads, process levels for --subprocesses);
- ``top_functions``: functions merged across their call sites; a function's total counts each
  sample once, however often it recurses in that sample's stack;
- ``prune``: the record's trees together keep at most ``budget`` nodes, the largest; what goes
  are the smallest subtrees, whose samples stay in their parent's ``total``.

Every walk is iterative: stacks of a deeply recursive program are deeper than Python's own
recursion limit.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Mapping

from .aggregate import Aggregate, Node, ThreadTree
from .frames import NATIVE, PROCESS, THREAD, Frame

TOP = 50


def frame_node(frame: Frame | None, total: int, self_samples: int, name: str = "all") -> dict:
    if frame is None:
        node: dict = {"function": name, "file": None, "line": None}
    elif frame.kind in (THREAD, PROCESS):
        node = {"function": frame.label(), "file": None, "line": None}
    else:
        node = {"function": frame.function, "file": frame.file, "line": frame.line}
        if frame.kind == NATIVE:
            node["native"] = True
    node.update(total=total, self=self_samples, children=[])
    return node


def _sorted(children: Mapping[int, Node]) -> list[tuple[int, Node]]:
    return sorted(children.items(), key=lambda item: -item[1].total)


def to_node(agg: Aggregate, root: Node, name: str, min_total: int = 0, skipped: list | None = None) -> dict:
    """A trie -> NODE dicts, children by total descending. Paths under ``min_total`` samples
    are left out (their samples stay in their parent's total); ``skipped`` gathers
    [nodes, samples] left out."""
    top = frame_node(None, root.total, root.self, name)
    work = [(root, top)]
    while work:
        node, out = work.pop()
        for fid, child in _sorted(node.children):
            if child.total < min_total:
                if skipped is not None:
                    skipped[0] += count_trie(child)
                    skipped[1] += child.total
                continue
            converted = frame_node(agg.frames[fid], child.total, child.self)
            out["children"].append(converted)
            if child.children:
                work.append((child, converted))
    return top


def count_trie(root: Node) -> int:
    """Nodes of a trie, root included."""
    n = 0
    work = [root]
    while work:
        node = work.pop()
        n += 1
        work.extend(node.children.values())
    return n


def thread_name(thread: ThreadTree) -> str:
    return thread.name or f"thread {thread.thread_id}"


def graft(dst: Node, src: Node) -> None:
    """Add the trie src into dst (same frame ids)."""
    dst.total += src.total
    dst.self += src.self
    work = [(dst, src)]
    while work:
        d, s = work.pop()
        for fid, child in s.children.items():
            target = d.child(fid)
            target.total += child.total
            target.self += child.self
            if child.children:
                work.append((target, child))


def _level(agg: Aggregate, parent: Node, frame: Frame, tree: Node) -> Node:
    """A thread or process level above ``tree``'s callees (shared, not copied: trees are read)."""
    node = parent.child(agg.marker_id(frame))
    node.total += tree.total
    return node


def merged_trie(agg: Aggregate, thread_levels: bool, process_levels: bool) -> Node:
    """Every thread in one trie; --threads puts a level per thread under its root and
    --subprocesses one per process above those. Without levels: the one the aggregate keeps."""
    if not thread_levels and not process_levels:
        return agg.merged
    root = Node()
    for thread in agg.threads.values():
        root.total += thread.root.total
        dst = root
        if process_levels and thread.pid is not None:
            cmdline = agg.processes.get(thread.pid, "")
            dst = _level(agg, dst, Frame(PROCESS, "process", cmdline, thread.pid), thread.root)
        if thread_levels:
            level = _level(agg, dst, Frame(THREAD, "thread", thread.name, thread.thread_id), thread.root)
            level.self, level.children = thread.root.self, thread.root.children
        else:
            dst.total -= thread.root.total  # graft adds it again
            graft(dst, thread.root)
    return root


def merged_node(agg: Aggregate, thread_levels: bool, process_levels: bool, min_total: int = 0) -> dict:
    """The merged trie as NODEs, function ``all``."""
    return to_node(agg, merged_trie(agg, thread_levels, process_levels), "all", min_total)


def _threshold(roots: list[Node], budget: int) -> tuple[int, int]:
    """(node count below these roots, the total a node needs to be among the ``budget`` largest)."""
    totals: list[int] = []
    work = list(roots)
    while work:
        node = work.pop()
        for child in node.children.values():
            totals.append(child.total)
            work.append(child)
    if len(totals) <= budget:
        return len(totals), 0
    return len(totals), heapq.nlargest(budget, totals)[-1]


def record_trees(agg: Aggregate, thread_levels: bool, process_levels: bool, budget: int) -> tuple[dict, list, dict]:
    """The record's ``root``, ``threads`` and ``pruned``: at most ``budget`` nodes below the
    roots, all trees together, the largest kept."""
    merged = merged_trie(agg, thread_levels, process_levels)
    threads = sorted(agg.threads.values(), key=lambda t: (-t.root.total, t.thread_id))
    _, min_total = _threshold([merged, *(t.root for t in threads)], budget)
    skipped, skipped_in_threads = [0, 0], [0, 0]
    root = to_node(agg, merged, "all", min_total, skipped)
    entries = []
    for thread in threads:
        entry: dict = {
            "thread_id": thread.thread_id,
            "name": thread.name,
            "samples": thread.root.total,
            "root": to_node(agg, thread.root, thread_name(thread), min_total, skipped_in_threads),
        }
        if thread.pid is not None:
            entry["pid"] = thread.pid
        entries.append(entry)
    pruned = prune([root, *(e["root"] for e in entries)], budget)  # ties at the threshold
    # nodes: of every tree; samples: of the merged tree (the threads' are the same samples again)
    pruned["nodes"] += skipped[0] + skipped_in_threads[0] + agg.paths_beyond_cap
    pruned["samples"] += skipped[1] + agg.beyond_cap
    return root, entries, pruned


def _key(frame: Frame) -> tuple:
    return (frame.function, frame.file, frame.line)


def top_functions(agg: Aggregate, limit: int | None = TOP) -> list[dict]:
    """Functions by self samples. A function's total is the samples with it anywhere in the
    stack, each sample once (a recursive call inside itself adds nothing)."""
    self_counts: Counter[int] = Counter()
    totals: Counter[int] = Counter()
    active: Counter[int] = Counter()
    # the merged trie holds every sample once, on the same paths as the threads' trees
    work: list[tuple[int, Node, bool]] = [(fid, child, False) for fid, child in agg.merged.children.items()]
    while work:
        fid, node, leaving = work.pop()
        if leaving:
            active[fid] -= 1
            continue
        if not active[fid]:
            totals[fid] += node.total
        active[fid] += 1
        self_counts[fid] += node.self
        work.append((fid, node, True))
        work.extend((f, c, False) for f, c in node.children.items())
    # frame texts that name the same function (it cannot happen with py-spy's own text, but a
    # baseline file may spell a frame two ways) merge by (function, file, line)
    merged: dict[tuple, list] = {}
    for fid, total in totals.items():
        frame = agg.frames[fid]
        entry = merged.setdefault(_key(frame), [frame, 0, 0])
        entry[1] += self_counts[fid]
        entry[2] += total
    samples = agg.samples or 1
    ranked = sorted(merged.values(), key=lambda e: (-e[1], -e[2], e[0].function))
    out = []
    for frame, own, total in ranked if limit is None else ranked[:limit]:
        row: dict = {
            "function": frame.function,
            "file": frame.file,
            "line": frame.line,
            "self": own,
            "total": total,
            "self_pct": round(100.0 * own / samples, 1),
            "total_pct": round(100.0 * total / samples, 1),
        }
        if frame.kind == NATIVE:
            row["native"] = True
        out.append(row)
    return out


def count_nodes(roots: Iterable[dict]) -> int:
    n = 0
    work = list(roots)
    while work:
        node = work.pop()
        n += 1
        work.extend(node["children"])
    return n


def prune(roots: list[dict], budget: int) -> dict:
    """Keep the ``budget`` largest nodes of these trees (their roots always stay); returns the
    record's ``pruned``: nodes left out, and the samples in those of the first tree (still in
    their parents' totals)."""
    nodes: list[tuple[int, int, dict]] = []  # (total, depth, node) of every node below a root
    work = [(root, 0) for root in roots]
    while work:
        node, depth = work.pop()
        for child in node["children"]:
            nodes.append((child["total"], depth + 1, child))
            work.append((child, depth + 1))
    if len(nodes) <= budget:
        return {"nodes": 0, "samples": 0}
    # a parent's total is at least its child's, and ties go to the shallower: what is kept is a tree
    nodes.sort(key=lambda item: (-item[0], item[1]))
    keep = {id(node) for _, _, node in nodes[:budget]}
    removed_samples = 0
    work2 = [(root, i == 0) for i, root in enumerate(roots)]
    while work2:
        node, first = work2.pop()
        kept = []
        for child in node["children"]:
            if id(child) in keep:
                kept.append(child)
                work2.append((child, first))
            elif first:
                removed_samples += child["total"]
        node["children"] = kept
    return {"nodes": len(nodes) - budget, "samples": removed_samples}
