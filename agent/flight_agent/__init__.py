"""flight_agent: the part of jupyterlab-flight that runs inside the target process.

Standard library only, loaded by path (the target's environment has none of our dependencies),
CPython 3.9+ syntax. It never imports ``threading`` or the target's modules as a side effect.

Entry points:
- ``start(runtime_dir)``: called by the bootstrap that the attach step runs in the target. Starts
  the agent (once; a running agent is reused) and returns.
- ``Agent`` / ``serve_in_process``: the same agent for the notebook's own kernel.
"""

from __future__ import annotations

VERSION = "0.1.0"
SCHEMA_VERSION = 1


def start(runtime_dir: str, token: str | None = None) -> None:
    from .server import start_agent

    start_agent(runtime_dir, token)
