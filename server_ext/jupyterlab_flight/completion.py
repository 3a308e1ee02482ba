"""Tab completion of a command line: command names and option flags from the descriptors, and
target names (modules, classes, functions, fields) from the attached process's agent.

One function for every front door: the CLI prompt calls it in-process, the sidebar through
``POST flight/sessions/<id>/complete``. Which words name what comes from the descriptors: an
``Option`` with ``complete`` ("function": module [class] method, "field": module [class] field,
"class": module class) takes its words from the target; an option with ``choices`` from those.
"""

from __future__ import annotations

from typing import Callable

from .commands import COMMANDS
from .commands.descriptor import Command, Option

Ask = Callable[[str, list], list]  # (kind, names typed so far, the last one the prefix) -> names


def _words(line: str) -> tuple[list, str] | None:
    """(complete words before the current one, the current word); None inside quotes."""
    if line.count("'") % 2 or line.count('"') % 2:
        return None
    parts = line.split()
    if not line or line[-1].isspace():
        return parts, ""
    return parts[:-1], parts[-1]


def _arity(option: Option) -> int:
    """How many words an option's value takes (module [class] method: at most 3)."""
    if isinstance(option.nargs, int):
        return option.nargs
    if option.nargs in ("+", "*"):
        return 3 if option.complete in ("function", "field") else 2 if option.complete else 1_000
    return 1


def _slots(command: Command, words: list) -> tuple[Option | None, list]:
    """Which option the next word fills, and the words it has so far."""
    positionals = [o for o in command.options if o.positional]
    flags = {flag: o for o in command.options if not o.positional for flag in o.flags}
    index, filled, i = 0, [], 0
    while i < len(words):
        word = words[i]
        option = flags.get(word) if word.startswith("-") else None
        i += 1
        if option is not None:
            if not option.takes_value:
                continue
            values: list = []
            while i < len(words) and not words[i].startswith("-") and len(values) < _arity(option):
                values.append(words[i])
                i += 1
            if i == len(words) and len(values) < _arity(option):
                return option, values  # the next word is still this flag's
            continue
        filled.append(word)
        current = positionals[index] if index < len(positionals) else None
        if current is not None and current.nargs in (None, "?"):
            index, filled = index + 1, []
    return (positionals[index] if index < len(positionals) else None), filled


def complete_line(line: str, ask: Ask | None) -> list:
    """The candidates for the word being typed at the end of ``line`` (full words)."""
    split = _words(line.lstrip())
    if split is None:
        return []
    before, current = split
    if not before:
        return sorted(name for name in COMMANDS if name.startswith(current))
    command = COMMANDS.get(before[0])
    if command is None:
        return []
    if current.startswith("-"):
        return sorted(
            {flag for o in command.options if not o.positional for flag in o.flags if flag.startswith(current)}
        )
    option, filled = _slots(command, before[1:])
    if option is None:
        return []
    if option.choices:
        return [c for c in option.choices if c.startswith(current)]
    if option.complete and ask is not None:
        try:
            return [name for name in ask(option.complete, [*filled, current]) if isinstance(name, str)]
        except Exception:  # completion never fails a prompt: no agent, a slow target
            return []
    return []


def completed_text(line: str, candidates: list) -> str:
    """The line with its last word completed as far as the candidates agree (a space after a
    single one)."""
    split = _words(line)
    if split is None or not candidates:
        return line
    current = split[1]
    head = line[: len(line) - len(current)]
    if len(candidates) == 1:
        return f"{head}{candidates[0]} "
    common = candidates[0]
    for c in candidates[1:]:
        while not c.startswith(common):
            common = common[:-1]
    return head + common if len(common) > len(current) else line
