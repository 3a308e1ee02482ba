"""The command language: one parser and one help text for the CLI, the magics and the server.

    parsed = parse_command("getglobal __main__ CONFIG -x 2")
    parsed.name == "getglobal"; parsed.request == {"module": "__main__", "field": "CONFIG", ...}

A ParsedCommand says where it runs: ``agent`` (sent to the target's agent as ``request``),
``outside`` (read from outside the process: stack of another pid, --native), or ``local`` (help,
detach, quit).
"""

from __future__ import annotations

from .parser import COMMANDS, ParsedCommand, command_names, help_text, parse_command

__all__ = ["COMMANDS", "ParsedCommand", "command_names", "help_text", "parse_command"]
