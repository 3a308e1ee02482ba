"""Parse a command line into a ParsedCommand, with argparse and the help texts of specs.py."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

from ..errors import CommandSyntaxError
from .specs import COMMANDS, CommandSpec


@dataclass
class ParsedCommand:
    name: str
    where: str  # "agent", "outside" or "local"
    request: dict = field(default_factory=dict)
    line: str = ""

    @property
    def streams(self) -> bool:
        """Whether the agent answers with a stream (records until -n, a stop or a timeout)."""
        if self.name == "tt":
            return self.request.get("action") == "record"
        return self.name in ("watch", "trace", "monitor")


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing and exiting."""

    def error(self, message):
        raise CommandSyntaxError(f"{self.prog}: {message}\nusage: {self.format_usage().split(':', 1)[1].strip()}")

    def exit(self, status=0, message=None):
        raise CommandSyntaxError(message or f"{self.prog}: exited")


def _build(spec: CommandSpec) -> _Parser:
    parser = _Parser(
        prog=spec.name,
        description=spec.summary,
        add_help=False,
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=("examples:\n" + "\n".join(f"  {e}" for e in spec.examples)) if spec.examples else None,
    )
    for args, kwargs in spec.arguments:
        parser.add_argument(*args, **kwargs)
    return parser


_PARSERS = {name: _build(spec) for name, spec in COMMANDS.items()}


def command_names() -> list:
    return sorted(COMMANDS)


def help_text(name: str | None = None) -> str:
    if not name:
        width = max(len(n) for n in COMMANDS)
        lines = ["commands (help <command> for options and examples):"]
        lines += [f"  {n.ljust(width)}  {COMMANDS[n].summary}" for n in command_names()]
        return "\n".join(lines)
    if name not in COMMANDS:
        raise CommandSyntaxError(f"unknown command {name!r}; commands: {', '.join(command_names())}")
    return _PARSERS[name].format_help().rstrip()


def parse_command(line: str) -> ParsedCommand:
    try:
        words = shlex.split(line)
    except ValueError as e:
        raise CommandSyntaxError(f"cannot parse the command line: {e}") from None
    if not words:
        raise CommandSyntaxError("empty command")
    name, rest = words[0], words[1:]
    spec = COMMANDS.get(name)
    if spec is None:
        raise CommandSyntaxError(f"unknown command {name!r}; commands: {', '.join(command_names())}")
    if any(w in ("-h", "--help") for w in rest):
        return ParsedCommand("help", "local", {"command": name}, line)
    namespace = _PARSERS[name].parse_args(rest)
    where, request = spec.build(namespace)
    return ParsedCommand(name, where, request, line)
