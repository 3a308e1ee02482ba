"""diagnose's steps inside the target, the evidence no other command gives the client's workflows
(server_ext/jupyterlab_flight/diagnose/):

    step locks        the lock graph: each thread's frames, what it waits on, the locks it holds
    step exceptions   exceptions raised over an interval, grouped (a stream)
"""

from __future__ import annotations

from ...arguments import Arguments
from ...connection import Connection
from . import exceptions, locks

STEPS = ("locks", "exceptions")


def run(args: Arguments, connection: Connection):
    step = args.choice("step", STEPS)
    if step == "locks":
        return locks.thread_locks(connection)
    return exceptions.start(args, connection)


def reset(connection=None) -> None:
    """The exception census is a stream: its hooks go when it ends (pump.py), detach included;
    on detach (None) whatever is left goes too."""
    if connection is None:
        exceptions.remove_monitoring()
