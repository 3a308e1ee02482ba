"""getglobal module [class] field: a module global or a class field as a value tree."""

from __future__ import annotations

from ..errors import CommandSyntaxError
from .descriptor import Command, Option
from .options import render_options, render_request
from .requests import GetglobalRequest

USAGE = "getglobal module [class] field [-e expr] [-x n] [-r] [-v]"


def _build(ns) -> GetglobalRequest:
    if len(ns.names) not in (2, 3):
        raise CommandSyntaxError(f"getglobal: expected 'module [class] field'\nusage: {USAGE}")
    module, *middle, fieldname = ns.names
    request: GetglobalRequest = {
        "module": module,
        "class": middle[0] if middle else None,
        "field": fieldname,
        "expr": ns.expr,
        **render_request(ns),
    }
    return request


COMMAND = Command(
    "getglobal",
    "a module global or a class field, rendered as a value tree",
    (
        Option(("names",), "where the value lives", nargs="+", metavar="module [class] field", complete="field"),
        Option(
            ("-e", "--expr"),
            "expression over 'target' (the value) to show instead, e.g. target['key']",
            metavar="EXPR",
        ),
        *render_options(2),
    ),
    _build,
    examples=(
        "getglobal __main__ CONFIG",
        "getglobal __main__ Model registry -x 3",
        "getglobal app.db POOL -e 'len(target)'",
    ),
    record_kinds=("value", "error"),
    expressions=("-e",),
)
