"""A command's arguments, read through checked accessors.

The client sends every argument of a command with its default filled in (the defaults are stated
once, in the client's descriptors): the agent states none. An argument that is missing or of the
wrong type is a user error naming the command, the argument and the type it needs, never a
KeyError turned into a message.
"""

from __future__ import annotations

from .errors import CommandError

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class ArgumentError(CommandError):
    """A request whose arguments do not fit its command."""


class Arguments:
    def __init__(self, command: str, values: dict):
        self.command = command
        self.values = values

    def has(self, name: str) -> bool:
        """For the few arguments only some clients send (console's ``incomplete``)."""
        return name in self.values

    def _get(self, name: str, kind: type, none: bool):
        wanted = _TYPE_NAMES[kind] + (" or null" if none else "")
        if name not in self.values:
            raise ArgumentError(f"bad request: {self.command} needs argument {name!r} ({wanted})")
        value = self.values[name]
        if value is None and none:
            return None
        # bool is an int to Python, not to JSON; an integer is a fine number
        fits = type(value) is kind or (kind is float and type(value) is int)
        if not fits:
            shown = "null" if value is None else type(value).__name__
            raise ArgumentError(f"bad request: {self.command}'s argument {name!r} must be {wanted}, not {shown}")
        return value

    def text(self, name: str) -> str:
        return self._get(name, str, False)

    def optional_text(self, name: str) -> str | None:
        return self._get(name, str, True)

    def integer(self, name: str) -> int:
        return self._get(name, int, False)

    def optional_integer(self, name: str) -> int | None:
        return self._get(name, int, True)

    def number(self, name: str) -> float:
        return float(self._get(name, float, False))

    def optional_number(self, name: str) -> float | None:
        value = self._get(name, float, True)
        return None if value is None else float(value)

    def flag(self, name: str) -> bool:
        return self._get(name, bool, False)

    def choice(self, name: str, choices: tuple) -> str:
        value = self.text(name)
        if value not in choices:
            raise ArgumentError(
                f"bad request: {self.command}'s argument {name!r} must be one of {', '.join(choices)}, not {value!r}"
            )
        return value
