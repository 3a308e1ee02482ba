"""diagnose memory: what grows, whether it survives a collection, and what holds it.

Steps (read-only):
1. ``mem summary -l 500``: live objects by type, RSS and what Python objects account for;
2. ``mem diff -i S -n 2 -l 10`` (S = SECONDS / 2): growth by type over two intervals;
3. ``mem summary -l 500 --gc``: a collection, then the summary again (growth that a collection
   takes back was garbage awaiting collection, not a leak);
4. ``mem refs module class -n 3`` for the top growing class of the application: the chains
   from a root (module global, class attribute, thread frame local, closure) that keep it alive.
RSS growth beyond what the Python objects grew is said as growth outside Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import FlightError
from .steps import Steps, run_line

BUILTIN_PREFIXES = ("builtins.",)
NATIVE_SLACK = 1 << 20  # RSS growth beyond the objects' by more than this (and twice) is native


def _mib(n: float) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _container(path: str) -> str:
    """``app._SESSIONS`` of ``app._SESSIONS[12]``: what holds the instances."""
    return path[: path.rindex("[")] if path.endswith("]") and "[" in path else path


def _own(type_name: str) -> bool:
    """An application's class (module.Class), not a builtin type."""
    return "." in type_name and not type_name.startswith(BUILTIN_PREFIXES)


def run(steps: Steps, session, request: dict) -> Iterator[dict]:
    duration = request["duration"]
    if not steps.has("mem"):
        yield steps.diagnosis("unknown", 0.0, "this version has no mem command", "", [])
        return
    interval = max(duration / 2, 0.5)
    found: dict = {"before": None, "after": None, "diffs": [], "refs": None}
    where: dict = {}

    def step(line: str, name: str):
        try:
            for record in run_line(session, line, None):
                kind = record.get("kind")
                if kind == "mem_summary":
                    found[name], where[name] = record, steps.index()
                elif kind == "mem_diff":
                    found["diffs"].append(record)
                    where.setdefault("diffs", []).append(steps.index())
                elif kind == "mem_refs":
                    found["refs"], where["refs"] = record, steps.index()
                yield steps.emit(record)
        except FlightError as e:
            yield steps.emit({"v": 1, "kind": "error", "message": f"{line}: {e}"})

    yield steps.progress("mem summary (live objects by type, RSS)")
    yield from step("mem summary -l 500", "before")
    if not session.stop_reason:
        yield steps.progress(f"mem diff by type, 2 intervals of {interval:g} s")
        yield from step(f"mem diff -i {interval:g} -n 2 -l 10", "diff")
    if not session.stop_reason:
        yield steps.progress("a collection, then mem summary again")
        yield from step("mem summary -l 500 --gc", "after")

    diffs = found["diffs"]
    grows: list = []
    per_cycle: list = []
    if diffs:
        per_cycle = [{r["type"]: r for r in d["rows"] if r.get("count_delta", 0) > 0} for d in diffs]
        steady = set(per_cycle[0]).intersection(*per_cycle[1:]) if per_cycle else set()
        grows = [r for r in diffs[-1]["rows"] if r["type"] in steady]
        if grows:
            seconds = sum(d["interval"] for d in diffs)
            listed = ", ".join(
                f"{r['type']} +{sum(pc[r['type']]['count_delta'] for pc in per_cycle)}"
                f" ({sum(pc[r['type']]['count_delta'] for pc in per_cycle) / seconds:.0f}/s)"
                for r in grows[:4]
            )
            steps.find(
                "Types that grew in every interval",
                f"{listed} over {seconds:g} s ({len(diffs)} intervals).",
                where.get("diffs", []),
            )
    own = [r for r in grows if _own(r["type"])]
    top = own[0]["type"] if own else None
    checked = top or (grows[0]["type"] if grows else None)  # the type whose growth a collection tests
    before, after = found["before"], found["after"]
    survived = None
    if before is not None and after is not None and checked is not None:
        top_was, top = top, checked
        rows_before = {r["type"]: r for r in before.get("rows", [])}
        rows_after = {r["type"]: r for r in after.get("rows", [])}
        if top in rows_before and top in rows_after:
            grown = sum(d_rows[top]["count_delta"] for d_rows in per_cycle)
            # the growth survives when at least half of what the intervals added is still there
            survived = rows_after[top]["count"] - rows_before[top]["count"] >= 0.5 * grown
            steps.find(
                f"{top} after a collection",
                f"{rows_before[top]['count']} live before the intervals, {rows_after[top]['count']} after they ran and "
                f"gc.collect() ({after.get('gc_collected')} unreachable objects collected): "
                + ("the growth survives a collection." if survived else "a collection took the growth back."),
                [where["before"], where["after"]],
            )
        top = top_was
    if top is not None and steps.has("mem") and not session.stop_reason:
        module, _, cls = top.rpartition(".")
        yield steps.progress(f"mem refs {module} {cls}: what keeps {top} alive")
        yield from step(f"mem refs {module} {cls} -n 3", "refs")
        refs = found["refs"]
        if refs is not None and refs.get("chains"):
            paths = "; ".join(f"{c['path']} ({c['root']})" for c in refs["chains"][:3])
            steps.find(
                f"What holds {top}",
                f"{refs['instances']} live instances; held by {paths}.",
                [where["refs"]],
            )
    native = False
    if diffs:
        rss = sum(d.get("rss_delta") or 0 for d in diffs)
        objects = sum(d.get("total_size_delta") or 0 for d in diffs)
        native = rss > 2 * max(objects, 0) + NATIVE_SLACK
        steps.find(
            "RSS against Python objects",
            f"RSS {'+' if rss >= 0 else ''}{_mib(rss)}, Python objects {'+' if objects >= 0 else ''}{_mib(objects)} "
            f"over the intervals"
            + (
                ": the growth is outside Python objects (native allocations, caches of C libraries)." if native else "."
            ),
            where.get("diffs", []),
        )
    next_ = []
    if top is not None:
        next_.append(f"mem diff --by site -i {max(duration, 5):g}")
    if grows and survived is not False and top is not None:
        refs = found["refs"]
        holder = f" in {_container(refs['chains'][0]['path'])}" if refs and refs.get("chains") else ""
        verdict, confidence = "leak", 0.85 if survived else 0.7
        summary = f"{top} leaks: it grew in every interval" + (" and survived a collection" if survived else "")
        cause = f"{top} objects are kept{holder} and never released: remove them when done, or bound the container"
    elif grows and survived is False and top is not None:
        verdict, confidence = "garbage", 0.6
        summary = f"{top} grew, but a collection took it back"
        cause = "reference cycles freed only by the cyclic collector: memory rises between collections"
    elif native:
        verdict, confidence = "native_growth", 0.6
        summary = "RSS grows beyond what Python objects account for"
        cause = "allocations outside Python objects (C extensions, buffers, the allocator's fragmentation)"
    elif grows and survived:
        verdict, confidence = "growth", 0.5
        summary = "builtin objects grew in every interval: " + ", ".join(r["type"] for r in grows[:3])
        cause = "a container of builtin objects grows: see where they are allocated"
        next_.append(f"mem diff --by site -i {max(duration, 5):g}")
    elif diffs:
        verdict, confidence = "stable", 0.6
        summary = "no type of the application grew in every interval" + (
            ", and what builtin objects grew did not outlast a collection" if grows else ""
        )
        cause = "no steady growth over the interval: diagnose over a longer one (-d)"
    else:
        verdict, confidence = "unknown", 0.0
        summary = "no diff could be taken"
        cause = ""
    yield steps.diagnosis(verdict, confidence, summary, cause, next_)
