"""A value tree (docs/schema.md, "Value trees") as Python-like text."""

from __future__ import annotations

from ..records import ValueNode

INDENT = "  "
_BRACKETS = {"list": ("[", "]"), "tuple": ("(", ")"), "set": ("{", "}")}


def _is_leaf(node: ValueNode) -> bool:
    return not any(k in node for k in ("items", "entries", "attrs"))


def _one_line(node: ValueNode) -> str | None:
    """Short containers of plain values on one line: (1, 'a') rather than one item per line."""
    if "items" in node and all(_is_leaf(i) and "repr" in i for i in node["items"]):
        opening, closing = _BRACKETS.get(node["type"], ("", ""))
        if not opening:
            return None
        inner = ", ".join(i["repr"] for i in node["items"]) + (
            "," if node["type"] == "tuple" and len(node["items"]) == 1 else ""
        )
        text = opening + inner + closing
    elif (
        "entries" in node
        and node["type"] == "dict"
        and all(
            "key" in e and _is_leaf(e["key"]) and _is_leaf(e["value"]) and "repr" in e["value"] for e in node["entries"]
        )
    ):
        text = "{" + ", ".join(f"{e['key'].get('repr')}: {e['value']['repr']}" for e in node["entries"]) + "}"
    else:
        return None
    return text if len(text) <= 100 else None


def value_text(node: ValueNode, indent: int = 0) -> str:
    """A value tree as Python-like text, one item per line when expanded."""
    short = _one_line(node)
    if short is not None:
        return short
    pad = INDENT * (indent + 1)
    close = INDENT * indent
    if "omitted" in node and len(node) <= 2:
        return f"... {node['omitted']} more ..."
    if "items" in node:
        t = node["type"]
        opening, closing = _BRACKETS.get(t, (f"{t}([", "])"))
        if not node["items"]:
            return opening + closing
        parts = [pad + value_text(item, indent + 1) for item in node["items"]]
        return opening + "\n" + ",\n".join(parts) + "\n" + close + closing
    if "entries" in node:
        opening, closing = ("{", "}") if node["type"] == "dict" else (f"{node['type']}({{", "})")
        if not node["entries"]:
            return opening + closing
        parts = []
        for entry in node["entries"]:
            if "omitted" in entry and "key" not in entry:
                parts.append(pad + f"... {entry['omitted']} more ...")
            else:
                parts.append(pad + value_text(entry["key"], indent + 1) + ": " + value_text(entry["value"], indent + 1))
        return opening + "\n" + ",\n".join(parts) + "\n" + close + closing
    if "attrs" in node:
        if not node["attrs"]:
            return f"{node['type']}()"
        parts = []
        for attr in node["attrs"]:
            if "name" not in attr:
                parts.append(pad + f"... {attr['omitted']} more ...")
            else:
                parts.append(pad + f"{attr['name']}=" + value_text(attr["value"], indent + 1))
        return f"{node['type']}(\n" + ",\n".join(parts) + "\n" + close + ")"
    text = node.get("repr", f"<{node.get('type', '?')}>")
    if node.get("cut"):
        text += f"  [cut: {node['cut']} characters]"
    return text
