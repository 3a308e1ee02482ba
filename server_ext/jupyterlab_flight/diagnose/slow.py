"""diagnose slow: where the time goes.

Steps (read-only):
1. ``perf -d SECONDS`` (py-spy, from outside, on-CPU samples): the hottest functions by self
   and total time, application code told apart from the standard library and site-packages,
   and each thread's share of the interval on the CPU (a slow process with no busy thread waits:
   I/O, sleeps, locks);
2. ``gilstat on`` for a short interval (one report): the GIL's verdict, whether threads wait
   for it (the work is GIL-bound);
3. ``module FILE`` and ``trace`` of the hottest application function (or of the given
   ``module [class] method``) for a few calls, bounded by SECONDS: where inside it the time goes.
A step whose command this version lacks is said in the diagnosis (``missing``); stopped (Ctrl-C),
the remaining steps are skipped and the diagnosis says what the steps so far found.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import FlightError
from .steps import Steps, gilstat_step, run_line, short

GIL_WAIT_PCT = 20.0  # with two threads or more wanting the CPU, one waiting this share of the time: GIL-bound
BUSY_SHARE = 0.5  # a thread on the CPU for half the interval is busy
TRACE_CALLS = 3


def origin(path: str | None) -> str:
    """app | stdlib | library | native, from a frame's file."""
    if not path or path.startswith("<"):
        return "stdlib" if path and path.startswith("<frozen") else "native"
    if "site-packages" in path or "dist-packages" in path:
        return "library"
    if "/lib/python3" in path or "/lib64/python3" in path:
        return "stdlib"
    return "app"


def _fmt_top(rows: list) -> str:
    return ", ".join(
        f"{r['function']} ({short(r['file'] or '?')}:{r['line']}) {r['self_pct']:.0f}% self, {r['total_pct']:.0f}% total"
        for r in rows
    )


