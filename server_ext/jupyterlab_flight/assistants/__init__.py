"""What AI assistants use: Agent Skills and plugin commands (plugin/, installed by install.py),
an MCP server over stdio (mcp_server.py) and the same tools for Jupyter's MCP server
(jupyter_tools.py), all running the command language through tools.py, read-only by default
(policy.py). docs/assistants.md says how to use them.
"""
