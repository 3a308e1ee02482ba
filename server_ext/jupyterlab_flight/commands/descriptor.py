"""A command, described once: its arguments, help, defaults and traits, and how it runs.

Every front door (CLI, magics, server, sidebar through ``GET flight/commands``) and the agent's
dispatcher read these traits instead of comparing command names:

- ``where``: ``agent`` (sent to the target's agent), ``outside`` (read from outside the process,
  no agent), ``local`` (answered by the front door) or ``client`` (orchestrates other commands
  from the client); ``where_when`` names the options that move a run elsewhere (``stack PID``);
- ``streams`` / ``streams_when``: whether the answer is a stream (records until its ``end``);
- ``long_running``: the agent keeps the target's own switch interval while it runs;
- ``interactive_unless``: without these options the command is an interactive loop that needs
  a terminal (``console`` without ``-c``), run by ``repl``;
- ``ends_session``: after it the front door forgets its session (``detach``);
- ``cell_option``: the option a ``%%flight`` cell body supplies; ``short_form``: a ``%<name>``
  magic of its own;
- ``files``: the options that name files written on the client;
- ``changes``: what a run changes in the target, or runs there beyond observing it (its code,
  a replayed call, the agent's own state others share), given its request: "" when it only reads;
- ``expressions``: the options whose values are Python expressions evaluated in the target;
- ``record_kinds``: the kinds of records it yields (docs/schema.md).

Defaults live in the ``Option``s: argparse fills them in, help texts are generated from them and
the agent receives them in every request.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..session import FlightSession
    from .parser import ParsedCommand

AGENT, OUTSIDE, LOCAL, CLIENT = "agent", "outside", "local", "client"
PLACES = (AGENT, OUTSIDE, LOCAL, CLIENT)


@dataclass(frozen=True)
class Option:
    """One argparse argument. ``flags`` are option strings, or one name for a positional.
    ``default`` is the one statement of the default; help shows it unless ``show_default``
    is False (or it is None / False: nothing to show)."""

    flags: tuple
    help: str = ""
    default: Any = None
    type: Callable | None = None
    action: str | None = None
    dest: str | None = None
    metavar: Any = None
    nargs: Any = None
    choices: tuple | None = None
    required: bool = False
    show_default: bool = True
    complete: str | None = None  # Tab completes it from the target: "function", "field" or "class"

    @property
    def positional(self) -> bool:
        return not self.flags[0].startswith("-")

    @property
    def name(self) -> str:
        """The namespace attribute (and usually the request field) it fills."""
        if self.dest:
            return self.dest
        if self.positional:
            return self.flags[0]
        longest = max(self.flags, key=len)
        return longest.lstrip("-").replace("-", "_")

    @property
    def takes_value(self) -> bool:
        return self.action not in ("store_true", "store_false")

    def help_text(self) -> str:
        if self.show_default and self.default not in (None, False) and self.takes_value:
            return f"{self.help} (default {_shown(self.default)})"
        return self.help

    def usage(self) -> str:
        """This option in a usage line: ``[-n N]``, ``-a ACTION``, ``[pid]``, ``module [class] method``."""
        if self.positional:
            text = self.metavar or self.name
            return f"[{text}]" if self.nargs == "?" else text
        metavar = self.metavar
        if metavar is None and self.takes_value:
            metavar = "{" + ",".join(self.choices) + "}" if self.choices else self.name.upper()
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        text = f"{self.flags[0]} {metavar}" if self.takes_value else self.flags[0]
        return text if self.required else f"[{text}]"

    def argparse_kwargs(self) -> dict:
        kwargs: dict = {"help": self.help_text()}
        for key in ("type", "action", "metavar", "nargs"):
            value = getattr(self, key)
            if value is not None:
                kwargs[key] = value
        if self.dest and not self.positional:
            kwargs["dest"] = self.dest
        if self.choices is not None:
            kwargs["choices"] = list(self.choices)
        if self.required:
            kwargs["required"] = True
        if self.action in ("store_true", "store_false"):
            kwargs.pop("type", None)
        else:
            kwargs["default"] = self.default
        return kwargs

    def describe(self) -> dict:
        """JSON for ``GET flight/commands``."""
        if self.positional:
            return {
                "name": self.name,
                "metavar": self.metavar,
                "nargs": self.nargs,
                "help": self.help_text(),
                "choices": list(self.choices) if self.choices is not None else None,
                "complete": self.complete,
            }
        metavar = list(self.metavar) if isinstance(self.metavar, tuple) else self.metavar
        return {
            "flags": list(self.flags),
            "dest": self.name,
            "metavar": metavar,
            "help": self.help_text(),
            "default": self.default,
            "takes_value": self.takes_value,
            "choices": list(self.choices) if self.choices is not None else None,
            "required": self.required,
        }


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


Build = Callable[[argparse.Namespace], Mapping[str, Any]]  # the request (commands/requests.py)
Runner = Callable[["ParsedCommand", "FlightSession"], Iterator[dict]]
Repl = Callable[["ParsedCommand", "FlightSession", Callable[[dict], None], Callable[[str], str]], None]
Changes = Callable[[Mapping[str, Any]], str]  # request -> what the run changes ("" when it only reads)


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    options: tuple
    build: Build  # argparse.Namespace -> the request (checked; raises CommandSyntaxError)
    examples: tuple = ()
    usage: str | None = None  # argparse's, unless the positionals need saying better
    where: str = AGENT
    where_when: dict = field(default_factory=dict)  # place -> option flags that move the run there
    streams: bool = False
    streams_when: tuple = ()  # option flags with which it streams
    long_running: bool = False
    interactive_unless: tuple = ()  # option flags without which it is an interactive loop
    needs_terminal: str = ""  # what to say where no terminal can run the loop
    repl: Repl | None = None  # the interactive loop (a terminal's front door runs it)
    ends_session: bool = False
    needs_session: bool = True  # False: runs without a target (help)
    short_form: bool = True  # a %<name> magic beside %flight <name> (not where IPython has its own)
    cell_option: str | None = None  # the option a %%flight cell body supplies
    files: tuple = ()
    record_kinds: tuple = ()
    once_timeout: float | None = None  # run once (--cmd) without -n or --timeout, a stream ends after this
    run: Runner | None = None  # for what does not simply go to the agent; None: the agent runs it
    needs_seconds: Callable[[dict], float] | None = None  # the least a request takes (a --timeout below: refused)
    changes: Changes | None = None  # None: it only reads (observing hooks are removed when it ends)
    expressions: tuple = ()  # option flags whose values are Python expressions evaluated in the target

    def __post_init__(self):
        assert self.where in PLACES and all(place in PLACES for place in self.where_when), self.name
        flags = {flag for option in self.options for flag in option.flags}
        named = [*self.streams_when, *self.interactive_unless, *(f for fs in self.where_when.values() for f in fs)]
        assert all(flag in flags for flag in (*self.files, *self.expressions)), f"{self.name}: unknown option"
        assert all(flag in flags for flag in named), f"{self.name}: a trait names an unknown option"
        # a trait reads "given" as "not None/False": an option with a real default is always given
        assert all(self.option(flag).default in (None, False) for flag in named), self.name
        if self.cell_option is not None:
            assert self.cell_option in flags, self.name

    def usage_line(self) -> str:
        """What the command takes, positionals first, each once (argparse would repeat a
        ``nargs="+"`` positional as if it took several targets)."""
        if self.usage:
            return self.usage
        positionals = [o.usage() for o in self.options if o.positional]
        return " ".join([self.name, *positionals, *(o.usage() for o in self.options if not o.positional)])

    def option(self, flag: str) -> Option:
        return next(option for option in self.options if flag in option.flags)

    def given(self, namespace: argparse.Namespace, flags: tuple) -> bool:
        """Whether any of these options was given on the command line (defaults are None/False)."""
        for flag in flags:
            value = getattr(namespace, self.option(flag).name, None)
            if value is not None and value is not False:
                return True
        return False

    def describe(self, help_text: str, usage: str) -> dict:
        """JSON for ``GET flight/commands`` (the sidebar's completion and traits)."""
        return {
            "name": self.name,
            "summary": self.summary,
            "usage": usage,
            "help": help_text,
            "examples": list(self.examples),
            "where": self.where,
            "where_when": {place: list(flags) for place, flags in self.where_when.items()},
            "streams": self.streams,
            "streams_when": list(self.streams_when),
            "long_running": self.long_running,
            "interactive_unless": list(self.interactive_unless),
            "ends_session": self.ends_session,
            "options": [o.describe() for o in self.options if not o.positional],
            "positionals": [o.describe() for o in self.options if o.positional],
            "record_kinds": list(self.record_kinds),
            "files": list(self.files),
        }
