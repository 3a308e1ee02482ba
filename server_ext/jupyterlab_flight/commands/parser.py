"""Parse a command line into a ParsedCommand, with argparse built from the descriptors.

A ParsedCommand carries the request and this run's traits (where it runs, whether it streams,
whether it is an interactive loop), resolved from the options given: front doors read those.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field, replace

from ..errors import CommandSyntaxError
from .descriptor import AGENT, Command
from .registry import COMMANDS


@dataclass(frozen=True)
class ParsedCommand:
    command: Command
    request: dict = field(default_factory=dict)
    line: str = ""
    where: str = AGENT
    streams: bool = False
    interactive: bool = False
    changes: str = ""  # what this run changes in the target beyond observing it ("" when it only reads)
    expressions: tuple = ()  # the Python expressions given, evaluated in the target
    files: tuple = ()  # the files it writes on the client

    @property
    def name(self) -> str:
        return self.command.name

    @property
    def long_running(self) -> bool:
        """Streams and user code keep the target's own switch interval in the agent."""
        return self.streams or self.command.long_running

    def with_request(self, request: dict, line: str | None = None) -> ParsedCommand:
        """The same command with another request (the console loop's snippets)."""
        return replace(self, request=request, line=self.line if line is None else line, interactive=False)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting."""

    def error(self, message):
        raise CommandSyntaxError(f"{self.prog}: {message}\nusage: {self.format_usage().split(':', 1)[1].strip()}")

    def exit(self, status=0, message=None):
        raise CommandSyntaxError(message or f"{self.prog}: exited")


def _build(command: Command) -> _Parser:
    parser = _Parser(
        prog=command.name,
        usage=command.usage_line(),
        description=command.summary,
        add_help=False,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("examples:\n" + "\n".join(f"  {e}" for e in command.examples)) if command.examples else None,
    )
    for option in command.options:
        parser.add_argument(*option.flags, **option.argparse_kwargs())
    return parser


_PARSERS = {name: _build(command) for name, command in COMMANDS.items()}


def command_names() -> list:
    return sorted(COMMANDS)


def _unknown(name: str) -> CommandSyntaxError:
    return CommandSyntaxError(f"unknown command {name!r}; commands: {', '.join(command_names())}")


def help_text(name: str | None = None) -> str:
    if not name:
        width = max(len(n) for n in COMMANDS)
        lines = ["commands (help <command> for options and examples):"]
        lines += [f"  {n.ljust(width)}  {COMMANDS[n].summary}" for n in command_names()]
        return "\n".join(lines)
    if name not in COMMANDS:
        raise _unknown(name)
    return _PARSERS[name].format_help().rstrip()


def usage_text(name: str) -> str:
    return _PARSERS[name].format_usage().split(":", 1)[1].strip()


def describe_commands() -> list:
    """Every descriptor as JSON (``GET flight/commands``)."""
    return [COMMANDS[name].describe(help_text(name), usage_text(name)) for name in command_names()]


def parse_command(line: str, cell: str | None = None) -> ParsedCommand:
    """``cell``: a ``%%flight`` cell body, the value of the command's ``cell_option``."""
    try:
        words = shlex.split(line)
    except ValueError as e:
        raise CommandSyntaxError(f"cannot parse the command line: {e}") from None
    if not words:
        raise CommandSyntaxError("empty command")
    name, rest = words[0], words[1:]
    command = COMMANDS.get(name)
    if command is None:
        raise _unknown(name)
    if any(w in ("-h", "--help") for w in rest):
        return parse_command(f"help {name}")
    namespace = _PARSERS[name].parse_args(rest)
    if cell is not None:
        if command.cell_option is None:
            cells = sorted(n for n, c in COMMANDS.items() if c.cell_option)
            raise CommandSyntaxError(
                f"only %%flight {' / '.join(cells)} takes a cell body (the code to run in the target)"
            )
        setattr(namespace, command.option(command.cell_option).name, cell)
    where = next((place for place, flags in command.where_when.items() if command.given(namespace, flags)), None)
    request = dict(command.build(namespace))

    def values(flags: tuple) -> tuple:
        given = (getattr(namespace, command.option(flag).name, None) for flag in flags)
        return tuple(value for value in given if value is not None)

    return ParsedCommand(
        command,
        request,
        line,
        where=where or command.where,
        streams=command.streams or command.given(namespace, command.streams_when),
        interactive=bool(command.interactive_unless) and not command.given(namespace, command.interactive_unless),
        changes=command.changes(request) if command.changes is not None else "",
        expressions=values(command.expressions),
        files=values(command.files),
    )
