"""What every workflow shares: the records it streams, counted, and the diagnosis it ends with."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..commands.parser import parse_command
from ..errors import FlightError


class Steps:
    """Counts the records a workflow yields (a finding names them by index) and makes its
    progress lines and its diagnosis."""

    def __init__(self, problem: str, workflow: str, session=None):
        self.problem = problem
        self.workflow = workflow
        self.session = session  # its stop_reason says whether the run was stopped early
        self.count = 0
        self.findings: list = []
        self.missing: list = []

    def emit(self, record: dict) -> dict:
        self.count += 1
        return record

    def progress(self, text: str) -> dict:
        return self.emit({"v": 1, "kind": "message", "text": f"diagnose {self.workflow}: {text}"})

    def index(self) -> int:
        """The index the next record will have."""
        return self.count

    def has(self, command: str) -> bool:
        """Whether this version has a step's command; one that is not here is said in the diagnosis."""
        from ..commands.registry import COMMANDS  # the registry imports this package

        if command in COMMANDS:
            return True
        if command not in self.missing:
            self.missing.append(command)
        return False

    def find(self, title: str, evidence: str, records: list) -> None:
        self.findings.append({"title": title, "evidence": evidence, "records": sorted(set(records))})

    def diagnosis(self, classification: str, confidence: float, summary: str, cause: str, next_: list) -> dict:
        from ..commands.registry import COMMANDS

        record = {
            "v": 1,
            "kind": "diagnosis",
            "problem": self.problem,
            "workflow": self.workflow,
            "classification": classification,
            "confidence": round(confidence, 2),
            "summary": summary,
            "cause": cause,
            "findings": self.findings,
            "next": [line for line in next_ if line.split()[0] in COMMANDS],
            "missing": self.missing,
            # Stop, Ctrl-C, a kernel interrupt or --timeout ended the run early: what the steps so
            # far found (the workflows skip the steps left)
            "stopped": bool(self.session is not None and self.session.stop_reason),
        }
        return self.emit(record)


def run_agent(session, command: str, args: dict) -> Iterator[dict]:
    """One agent command's records (errors come back as records)."""
    return session.client.run(command, args)


def agent_stream(session, command: str, args: dict, seconds: float) -> Iterator[dict]:
    """A streaming agent command's records, stopped after ``seconds`` at the latest (a stop from
    the front door ends it sooner: the session sends it to the request in flight)."""
    import threading

    timer = threading.Timer(seconds, session.client.stop, ("timeout",))
    timer.daemon = True
    timer.start()
    try:
        for record in session.client.run(command, args, long_running=True):
            stopped_from_outside(session, record)
            yield record
    finally:
        timer.cancel()


def run_line(session, line: str, seconds: float | None = None) -> Iterator[dict]:
    """Another command's records, from its command line (its descriptor's request or its own
    runner), stopped after ``seconds``; a stop from outside stops the whole run."""
    parsed = parse_command(line)
    runner = parsed.command.run
    if runner is not None:
        for record in runner(parsed, session):
            stopped_from_outside(session, record)
            yield record
        return
    import threading

    timer = None
    if seconds is not None:
        timer = threading.Timer(seconds, session.client.stop, ("timeout",))
        timer.daemon = True
        timer.start()
    try:
        for record in session.client.run(parsed.name, parsed.request, long_running=parsed.long_running):
            stopped_from_outside(session, record)
            yield record
    finally:
        if timer is not None:
            timer.cancel()


def gilstat_step(steps: Steps, session, seconds: float, hold_ms: float, note: str):
    """One short gilstat report (``hold_ms``: the shortest hold it records with its stack), as a
    workflow step; ``(report, its record index, [(index, hold event)])`` with ``yield from``
    (report None when gilstat could not run, said in an error record)."""
    gil, gil_index, holds = None, None, []
    yield steps.progress(f"gilstat for {seconds:g} s{note}")
    try:
        for record in run_line(session, f"gilstat on 10 {hold_ms:g} {seconds:g} -n 1", seconds + 10):
            if record.get("kind") == "gil_stats":
                gil, gil_index = record, steps.index()
            elif record.get("kind") == "gil_event" and record.get("event") == "hold":
                holds.append((steps.index(), record))
            yield steps.emit(record)
    except FlightError as e:
        yield steps.emit({"v": 1, "kind": "error", "message": f"gilstat: {e}"})
    return gil, gil_index, holds


def stopped_from_outside(session, record: dict) -> None:
    """A step's stream that ended "stopped" without a stop of this run was stopped from outside
    (a notebook widget's Stop names the stream in flight): the whole run stops there too."""
    if record.get("kind") == "end" and record.get("reason") == "stopped" and not session.stop_reason:
        session.request_stop("stopped")


def sleep_unless_stopped(session, seconds: float) -> bool:
    """Sleep up to ``seconds``, waking early when the run is stopped; True if it was."""
    import time

    deadline = time.monotonic() + seconds
    while not session.stop_reason:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, 0.05))
    return True


def method_words(module: str | None, qualname: str) -> list | None:
    """``module [class] method`` for a function's qualified name, or None where a command cannot
    name it (nested functions, lambdas, module code)."""
    if not module or "<" in qualname:
        return None
    parts = qualname.split(".")
    if len(parts) > 2:
        return None
    return [module, *parts]


def short(path: str) -> str:
    return os.path.basename(path)
