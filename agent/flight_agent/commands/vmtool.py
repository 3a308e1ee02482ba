"""vmtool -a getInstances | forceGc: live instances of a class (subclasses too), or a full GC.

Instances are found with ``gc.get_referrers`` on the class and its subclasses: instances of
Python classes refer to their type, and the walk is done in C. Only exact type matches are kept
(``type(obj)``, never ``isinstance``, which can run a proxy's ``__class__``).
"""

from __future__ import annotations

import gc

from ..expressions import evaluate
from ..lookup import find_class
from ..render import RenderOptions, render_value, type_name

DEFAULT_EXPAND = 2
DEFAULT_LIMIT = 10


def _subclasses(cls: type) -> list:
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
    types_ = _subclasses(cls)
    wanted = {id(t) for t in types_}
    return [o for o in gc.get_referrers(*types_) if id(type(o)) in wanted]


def run(args: dict, session):
    action = args.get("action")
    if action == "forceGc":
        before = gc.get_count()
        collected = gc.collect()
        yield {"kind": "gc", "collected": collected, "uncollectable": len(gc.garbage), "counts_before": list(before)}
        return
    if action != "getInstances":
        raise ValueError(f"unknown vmtool action {action!r} (getInstances or forceGc)")
    cls = find_class(args["module"], args["class"])
    instances = find_instances(cls)
    total = len(instances)
    limit = args.get("limit", DEFAULT_LIMIT)
    if limit is not None and limit >= 0:
        instances = instances[:limit]
    expr = args.get("expr") or "instances"
    value = instances
    if expr != "instances":
        value = session.run_user_code(lambda: evaluate(expr, {"instances": instances}))
    options = RenderOptions.from_args(args, DEFAULT_EXPAND)
    yield {
        "kind": "value",
        "command": "vmtool",
        "target": f"{args['module']}.{args['class']}",
        "expr": expr,
        "type": type_name(value),
        "count": total,
        "shown": len(instances),
        "value": render_value(value, options),
    }
