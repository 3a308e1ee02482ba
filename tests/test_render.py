"""The value rendering rules, shared by every command (run in-process on the tool's Python)."""

from __future__ import annotations

from flight_agent.render import RenderOptions, render_value


def test_depth_and_cycles():
    data = {"a": [1, [2, [3]]]}
    tree = render_value(data, RenderOptions(depth=2))
    inner = tree["entries"][0]["value"]
    assert inner["items"][1] == {"type": "list", "repr": "[2, [3]]", "len": 2}
    loop: list = []
    loop.append(loop)
    tree = render_value(loop, RenderOptions(depth=4))
    assert tree["items"][0]["cycle"] is True


def test_long_collections_and_strings_are_cut_unless_verbose():
    tree = render_value(list(range(50)), RenderOptions(depth=1))
    assert len(tree["items"]) == 21 and tree["items"][10] == {"omitted": 30} and tree["cut_any"]
    assert len(render_value(list(range(50)), RenderOptions(depth=1, verbose=True))["items"]) == 50
    tree = render_value("y" * 1000, RenderOptions())
    assert tree["cut"] == 1002 and len(tree["repr"]) == 259


def test_objects_slots_and_raw():
    class Slotted:
        __slots__ = ("a", "b")

        def __init__(self):
            self.a = 1

    tree = render_value(Slotted(), RenderOptions(depth=1))
    assert [a["name"] for a in tree["attrs"]] == ["a"]
    assert render_value({"k": 1}, RenderOptions(raw=True)) == {"type": "dict", "repr": "{'k': 1}", "len": 1}
