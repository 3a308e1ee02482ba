"""flight_profiler: attach to a running Python process and diagnose it from the terminal.

flight_profiler PID                      interactive prompt (help, history, tab completion)
flight_profiler PID --cmd "stack"        run one command and exit (0 ok, 1 error, 2 bad command)
flight_profiler PID --cmd "..." --json   one JSON record per line (docs/schema.md)
flight_profiler PID --job                the job PID belongs to (launcher, ranks, workers), as a tree
flight_profiler PID --job --cmd "stack"  the command on every process of the job, grouped
flight_profiler mcp | install-skills | uninstall-skills   for AI assistants (assistants/)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys

from . import __version__
from .assistants import cli as assistants_cli
from .commands import LOCAL, OUTSIDE, command_names, help_text, parse_command
from .errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CommandSyntaxError, FlightError, internal_error, log
from .render.text import render_text
from .session import FlightSession

HISTORY_FILE = os.path.join(os.path.expanduser("~"), ".jupyterlab-flight", "cli_history")
LOG_FILE = os.path.join(os.path.expanduser("~"), ".jupyterlab-flight", "cli.log")


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flight_profiler",
        description="Attach to a running Python process (CPython 3.9+, Linux) and inspect it without restarting it.",
        epilog=help_text()
        + "\n\nThe agent stays in the target for the next client until 'detach'.\n\n"
        + assistants_cli.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("pid", type=int, help="the process to attach to")
    parser.add_argument("--cmd", metavar="COMMAND", help="run one command and exit")
    parser.add_argument("--json", action="store_true", help="with --cmd: print one JSON record per line")
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="with --cmd: end a stream after SECONDS (with its records), or interrupt a one-shot command and fail",
    )
    job = parser.add_argument_group("a whole job (launcher, ranks, workers: found from any pid in it)")
    job.add_argument(
        "--job",
        action="store_true",
        help="alone: list the job of PID as a tree; with --cmd: run the command on every Python process "
        "of the job in parallel (stack is read from outside), one status per process, stacks grouped",
    )
    job.add_argument(
        "--samples", type=int, default=1, metavar="N", help="with --job: read N times to tell moving ranks"
    )
    job.add_argument("--interval", type=float, default=0.5, metavar="SECONDS", help="with --samples: between samples")
    job.add_argument("--ranks", action="store_true", help="with --job: the ranks only (when the job has ranks)")
    job.add_argument("--concurrency", type=int, metavar="N", help="with --job: processes at once (2 x cores)")
    parser.add_argument("--version", action="version", version=f"jupyterlab-flight {__version__}")
    return parser


def _run_job(args, out: Output) -> int:
    from . import fanout

    if args.samples < 1 or (args.concurrency is not None and args.concurrency < 1):
        out.error("--samples and --concurrency take a number of at least 1")
        return EXIT_USAGE
    try:
        if args.cmd is None:
            out.record(fanout.list_job(args.pid))
        else:
            parse_command(args.cmd)  # a command line that does not parse fails once, here
            record = fanout.run_job(
                args.pid,
                args.cmd,
                timeout=args.timeout or fanout.DEFAULT_TIMEOUT_S,
                concurrency=args.concurrency,
                samples=args.samples,
                interval=args.interval,
                ranks_only=args.ranks,
            )
            out.record(record)
            if any(p.get("status") not in ("ok", "skipped") for p in record["processes"] if p.get("python")):
                return EXIT_ERROR
    except CommandSyntaxError as e:
        out.error(e.message)
        return EXIT_USAGE
    except FlightError as e:
        out.error(e.message)
        return e.exit_code
    return EXIT_OK


class Output:
    """Prints records as text or JSON lines and remembers whether any was an error.

    At a terminal, a live snapshot (a profile while it samples, ``"live": true``) is redrawn in
    place by the next record of its kind, so a perf run shows one table that updates rather than
    one table a second; when anything else was printed in between, or the snapshot does not fit
    the screen, the next one is printed below instead."""

    def __init__(self, as_json: bool, stdout=None):
        self.as_json = as_json
        self.failed = False
        self.stdout = stdout or sys.stdout
        self._live: tuple[str, int] | None = None  # (kind, screen rows) of the snapshot on screen

    def record(self, record: dict) -> None:
        # an error record, or a result that carries its error (console code that raised)
        if record.get("kind") == "error" or record.get("error"):
            self.failed = True
        if self.as_json:
            print(json.dumps(record, ensure_ascii=False), file=self.stdout, flush=True)
            return
        text = render_text(record)
        if record.get("kind") == "error":
            self._live = None
            print(text, file=sys.stderr, flush=True)
            return
        kind = record.get("kind")
        if self._live is not None and self._live[0] == kind:
            # up to the first row of the last snapshot, and clear from there down
            self.stdout.write(f"\x1b[{self._live[1]}F\x1b[J")
        self._live = None
        print(text, file=self.stdout, flush=True)
        if record.get("live") is True and self._is_terminal():
            rows = self._screen_rows(text)
            if rows < shutil.get_terminal_size().lines:
                self._live = (str(kind), rows)

    def _is_terminal(self) -> bool:
        try:
            return bool(self.stdout.isatty()) and os.environ.get("TERM") != "dumb"
        except (AttributeError, ValueError):
            return False

    @staticmethod
    def _screen_rows(text: str) -> int:
        columns = max(1, shutil.get_terminal_size().columns)
        return sum(max(1, -(-len(line) // columns)) for line in text.split("\n"))

    def error(self, message: str) -> None:
        self.record({"v": 1, "kind": "error", "message": message})


def run_once(session: FlightSession, line: str, out: Output, timeout: float | None = None) -> int:
    try:
        command = parse_command(line)
        if timeout is None and command.streams and not command.request.get("limit"):
            timeout = command.command.once_timeout  # a measurement that runs until off ends by itself
        session.run_interruptible(command, out.record, timeout=timeout)
    except FlightError as e:
        out.error(e.message)
        return e.exit_code
    except BrokenPipeError:
        raise  # the reader of stdout went away (| head): entry() ends quietly, the stream with it
    except Exception as e:  # a bug of ours: one line here, the traceback in the log
        out.error(internal_error(e, "flight_profiler").message)
        return EXIT_ERROR
    return EXIT_ERROR if out.failed else EXIT_OK


# -- interactive prompt ---------------------------------------------------------------------------


def _setup_readline(session: FlightSession):
    try:
        import readline
    except ImportError:  # pragma: no cover - readline is on every Linux CPython we support
        return None
    names = command_names() + ["quit", "exit"]
    asked: dict = {}  # readline asks once per candidate (state 0, 1, ...): one answer per line

    def complete(text, state):
        buffer = readline.get_line_buffer()[: readline.get_endidx()]
        if " " not in buffer.lstrip():
            matches = [n + " " for n in names if n.startswith(text)]
        else:  # options, choices, and modules, classes, functions from the target
            if asked.get("line") != buffer:
                found = session.complete(buffer)
                # CPython's readline adds no space after a whole word: a single match gets one
                asked.update(line=buffer, matches=[found[0] + " "] if len(found) == 1 else found)
            matches = asked["matches"]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t")
    readline.parse_and_bind("tab: complete")
    os.makedirs(os.path.dirname(HISTORY_FILE), exist_ok=True)
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass
    readline.set_history_length(1000)
    return readline


def _run_interruptibly(session: FlightSession, command, out: Output) -> None:
    """Print a command's records; Ctrl-C interrupts the command, not the prompt."""
    try:
        if session.run_interruptible(command, out.record):
            print("(interrupted)", file=sys.stderr)
    except FlightError as e:
        out.error(e.message)


