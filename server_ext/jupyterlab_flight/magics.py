"""IPython magics: ``%load_ext jupyterlab_flight``, then ``%flight <command>`` and short forms.

    %flight attach 4242 | attach kernel:<id or notebook> | attach self
    %flight detach | sessions | ps (jobs as trees: launcher, ranks, workers)
    %flight job 4242 [stack]     a job (from any of its pids) listed, or a command on all of it, grouped
    %flight attach --job 4242   from now on every command runs on every process of that job
    %flight widgets [auto|on|off]  live widgets for streams (auto: in kernels a Jupyter server started)
    %flight report [FILE.html]  this kernel's results so far as one standalone HTML page (report.py)
    %flight stack -a            %stack -a            (every command has a short form)
    %%flight console            (cell magic: the cell body runs in the target)

Results are displayed as one MIME bundle per command (render/mime.py), updated in place while a
command streams, or, for streams in JupyterLab, a live widget with Pause and Stop (widget.py) that
the static bundle replaces at the end. The kernel's interrupt (the stop button) interrupts the
command in the target and keeps what was collected. Errors are one `error` record, never a
traceback of ours.
"""

from __future__ import annotations

import inspect
import os
import time
from typing import TYPE_CHECKING

from .attach import attach_self
from .commands import AGENT, COMMANDS, LOCAL, OUTSIDE, help_text, parse_command
from .errors import FlightError, internal_error
from .processes import list_python_processes, resolve_kernel, running_server_notebooks
from .render.mime import LiveBundle, mime_bundle
from .render.text import render_text
from .report import SessionReport, default_path
from .session import FlightSession

if TYPE_CHECKING:
    from .widget import LiveWidgetOutput

UPDATE_INTERVAL_S = 0.1
RECORDS_VARIABLE = "_flight_records"


class FlightState:
    """This kernel's attachments: every open FlightSession, and the current one."""

    def __init__(self):
        self.sessions: dict = {}  # pid -> FlightSession
        self.current: int | None = None
        self.job: int | None = None  # %flight attach --job PID: commands go to every process of its job
        self.widgets = "auto"  # live widgets for streams: auto | on | off
        self.report = SessionReport()  # every result shown, for %flight report

    def use_widgets(self) -> bool:
        """auto: in a kernel started by a Jupyter server (JupyterLab, Notebook 7: JPY_SESSION_NAME
        is set), where the widget manager and this extension's view are at hand. Not in nbclient /
        nbconvert runs or plain IPython, which get display updates."""
        if self.widgets == "off" or not _in_kernel():
            return False
        if self.widgets == "auto" and "JPY_SESSION_NAME" not in os.environ:
            return False
        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            return False
        return True

    def session(self) -> FlightSession:
        if self.current is None or self.current not in self.sessions:
            raise FlightError(
                "not attached: %flight attach <pid> | kernel:<id or notebook> | self (%flight ps lists processes)"
            )
        return self.sessions[self.current]


class _LiveOutput:
    """One output in the cell, updated in place as records arrive (throttled). While the command
    runs an update shows the last records only (its cost does not grow with the stream); the
    final update is the whole result."""

    def __init__(self, line: str, pid: int | None):
        from IPython.display import display

        self.bundle = LiveBundle(line, pid)
        self.handle = None
        self._display = display
        self._last = 0.0

    def add(self, record: dict) -> None:
        self.bundle.add(record)
        now = time.monotonic()
        if self.handle is None:
            self.handle = self._display(self.bundle.bundle(), raw=True, display_id=True)
            self._last = now
        elif now - self._last >= UPDATE_INTERVAL_S:
            self.handle.update(self.bundle.bundle(), raw=True)
            self._last = time.monotonic()

    @property
    def records(self) -> list:
        return self.bundle.records

    def flush(self) -> None:
        """The command is over: the whole result."""
        if self.handle is None:
            if len(self.bundle):
                self._display(self.bundle.final(), raw=True)
            return
        self.handle.update(self.bundle.final(), raw=True)


class _TerminalOutput:
    """Terminal IPython (no kernel, no frontend to update a display in place): each record is
    printed once, as text, when it arrives, as the CLI prints it."""

    def __init__(self, line: str, pid: int | None):
        self.header = f"flight {pid}> {line}" if line else ""
        self.records: list = []

    def add(self, record: dict) -> None:
        self.records.append(record)
        if self.header:
            print(self.header)
            self.header = ""
        print(render_text(record), flush=True)

    def flush(self) -> None:
        pass


