"""Checks the observation hooks in this interpreter's own process (3.9-3.13).

    python hooks_check.py AGENT_DIR [NATIVE_LIBRARY]

With NATIVE_LIBRARY the C hooks of native/observe.c are used, without it the Python ones
(hooks/calls.py): both must see every call (arguments as the frame sees them, result or
exception, cost) while the observed functions see their stack exactly as unobserved, and removal
must leave every function as it was (same code object, no sys.monitoring tool left).
Prints one JSON line: {"hook": ..., "problems": [...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import traceback

sys.path.insert(0, sys.argv[1])
if len(sys.argv) > 2:
    from flight_agent import native

    native.set_library(sys.argv[2])

from flight_agent.hooks import monitoring  # noqa: E402
from flight_agent.hooks.locate import locate  # noqa: E402
from flight_agent.hooks.probe import Observer, add_observer, probe_of, remove_observer  # noqa: E402

problems: list = []


def plain(a, b=2, *rest, k=3, **extra):
    return a + b + sum(rest) + k + len(extra)


def raises(n):
    raise ValueError(f"bad {n}")


def caller():
    try:
        raises(1)
    except ValueError:
        return traceback.format_exc()


def who():
    return sys._getframe(1).f_code.co_name


def asks():
    return who()


class Shop:
    def price(self, amount, discount=0):
        return amount * 2 - discount


def outer(n):
    def inner(j):
        return j * n

    return inner(n + 1)


def many_blocks(x):  # on 3.9/3.10 too many blocks for the instrumented copy: the wrapper
    for _ in range(10):
        try:
            x += 1
        except ValueError:
            pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    try:
        x += 1
    except ValueError:
        pass
    return x


async def fetch(d):
    await asyncio.sleep(d)
    if d > 0.001:
        raise LookupError(d)
    return d


class Seen(Observer):
    def __init__(self):
        self.calls = []

    def exit(self, call):
        self.calls.append((call.target, call.args, call.kwargs, call.return_value, repr(call.exception), call.cost_ms))


def observe(where, run, check):
    site = locate("__main__", *where)
    code = site.func.__code__ if site.func is not None else site.outer.__code__
    seen = Seen()
    key = add_observer(site, seen)
    hook = type(probe_of(key).hook).__name__
    try:
        run()
    finally:
        remove_observer(key, seen)
    now = site.func.__code__ if site.func is not None else site.outer.__code__
    if now is not code:
        problems.append(f"{where}: the code object was not restored")
    try:
        check(seen.calls)
    except AssertionError as e:
        problems.append(f"{where}: {e}")
    return hook


def expect(condition, text):
    if not condition:
        raise AssertionError(text)


def same(function, wanted, what):
    got = function()
    expect(got == wanted, f"{what} changed: {got!r}")


before = {"caller": caller(), "asks": asks()}
hooks = set()
hooks.add(
    observe(
        (None, "plain"),
        lambda: (plain(1), plain(1, 5, 6, 7, k=1, z=9)),
        lambda calls: expect(
            [c[:4] for c in calls] == [(None, (1, 2), {"k": 3}, 6), (None, (1, 5, 6, 7), {"k": 1, "z": 9}, 21)]
            and all(c[5] >= 0 for c in calls),
            f"plain calls seen as {calls}",
        ),
    )
)
hooks.add(
    observe(
        (None, "raises"),
        lambda: same(caller, before["caller"], "the traceback"),
        lambda calls: expect(len(calls) == 1 and calls[0][4] == "ValueError('bad 1')", f"raises seen as {calls}"),
    )
)
hooks.add(
    observe(
        (None, "who"),
        lambda: same(asks, before["asks"], "the caller"),
        lambda calls: expect([c[3] for c in calls] == ["asks"], f"who seen as {calls}"),
    )
)
shop = Shop()
hooks.add(
    observe(
        ("Shop", "price"),
        lambda: shop.price(5, discount=1),
        lambda calls: expect(calls[0][:4] == (shop, (5, 1), {}, 9), f"price seen as {calls}"),
    )
)
hooks.add(
    observe(
        (None, "outer", "inner"),
        lambda: outer(3),
        lambda calls: expect([c[1:4] for c in calls] == [((4,), {}, 12)], f"inner seen as {calls}"),
    )
)


def run_fetch():
    asyncio.run(fetch(0))
    try:
        asyncio.run(fetch(0.01))
    except LookupError:
        pass


hooks.add(
    observe(
        (None, "fetch"),
        run_fetch,
        lambda calls: expect(
            [(c[1], c[3], c[4]) for c in calls] == [((0,), 0, "None"), ((0.01,), None, "LookupError(0.01)")]
            and calls[1][5] >= 10,
            f"fetch seen as {calls}",
        ),
    )
)
hooks.add(
    observe(
        (None, "many_blocks"),
        lambda: many_blocks(0),
        lambda calls: expect([c[1:4] for c in calls] == [((0,), {}, 19)], f"many_blocks seen as {calls}"),
    )
)
# a function and a function nested in it, observed at once, added and removed in either order
for first, second in (((None, "outer"), (None, "outer", "inner")), ((None, "outer", "inner"), (None, "outer"))):
    for remove_first in (True, False):
        original = outer.__code__
        sites = [locate("__main__", *first), None]
        seen = [Seen(), Seen()]
        keys = [add_observer(sites[0], seen[0]), None]
        sites[1] = locate("__main__", *second)
        keys[1] = add_observer(sites[1], seen[1])
        got = outer(3)
        order = (0, 1) if remove_first else (1, 0)
        remove_observer(keys[order[0]], seen[order[0]])
        outer(5)  # only the other observer sees it
        remove_observer(keys[order[1]], seen[order[1]])
        outer(7)  # nobody
        if got != 12 or outer.__code__ is not original:
            problems.append(
                f"outer and inner at once ({first} first): {got}, code restored: {outer.__code__ is original}"
            )
        values = [[c[3] for c in seen[i].calls] for i in (0, 1)]
        want = {(None, "outer"): [12, 30], (None, "outer", "inner"): [12, 30]}
        for i, where in enumerate((first, second)):
            expected = want[where] if i == order[1] else want[where][:1]
            if values[i] != expected:
                problems.append(f"{where} observed with the other ({first} first, removed {order}): {values[i]}")
if monitoring.AVAILABLE and any(sys.monitoring.get_tool(i) for i in range(6)):
    problems.append(f"a sys.monitoring tool was left: {[sys.monitoring.get_tool(i) for i in range(6)]}")
print(json.dumps({"hook": sorted(hooks), "native": len(sys.argv) > 2, "problems": problems}))
