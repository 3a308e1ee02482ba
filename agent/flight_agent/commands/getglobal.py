"""getglobal module [class] field [-e expr]: a module global or class field, as a value tree."""

from __future__ import annotations

from ..arguments import Arguments
from ..connection import Connection
from ..expressions import evaluate
from ..lookup import find_class, find_class_field, find_global, find_module
from ..values import TreeOptions, type_name, value_tree


def run(args: Arguments, connection: Connection) -> list:
    module, class_name, field = args.text("module"), args.optional_text("class"), args.text("field")
    expr = args.optional_text("expr") or "target"  # no expression: the value itself
    options = TreeOptions.from_arguments(args)
    if class_name:
        value = find_class_field(find_class(module, class_name), field)
        where = f"{module}.{class_name}.{field}"
    else:
        value = find_global(find_module(module), field)
        where = f"{module}.{field}"
    if expr != "target":
        found = value
        value = connection.run_user_code(lambda: evaluate(expr, {"target": found}))
    return [
        {
            "kind": "value",
            "command": "getglobal",
            "target": where,
            "expr": expr,
            "type": type_name(value),
            "value": value_tree(value, options),
        }
    ]
