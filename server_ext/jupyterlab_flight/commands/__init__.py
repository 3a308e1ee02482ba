"""The command language: one descriptor per command, one parser and help for all front doors.

    parsed = parse_command("getglobal __main__ CONFIG -x 2")
    parsed.name == "getglobal"; parsed.request == {"module": "__main__", "field": "CONFIG", ...}
    parsed.where, parsed.streams, parsed.long_running, parsed.interactive   # this run's traits

Each command is a module here with a ``COMMAND`` descriptor (descriptor.py); registry.py lists
them. Front doors read the traits, never the names.
"""

from __future__ import annotations

from .descriptor import AGENT, CLIENT, LOCAL, OUTSIDE, Command, Option
from .parser import ParsedCommand, command_names, describe_commands, help_text, parse_command
from .registry import COMMANDS

__all__ = [
    "AGENT",
    "CLIENT",
    "COMMANDS",
    "LOCAL",
    "OUTSIDE",
    "Command",
    "Option",
    "ParsedCommand",
    "command_names",
    "describe_commands",
    "help_text",
    "parse_command",
]
