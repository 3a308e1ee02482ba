"""The same tools for Jupyter's MCP server: the ``jupyter_server_mcp.tools`` entry point.

jupyter-server-mcp (Jupyter AI 3's MCP server) loads the entry point's value, a list of
``"module:function"`` strings, and registers each function as a tool named after it, its
docstring the description, its annotations the input schema. Its server listens on a TCP port
outside Jupyter's authentication, so every call here first checks that the connecting process
belongs to the Jupyter server's own user (or root) by its socket (peer.py): other users of the
machine are refused. These tools are always read-only; writes need ``flight_profiler mcp
--allow-writes``, started by the user.
"""

from __future__ import annotations

import asyncio
import functools
import os

from .mcp_tools import tool_functions
from .peer import tcp_peer_uid
from .tools import Toolbox, ToolFailed

_BOX = Toolbox(allow_writes=False)


def _caller_refusal() -> str:
    """Why the HTTP client of this call may not use the tools ("" when it is our user or root)."""
    try:
        from fastmcp.server.dependencies import get_http_request
    except ImportError:
        return "these tools run inside jupyter-server-mcp (fastmcp is missing)"
    try:
        request = get_http_request()
    except RuntimeError:
        return ""  # no HTTP request: called in this process (an in-memory client)
    client, server = request.client, request.scope.get("server")
    if client is None or not server:
        return "the connecting process cannot be told"
    uid = tcp_peer_uid(client.host, client.port, int(server[1]))
    if uid is None:
        return f"the connection from {client.host}:{client.port} is not from a process of this machine"
    if uid not in (os.geteuid(), 0):
        return f"the connecting process belongs to uid {uid}, not to the Jupyter server's user"
    return ""


def _guarded(fn):
    @functools.wraps(fn)
    async def tool(*args, **kwargs):
        from fastmcp.exceptions import ToolError

        why = _caller_refusal()
        if why:
            raise ToolError(f"refused: {why}")
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)  # attaching and sampling block
        except ToolFailed as e:
            raise ToolError(str(e)) from None

    return tool


TOOLS = []
for _fn in tool_functions(_BOX):
    globals()[_fn.__name__] = _guarded(_fn)
    TOOLS.append(f"{__name__}:{_fn.__name__}")
