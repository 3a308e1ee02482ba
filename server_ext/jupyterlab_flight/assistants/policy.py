"""Read-only by default: which command lines an assistant may run without ``--allow-writes``.

A run is refused when its command changes the target or runs code there beyond observing it
(the descriptor's ``changes``: console, reload, tt -p, detach, ...), when it writes files on
this machine (``files``: perf -f, stack -f, ...), or when one of its expressions could do more
than read. Every expression (watch --expr/-f, getglobal -e, vmtool -e, ...) is evaluated in the
target with the builtins, so ``__import__('os').system(...)`` would run: read-only mode allows
only expressions that read names, attributes and items, compare, do arithmetic and call a few
builtins that only look (``len``, ``type``, ``isinstance``, ...) and read-style methods
(``get``, ``keys``, ...). Everything else needs the flag.
"""

from __future__ import annotations

import ast

from ..commands import ParsedCommand

# builtins an expression may call: they only look at their argument (no iteration: it would
# consume an iterator or generator of the target)
SAFE_CALLS = frozenset(
    ("len", "type", "isinstance", "issubclass", "id", "repr", "str", "bool", "int", "float", "abs", "round", "callable")
)
# methods an expression may call: the read-only ones of dict, str, list, queue, lock, event, thread
SAFE_METHODS = frozenset(
    ("get", "keys", "values", "items", "count", "index", "startswith", "endswith", "qsize", "is_set", "locked")
)
_NODES = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Set,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)
_EXPENSIVE = (ast.Pow, ast.LShift)  # 10 ** 10 ** 10 holds the target's GIL for ever
MAX_CONSTANT = 10**6


def expression_refusal(text: str) -> str:
    """Why an expression could do more than read ("" when it only reads)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        return f"it is not a Python expression ({e.msg})"
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return f"it uses {type(node).__name__} (only reads, comparisons and arithmetic are allowed)"
        if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
            return f"it reads the dunder attribute {node.attr}"
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            return f"it names {node.id}"
        if isinstance(node, ast.BinOp) and isinstance(node.op, _EXPENSIVE):
            return "it uses ** or << (a huge number could hold the target's GIL for ever)"
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and abs(node.value) > MAX_CONSTANT:
            return f"it uses the constant {node.value!r} (larger than {MAX_CONSTANT:,})"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in SAFE_CALLS:
                continue
            if isinstance(func, ast.Attribute) and func.attr in SAFE_METHODS:
                continue
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", type(func).__name__)
            return (
                f"it calls {called}() (read-only mode calls only {', '.join(sorted(SAFE_CALLS))} "
                f"and the methods {', '.join(sorted(SAFE_METHODS))})"
            )
    return ""


def refusal(parsed: ParsedCommand) -> str:
    """Why read-only mode refuses this run ("" when it may run)."""
    if parsed.changes:
        return f"{parsed.name}: it {parsed.changes}"
    if parsed.files:
        return f"{parsed.name}: it writes {', '.join(parsed.files)} on this machine (read the result instead)"
    for text in parsed.expressions:
        why = expression_refusal(text)
        if why:
            return f"{parsed.name}: the expression {text!r} is evaluated in the target and {why}"
    return ""