def _in_kernel() -> bool:
    """Whether IPython runs as a Jupyter kernel (widgets need its comms)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _display_records(records: list, line: str = "", pid: int | None = None) -> None:
    """One result: a MIME bundle in a kernel, its text in terminal IPython (where a bundle's
    text/plain would be printed by display, and once more by any update)."""
    if not _in_kernel():
        out = _TerminalOutput(line, pid)
        for record in records:
            out.add(record)
        return
    from IPython.display import display

    display(mime_bundle(records, line, pid), raw=True)


class FlightMagicsMixin:
    """The logic behind the magics, kept apart from IPython's Magics class for clarity."""

    state: FlightState

    def run_line(self, line: str, cell: str | None = None) -> None:
        magic = f"%%flight {line.strip()}" if cell is not None else f"%flight {line.strip()}"
        # what this line shows goes into %flight report, but for the report's own lines
        self._magic: tuple | None = None if line.split()[:1] == ["report"] else (magic, cell)
        try:
            self._run(line.strip(), cell)
        except FlightError as e:
            self._show_error(e.message)
        except Exception as e:  # a bug of ours: one line, the traceback in the log
            self._show_error(internal_error(e, f"%flight {line.strip()}").message)

    def _show_error(self, message: str) -> None:
        """Errors are records too: one line, in the notebook like any result (red in HTML)."""
        record = {"v": 1, "kind": "error", "message": message}
        _display_records([record])
        self._remember([record], self.state.current)

    def _remember(self, records: list, pid: int | None) -> None:
        """What this magic showed, for %flight report: with the line (and cell) that made it."""
        magic = getattr(self, "_magic", None)
        if magic is not None:
            self.state.report.add(magic[0], records, pid, magic[1], self._cell_number())

    def _cell_number(self) -> int | None:
        """The running cell's In [n]: the history has stored it before it runs (IPython 9
        counts ``execution_count`` up before a cell runs, 8 after: neither says it here)."""
        history = getattr(getattr(self, "shell", None), "history_manager", None)
        hist = getattr(history, "input_hist_raw", None)
        return len(hist) - 1 if hist else None

    def _run(self, line: str, cell: str | None) -> None:
        words = line.split(maxsplit=1)
        verb = words[0] if words else ""
        rest = words[1] if len(words) > 1 else ""
        if verb == "attach" and rest.split()[:1] == ["--job"]:
            return self._attach_job(rest.split()[1:])
        if verb == "attach":
            self.state.job = None
            return self._attach(rest.strip())
        if verb == "job":  # %flight job PID [COMMAND]: once, whatever is attached
            pid_text, _, job_line = rest.strip().partition(" ")
            return self._show([self._job_record(pid_text, job_line.strip())], line)
        if self.state.job is not None and line:  # %flight attach --job: on every process of the job
            parsed = parse_command(line, cell)
            if parsed.where != LOCAL or parsed.command.ends_session:  # help stays here, detach goes to all
                record = self._job_record(str(self.state.job), line)
                if parsed.command.ends_session:
                    self.state.job = None
                return self._show([record], line)
        if verb == "sessions":
            return self._show([self._sessions_record()], line)
        if verb == "ps":
            return self._show(
                [{"v": 1, "kind": "processes", "processes": list_python_processes(running_server_notebooks())}], line
            )
        if verb == "widgets":
            return self._set_widgets(rest.strip(), line)
        if verb == "report":
            return self._write_report(rest.strip(), line)
        if not line:
            raise FlightError("usage: %flight <command>; %flight help lists the commands")
        command = parse_command(line, cell)
        if command.interactive:
            option = command.command.interactive_unless[0]
            raise FlightError(
                f"in a notebook use %flight {command.name} {option} '<code>' or a %%flight {command.name} cell"
            )
        other = command.request.get("pid") if command.where == OUTSIDE else None
        if other:  # perf PID, stack PID: another process, read from outside; no attach needed
            session = FlightSession(other)
        elif command.command.needs_session:
            session = self.state.session()
        else:
            session = FlightSession(self.state.current or os.getpid())
        live: _LiveOutput | _TerminalOutput | LiveWidgetOutput
        if not _in_kernel():
            live = _TerminalOutput(line, session.pid)
        elif command.streams and self.state.use_widgets():
            from .widget import LiveWidgetOutput

            # a stream that runs outside the target has no agent ids: its Stop interrupts the kernel
            ids = session.stream_ids if command.where == AGENT else (lambda: (None, None))
            live = LiveWidgetOutput(line, session.pid, ids)
        else:
            live = _LiveOutput(line, session.pid)
        interrupted = session.run_interruptible(command, live.add)
        if interrupted:
            where = " in the target" if command.where == AGENT else ""
            live.add({"v": 1, "kind": "message", "text": f"interrupted: the command was stopped{where}"})
        live.flush()
        self._keep_records(live.records)
        self._remember(live.records, session.pid)
        if command.command.ends_session:
            self._forget(session.pid)

    def _keep_records(self, records: list) -> None:
        """The last command's records, as ``_flight_records`` in the notebook (as IPython keeps
        ``_`` for the last value): a cell can use what a command returned, e.g. the index that
        ``%tt -t`` recorded."""
        shell = getattr(self, "shell", None)
        if shell is not None:
            shell.user_ns[RECORDS_VARIABLE] = list(records)

    def _set_widgets(self, mode: str, line: str) -> None:
        if mode:
            if mode not in ("auto", "on", "off"):
                raise FlightError("usage: %flight widgets [auto|on|off]")
            self.state.widgets = mode
        used = "used" if self.state.use_widgets() else "not used"
        text = f"live widgets for streams: {self.state.widgets} ({used} in this kernel)"
        self._show([{"v": 1, "kind": "message", "text": text}], line)

    def _show(self, records: list, line: str) -> None:
        _display_records(records, line, self.state.current)
        self._remember(records, self.state.current)

    def _write_report(self, path: str, line: str) -> None:
        """``%flight report [FILE.html]``: not itself a result of the session (shown, not kept)."""
        path = os.path.abspath(os.path.expanduser(path or default_path()))
        if not self.state.report:
            raise FlightError("no results to report yet: run a %flight command first")
        try:
            size = self.state.report.write(path)
        except OSError as e:
            raise FlightError(f"cannot write the report to {path}: {e.strerror}") from None
        count = len(self.state.report)
        text = f"report: {count} result{'s' if count != 1 else ''} of this session written to {path} ({size / 1024:,.0f} KiB)"
        _display_records([{"v": 1, "kind": "message", "text": text}], line, self.state.current)

    def _attach(self, spec: str) -> None:
        if not spec:
            raise FlightError("usage: %flight attach <pid> | kernel:<kernel id or notebook name> | self")
        if spec == "self":
            session = FlightSession(os.getpid(), attach_self())
        elif spec.startswith("kernel:"):
            session = FlightSession.open(resolve_kernel(spec[len("kernel:") :]))
        else:
            try:
                pid = int(spec)
            except ValueError:
                raise FlightError(f"not a pid: {spec!r}") from None
            session = FlightSession.open(pid)
        old = self.state.sessions.get(session.pid)
        if old is not None and old is not session:
            old.close()
        self.state.sessions[session.pid] = session
        self.state.current = session.pid
        hello = session.hello
        self._show(
            [
                {
                    "v": 1,
                    "kind": "message",
                    "text": f"attached to pid {session.pid} (Python {hello.get('python')}, agent {hello.get('agent')}, {hello.get('executable')})",
                }
            ],
            f"attach {spec}",
        )

    def _job_record(self, pid_text: str, command: str) -> dict:
        from . import fanout

        try:
            pid = int(pid_text)
        except ValueError:
            raise FlightError("usage: %flight job <pid> [command]  (e.g. %flight job 4242 stack)") from None
        if not command:
            return fanout.list_job(pid)
        parse_command(command)  # a line that does not parse fails once, here
        record = fanout.run_job(pid, command)
        self._keep_records([record])
        return record

    def _attach_job(self, words: list) -> None:
        """``%flight attach --job PID``: from now on each command runs on every process of the job of
        PID (``%flight attach PID`` or ``%flight detach`` ends it)."""
        if len(words) != 1:
            raise FlightError("usage: %flight attach --job <pid> (any pid of the job: launcher, rank, worker)")
        record = self._job_record(words[0], "")
        self.state.job = record["root"]
        self._show([record], f"attach --job {words[0]}")

    def _forget(self, pid: int) -> None:
        session = self.state.sessions.pop(pid, None)
        if session is not None:
            session.close()
        if self.state.current == pid:
            self.state.current = next(iter(self.state.sessions), None)

    def _sessions_record(self) -> dict:
        rows = []
        for pid, session in self.state.sessions.items():
            hello = session.hello
            rows.append(
                {
                    "pid": pid,
                    "current": pid == self.state.current,
                    "connected": session.connected,
                    "python": hello.get("python"),
                    "executable": hello.get("executable"),
                }
            )
        return {"v": 1, "kind": "sessions", "sessions": rows}


