"""One module per command; each exposes ``run(args, session)`` yielding result records.

``args`` is the structured request built by the client's parser (jupyterlab_flight.commands);
records are dicts with a ``kind`` (the server adds ``"v": 1``). Failures are raised as
CommandError (or the lookup / expression errors) and reported as one ``error`` record.
"""

from __future__ import annotations

from . import console, getglobal, module, monitor, stack, trace, tt, vmtool, watch


class CommandError(Exception):
    """A request the agent understood but cannot do; the message is for the user."""


HANDLERS = {
    "stack": stack.run,
    "getglobal": getglobal.run,
    "vmtool": vmtool.run,
    "module": module.run,
    "console": console.run,
    "tt": tt.run,
}

# Streaming commands: name -> function(args, session) returning a streams.Stream.
# A function may return None: then the command runs as a one-shot (tt -l, tt -i, ...).
STREAMS = {
    "watch": watch.stream,
    "trace": trace.stream,
    "monitor": monitor.stream,
    "tt": tt.stream,
}
