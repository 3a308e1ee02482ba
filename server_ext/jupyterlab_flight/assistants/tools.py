"""The assistant tools, one method each: what ``flight_profiler mcp`` and Jupyter's MCP server serve.

Every run is bounded: a timeout always applies (a stream ends with its records, a one-shot
command is interrupted), a stream whose ``-n`` has no default gets one, and the output is cut
at ``max_output`` characters with a line that says so (a diagnosis and errors are shown after it). Read-only unless ``allow_writes``
(policy.py). Output is the terminal's text (tables, stacks, a diagnosis) or, on request, one
JSON record per line (docs/schema.md): nothing an assistant cannot read, never an SVG.
"""

from __future__ import annotations

import json
import shlex
import threading
from dataclasses import dataclass, field

from ..commands import ParsedCommand, help_text, parse_command
from ..diagnose.router import WORKFLOWS
from ..errors import FlightError, internal_error
from ..processes import list_python_processes
from ..render.text import render_text
from ..session import FlightSession
from .policy import refusal

MAX_OUTPUT_CHARS = 40_000
DEFAULT_TIMEOUT_S = 30.0
MAX_TIMEOUT_S = 300.0
STREAM_LIMIT = 3  # -n for a stream whose -n has no default (gilstat on, monitor)
DEFAULT_DIAGNOSE_S = 5.0
OUTPUTS = ("text", "json")
ALWAYS_SHOWN = ("diagnosis", "error")  # past the output cut too: a workflow's conclusion, what failed


class ToolFailed(Exception):
    """A tool's answer that is an error (the front door marks the MCP result as one)."""


@dataclass
class _Held:
    session: FlightSession
    lock: threading.Lock = field(default_factory=threading.Lock)
    commands: int = 0
    last: str = ""


