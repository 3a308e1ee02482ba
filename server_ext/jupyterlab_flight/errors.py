"""FlightError: a failure the user can act on, shown as one line (never a traceback of ours)."""

from __future__ import annotations


class FlightError(Exception):
    def __init__(self, message: str, record: dict | None = None):
        super().__init__(message)
        self.message = message
        self.record = record  # the agent's error record, when there is one


class CommandSyntaxError(FlightError):
    """The command line does not parse; the message includes the command's usage."""
