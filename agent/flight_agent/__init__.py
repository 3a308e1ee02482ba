"""flight_agent: the part of jupyterlab-flight that runs inside the target process.

Standard library only, loaded by path (the target's environment has none of our dependencies),
CPython 3.9+ syntax. It never imports ``threading`` or the target's modules as a side effect.

Entry points:
- ``server.start_agent(runtime_dir, token=..., native_library=..., switch_interval=...)``: called
  by the bootstrap that the attach step runs in the target, and by ``attach self`` for the
  notebook's own kernel. Starts the agent (once; a running agent is reused) and returns it.
- ``start(runtime_dir, token)``: the same, for a caller that needs no more.

Modules: server (the agent's life), transport (socket, authentication, one thread per
connection), connection, dispatch (requests and errors), pump (streams to their client),
commands/ (the registry and one module per command), arguments, values (value trees), hooks/
(observing calls), expressions, lookup, capture, protocol, runtime, native.
"""

from __future__ import annotations

VERSION = "0.1.0"
SCHEMA_VERSION = 1


def start(runtime_dir: str, token: str | None = None) -> None:
    from .server import start_agent

    start_agent(runtime_dir, token)