class Toolbox:
    """The tools of one front door, with its sessions (one per pid, one command at a time each)."""

    def __init__(self, allow_writes: bool = False, max_output: int = MAX_OUTPUT_CHARS):
        self.allow_writes = allow_writes
        self.max_output = max_output
        self._held: dict[int, _Held] = {}
        self._lock = threading.Lock()

    # -- the tools ---------------------------------------------------------------------------

    def processes(self, name_contains: str = "") -> str:
        rows = [p for p in list_python_processes() if name_contains in (p.get("cmdline") or "")]
        if not rows:
            return f"no Python process on this machine whose command line contains {name_contains!r}"
        return render_text({"v": 1, "kind": "processes", "processes": rows})

    def sessions(self) -> str:
        with self._lock:
            held = sorted(self._held.items())
        if not held:
            return "no sessions yet: run_command attaches to a pid on its first command"
        rows = [
            {
                "pid": pid,
                "current": False,
                "connected": h.session.connected,
                "python": h.session.hello.get("python"),
                "executable": h.session.hello.get("executable"),
            }
            for pid, h in held
        ]
        table = render_text({"v": 1, "kind": "sessions", "sessions": rows})
        last = "\n".join(f"pid {pid}: {h.commands} commands, last: {h.last}" for pid, h in held)
        return f"{table}\n{last}"

    def help(self, command: str = "") -> str:
        try:
            return help_text(command.strip() or None)
        except FlightError as e:
            raise ToolFailed(e.message) from None

    def run(self, pid: int, command: str, timeout_s: float = DEFAULT_TIMEOUT_S, output: str = "text") -> str:
        if output not in OUTPUTS:
            raise ToolFailed(f"output is one of {', '.join(OUTPUTS)}; got {output!r}")
        timeout = min(max(float(timeout_s), 1.0), MAX_TIMEOUT_S)
        try:
            parsed = self._bounded(parse_command(command))
        except FlightError as e:
            raise ToolFailed(e.message) from None
        if parsed.interactive:
            raise ToolFailed(parsed.command.needs_terminal)
        why = "" if self.allow_writes else refusal(parsed)
        if why:
            raise ToolFailed(
                f"refused in read-only mode: {why}. This MCP server only reads; the user can restart it "
                "with --allow-writes (flight_profiler mcp --allow-writes) to allow commands that change the "
                "target, run code in it or write files."
            )
        return self._run(pid, parsed, timeout, output)

    def diagnose(
        self, pid: int, problem: str, duration_s: float = DEFAULT_DIAGNOSE_S, function: str = "", output: str = "text"
    ) -> str:
        """A workflow by name (then ``function``: module [class] method), or free text routed by keywords."""
        words = [problem.strip()] if problem.strip() in WORKFLOWS else [shlex.quote(problem)]
        if function.strip():
            words += [shlex.quote(word) for word in function.split()]
        line = f"diagnose {' '.join(words)} -d {float(duration_s):g}"
        return self.run(pid, line, timeout_s=float(duration_s) + DEFAULT_TIMEOUT_S, output=output)

    def close(self) -> None:
        with self._lock:
            held, self._held = list(self._held.values()), {}
        for h in held:
            h.session.close()

    # -- how ---------------------------------------------------------------------------------

    @staticmethod
    def _bounded(parsed: ParsedCommand) -> ParsedCommand:
        """A stream with no -n limit gets one (the timeout bounds the rest)."""
        limit = next((option for option in parsed.command.options if option.name == "limit"), None)
        if parsed.streams and limit is not None and parsed.request.get("limit") is None:
            return parse_command(f"{parsed.line} {limit.flags[0]} {STREAM_LIMIT}")
        return parsed

    def _session(self, pid: int) -> _Held:
        with self._lock:
            held = self._held.get(pid)
            if held is None:
                held = self._held[pid] = _Held(FlightSession(pid))
            return held

    def _run(self, pid: int, parsed: ParsedCommand, timeout: float, output: str) -> str:
        held = self._session(pid)
        out = _Output(output, self.max_output)
        with held.lock:
            held.commands += 1
            held.last = parsed.line
            try:
                held.session.run_interruptible(parsed, out.add, timeout=timeout)
            except FlightError as e:
                out.add({"v": 1, "kind": "error", "message": e.message})
            except Exception as e:  # a bug of ours: one line for the assistant, the traceback in the log
                out.add({"v": 1, "kind": "error", "message": internal_error(e, "flight_profiler mcp").message})
            if parsed.command.ends_session:
                with self._lock:
                    self._held.pop(pid, None)
        text = out.text()
        if out.failed:
            raise ToolFailed(text)
        return text


class _Output:
    """Records as text (or JSON lines), cut at ``limit`` characters with a line that says so."""

    def __init__(self, output: str, limit: int):
        self.output = output
        self.limit = limit
        self.parts: list = []
        self.size = 0
        self.total = 0
        self.records = 0
        self.failed = False
        self.full = False
        self.after: list = []  # the records shown past the cut (the diagnosis, errors)

    def add(self, record: dict) -> None:
        self.records += 1
        if record.get("kind") == "error" or record.get("error"):
            self.failed = True
        part = json.dumps(record, ensure_ascii=False) if self.output == "json" else render_text(record)
        newline = 1 if self.records > 1 else 0  # the records are joined by newlines
        self.total += newline + len(part)
        room = self.limit - self.size - newline
        if self.full or room <= 0 or (self.output == "json" and len(part) > room):  # JSON: whole records only
            self.full = True
            if record.get("kind") in ALWAYS_SHOWN:
                self.after.append(part)
            return
        self.parts.append(part[:room])
        self.size += newline + len(self.parts[-1])

    def text(self) -> str:
        text = "\n".join(self.parts)
        if self.total > self.size:
            text += (
                f"\n[output cut: {self.size:,} of {self.total:,} characters shown ({self.records} records); "
                "ask for less: -n, -l, a filter, a smaller -x, or one thread/function]"
            )
        return "\n".join([text, *self.after]) if self.after else text or "(no output)"
