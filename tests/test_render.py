"""The value tree rules, shared by every command (run in-process on the tool's Python)."""

from __future__ import annotations

from flight_agent.values import TreeOptions, value_tree


def test_depth_and_cycles():
    data = {"a": [1, [2, [3]]]}
    tree = value_tree(data, TreeOptions(depth=2))
    inner = tree["entries"][0]["value"]
    assert inner["items"][1] == {"type": "list", "repr": "[2, [3]]", "len": 2}
    loop: list = []
    loop.append(loop)
    tree = value_tree(loop, TreeOptions(depth=4))
    assert tree["items"][0]["cycle"] is True


def test_long_collections_and_strings_are_cut_unless_verbose():
    tree = value_tree(list(range(50)), TreeOptions(depth=1))
    assert len(tree["items"]) == 21 and tree["items"][10] == {"omitted": 30} and tree["cut_any"]
    assert len(value_tree(list(range(50)), TreeOptions(depth=1, verbose=True))["items"]) == 50
    tree = value_tree("y" * 1000, TreeOptions())
    assert tree["cut"] == 1002 and len(tree["repr"]) == 259


def test_objects_slots_and_raw():
    class Slotted:
        __slots__ = ("a", "b")

        def __init__(self):
            self.a = 1

    tree = value_tree(Slotted(), TreeOptions(depth=1))
    assert [a["name"] for a in tree["attrs"]] == ["a"]
    assert value_tree({"k": 1}, TreeOptions(raw=True)) == {"type": "dict", "repr": "{'k': 1}", "len": 1}
