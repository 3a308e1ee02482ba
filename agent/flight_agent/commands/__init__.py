"""The agent's command registry: the one place where command names appear in the agent.

Each command module exposes ``run(args, connection)``: ``args`` is an arguments.Arguments (every
argument of the command, defaults filled in by the client's descriptor), and it returns either an
iterable of records (dicts with a ``kind``; the ``"v"`` is added when sent) or a streams.Stream,
whose records keep coming until it ends. What the user must change is raised as a
``CommandError``.

A module that holds state or hooks also exposes ``reset(connection=None)``: with a connection,
drop what that connection owns (its client went away); with None, drop everything (detach).
"""

from __future__ import annotations

from . import (
    console,
    diagnose,
    getglobal,
    gilstat,
    mem,
    module,
    monitor,
    reload,
    stack,
    torch,
    trace,
    tt,
    vmtool,
    watch,
)

COMMANDS = {
    "stack": stack,
    "getglobal": getglobal,
    "vmtool": vmtool,
    "module": module,
    "console": console,
    "watch": watch,
    "trace": trace,
    "monitor": monitor,
    "tt": tt,
    "torch": torch,
    "reload": reload,
    "mem": mem,
    "gilstat": gilstat,
    "diagnose": diagnose,
}
