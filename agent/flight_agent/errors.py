"""The one kind of failure a command reports to its user.

A ``CommandError`` is a request the agent understood but cannot do (a bad argument, a module that
is not imported, an expression that raised): its message is for the user and becomes one
``error`` record. Anything else a command raises is a bug of ours, reported as an internal error
with its traceback (dispatch.py).
"""

from __future__ import annotations


class CommandError(Exception):
    """A user error; the message says what to change."""
