"""Value trees (flight_agent/values.py): what -x, -v and -r show of lists, dicts, objects, cycles
and long strings, read back as Python values (valuetrees.py). Pure: no target process."""

from __future__ import annotations

import collections

from flight_agent import values
from flight_agent.arguments import Arguments
from flight_agent.values import TreeOptions, type_name, value_tree
from valuetrees import Cut, Cycle, Omitted, Repr, expanded_depth, python_value


def tree(obj, depth: int = 1, verbose: bool = False, raw: bool = False) -> dict:
    return value_tree(obj, TreeOptions(depth=depth, verbose=verbose, raw=raw))


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class Slotted:
    __slots__ = ("a", "b", "unset")

    def __init__(self):
        self.a = 1
        self.b = [2]


class Lazy:
    def __init__(self):
        self.calls = 0

    @property
    def expensive(self):  # never called by a value tree
        raise AssertionError("a property was called")


class BrokenRepr:
    __slots__ = ()

    def __repr__(self):
        raise RuntimeError("no")


def test_scalars_read_back_as_themselves():
    for value in (1, -2.5, "text", b"bytes", True, None):
        assert python_value(tree(value)) == value
    assert tree("abc")["len"] == 3 and tree(7)["type"] == "int"


def test_lists_tuples_sets_and_dicts():
    assert python_value(tree([1, "a", None])) == [1, "a", None]
    assert python_value(tree((1, 2))) == (1, 2)
    assert python_value(tree({3, 1, 2})) == {1, 2, 3}
    assert [item["repr"] for item in tree({3, 1, 2})["items"]] == ["1", "2", "3"]  # sets are sorted
    assert python_value(tree({"a": [1, 2]}, depth=2)) == {"a": [1, 2]}
    assert python_value(tree(collections.deque([1, 2]))) == [1, 2]
    assert tree({"a": 1})["len"] == 1 and tree({"a": 1})["type"] == "dict"


def test_objects_are_their_attributes_and_properties_are_never_called():
    assert python_value(tree(Point(1, "y"))) == {"x": 1, "y": "y"}
    assert tree(Point(1, 2))["type"] == f"{__name__}.Point"
    assert python_value(tree(Slotted(), depth=2)) == {"a": 1, "b": [2]}  # an unset slot is left out
    assert python_value(tree(Lazy())) == {"calls": 0}


def test_depth_limits_what_is_expanded():
    point = Point(1, 2)
    nested = {"a": {"b": {"c": [1, {"d": point}]}}}
    assert python_value(tree(nested, depth=1)) == {"a": Repr("dict", repr(nested["a"]))}
    assert python_value(tree(nested, depth=3)) == {"a": {"b": {"c": Repr("list", repr(nested["a"]["b"]["c"]))}}}
    assert python_value(tree(nested, depth=6)) == {"a": {"b": {"c": [1, {"d": {"x": 1, "y": 2}}]}}}
    assert [expanded_depth(tree(nested, depth=d)) for d in (0, 1, 3, 6)] == [0, 1, 3, 6]
    assert python_value(tree({"p": point}, depth=1)) == {"p": Repr(f"{__name__}.Point", repr(point))}
    assert python_value(tree({"p": point}, depth=2)) == {"p": {"x": 1, "y": 2}}
    assert python_value(tree({"n": [1, 2]}, depth=1)) == {"n": [1, 2]}  # a literal leaf reads back whole
    assert "items" not in tree({"n": [1, 2]}, depth=1)["entries"][0]["value"]


def test_expand_minus_one_is_the_maximum_depth_and_depth_is_capped():
    deep: list = []
    level = deep
    for _ in range(10):
        level.append([])
        level = level[0]
    options = TreeOptions.from_arguments(Arguments("getglobal", {"expand": -1, "verbose": False, "raw": False}))
    assert options.depth == values.MAX_DEPTH
    assert expanded_depth(value_tree(deep, options)) == values.MAX_DEPTH
    capped = TreeOptions.from_arguments(Arguments("getglobal", {"expand": 50, "verbose": True, "raw": False}))
    assert capped.depth == values.MAX_DEPTH and capped.verbose and not capped.raw