def run(steps: Steps, session, request: dict) -> Iterator[dict]:
    duration = request["duration"]
    target = request["target"]
    profile = None
    perf_index = None
    if steps.has("perf"):
        yield steps.progress(f"perf for {duration:g} s (py-spy, from outside: on-CPU samples)")
        try:
            for record in run_line(session, f"perf -d {duration:g}"):
                if record.get("kind") == "profile" and not record.get("live"):
                    profile, perf_index = record, steps.index()
                yield steps.emit(record)
        except FlightError as e:
            yield steps.emit({"v": 1, "kind": "error", "message": f"perf: {e}"})
    hot_app = None
    busy_threads: list = []
    if profile is not None:
        top = profile.get("top", [])
        by_self = [r for r in sorted(top, key=lambda r: -r["self"])[:5] if r["self_pct"] >= 5]
        app = [r for r in by_self if origin(r["file"]) == "app"]
        others = [r for r in by_self if origin(r["file"]) != "app"]
        hot_app = app[0] if app else None
        # samples a thread on the CPU all the time would have (idle samples are not counted: the
        # achieved rate is the busy threads' rate, not the sampler's)
        sampled_s = (profile.get("duration_s") or duration) - (profile.get("lost_s") or 0.0)
        expected = max(profile["rate"] * sampled_s, 1e-9)
        for t in profile.get("threads", []):
            share = t["samples"] / expected
            if share >= BUSY_SHARE:
                busy_threads.append((t.get("name") or str(t["thread_id"]), share))
        if app:
            steps.find(
                "Hottest application functions",
                f"{_fmt_top(app[:3])} of {profile['samples']} on-CPU samples in {profile.get('duration_s', duration):g} s.",
                [perf_index],
            )
        if others:
            where = ", ".join(f"{r['function']} ({origin(r['file'])})" for r in others[:3])
            steps.find(
                "Time in the standard library, libraries or native code",
                f"{_fmt_top(others[:3])}: {where}.",
                [perf_index],
            )
        if busy_threads:
            listed = ", ".join(f"'{n}' {s:.0%}" for n, s in busy_threads)
            steps.find("Threads on the CPU", f"{listed} of the interval on the CPU.", [perf_index])
        else:
            steps.find(
                "No thread is busy on the CPU",
                f"{profile['samples']} on-CPU samples in {profile.get('duration_s', duration):g} s at "
                f"{profile['rate']} Hz (every thread under {BUSY_SHARE:.0%} of the interval): the time goes to "
                "waiting (I/O, sleeps, locks).",
                [perf_index],
            )

    gil = None
    gil_index = None
    if steps.has("gilstat") and not session.stop_reason:
        gil, gil_index, _ = yield from gilstat_step(steps, session, min(2.0, duration), 10, " (one report)")
    waiting_gil = []
    if gil is not None:
        threads = gil.get("threads", [])
        wanting = [t for t in threads if t["total"].get("hold_pct", 0) + t["total"].get("wait_pct", 0) >= 50]
        if len(wanting) >= 2:  # several threads want the CPU: they take turns on the GIL
            waiting_gil = [t for t in threads if t["total"].get("wait_pct", 0) >= GIL_WAIT_PCT]
        steps.find("GIL", f"{gil['verdict']}.", [gil_index])

    method_line = None
    if session.stop_reason:
        pass  # stopped: the diagnosis says what the steps so far found
    elif len(target) >= 2:
        method_line = " ".join(target)
    elif hot_app is not None and steps.has("module"):
        for record in run_line(session, f"module {hot_app['file']}"):
            if record.get("kind") == "module" and record.get("modules"):
                module = record["modules"][0]
                name = hot_app["function"].split(".")
                method_line = " ".join([module, *name[-2:]])
            yield steps.emit(record)
    trace_index = None
    if method_line and steps.has("trace"):
        yield steps.progress(f"trace {method_line} for {TRACE_CALLS} calls (at most {duration:g} s)")
        try:
            for record in run_line(session, f"trace {method_line} -n {TRACE_CALLS}", duration):
                if record.get("kind") == "trace" and trace_index is None:
                    trace_index = steps.index()
                    root = record["root"]
                    children = sorted(root.get("children", []), key=lambda c: -c.get("cost_ms", 0))[:3]
                    inside = ", ".join(
                        f"{c['function']} {c['cost_ms']:.1f} ms ({c['cost_ms'] / max(root['cost_ms'], 1e-9):.0%})"
                        for c in children
                    )
                    steps.find(
                        f"Inside {record['method']}",
                        f"a call took {root['cost_ms']:.1f} ms"
                        + (
                            f"; inside it: {inside}"
                            if inside
                            else "; it calls nothing that takes time: the time is its own code"
                        )
                        + ".",
                        [trace_index],
                    )
                yield steps.emit(record)
        except FlightError as e:
            yield steps.emit({"v": 1, "kind": "error", "message": f"trace: {e}"})
        if trace_index is None:
            yield steps.emit({"v": 1, "kind": "message", "text": f"{method_line} was not called within {duration:g} s"})

    next_ = []
    if hot_app is not None:
        next_.append(f"perf -d {max(duration, 10):g} -f /tmp/profile.svg")
    if method_line:
        next_.append(f"trace {method_line} -n 10")
    if waiting_gil:
        names = ", ".join(f"'{t['name']}' {t['total']['wait_pct']:.0f}%" for t in waiting_gil)
        verdict, confidence = "gil_bound", 0.75
        summary = f"threads wait for the GIL: {names}"
        cause = "CPU-bound Python in several threads: they take turns on the GIL; use processes, or native code that releases it"
    elif hot_app is not None and busy_threads:
        verdict, confidence = "cpu_bound", 0.8
        summary = f"CPU-bound in {hot_app['function']} ({short(hot_app['file'])}:{hot_app['line']}), {hot_app['self_pct']:.0f}% of the samples"
        cause = f"{hot_app['function']}'s own code takes the time: make it do less per call or call it less"
    elif busy_threads:
        verdict, confidence = "cpu_bound_library", 0.6
        summary = "CPU-bound outside the application's code (standard library, libraries or native code)"
        cause = "the hottest functions are not the application's: see which of its calls lead there (perf flame graph)"
    elif profile is not None:
        verdict, confidence = "waiting", 0.6
        summary = "no thread is busy: the process waits (I/O, sleeps, locks)"
        cause = "the time goes to waiting, not computing"
        next_.insert(0, f"diagnose hang -d {duration:g}")
        next_.append(f"perf -d {duration:g} --idle")
    else:
        verdict, confidence = "unknown", 0.0
        summary = "no profile could be taken"
        cause = ""
    yield steps.diagnosis(verdict, confidence, summary, cause, next_)
