"""Value trees (docs/schema.md, "Value trees") back into Python values, so tests read as behaviour:

    assert python_value(value_tree({"a": [1, 2]}, TreeOptions(depth=2))) == {"a": [1, 2]}

- a leaf whose repr is a literal (str, int, float, bool, None, bytes, and containers beyond -x)
  becomes that value (``ast.literal_eval``); any other leaf is a ``Repr(type, text)``;
- a leaf whose repr was cut is a ``Cut(type, length)`` (the full repr's length);
- a container already being shown (a cycle) is a ``Cycle(type)``;
- sequences become list / tuple / set / frozenset (deques and others: list), mappings dicts,
  objects dicts of their attributes;
- a gap (``omitted``) is an ``Omitted(count)`` in the place of what it stands for (in a mapping or
  an object: as a key, with itself as the value).
"""

from __future__ import annotations

import ast


class _Marker:
    def __init__(self, *values):
        self.values = values

    def __eq__(self, other):
        return type(other) is type(self) and other.values == self.values

    def __hash__(self):
        return hash((type(self).__name__, self.values))

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(map(repr, self.values))})"


class Omitted(_Marker):
    """``Omitted(count)``: a gap of that many items, entries or attributes."""


class Cut(_Marker):
    """``Cut(type, length)``: a repr cut to the string limit; ``length`` is its full length."""


class Cycle(_Marker):
    """``Cycle(type)``: a container that is already being shown further up."""


class Repr(_Marker):
    """``Repr(type, text)``: a leaf whose repr is not a literal (an object beyond -x, a function)."""


_SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}


def python_value(tree: dict):
    if "omitted" in tree and "items" not in tree:
        return Omitted(tree["omitted"])
    if "items" in tree:
        make = _SEQUENCES.get(tree["type"], list)
        return make(python_value(item) for item in tree["items"])
    if "entries" in tree:
        return _pairs((e, python_value(e["key"]) if "key" in e else None) for e in tree["entries"])
    if "attrs" in tree:
        return _pairs((a, a.get("name")) for a in tree["attrs"])
    return _leaf(tree)


def _pairs(pairs) -> dict:
    out: dict = {}
    for part, key in pairs:
        if "omitted" in part:
            gap = Omitted(part["omitted"])
            out[gap] = gap
        else:
            out[key] = python_value(part["value"])
    return out


def _leaf(tree: dict):
    if tree.get("cycle"):
        return Cycle(tree["type"])
    if "cut" in tree:
        return Cut(tree["type"], tree["cut"])
    text = tree["repr"]
    if not tree.get("error"):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            pass
    return Repr(tree["type"], text)


def expanded_depth(tree: dict) -> int:
    """How many levels of containers are expanded (0: the root is a leaf)."""
    if "items" in tree:
        children = [item for item in tree["items"] if "type" in item]
    elif "entries" in tree:
        children = [e[k] for e in tree["entries"] if "key" in e for k in ("key", "value")]
    elif "attrs" in tree:
        children = [a["value"] for a in tree["attrs"] if "value" in a]
    else:
        return 0
    return 1 + max((expanded_depth(child) for child in children), default=0)
