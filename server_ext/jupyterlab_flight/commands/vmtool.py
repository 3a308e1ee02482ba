"""vmtool -a getInstances -c module class | -a forceGc: live instances of a class, or a full GC."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import render_options, render_request
from .requests import VmtoolRequest


def _build(ns) -> VmtoolRequest:
    if ns.action == "forceGc":
        return {"action": "forceGc"}
    if not ns.cls:
        raise CommandSyntaxError("vmtool -a getInstances needs -c module class")
    if ns.limit < -1:
        raise CommandSyntaxError("-n must be a positive number of instances, or -1 for all")
    return {
        "action": "getInstances",
        "module": ns.cls[0],
        "class": ns.cls[1],
        "expr": ns.expr,
        "limit": ns.limit,
        **render_request(ns),
    }


COMMAND = Command(
    "vmtool",
    "live instances of a class (subclasses included), or a forced garbage collection",
    (
        Option(("-a", "--action"), "getInstances or forceGc", required=True, choices=("getInstances", "forceGc")),
        Option(
            ("-c", "--class"),
            "the class whose instances to find",
            dest="cls",
            nargs=2,
            metavar=("MODULE", "CLASS"),
            complete="class",
        ),
        Option(("-e", "--expr"), "expression over 'instances' (the list) to show instead", metavar="EXPR"),
        Option(("-n", "--limit"), "at most N instances, -1 for all", default=10, type=int, metavar="N"),
        *render_options(2),
    ),
    _build,
    examples=(
        "vmtool -a getInstances -c __main__ Session",
        "vmtool -a getInstances -c app.models User -e 'len(instances)' -n -1",
        "vmtool -a forceGc",
    ),
    record_kinds=("value", "gc", "error"),
    expressions=("-e",),
)
