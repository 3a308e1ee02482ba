"""No front door compares command names: traits come from the descriptors (issue 9).

A command's name may appear in its own descriptor module and in the registries that list every
command (client and agent); a comparison of a name anywhere else is a trait living in the wrong
place.
"""

from __future__ import annotations

import ast
import pathlib

from jupyterlab_flight.commands import COMMANDS

ROOT = pathlib.Path(__file__).resolve().parents[2]
FRONT_DOORS = [
    "server_ext/jupyterlab_flight/cli.py",
    "server_ext/jupyterlab_flight/magics.py",
    "server_ext/jupyterlab_flight/session.py",
    "server_ext/jupyterlab_flight/client.py",
    "server_ext/jupyterlab_flight/widget.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "server_ext/jupyterlab_flight/server").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "agent/flight_agent").glob("*.py")),
]


def _compared_names(path: pathlib.Path) -> list:
    """Command names used as a comparison operand or a membership test's container item."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        for operand in [node.left, *node.comparators]:
            items = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
            for item in items:
                if isinstance(item, ast.Constant) and item.value in COMMANDS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} compares {item.value!r}")
    return found


def test_front_doors_and_the_agent_dispatch_compare_no_command_names():
    problems = [p for f in FRONT_DOORS for p in _compared_names(ROOT / f)]
    assert not problems, "\n".join(problems)
