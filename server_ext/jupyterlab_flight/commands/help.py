"""help [command]: the commands, or one command's options and examples (answered locally)."""

from __future__ import annotations

from collections.abc import Iterator

from .descriptor import LOCAL, Command, Option


def _run(parsed, session) -> Iterator[dict]:
    from .parser import help_text  # the parser is built from every descriptor, this one included

    name = parsed.request["command"]
    yield {"v": 1, "kind": "help", "command": name, "text": help_text(name)}


COMMAND = Command(
    "help",
    "show the commands, or one command's options and examples",
    (Option(("command",), "the command to explain", nargs="?"),),
    lambda ns: {"command": ns.command},
    examples=("help", "help getglobal"),
    where=LOCAL,
    needs_session=False,
    short_form=False,  # in a notebook, help is IPython's (?, %quickref); ours is %flight help
    record_kinds=("help",),
    run=_run,
)
