"""vmtool -a getInstances | forceGc: live instances of a class (subclasses too), or a full GC.

Instances are found with ``gc.get_referrers`` on the class and its subclasses: instances of
Python classes refer to their type, and the walk is done in C. Only exact type matches are kept
(``type(obj)``, never ``isinstance``, which can run a proxy's ``__class__``).
"""

from __future__ import annotations

import gc

from ..arguments import Arguments
from ..connection import Connection
from ..expressions import evaluate
from ..lookup import find_class
from ..values import TreeOptions, type_name, value_tree


def subclasses(cls: type) -> list:
    """cls and every class derived from it (mem refs uses it too)."""
    found, todo = [cls], [cls]
    while todo:
        klass = todo.pop()
        try:
            children: list = type.__subclasses__(klass)
        except TypeError:
            children = []
        for child in children:
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def find_instances(cls: type) -> list:
    types_ = subclasses(cls)
    wanted = {id(t) for t in types_}
    return [o for o in gc.get_referrers(*types_) if id(type(o)) in wanted]


def run(args: Arguments, connection: Connection) -> list:
    action = args.choice("action", ("getInstances", "forceGc"))
    if action == "forceGc":
        before = gc.get_count()
        collected = gc.collect()
        return [{"kind": "gc", "collected": collected, "uncollectable": len(gc.garbage), "counts_before": list(before)}]
    module, class_name = args.text("module"), args.text("class")
    expr = args.optional_text("expr") or "instances"  # no expression: the instances themselves
    limit = args.integer("limit")  # -1 (any negative): all
    options = TreeOptions.from_arguments(args)
    instances = find_instances(find_class(module, class_name))
    total = len(instances)
    if limit >= 0:
        instances = instances[:limit]
    value = instances
    if expr != "instances":
        value = connection.run_user_code(lambda: evaluate(expr, {"instances": instances}))
    return [
        {
            "kind": "value",
            "command": "vmtool",
            "target": f"{module}.{class_name}",
            "expr": expr,
            "type": type_name(value),
            "count": total,
            "shown": len(instances),
            "value": value_tree(value, options),
        }
    ]