def load_ipython_extension(ipython) -> None:
    """Register %flight / %%flight and the short forms (idempotent)."""
    from IPython.core.magic import Magics, line_cell_magic, magics_class

    if getattr(ipython, "_jupyterlab_flight_loaded", False):
        return

    @magics_class
    class FlightMagics(Magics, FlightMagicsMixin):
        def __init__(self, shell):
            super().__init__(shell)
            self.state = FlightState()

        @line_cell_magic
        def flight(self, line, cell=None):
            """Live diagnostics of a running Python process: %flight help lists the commands.

            Notebook verbs: attach <pid> | kernel:<id or notebook> | self | --job <pid>, job <pid> [command],
            detach, sessions, ps,
            widgets [auto|on|off] (live widgets for streams), report [FILE.html] (this kernel's results as one
            standalone HTML page); %%flight console runs a cell in the target.
            """
            self.run_line(line, cell)

    # %flight? shows the whole language, not two lines: the help text of the descriptors
    FlightMagics.flight.__doc__ = f"{inspect.cleandoc(FlightMagics.flight.__doc__ or '')}\n\n{help_text()}\n"
    magics = FlightMagics(ipython)
    ipython.register_magics(magics)
    for name, command in COMMANDS.items():
        if not command.short_form:
            continue

        def short_form(line, cell=None, _name=name):
            magics.run_line(f"{_name} {line}", cell)

        short_form.__doc__ = f"%{name} ...: short for %flight {name} ... ({command.summary})"
        ipython.register_magic_function(short_form, "line_cell", name)
    ipython._jupyterlab_flight_loaded = True
