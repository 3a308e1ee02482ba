"""Failures the user can act on, shown as one line (never a traceback of ours).

Each class carries what the front doors need, so none of them reads the message to decide:
``status`` (the server's HTTP status) and ``exit_code`` (flight_profiler's exit status).
Anything that is not a FlightError is a bug of ours: the front doors report it as an internal
error and log its traceback (``internal_error``).
"""

from __future__ import annotations

import logging

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

log = logging.getLogger("jupyterlab_flight")


class FlightError(Exception):
    """A failure the user can act on: the message says what happened and what to do."""

    status = 400
    exit_code = EXIT_ERROR

    def __init__(self, message: str, record: dict | None = None):
        super().__init__(message)
        self.message = message
        self.record = record  # the agent's error record, when there is one


class CommandSyntaxError(FlightError):
    """The command line does not parse; the message includes the command's usage."""

    exit_code = EXIT_USAGE


class TargetNotFound(FlightError):
    """No such process, or no agent where one was needed (a stream that has ended)."""

    status = 404


class PermissionDenied(FlightError):
    """We may not trace the process (another user, ptrace_scope, a missing capability)."""

    status = 403


class UnsupportedTarget(FlightError):
    """Not a Python process, or an interpreter we cannot attach to."""


class AttachFailed(FlightError):
    """The process is there and ours, but the agent could not be started or reached."""


class AgentRefused(AttachFailed):
    """An agent answered but refused us (a wrong token: another agent, or a stale file)."""


class ConnectionLost(FlightError):
    """The connection to the agent closed or broke while a command ran."""

    status = 409


class UnsafeRuntime(FlightError):
    """The runtime directory that holds agent sockets is not private to its user."""

    status = 403


class TimedOut(FlightError):
    """A one-shot command ran past --timeout (it was interrupted in the target)."""

    status = 504


class InternalError(FlightError):
    """A bug of ours (here or in the agent): reported as such, its traceback logged."""

    status = 500


def internal_error(error: BaseException, where: str) -> InternalError:
    """Wrap an unexpected exception for the user, after logging its traceback for us."""
    log.error("internal error in %s", where, exc_info=error)
    return InternalError(f"internal error in {where}: {type(error).__name__}: {error} (the traceback is in the log)")
