"""diagnose hang: which threads move, what the others wait on, who holds it, and deadlocks.

Steps (read-only):
1. ``stack``: every thread's Python stack (the first of the interval);
2. the lock graph, sampled SAMPLES times over ``-d`` seconds (the agent's ``diagnose`` step
   ``locks``: frames, locks held from ``with`` blocks / ``acquire()`` calls and RLock owners,
   what each thread waits on); threads whose frames never changed and that used (almost) no CPU did not move;
3. ``stack`` again (the last of the interval);
4. ``gilstat on 10 HOLD S -n 1`` (S = SECONDS, at most 1.5): one report, and the holds longer
   than HOLD_MS with the holder's stack: whether the threads wait for the GIL rather than a lock;
5. ``stack --native`` (pystack, from outside) when threads are stuck outside any wait we name.

A cycle of "waits for a lock held by" is a deadlock; a thread waiting on a lock held by a thread
that waits on something else is blocked behind it; threads on an empty queue or an unset event
wait for work or a signal; threads whose frames changed are running. When the GIL is busy, one
thread holds it in long holds (HOLD_MS or more: no bytecode runs during them, so the switch
interval cannot take it back: a C call that keeps the GIL) and the others wait for it most of the
time, the process starves for the GIL: nothing waits on a lock of the program's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..errors import FlightError
from .steps import Steps, gilstat_step, short, sleep_unless_stopped

LOCKS = ("lock", "rlock", "condition", "semaphore")
BUSY_SHARE = 0.05  # a thread that used more CPU than this share of the interval is running
HOLD_MS = 50.0  # a GIL hold this long is not Python bytecode (the switch interval is 5 ms): C code
GIL_BUSY_PCT = 80.0  # the GIL held this share of the interval
HOG_PCT = 50.0  # one thread held it this share
STARVED_PCT = 50.0  # another thread waited for it this share


def _samples(duration: float) -> int:
    return max(3, min(10, int(duration * 2) + 1))


def _where(entry: dict) -> str:
    return f"{short(entry['file'])}:{entry['line']}"


def _how(entry: dict) -> str:
    return "a with block" if entry["how"] == "with" else entry["how"]


def _thread(t: dict) -> str:
    return f"'{t['name']}'" if t.get("name") else f"thread {t['thread_id']}"


def _key(t: dict) -> tuple:
    return tuple((f["function"], f["file"], f["line"]) for f in t.get("frames", []))


def _what(wait: dict) -> str:
    kind, name = wait["kind"], wait["name"]
    if kind == "queue":
        size = wait.get("size")
        return f"the {'empty ' if size == 0 else ''}queue {name}" + (f" ({size} items)" if size else "")
    if kind == "event":
        return f"the event {name} ({'set' if wait.get('set') else 'not set'})"
    if kind == "thread":
        return f"thread '{wait.get('thread_name')}' to finish ({name}.join())"
    if kind == "condition" and wait.get("via", "").endswith(".wait"):
        return f"a notify on the condition {name}"
    return f"{name} ({wait['type']})"


def _holders(threads: list) -> dict:
    """lock id -> (thread, the held entry); RLock owners by ident where no frame says it."""
    by_ident = {t["thread_id"]: t for t in threads}
    holders: dict = {}
    for t in threads:
        for lock in t.get("held", []):
            holders.setdefault(lock["id"], (t, lock))
    for t in threads:
        wait = t.get("waiting")
        if wait and wait["id"] not in holders and wait.get("owner") in by_ident:
            holders[wait["id"]] = (by_ident[wait["owner"]], None)
    return holders


def _cycle(start: dict, edges: dict) -> list | None:
    seen, path = set(), []
    node = start["thread_id"]
    while node in edges and node not in seen:
        seen.add(node)
        path.append(node)
        node = edges[node]
    if node in path:
        return path[path.index(node) :]
    return None


def run(steps: Steps, session, request: dict) -> Iterator[dict]:
    duration = request["duration"]
    yield steps.progress(f"stacks and the lock graph, {_samples(duration)} times over {duration:g} s")
    first_stack = steps.index()
    for record in session.client.run("stack", {"asyncio": False}):
        yield steps.emit(record)
    samples: list = []
    sample_records: list = []
    times: list = []
    n = _samples(duration)
    start = time.monotonic()
    for i in range(n):
        if session.stop_reason:
            break
        if sleep_unless_stopped(session, start + duration * i / (n - 1) - time.monotonic()):
            break  # stopped: the diagnosis says what the samples so far show
        for record in session.client.run("diagnose", {"step": "locks"}):
            if record.get("kind") == "thread_locks":
                samples.append(record["threads"])
                times.append(time.monotonic())
            else:
                sample_records.append(steps.index())
                yield steps.emit(record)
    if not samples:
        yield steps.diagnosis("unknown", 0.0, "the lock graph could not be read", "", ["stack --native"])
        return
    gil, gil_index, holds = None, None, []
    if steps.has("gilstat") and not session.stop_reason:
        note = ": do the threads wait for the GIL?"
        gil, gil_index, holds = yield from gilstat_step(steps, session, min(1.5, duration), HOLD_MS, note)
    last_stack = steps.index()
    for record in session.client.run("stack", {"asyncio": False}):
        yield steps.emit(record)
    stacks = [first_stack, last_stack]

    last = {t["thread_id"]: t for t in samples[-1]}
    present = [tid for tid in last if all(tid in {t["thread_id"] for t in s} for s in samples)]
    elapsed = max(times[-1] - times[0], 1e-3)

    def _moved(tid) -> bool:
        seen = [next(t for t in s if t["thread_id"] == tid) for s in samples]
        cpu = [t.get("cpu_s") for t in seen]
        burned = cpu[0] is not None and cpu[-1] is not None and cpu[-1] - cpu[0] > BUSY_SHARE * elapsed
        return burned or len({_key(t) for t in seen}) > 1

    moved = {tid: _moved(tid) for tid in present}
    threads = [last[tid] for tid in present]
    still = [t for t in threads if not moved[t["thread_id"]]]
    running = [t for t in threads if moved[t["thread_id"]]]
    holders = _holders(threads)
    gil_view = _gil_starvation(gil, gil_index, holds, {t["thread_id"]: t for t in threads})
    starved = gil_view.get("starved", set()) if gil_view is not None else set()

    # waits for a lock: thread -> the thread holding it
    edges: dict = {}
    for t in still:
        wait = t.get("waiting")
        if wait and wait["kind"] in LOCKS and not wait.get("via", "").endswith(".wait") and wait["id"] in holders:
            holder = holders[wait["id"]][0]
            if holder["thread_id"] != t["thread_id"] or wait["kind"] == "lock":
                edges[t["thread_id"]] = holder["thread_id"]

    by_ident = {t["thread_id"]: t for t in threads}
    reported: set = set()
    deadlocks = []
    for t in still:
        cycle = _cycle(t, edges)
        if cycle and not reported.intersection(cycle):
            reported.update(cycle)
            deadlocks.append(cycle)
    for cycle in deadlocks:
        sides = []
        wanted = {by_ident[tid]["waiting"]["id"] for tid in cycle}
        for tid in cycle:
            t = by_ident[tid]
            wait = t["waiting"]
            held = [h for h in t.get("held", []) if h["id"] in wanted and h["id"] != wait["id"]]
            held_text = (
                "holds " + ", ".join(f"{h['name']} ({_how(h)} at {_where(h)} in {h['function']})" for h in held)
                if held
                else "holds the other lock"
            )
            sides.append(f"thread {_thread(t)} {held_text} and waits for {wait['name']} at {_where(wait)}")
        names = " and ".join(_thread(by_ident[tid]) for tid in cycle)
        steps.find(
            f"Deadlock between {names}",
            "; ".join(sides) + f". None of them moved over {len(samples)} samples in {duration:g} s.",
            stacks + sample_records,
        )

    for t in still:
        if t["thread_id"] in reported:
            continue
        wait = t.get("waiting")
        if wait is None:
            continue
        holding = [h["name"] for h in t.get("held", [])]
        also = f", holding {', '.join(holding)}" if holding else ""
        where = f"at {_where(wait)} in {wait['function']}"
        if t["thread_id"] in edges:
            holder = by_ident[edges[t["thread_id"]]]
            entry = holders[wait["id"]][1]
            taken = f" (taken by {_how(entry)} at {_where(entry)} in {entry['function']})" if entry else ""
            behind = holder.get("waiting")
            then = (
                f", which waits for {_what(behind)} at {_where(behind)}"
                if behind and not moved[holder["thread_id"]]
                else (", which is running" if moved[holder["thread_id"]] else "")
            )
            steps.find(
                f"{_thread(t)} is blocked on {wait['name']}",
                f"Thread {_thread(t)} waits for {_what(wait)} {where}{also}; thread {_thread(holder)} holds it"
                f"{taken}{then}.",
                stacks,
            )
        elif wait["kind"] in ("queue", "event", "condition", "thread", "barrier", "semaphore"):
            steps.find(
                f"{_thread(t)} waits on {wait['name']}",
                f"Thread {_thread(t)} waits for {_what(wait)} {where}{also}.",
                stacks,
            )
        else:
            state = "locked by an unknown thread" if wait.get("locked") else "free now"
            steps.find(
                f"{_thread(t)} waits for {wait['name']}",
                f"Thread {_thread(t)} waits for {_what(wait)} {where}{also}; no thread's frames hold it ({state}).",
                stacks,
            )
    idle = [t for t in still if t.get("waiting") is None and t["thread_id"] not in starved]
    idle_finding = None
    if idle:
        listed = "; ".join(
            f"{_thread(t)} in {t['frames'][-1]['function']} at {_where(t['frames'][-1])}"
            + (f" ({t['frames'][-1]['code']})" if t["frames"][-1].get("code") else "")
            for t in idle
            if t.get("frames")
        )
        idle_finding = len(steps.findings)
        steps.find(
            "Threads that did not move, waiting on nothing we name",
            f"{listed}: a sleep, I/O or a C call.",
            stacks,
        )
    if running:
        listed = "; ".join(
            f"{_thread(t)} (last in {t['frames'][-1]['function']} at {_where(t['frames'][-1])})"
            for t in running
            if t.get("frames")
        )
        steps.find("Threads still running", f"{listed}: their frames changed between samples or they used CPU.", stacks)

    if gil_view is not None:
        steps.find(*gil_view["finding"])

    native_index = None
    if idle and steps.has("stack") and not session.stop_reason:
        yield steps.progress("native frames of the threads that did not move (stack --native, pystack)")
        try:
            from ..outside import read_stack

            native_index = steps.index()
            yield steps.emit(read_stack(session.pid, True))
        except FlightError as e:
            native_index = None
            yield steps.emit({"v": 1, "kind": "message", "text": f"no native frames: {e}"})
        if native_index is not None and idle_finding is not None:
            steps.findings[idle_finding]["records"].append(native_index)

    blocked = [t for t in still if t["thread_id"] in edges]
    waiting = [t for t in still if t.get("waiting") and t["thread_id"] not in edges]
    next_ = ["stack --native"]
    if deadlocks:
        t = by_ident[deadlocks[0][0]]
        summary = f"{len(deadlocks)} deadlock{'s' if len(deadlocks) > 1 else ''}: " + "; ".join(
            " and ".join(_thread(by_ident[tid]) for tid in cycle) for cycle in deadlocks
        )
        locks = sorted({by_ident[tid]["waiting"]["name"] for cycle in deadlocks for tid in cycle})
        cause = (
            f"a lock-order inversion: the threads take {' and '.join(locks)} in different orders; take them in "
            "one order everywhere (or one lock for both), or acquire with a timeout"
        )
        verdict, confidence = "deadlock", 0.95
    elif starved:
        assert gil_view is not None
        summary, cause = gil_view["summary"], gil_view["cause"]
        verdict, confidence = "gil_starvation", 0.8
    elif blocked:
        summary = f"{len(blocked)} thread(s) blocked on locks held by other threads: " + ", ".join(
            _thread(t) for t in blocked
        )
        cause = "a thread holds a lock while it waits or works; the others queue behind it"
        verdict, confidence = "lock_wait", 0.8
    elif waiting and not running:
        summary = "every thread waits for work or a signal: " + ", ".join(_thread(t) for t in waiting)
        cause = "nothing feeds the queue or sets the event the threads wait on"
        verdict, confidence = "waiting", 0.7
    elif running:
        summary = "not hung: " + ", ".join(_thread(t) for t in running) + " kept running"
        cause = "the process works; if it is slow, profile it"
        verdict, confidence = "running", 0.6
        next_.insert(0, f"diagnose slow -d {duration:g}")
    else:
        summary = "no thread moved and none waits on a lock, queue or event we can name"
        cause = "a sleep, blocking I/O or a native call: see the native frames"
        verdict, confidence = "stuck", 0.4
    if running and verdict != "running":
        next_.append(f"perf -d {duration:g}")
    if verdict == "gil_starvation":
        next_ = [f"perf -d {max(duration, 5):g} --gil --native", f"gilstat on 10 {HOLD_MS:g} 2 -n 3", "stack --native"]
    elif steps.has("gilstat") and gil is None:
        next_.append("gilstat on 10 10 2 -n 1")
    yield steps.diagnosis(verdict, confidence, summary, cause, next_)


def _gil_starvation(gil, gil_index, holds: list, by_ident: dict) -> dict | None:
    """What the GIL report says: ``finding`` (title, evidence, records) and, when the threads
    starve for the GIL, ``summary``, ``cause`` and the ``starved`` thread ids; None without one."""
    if gil is None:
        return None
    rows = gil.get("threads", [])
    if not rows:
        return {"finding": ("GIL", f"{gil['verdict']}.", [gil_index])}
    hog = max(rows, key=lambda r: r["total"].get("hold_pct") or 0)
    total = hog["total"]
    starved = [r for r in rows if r is not hog and (r["total"].get("wait_pct") or 0) >= STARVED_PCT]
    long_holds = (total.get("max_hold_ms") or 0) >= HOLD_MS
    hogs = (total.get("hold_pct") or 0) >= HOG_PCT
    if not (starved and long_holds and hogs):
        why = (
            "no thread waits for it most of the time"
            if not starved
            else f"no thread holds it most of the time in holds of {HOLD_MS:g} ms or more"
        )
        return {"finding": ("GIL", f"{gil['verdict']}: not the cause ({why}).", [gil_index])}
    # where the hog holds it: the most frequent innermost frame of its long holds (the stack is
    # the holder's at the hold's end: exact when ``stack_exact``), else where the lock graph saw it
    own = [(i, e) for i, e in holds if e.get("thread_id") == hog["thread_id"] and e.get("stack")]
    places: dict = {}
    for _, event in own:
        top = event["stack"][-1]
        key = (top["function"], top["file"], top["line"])
        places[key] = places.get(key, 0) + 1
    where = ""
    if places:
        function, file, line = max(places, key=lambda k: places[k])
        where = f" in {function} ({short(file)}:{line})"
    elif hog["thread_id"] in by_ident and by_ident[hog["thread_id"]].get("frames"):
        frame = by_ident[hog["thread_id"]]["frames"][-1]
        where = f" in {frame['function']} ({short(frame['file'])}:{frame['line']})"
    waited = ", ".join(f"'{r['name']}' {r['total']['wait_pct']:.0f}%" for r in starved)
    holds_text = f"{len(own)} holds of {HOLD_MS:g} ms or more" if own else "long holds"
    evidence = (
        f"Thread '{hog['name']}' held the GIL {total['hold_pct']:.0f}% of {gil['elapsed_s']:g} s{where}, "
        f"{holds_text}, the longest {total['max_hold_ms']:.0f} ms; {waited} of the time waiting for it. "
        "Holds that long run no bytecode (the switch interval is 5 ms): a C call that keeps the GIL."
    )
    return {
        "finding": (
            f"'{hog['name']}' starves the other threads of the GIL",
            evidence,
            [gil_index, *(i for i, _ in own[:3])],
        ),
        "starved": {r["thread_id"] for r in starved},
        "summary": f"GIL starvation: '{hog['name']}' holds the GIL{where} for up to {total['max_hold_ms']:.0f} ms "
        f"at a time; {waited} waiting for it",
        "cause": f"a long C call in '{hog['name']}'{where} keeps the GIL (no bytecode runs, so the switch interval "
        "cannot hand it over): release the GIL in that extension (Py_BEGIN_ALLOW_THREADS), cut the work into "
        "smaller calls, or move it to a process; no lock of the program's is involved",
    }
