"""Options and checks that several commands share: rendering (-x -v -r), what to observe
(module [class] method, -nm) and -n limits."""

from __future__ import annotations

import argparse

from ..errors import CommandSyntaxError
from .descriptor import Option
from .requests import ObservedRequest, RenderRequest

EXPAND_RANGE = "1-6, -1 for the maximum"


def render_options(expand_default: int) -> tuple:
    """-x / -v / -r, with this command's default depth."""
    return (
        Option(
            ("-x", "--expand"),
            f"expand: depth to which values are shown ({EXPAND_RANGE})",
            default=expand_default,
            type=int,
            metavar="N",
        ),
        Option(
            ("-v", "--verbose"),
            "verbose: show every item of lists and dicts and whole strings (up to hard caps)",
            action="store_true",
        ),
        Option(("-r", "--raw"), "raw: show repr() of the value instead of a tree", action="store_true"),
    )


def render_request(ns: argparse.Namespace) -> RenderRequest:
    if not (ns.expand == -1 or 1 <= ns.expand <= 6):
        raise CommandSyntaxError(f"-x must be between 1 and 6, or -1; got {ns.expand}")
    return {"expand": ns.expand, "verbose": ns.verbose, "raw": ns.raw}


NAMES = Option(
    ("names",), "the function or method to observe", nargs="+", metavar="module [class] method", complete="function"
)
NESTED = Option(
    ("-nm", "--nested-method"),
    "observe the function NAME defined inside the method (one level)",
    dest="nested",
    metavar="NAME",
)
OBSERVED = (NAMES, NESTED)


def observed_request(names: list, nested: str | None, command: str) -> ObservedRequest:
    """module [class] method -> request fields (watch, trace, tt -t, monitor)."""
    if len(names) not in (2, 3):
        raise CommandSyntaxError(f"{command}: expected 'module [class] method', got {' '.join(names) or 'nothing'}")
    module, *middle, method = names
    return {"module": module, "class": middle[0] if middle else None, "method": method, "nested": nested}


def limit_option(help: str, default: int | None) -> Option:
    """-n (PyFlightProfiler spells the long form --limits)."""
    return Option(("-n", "--limits"), help, default=default, type=int, dest="limit", metavar="N")


def check_limit(limit: int | None) -> None:
    if limit is not None and limit < 1:
        raise CommandSyntaxError(f"-n must be at least 1; got {limit}")