def interactive(session: FlightSession) -> int:
    readline = _setup_readline(session)
    hello = session.client.hello
    print(
        f"attached to pid {session.pid} (Python {hello.get('python')}, agent {hello.get('agent')}). "
        f"'help' lists the commands, Tab completes, 'quit' leaves (the agent stays)."
    )
    out = Output(as_json=False)
    try:
        while True:
            try:
                line = input(f"flight {session.pid}> ").strip()
            except EOFError:
                print()
                break
            except KeyboardInterrupt:
                print()
                continue
            if not line:
                continue
            if line in ("quit", "exit"):
                break
            try:
                command = parse_command(line)
            except CommandSyntaxError as e:
                out.error(e.message)
                continue
            if command.interactive and command.command.repl is not None:
                command.command.repl(command, session, out.record, input)
                continue
            _run_interruptibly(session, command, out)
            if command.command.ends_session:
                break
    finally:
        if readline is not None:
            try:
                readline.write_history_file(HISTORY_FILE)
            except OSError:
                pass
        session.close()
    return EXIT_OK


def main(argv: list | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in assistants_cli.SUBCOMMANDS:
        return assistants_cli.main(argv)
    parser = _argument_parser()
    args = parser.parse_args(argv)
    if args.cmd is None and not args.job and (args.json or args.timeout is not None):
        parser.error("--json and --timeout apply to --cmd: give the command to run with --cmd")
    _log_to_file()
    out = Output(as_json=args.json)
    if args.job:
        return _run_job(args, out)
    if args.samples != 1 or args.ranks or args.concurrency is not None:
        parser.error("--samples, --ranks and --concurrency apply to --job")
    if args.cmd is not None:
        try:
            command = parse_command(args.cmd)
        except CommandSyntaxError as e:
            out.error(e.message)
            return EXIT_USAGE
        # help, detach and reading from outside never start an agent in the target
        if command.where in (LOCAL, OUTSIDE):
            return run_once(FlightSession(args.pid), args.cmd, out, timeout=args.timeout)
    try:
        session = FlightSession.open(args.pid)
    except FlightError as e:
        out.error(e.message)
        return EXIT_ERROR
    if args.cmd is None:
        return interactive(session)
    try:
        return run_once(session, args.cmd, out, timeout=args.timeout)
    finally:
        session.close()


def _log_to_file() -> None:
    """Internal errors print one line; their tracebacks go to LOG_FILE."""
    try:
        os.makedirs(os.path.dirname(LOG_FILE), exist_ok=True)
        handler = logging.FileHandler(LOG_FILE, delay=True)
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.propagate = False


def entry() -> int:
    """The console script: like main, and quiet when the reader of stdout goes away (| head)."""
    try:
        return main()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(entry())