def test_long_containers_show_their_ends_around_a_gap_and_everything_with_verbose():
    shown = tree(list(range(100)))
    assert python_value(shown) == [*range(10), Omitted(80), *range(90, 100)]
    assert shown["len"] == 100 and shown["cut_any"] is True
    assert python_value(tree(list(range(100)), verbose=True)) == list(range(100))
    mapping = python_value(tree({i: i for i in range(30)}))
    assert mapping[Omitted(10)] == Omitted(10) and len(mapping) == 21
    assert "cut_any" not in tree(list(range(20)))


def test_long_strings_are_cut_and_verbose_lifts_the_limit():
    text = "x" * 1000
    assert python_value(tree(text)) == Cut("str", len(repr(text)))
    cut = tree(text)
    assert len(cut["repr"]) == values.STRING_LIMIT + 3 and cut["cut_any"] is True
    assert python_value(tree(text, verbose=True)) == text
    huge = "y" * (values.STRING_LIMIT_VERBOSE + 10)
    assert python_value(tree(huge, verbose=True)) == Cut("str", len(repr(huge)))


def test_cycles_are_marked_and_not_followed():
    loop: list = [1]
    loop.append(loop)
    assert python_value(tree(loop, depth=4)) == [1, Cycle("list")]
    point = Point(1, None)
    point.y = point
    assert python_value(tree(point, depth=4)) == {"x": 1, "y": Cycle(f"{__name__}.Point")}
    shared = [1]
    assert python_value(tree([shared, shared], depth=3)) == [[1], [1]]  # shared, not a cycle


def test_raw_shows_the_repr_of_the_whole_value():
    raw = tree({"a": [1, 2]}, depth=3, raw=True)
    assert "entries" not in raw and raw["repr"] == "{'a': [1, 2]}"
    assert python_value(raw) == {"a": [1, 2]}
    point = Point(1, 2)
    assert python_value(tree(point, depth=3, raw=True)) == Repr(f"{__name__}.Point", repr(point))
    many = list(range(10000))
    assert python_value(tree(many, raw=True)) == Cut("list", len(repr(many)))  # cut at 4 KiB without -v
    assert python_value(tree(many, raw=True, verbose=True)) == many


def test_a_failing_repr_is_shown_never_raised():
    node = tree(BrokenRepr())
    assert node["error"] is True
    assert python_value(node) == Repr(f"{__name__}.BrokenRepr", "<repr failed: RuntimeError: no>")


def test_the_node_budget_bounds_a_huge_tree():
    wide = [[0] * 25 for _ in range(10000)]  # 260,000 nodes, over the -v budget of 200,000
    shown = python_value(tree(wide, depth=2, verbose=True))
    assert len(shown) == 10000 and shown[0] == [0] * 25 and shown[-1] == Omitted(1)
    assert tree(wide, depth=2, verbose=True)["cut_any"] is True


def test_type_names():
    assert type_name(1) == "int" and type_name(Point(1, 2)) == f"{__name__}.Point"
    assert type_name(collections.OrderedDict()) == "collections.OrderedDict"


def price(qty, unit=1.0, *extra, currency="EUR", **options):
    return qty * unit


def test_a_function_is_named_with_its_signature_and_place():
    node = tree(price, depth=2)
    code = price.__code__
    assert node["qualname"] == f"{__name__}.price"
    assert node["signature"] == "(qty, unit=1.0, *extra, currency='EUR', **options)"
    assert (node["file"], node["line"]) == (code.co_filename, code.co_firstlineno)
    assert node["repr"] == f"<function {__name__}.price{node['signature']} at {code.co_filename}:{code.co_firstlineno}>"
    assert "attrs" not in node


def test_a_bound_method_and_a_builtin_are_leaves_too():
    point = Point(1, 2)
    method = tree(Point.__init__.__get__(point), depth=2)
    assert method["qualname"].endswith("Point.__init__") and method["signature"] == "(self, x, y)"
    assert method["repr"].endswith("(bound method)")
    assert tree(len)["repr"] == "<built-in len>"


def test_cut_with_verbose_says_so():
    long = ["x" * 10] * (values.ITEMS_LIMIT_VERBOSE + 5)
    assert tree(long, verbose=True).get("cut_verbose") is True
    assert "cut_verbose" not in tree(list(range(30)))
