"""flight_profiler's subcommands without a pid, for assistants: ps, mcp, install-skills, uninstall-skills."""

from __future__ import annotations

import argparse

SUBCOMMANDS = ("ps", "mcp", "install-skills", "uninstall-skills")
EPILOG = """without a pid (docs/assistants.md):
  flight_profiler ps [--json]                 the Python processes on this machine, to choose a pid
  flight_profiler mcp [--allow-writes]        an MCP server over stdio: the same commands as tools
  flight_profiler install-skills [--dir D]    Agent Skills and /diagnose commands where assistants look
  flight_profiler uninstall-skills [--dir D]  remove what install-skills wrote (and only that)"""


def _parser() -> argparse.ArgumentParser:
    from .tools import MAX_OUTPUT_CHARS

    parser = argparse.ArgumentParser(prog="flight_profiler", description="flight_profiler for AI assistants.")
    sub = parser.add_subparsers(dest="subcommand", required=True)
    ps = sub.add_parser(
        "ps",
        help="list the Python processes on this machine",
        description="The Python processes on this machine: pid, user, Python, CPU %%, memory, Jupyter kernel "
        "and notebook, command line (a job's processes under its launcher).",
    )
    ps.add_argument("--json", action="store_true", help="one JSON record (docs/schema.md, kind processes)")
    mcp = sub.add_parser(
        "mcp",
        help="serve the tools over MCP (stdio)",
        description="An MCP server over stdio: list Python processes, run one command on a pid, run a diagnosis "
        "workflow. Read-only unless --allow-writes. An MCP client starts it; it prints nothing else on stdout.",
    )
    mcp.add_argument(
        "--allow-writes",
        action="store_true",
        help="also run what changes the target or runs code in it (console, reload, tt -p, tt -d, detach, "
        "gilstat off, any expression) and what writes files (-f)",
    )
    mcp.add_argument(
        "--max-output",
        type=int,
        default=MAX_OUTPUT_CHARS,
        metavar="CHARS",
        help=f"cut a tool's output at this many characters, saying so (default {MAX_OUTPUT_CHARS:,})",
    )
    for name, verb in (("install-skills", "install"), ("uninstall-skills", "remove")):
        sub_parser = sub.add_parser(
            name,
            help=f"{verb} the Agent Skills and plugin commands",
            description=f"{verb.capitalize()} the Agent Skills and /diagnose commands: without --dir in "
            "~/.claude/skills, ~/.claude/commands/flight-profiler (Claude Code) and ~/.agents/skills (Codex, "
            "Gemini CLI, ...); with --dir D as a Claude Code plugin in D. Files that are not ours are never "
            "replaced or removed.",
        )
        sub_parser.add_argument("--dir", metavar="D", help="this folder instead (the Claude Code plugin layout)")
    return parser


def main(argv: list) -> int:
    args = _parser().parse_args(argv)
    if args.subcommand == "ps":
        return _ps(args.json)
    if args.subcommand == "mcp":
        from .mcp_server import serve

        if args.max_output < 1000:
            _parser().error("--max-output takes at least 1000 characters")
        return serve(args.allow_writes, args.max_output)
    from .install import install_main, uninstall_main

    return install_main(args.dir) if args.subcommand == "install-skills" else uninstall_main(args.dir)


def _ps(as_json: bool) -> int:
    import json

    from ..processes import list_python_processes, running_server_notebooks
    from ..render.text import render_text

    record = {"v": 1, "kind": "processes", "processes": list_python_processes(running_server_notebooks())}
    print(json.dumps(record, ensure_ascii=False) if as_json else render_text(record))
    return 0
