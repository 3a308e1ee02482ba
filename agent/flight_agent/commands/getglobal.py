"""getglobal module [class] field [-e expr]: a module global or class field, rendered."""

from __future__ import annotations

from ..expressions import evaluate
from ..lookup import find_class, find_class_field, find_global, find_module
from ..render import RenderOptions, render_value, type_name

DEFAULT_EXPAND = 2


def run(args: dict, session):
    if args.get("class"):
        owner = find_class(args["module"], args["class"])
        value = find_class_field(owner, args["field"])
        where = f"{args['module']}.{args['class']}.{args['field']}"
    else:
        value = find_global(find_module(args["module"]), args["field"])
        where = f"{args['module']}.{args['field']}"
    expr = args.get("expr") or "target"
    if expr != "target":
        value = session.run_user_code(lambda: evaluate(expr, {"target": value}))
    options = RenderOptions.from_args(args, DEFAULT_EXPAND)
    yield {
        "kind": "value",
        "command": "getglobal",
        "target": where,
        "expr": expr,
        "type": type_name(value),
        "value": render_value(value, options),
    }
