"""flight_profiler mcp: the assistant tools as an MCP server over stdio (the official ``mcp`` SDK).

An MCP client (Claude Code, Codex, Gemini CLI, an IDE) starts it as a subprocess and talks
JSON-RPC on its stdin and stdout: nothing else may print to stdout here. Read-only unless
started with ``--allow-writes`` (policy.py).
"""

from __future__ import annotations

import functools
import sys

from .. import __version__
from ..errors import EXIT_ERROR, EXIT_OK
from .tools import Toolbox, ToolFailed

INSTRUCTIONS = (
    "Live diagnostics of running Python processes on this machine (jupyterlab-flight): attach by pid without "
    "restarting anything. Find the pid with list_python_processes; for a described problem run diagnose (or "
    "diagnose_hang, diagnose_slow, diagnose_memory, ...), then follow its 'next' commands with run_command; "
    "command_help explains the command language. Output is text an assistant can read, bounded in time and size."
)
MISSING_SDK = (
    "flight_profiler mcp needs the MCP Python SDK (Python 3.10 or later): pip install 'jupyterlab-flight[mcp]'"
)


def _raising_tool_errors(fn):
    """A tool whose ToolFailed becomes the SDK's ToolError: the client gets an error result with our text."""
    from mcp.server.mcpserver.exceptions import ToolError

    @functools.wraps(fn)
    def tool(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ToolFailed as e:
            raise ToolError(str(e)) from None

    return tool


def build_server(allow_writes: bool, max_output: int):
    """The MCPServer with every tool registered, and its Toolbox (closed when the server ends)."""
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations

    from .mcp_tools import tool_functions

    box = Toolbox(allow_writes=allow_writes, max_output=max_output)
    # WARNING: the SDK's INFO lines (and pystack's, through logging) would flood the client's log
    server = MCPServer("jupyterlab-flight", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING")
    for fn in tool_functions(box):
        writes = allow_writes and fn.__name__ == "run_command"
        annotations = ToolAnnotations(read_only_hint=not writes, destructive_hint=writes, open_world_hint=False)
        server.add_tool(_raising_tool_errors(fn), annotations=annotations, structured_output=False)
    return server, box


def serve(allow_writes: bool, max_output: int) -> int:
    try:
        server, box = build_server(allow_writes, max_output)
    except ImportError:
        print(MISSING_SDK, file=sys.stderr)
        return EXIT_ERROR
    try:
        server.run("stdio")
    except KeyboardInterrupt:
        pass
    finally:
        box.close()
    return EXIT_OK
